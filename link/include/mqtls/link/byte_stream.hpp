#pragma once
/// @file
/// The transport under the secure channel: a reliable, ordered byte stream (TCP on Linux, an
/// lwIP socket on ESP-IDF, an Arduino `Client&`, an emulated UART, an in-memory pair in the
/// simulation). The shape of coreMQTT's TransportInterface_t, made non-blocking: the pump in
/// link::Connection decides when to wait, and wait() is the only call allowed to block.
///
/// Contract (every implementation, checked by the simulation and the posix port's tests):
///  - Ownership: the stream owns its socket/handle; data views are only borrowed for the call.
///  - send_some() takes bytes from the front of `data` and returns how many it took. 0 means
///    "would block" (wait for writable); partial writes are normal. Never raises a signal.
///  - receive_some() writes into the front of `buffer` and returns how many bytes arrived. 0
///    means "nothing yet" (wait for readable). The peer's orderly close is the error
///    connection_reset with detail 0 (is_end_of_stream()); a reset is connection_reset with the
///    platform's code in detail.
///  - wait() blocks until a wanted direction is ready or `timeout` passes (a non-positive
///    timeout only looks). Nothing ready in time: io_timed_out. Neither direction asked:
///    invalid_argument. A direction with an error or hang-up reports ready, so that the next
///    send_some()/receive_some() reports the error.
///  - open() connects within `timeout`. Errors: resolve_failed, connection_refused,
///    connect_timed_out, network_unreachable, socket_error, invalid_argument (empty host, port 0).
///  - After any error other than would-block, the stream is unusable until close() + open().
///  - close() is idempotent; every other call on a closed stream fails with not_connected.
///  - The two hints change timing only, never bytes: a stream may ignore them.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::link {

/// Which directions wait() found ready.
struct Readiness {
    bool readable = false;
    bool writable = false;
};

/// Whether `error` (from receive_some) is the peer's orderly close rather than a reset.
constexpr bool is_end_of_stream(const Error& error) noexcept {
    return error.code == Errc::connection_reset && error.detail == 0;
}

class ByteStream {
public:
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;

    virtual Result<void> open(std::string_view host, std::uint16_t port,
                              Duration timeout) noexcept = 0;
    virtual Result<std::size_t> send_some(bytes_view data) noexcept = 0;
    virtual Result<std::size_t> receive_some(mutable_bytes buffer) noexcept = 0;
    virtual Result<Readiness> wait(bool want_read, bool want_write, Duration timeout) noexcept = 0;
    virtual void close() noexcept = 0;
    [[nodiscard]] virtual bool is_open() const noexcept = 0;

    /// From now on, bytes may be held until close() sends them with the end of stream: a goodbye
    /// (DISCONNECT, close_notify, FIN) in one segment (TCP_CORK on Linux).
    virtual void hold_until_close() noexcept {}
    /// Acknowledge every received segment at once (TCP_QUICKACK on Linux), wanted once the peer
    /// may hold a small packet back behind its unacknowledged last one (Nagle's algorithm).
    virtual void set_quick_acknowledgements(bool /*quick*/) noexcept {}

protected:
    ByteStream() = default;
    ByteStream(ByteStream&&) = default;
    ByteStream& operator=(ByteStream&&) = default;
    // Never deleted through the interface (see node::LogStorage): no virtual destructor, so the
    // layer stays free of RTTI-dependent deleting destructors.
    ~ByteStream() = default;
};

}  // namespace mqtls::link
