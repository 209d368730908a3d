#include "mqtls/port/espidf/socket_stream.hpp"

// Only what lwIP's socket layer offers (components/lwip/lwip/src/include/lwip/sockets.h, with
// ESP-IDF's VFS making fcntl and close work on socket descriptors); POSIX hosts have all of it.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "socket_errors.hpp"  // the posix port's errno mapping, shared

namespace mqtls::port::espidf {
namespace {

using posix::detail::connect_failure;
using posix::detail::more_informative;
using posix::detail::transfer_failure;

// A Linux host would raise SIGPIPE on a send to a closed peer; lwIP has no signals.
#if defined(MSG_NOSIGNAL)
constexpr int send_flags = MSG_NOSIGNAL;
#else
constexpr int send_flags = 0;
#endif

timeval to_timeval(Duration timeout) noexcept {
    const std::int64_t ms = timeout.millis() > 0 ? timeout.millis() : 0;
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms % 1000) * 1000);
    return tv;
}

// select() can watch descriptors below FD_SETSIZE only (lwIP's sockets start at
// LWIP_SOCKET_OFFSET and stay below it).
bool selectable(int socket) noexcept { return socket >= 0 && socket < FD_SETSIZE; }

struct AddressList {
    addrinfo* head = nullptr;
    ~AddressList() {
        if (head != nullptr) freeaddrinfo(head);
    }
};

}  // namespace

Result<void> SocketStream::connect_one(const void* address, unsigned address_length, int family,
                                       Instant deadline) noexcept {
    const int candidate = ::socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (candidate < 0) return connect_failure(errno);
    if (!selectable(candidate)) {
        ::close(candidate);
        return Error{Errc::socket_error, EMFILE};
    }
    const int flags = ::fcntl(candidate, F_GETFL, 0);
    if (flags < 0 || ::fcntl(candidate, F_SETFL, flags | O_NONBLOCK) != 0) {
        const Error failed{Errc::socket_error, errno};
        ::close(candidate);
        return failed;
    }
    int error_number = 0;
    if (::connect(candidate, static_cast<const sockaddr*>(address),
                  static_cast<socklen_t>(address_length)) != 0) {
        error_number = errno;
    }
    if (error_number == EINPROGRESS) {
        // Writable once connected or failed; SO_ERROR tells which.
        const Duration left = deadline - clock_.now();
        fd_set writable;
        FD_ZERO(&writable);
        FD_SET(candidate, &writable);
        timeval tv = to_timeval(left);
        const int ready =
            left.millis() > 0 ? ::select(candidate + 1, nullptr, &writable, nullptr, &tv) : 0;
        if (ready == 0) {
            ::close(candidate);
            return Error{Errc::connect_timed_out, 0};
        }
        socklen_t length = sizeof error_number;
        if (ready < 0 ||
            ::getsockopt(candidate, SOL_SOCKET, SO_ERROR, &error_number, &length) != 0) {
            error_number = errno;
        }
    }
    if (error_number != 0) {
        ::close(candidate);
        return connect_failure(error_number);
    }
    // MQTT packets are small and each is waited for: Nagle's delay would only add latency.
    const int on = 1;
    (void)::setsockopt(candidate, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    socket_ = candidate;
    return ok();
}

Result<void> SocketStream::open(std::string_view host, std::uint16_t port,
                                Duration timeout) noexcept {
    close();
    if (host.empty() || host.size() > max_host_length || port == 0 || timeout.millis() <= 0) {
        return Error{Errc::invalid_argument, 0};
    }
    const Instant deadline = clock_.now() + timeout;
    char name[max_host_length + 1];
    std::memcpy(name, host.data(), host.size());
    name[host.size()] = '\0';
    char service[6];
    std::snprintf(service, sizeof service, "%u", static_cast<unsigned>(port));

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    AddressList addresses;
    const int resolved = ::getaddrinfo(name, service, &hints, &addresses.head);
    if (resolved != 0 || addresses.head == nullptr) return Error{Errc::resolve_failed, resolved};

    // Each address in the resolver's order, against the one deadline; the most telling
    // failure is reported (a refusal over an unreachable IPv6 address).
    Error failure{Errc::network_unreachable, 0};
    for (const addrinfo* address = addresses.head; address != nullptr; address = address->ai_next) {
        if (clock_.now() >= deadline)
            return more_informative(failure, {Errc::connect_timed_out, 0});
        auto connected = connect_one(address->ai_addr, static_cast<unsigned>(address->ai_addrlen),
                                     address->ai_family, deadline);
        if (connected) return ok();
        failure = address == addresses.head ? connected.error()
                                            : more_informative(failure, connected.error());
    }
    return failure;
}

Result<std::size_t> SocketStream::send_some(bytes_view data) noexcept {
    if (socket_ < 0) return Error{Errc::not_connected, 0};
    if (data.empty()) return std::size_t{0};
    const auto sent = ::send(socket_, data.data(), data.size(), MSG_DONTWAIT | send_flags);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
    return transfer_failure(errno);
}

Result<std::size_t> SocketStream::receive_some(mutable_bytes buffer) noexcept {
    if (socket_ < 0) return Error{Errc::not_connected, 0};
    if (buffer.empty()) return std::size_t{0};
    const auto received = ::recv(socket_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (received > 0) return static_cast<std::size_t>(received);
    if (received == 0) return Error{Errc::connection_reset, 0};  // the peer's FIN
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
    return transfer_failure(errno);
}

Result<link::Readiness> SocketStream::wait(bool want_read, bool want_write,
                                           Duration timeout) noexcept {
    if (socket_ < 0) return Error{Errc::not_connected, 0};
    if (!want_read && !want_write) return Error{Errc::invalid_argument, 0};
    fd_set readable;
    fd_set writable;
    fd_set failed;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_ZERO(&failed);
    if (want_read) FD_SET(socket_, &readable);
    if (want_write) FD_SET(socket_, &writable);
    FD_SET(socket_, &failed);
    timeval tv = to_timeval(timeout);
    const int ready = ::select(socket_ + 1, want_read ? &readable : nullptr,
                               want_write ? &writable : nullptr, &failed, &tv);
    if (ready < 0) {
        if (errno == EINTR) return Error{Errc::io_timed_out, 0};
        return Error{Errc::socket_error, errno};
    }
    if (ready == 0) return Error{Errc::io_timed_out, 0};
    // An error condition makes both asked directions ready: the next call reports it.
    const bool error = FD_ISSET(socket_, &failed) != 0;
    link::Readiness readiness;
    readiness.readable = want_read && (error || FD_ISSET(socket_, &readable) != 0);
    readiness.writable = want_write && (error || FD_ISSET(socket_, &writable) != 0);
    return readiness;
}

void SocketStream::close() noexcept {
    if (socket_ < 0) return;
    ::close(socket_);
    socket_ = -1;
}

}  // namespace mqtls::port::espidf
