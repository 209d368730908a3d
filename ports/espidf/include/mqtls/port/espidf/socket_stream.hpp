#pragma once
/// @file
/// The ESP-IDF port's link::ByteStream: a TCP connection through the BSD socket calls lwIP
/// provides (getaddrinfo, socket, fcntl O_NONBLOCK, connect, select, send, recv, close) and no
/// other, so that the same file builds on the host and is tested there against loopback
/// listeners (ports/espidf/tests). Linux-only refinements of port::posix::TcpStream (TCP_CORK,
/// TCP_QUICKACK, SOCK_CLOEXEC, MSG_NOSIGNAL) have no lwIP counterpart and are left out; the
/// errors are the posix port's (ports/posix/src/socket_errors.cpp), as lwIP reports errno names.
///
/// Errors (detail: the errno, or the getaddrinfo code): resolve_failed, connection_refused,
/// connect_timed_out, network_unreachable, connection_reset (detail 0: the peer's orderly
/// close), socket_error, io_timed_out (wait), invalid_argument, not_connected (closed stream).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/clock.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/byte_stream.hpp"

namespace mqtls::port::espidf {

class SocketStream final : public link::ByteStream {
public:
    /// `clock` bounds open() across the addresses of a name (esp_timer on the device).
    explicit SocketStream(MonotonicClock clock) noexcept : clock_(clock) {}
    ~SocketStream() { close(); }
    SocketStream(const SocketStream&) = delete;
    SocketStream& operator=(const SocketStream&) = delete;

    Result<void> open(std::string_view host, std::uint16_t port,
                      Duration timeout) noexcept override;
    Result<std::size_t> send_some(bytes_view data) noexcept override;
    Result<std::size_t> receive_some(mutable_bytes buffer) noexcept override;
    Result<link::Readiness> wait(bool want_read, bool want_write,
                                 Duration timeout) noexcept override;
    void close() noexcept override;
    [[nodiscard]] bool is_open() const noexcept override { return socket_ >= 0; }

    /// Longest host name open() takes (DNS: 253 characters).
    static constexpr std::size_t max_host_length = 253;

private:
    Result<void> connect_one(const void* address, unsigned address_length, int family,
                             Instant deadline) noexcept;

    MonotonicClock clock_;
    int socket_ = -1;
};

}  // namespace mqtls::port::espidf
