#include "loopback_listener.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <utility>

namespace mqtls::port::posix::testing {
namespace {

constexpr int max_interrupted_retries = 100;

Error last_socket_error() noexcept { return {Errc::socket_error, errno}; }

}  // namespace

Result<LoopbackListener> LoopbackListener::open(int family, int backlog) noexcept {
    if (family != AF_INET && family != AF_INET6) return Errc::invalid_argument;
    LoopbackListener listener;
    listener.family_ = family;
    listener.socket_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener.socket_ < 0) return last_socket_error();

    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET) {
        auto& ipv4 = reinterpret_cast<sockaddr_in&>(address);
        ipv4.sin_family = AF_INET;
        ipv4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof ipv4;
    } else {
        auto& ipv6 = reinterpret_cast<sockaddr_in6&>(address);
        ipv6.sin6_family = AF_INET6;
        ipv6.sin6_addr = in6addr_loopback;
        length = sizeof ipv6;
    }
    // Port 0 in the address: the kernel picks a free one, read back below.
    if (::bind(listener.socket_, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
        ::listen(listener.socket_, backlog) != 0 ||
        ::getsockname(listener.socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return last_socket_error();
    }
    listener.port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in&>(address).sin_port
                                             : reinterpret_cast<sockaddr_in6&>(address).sin6_port);
    return listener;
}

LoopbackListener::~LoopbackListener() { close(); }

LoopbackListener::LoopbackListener(LoopbackListener&& other) noexcept
    : socket_(std::exchange(other.socket_, -1)), family_(other.family_), port_(other.port_) {}

LoopbackListener& LoopbackListener::operator=(LoopbackListener&& other) noexcept {
    if (this != &other) {
        close();
        socket_ = std::exchange(other.socket_, -1);
        family_ = other.family_;
        port_ = other.port_;
    }
    return *this;
}

const char* LoopbackListener::host() const noexcept {
    return family_ == AF_INET6 ? "::1" : "127.0.0.1";
}

Result<TcpStream> LoopbackListener::accept(Duration timeout) noexcept {
    if (socket_ < 0) return Error{Errc::socket_error, EBADF};
    const std::int64_t wanted_ms = timeout.millis();
    const int timeout_ms =
        wanted_ms <= 0 ? 0 : (wanted_ms > INT_MAX ? INT_MAX : static_cast<int>(wanted_ms));
    for (int interruptions = 0;;) {
        pollfd entry{socket_, POLLIN, 0};
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready == 0) return Errc::io_timed_out;
        if (ready > 0) break;
        if (errno != EINTR || ++interruptions >= max_interrupted_retries) {
            return last_socket_error();
        }
    }
    const int connection = ::accept4(socket_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return last_socket_error();
    return TcpStream::adopt(connection);
}

void LoopbackListener::close() noexcept {
    if (socket_ >= 0) ::close(socket_);
    socket_ = -1;
}

}  // namespace mqtls::port::posix::testing
