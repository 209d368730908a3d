#pragma once
/// @file
/// link::ByteStream over an Arduino `Client` (WiFiClient, EthernetClient, a cellular modem's
/// client): plain TCP, with mqtls's own TLS engine on top, so the broker is verified by mqtls
/// whatever the Client is. A template over the client type, with nothing of Arduino's headers,
/// so that it is tested on the host against a scripted client (ports/arduino/tests).
///
/// What an Arduino Client cannot say, this reports as well as it can:
///   - connect() answers yes or no: a failure is connect_failed (detail: the client's return
///     value), not refused/unreachable/timed out;
///   - write() may block inside the client until the bytes are queued; 0 from a connected client
///     is "would block", from a disconnected one the peer's close;
///   - there is no readiness call: wait() polls available() and connected(), pausing a
///     millisecond between polls (yield to the Wi-Fi task), up to the timeout.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mqtls/core/clock.hpp"
#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/link/byte_stream.hpp"

namespace mqtls::port::arduino {

namespace detail {
// Whether `C` has the ESP32 core's connect(host, port, timeout_ms) (WiFiClient, NetworkClient).
template <class C, class = void>
struct HasTimedConnect : std::false_type {};
template <class C>
struct HasTimedConnect<
    C, std::void_t<decltype(std::declval<C&>().connect("", std::uint16_t{}, std::int32_t{}))>>
    : std::true_type {};
}  // namespace detail

template <class ArduinoClient>
class ClientStream final : public link::ByteStream {
public:
    /// Longest host name open() takes (DNS: 253 characters).
    static constexpr std::size_t max_host_length = 253;

    /// `client` must outlive the stream. `pause(ms)` lets other tasks run while wait() polls
    /// (Arduino's delay()); `clock` bounds the wait.
    ClientStream(ArduinoClient& client, MonotonicClock clock,
                 void (*pause)(std::uint32_t ms)) noexcept
        : client_(client), clock_(clock), pause_(pause) {}

    Result<void> open(std::string_view host, std::uint16_t port,
                      Duration timeout) noexcept override {
        close();
        if (host.empty() || host.size() > max_host_length || port == 0 || timeout.millis() <= 0) {
            return Error{Errc::invalid_argument, 0};
        }
        char name[max_host_length + 1];
        std::memcpy(name, host.data(), host.size());
        name[host.size()] = '\0';
        int connected = 0;
        if constexpr (detail::HasTimedConnect<ArduinoClient>::value) {
            const std::int64_t ms = timeout.millis();
            connected = client_.connect(name, port,
                                        static_cast<std::int32_t>(ms > INT32_MAX ? INT32_MAX : ms));
        } else {
            connected = client_.connect(name, port);
        }
        if (connected != 1) {
            client_.stop();
            return Error{Errc::connect_failed, connected};
        }
        open_ = true;
        return ok();
    }

    Result<std::size_t> send_some(bytes_view data) noexcept override {
        if (!open_) return Error{Errc::not_connected, 0};
        if (data.empty()) return std::size_t{0};
        const std::size_t written = client_.write(data.data(), data.size());
        if (written > data.size()) return Error{Errc::socket_error, 0};
        if (written == 0 && !client_.connected()) return Error{Errc::connection_reset, 0};
        return written;
    }

    Result<std::size_t> receive_some(mutable_bytes buffer) noexcept override {
        if (!open_) return Error{Errc::not_connected, 0};
        if (buffer.empty()) return std::size_t{0};
        const int available = client_.available();
        if (available <= 0) {
            // Bytes the peer sent before closing are read first; then the end of the stream.
            if (!client_.connected()) return Error{Errc::connection_reset, 0};
            return std::size_t{0};
        }
        const std::size_t wanted = static_cast<std::size_t>(available) < buffer.size()
                                       ? static_cast<std::size_t>(available)
                                       : buffer.size();
        const int read = client_.read(buffer.data(), wanted);
        if (read < 0) return Error{Errc::socket_error, read};
        return static_cast<std::size_t>(read);
    }

    Result<link::Readiness> wait(bool want_read, bool want_write,
                                 Duration timeout) noexcept override {
        if (!open_) return Error{Errc::not_connected, 0};
        if (!want_read && !want_write) return Error{Errc::invalid_argument, 0};
        const Instant deadline = clock_.now() + timeout;
        // At most one poll per millisecond of the timeout, and one poll for a timeout of 0.
        const std::int64_t rounds = timeout.millis() > 0 ? timeout.millis() + 1 : 1;
        for (std::int64_t round = 0; round < rounds; ++round) {
            link::Readiness ready;
            // write() queues into the client (blocking there if it must): always writable.
            ready.writable = want_write;
            // A closed connection is readable: receive_some() then reports it.
            ready.readable = want_read && (client_.available() > 0 || !client_.connected());
            if (ready.readable || ready.writable) return ready;
            if (clock_.now() >= deadline) break;
            if (pause_ != nullptr) pause_(1);
        }
        return Error{Errc::io_timed_out, 0};
    }

    void close() noexcept override {
        if (open_) client_.stop();
        open_ = false;
    }

    [[nodiscard]] bool is_open() const noexcept override { return open_; }

private:
    ArduinoClient& client_;
    MonotonicClock clock_;
    void (*pause_)(std::uint32_t ms);
    bool open_ = false;
};

}  // namespace mqtls::port::arduino
