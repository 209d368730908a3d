#pragma once
/// @file
/// A listening TCP socket on the loopback interface, for tests that need a peer for TcpStream
/// (this suite, and the TLS layer's). The kernel picks a free port, so parallel test runs do not
/// collide, and nothing ever leaves the machine.

#include <sys/socket.h>

#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"

namespace mqtls::port::posix::testing {

class LoopbackListener {
public:
    /// Listens on 127.0.0.1 (AF_INET) or ::1 (AF_INET6) with the given accept backlog. Fails with
    /// socket_error and the errno, e.g. EADDRNOTAVAIL or EAFNOSUPPORT when the host has no ::1.
    static Result<LoopbackListener> open(int family = AF_INET, int backlog = 8) noexcept;

    LoopbackListener() noexcept = default;
    ~LoopbackListener();
    LoopbackListener(LoopbackListener&& other) noexcept;
    LoopbackListener& operator=(LoopbackListener&& other) noexcept;
    LoopbackListener(const LoopbackListener&) = delete;
    LoopbackListener& operator=(const LoopbackListener&) = delete;

    /// The port the kernel chose.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// "127.0.0.1" or "::1", ready for TcpStream::connect().
    [[nodiscard]] const char* host() const noexcept;

    /// Accepts one connection, waiting at most `timeout`; io_timed_out if none arrived.
    Result<TcpStream> accept(Duration timeout) noexcept;

    /// Stops listening; connects to the port are refused from now on.
    void close() noexcept;

private:
    int socket_ = -1;
    int family_ = AF_INET;
    std::uint16_t port_ = 0;
};

}  // namespace mqtls::port::posix::testing
