// Socket helpers of the modem bridge (socket_util.hpp).
#include "socket_util.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mqtls::testing::bridge_detail {
namespace {

using port::uart_modem::DialFailure;

constexpr int max_drain_reads = 64;
// Compact the queue once this much has been consumed from its front (and it is half dead).
constexpr std::size_t compact_threshold = std::size_t{64} * 1024U;

bool is_loopback(const sockaddr* address) noexcept {
    if (address->sa_family == AF_INET) {
        const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(address);
        return (ntohl(ipv4->sin_addr.s_addr) >> 24U) == 127U;  // 127.0.0.0/8 (RFC 1122 3.2.1.3)
    }
    if (address->sa_family == AF_INET6) {
        const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(address);
        return IN6_IS_ADDR_LOOPBACK(&ipv6->sin6_addr) != 0;  // ::1 (RFC 4291 2.5.3)
    }
    return false;
}

const addrinfo* first_loopback(const addrinfo* results, int family) noexcept {
    for (const addrinfo* entry = results; entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_family == family && is_loopback(entry->ai_addr)) return entry;
    }
    return nullptr;
}

std::string numeric_of(const sockaddr* address, socklen_t length) {
    char host[NI_MAXHOST] = {};
    if (::getnameinfo(address, length, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) {
        return "?";
    }
    return host;
}

}  // namespace

void ByteQueue::append(const std::uint8_t* data, std::size_t size) {
    bytes_.insert(bytes_.end(), data, data + size);
}

void ByteQueue::consume(std::size_t size) noexcept {
    head_ += size;
    if (head_ >= bytes_.size()) {
        clear();
    } else if (head_ >= compact_threshold && head_ * 2 >= bytes_.size()) {
        bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

void ByteQueue::clear() noexcept {
    bytes_.clear();
    head_ = 0;
}

IoResult read_some(int fd, std::uint8_t* buffer, std::size_t capacity) noexcept {
    const ssize_t n = ::recv(fd, buffer, capacity, MSG_DONTWAIT);
    if (n > 0) return {IoStatus::progress, static_cast<std::size_t>(n), 0};
    if (n == 0) return {IoStatus::end_of_stream, 0, 0};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {};
    return {IoStatus::failed, 0, errno};
}

IoResult send_some(int fd, const std::uint8_t* data, std::size_t size) noexcept {
    if (size == 0) return {};
    const ssize_t n = ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return {IoStatus::progress, static_cast<std::size_t>(n), 0};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {};
    return {IoStatus::failed, 0, errno};
}

Resolution resolve_loopback(const std::string& host, std::uint16_t port,
                            const std::map<std::string, std::string>& aliases) {
    Resolution resolution;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    std::string name = host;
    const auto alias = aliases.find(host);
    if (alias != aliases.end()) {
        name = alias->second;
        hints.ai_flags |= AI_NUMERICHOST;  // an alias is an address: never ask DNS
    }
    addrinfo* results = nullptr;
    const std::string service = std::to_string(port);
    if (::getaddrinfo(name.c_str(), service.c_str(), &hints, &results) != 0 || results == nullptr) {
        resolution.failure = DialFailure::resolve_failed;
        return resolution;
    }
    resolution.failure = DialFailure::unreachable;
    // Prefer IPv4 loopback: "localhost" often lists ::1 first, while test brokers listen on
    // 127.0.0.1.
    const addrinfo* chosen = first_loopback(results, AF_INET);
    if (chosen == nullptr) chosen = first_loopback(results, AF_INET6);
    if (chosen != nullptr && chosen->ai_addrlen <= sizeof(sockaddr_storage)) {
        std::memcpy(&resolution.endpoint.address, chosen->ai_addr, chosen->ai_addrlen);
        resolution.endpoint.length = chosen->ai_addrlen;
        resolution.endpoint.numeric = numeric_of(chosen->ai_addr, chosen->ai_addrlen);
        resolution.ok = true;
    }
    ::freeaddrinfo(results);
    return resolution;
}

DialFailure dial_failure_of(int error) noexcept {
    switch (error) {
        case ECONNREFUSED:
            return DialFailure::refused;
        case ETIMEDOUT:
            return DialFailure::timed_out;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case EADDRNOTAVAIL:
            return DialFailure::unreachable;
        default:
            return DialFailure::other;
    }
}

const char* to_string(DialFailure failure) noexcept {
    switch (failure) {
        case DialFailure::resolve_failed:
            return "resolve_failed";
        case DialFailure::refused:
            return "refused";
        case DialFailure::timed_out:
            return "timed_out";
        case DialFailure::unreachable:
            return "unreachable";
        case DialFailure::busy:
            return "busy";
        case DialFailure::other:
            return "other";
        case DialFailure::malformed:
            return "malformed";
    }
    return "unknown";
}

Result<int> make_listener(std::uint16_t port) noexcept {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{Errc::socket_error, errno};
    const int one = 1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
        const int error = errno;
        ::close(fd);
        return Error{Errc::socket_error, error};
    }
    return fd;
}

Result<std::uint16_t> local_port(int fd) noexcept {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return Error{Errc::socket_error, errno};
    }
    return static_cast<std::uint16_t>(ntohs(address.sin_port));
}

void close_orderly(int fd) noexcept {
    if (fd < 0) return;
    std::uint8_t discard[4096];
    for (int i = 0; i < max_drain_reads; ++i) {
        if (::recv(fd, discard, sizeof discard, MSG_DONTWAIT) <= 0) break;
    }
    (void)::shutdown(fd, SHUT_WR);
    ::close(fd);
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace mqtls::testing::bridge_detail
