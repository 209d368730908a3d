#include "mqtls/port/posix/tcp_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <utility>

#include "mqtls/port/posix/clock.hpp"
#include "socket_errors.hpp"

namespace mqtls::port::posix {
namespace {

// RFC 1035 limits a DNS name to 253 characters; numeric addresses are shorter.
constexpr std::size_t max_host_length = 253;

// A signal storm must not keep a call spinning forever; a real program sees a handful at most.
constexpr int max_interrupted_retries = 100;

#if defined(MSG_NOSIGNAL)
constexpr int send_flags = MSG_NOSIGNAL;
#else
// Platforms without MSG_NOSIGNAL (macOS) get SO_NOSIGPIPE on the socket instead.
constexpr int send_flags = 0;
#endif

bool would_block(int error_number) noexcept {
    return error_number == EAGAIN || error_number == EWOULDBLOCK;
}

Error last_socket_error() noexcept { return {Errc::socket_error, errno}; }

Result<void> make_non_blocking_and_close_on_exec(int socket) noexcept {
    const int status_flags = ::fcntl(socket, F_GETFL);
    if (status_flags < 0 || ::fcntl(socket, F_SETFL, status_flags | O_NONBLOCK) < 0) {
        return last_socket_error();
    }
    const int descriptor_flags = ::fcntl(socket, F_GETFD);
    if (descriptor_flags < 0 || ::fcntl(socket, F_SETFD, descriptor_flags | FD_CLOEXEC) < 0) {
        return last_socket_error();
    }
    return ok();
}

Result<void> set_socket_option(int socket, int level, int option, int value = 1) noexcept {
    if (::setsockopt(socket, level, option, &value, sizeof value) != 0) {
        return last_socket_error();
    }
    return ok();
}

// Linux acknowledges every segment at once while a connection is young ("quick ACK" mode) and
// defers ACKs later; TcpStream::set_quick_acknowledgements() chooses instead. The kernel changes
// the mode by itself, hence it is set again after every receive. A best effort: where the option
// does not exist nothing changes.
void apply_acknowledgement_mode(int socket, bool quick) noexcept {
#if defined(TCP_QUICKACK)
    (void)set_socket_option(socket, IPPROTO_TCP, TCP_QUICKACK, quick ? 1 : 0);
#else
    (void)socket;
    (void)quick;
#endif
}

// MQTT packets are small and latency matters more than packing them (a PINGREQ waiting for
// Nagle's timer can cost a keepalive), hence TCP_NODELAY.
Result<void> tune_connected_socket(int socket) noexcept {
    MQTLS_TRY(set_socket_option(socket, IPPROTO_TCP, TCP_NODELAY));
    apply_acknowledgement_mode(socket, /*quick=*/false);
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    MQTLS_TRY(set_socket_option(socket, SOL_SOCKET, SO_NOSIGPIPE));
#endif
    return ok();
}

// Opens a socket that is non-blocking and close-on-exec from the start where the platform allows
// it, so that a fork+exec in another thread cannot inherit it.
Result<int> open_socket(int family, int type, int protocol) noexcept {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    const int socket = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (socket < 0) return detail::connect_failure(errno);
    return socket;
#else
    const int socket = ::socket(family, type, protocol);
    if (socket < 0) return detail::connect_failure(errno);
    auto configured = make_non_blocking_and_close_on_exec(socket);
    if (!configured) {
        ::close(socket);
        return configured.error();
    }
    return socket;
#endif
}

// Polls one socket for `events` until `deadline`. Returns the revents, or 0 at the deadline.
// What is left until `deadline` as poll()'s timeout; `clamped` when it does not fit an int.
int poll_timeout_ms(Instant deadline, bool& clamped) noexcept {
    const std::int64_t remaining_ms = (deadline - monotonic_now()).millis();
    clamped = remaining_ms > INT_MAX;
    if (remaining_ms <= 0) return 0;
    return clamped ? INT_MAX : static_cast<int>(remaining_ms);
}

Result<short> poll_until(int socket, short events, Instant deadline) noexcept {
    for (int interruptions = 0;;) {
        bool clamped = false;
        const int timeout_ms = poll_timeout_ms(deadline, clamped);
        pollfd entry{socket, events, 0};
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready > 0) return entry.revents;
        if (ready == 0) {
            // Only a deadline beyond poll()'s int range needs another round.
            if (!clamped) return static_cast<short>(0);
            continue;
        }
        if (errno == EINTR && ++interruptions < max_interrupted_retries) continue;
        return last_socket_error();
    }
}

void describe_address(const sockaddr* address, socklen_t length, char* text,
                      std::size_t capacity) noexcept {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    if (::getnameinfo(address, length, host, sizeof host, service, sizeof service,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        std::snprintf(text, capacity, "?");
        return;
    }
    if (address->sa_family == AF_INET6) {
        // Brackets keep the port apart from the colons of the address (RFC 3986 style).
        std::snprintf(text, capacity, "[%s]:%s", host, service);
    } else {
        std::snprintf(text, capacity, "%s:%s", host, service);
    }
}

// Connects `socket` to `address` by `deadline`; the caller owns (and on failure closes) it.
Result<void> connect_socket(int socket, const addrinfo& address, Instant deadline) noexcept {
    if (::connect(socket, address.ai_addr, address.ai_addrlen) != 0) {
        // An interrupted connect carries on in the background, just like a non-blocking one.
        if (errno != EINPROGRESS && errno != EINTR) return detail::connect_failure(errno);
        MQTLS_TRY_ASSIGN(const short events, poll_until(socket, POLLOUT, deadline));
        if (events == 0) return Error{Errc::connect_timed_out, 0};
        int pending_error = 0;
        socklen_t length = sizeof pending_error;
        if (::getsockopt(socket, SOL_SOCKET, SO_ERROR, &pending_error, &length) != 0) {
            return last_socket_error();
        }
        if (pending_error != 0) return detail::connect_failure(pending_error);
    }
    return tune_connected_socket(socket);
}

// Frees getaddrinfo's list on every return path.
class AddressList {
public:
    explicit AddressList(addrinfo* head) noexcept : head_(head) {}
    ~AddressList() {
        if (head_ != nullptr) ::freeaddrinfo(head_);
    }
    AddressList(const AddressList&) = delete;
    AddressList& operator=(const AddressList&) = delete;
    [[nodiscard]] const addrinfo* head() const noexcept { return head_; }

private:
    addrinfo* head_;
};

}  // namespace

namespace detail {

Result<TcpStream> connect_to_any(const addrinfo* addresses, Instant deadline) noexcept {
    // Stays resolve_failed only for an empty list, which getaddrinfo never returns.
    Error best_failure{Errc::resolve_failed, EAI_NONAME};
    bool attempted = false;
    for (const addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
        Error failure;
        auto socket = open_socket(address->ai_family, address->ai_socktype, address->ai_protocol);
        if (socket) {
            TcpStream stream(*socket);
            auto connected = connect_socket(*socket, *address, deadline);
            if (connected) {
                describe_address(address->ai_addr, address->ai_addrlen, stream.peer_address_.data(),
                                 stream.peer_address_.size());
                return stream;
            }
            failure = connected.error();
        } else {
            failure = socket.error();
        }
        best_failure = attempted ? more_informative(best_failure, failure) : failure;
        attempted = true;
        if (monotonic_now() >= deadline) {
            // Addresses that never got a turn ran out of time: that is a timeout too.
            if (address->ai_next != nullptr) {
                best_failure = more_informative(best_failure, Error{Errc::connect_timed_out, 0});
            }
            break;
        }
    }
    return best_failure;
}

}  // namespace detail

TcpStream::~TcpStream() { close(); }

TcpStream::TcpStream(TcpStream&& other) noexcept
    : socket_(std::exchange(other.socket_, -1)),
      corked_(std::exchange(other.corked_, false)),
      quick_acknowledgements_(other.quick_acknowledgements_),
      peer_address_(other.peer_address_) {
    other.peer_address_[0] = '\0';
}

TcpStream& TcpStream::operator=(TcpStream&& other) noexcept {
    if (this != &other) {
        close();
        socket_ = std::exchange(other.socket_, -1);
        corked_ = std::exchange(other.corked_, false);
        quick_acknowledgements_ = other.quick_acknowledgements_;
        peer_address_ = other.peer_address_;
        other.peer_address_[0] = '\0';
    }
    return *this;
}

Result<TcpStream> TcpStream::connect(std::string_view host, std::uint16_t port,
                                     Duration timeout) noexcept {
    if (host.empty() || host.size() > max_host_length ||
        host.find('\0') != std::string_view::npos || port == 0 || timeout <= Duration{}) {
        return Errc::invalid_argument;
    }
    const Instant deadline = monotonic_now() + timeout;

    char host_text[max_host_length + 1];
    host.copy(host_text, host.size());
    host_text[host.size()] = '\0';
    char service_text[8];
    std::snprintf(service_text, sizeof service_text, "%u", static_cast<unsigned>(port));

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* head = nullptr;
    const int resolve_status = ::getaddrinfo(host_text, service_text, &hints, &head);
    if (resolve_status != 0) return Error{Errc::resolve_failed, resolve_status};
    const AddressList addresses(head);
    return detail::connect_to_any(addresses.head(), deadline);
}

Result<void> TcpStream::open(std::string_view host, std::uint16_t port, Duration timeout) noexcept {
    close();
    auto connected = connect(host, port, timeout);
    if (!connected) return connected.error();
    *this = std::move(*connected);
    return ok();
}

Result<TcpStream> TcpStream::adopt(int connected_socket) noexcept {
    if (connected_socket < 0) return Errc::invalid_argument;
    TcpStream stream(connected_socket);
    MQTLS_TRY(make_non_blocking_and_close_on_exec(connected_socket));
    MQTLS_TRY(tune_connected_socket(connected_socket));
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(connected_socket, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
        return detail::transfer_failure(errno);
    }
    describe_address(reinterpret_cast<const sockaddr*>(&peer), length, stream.peer_address_.data(),
                     stream.peer_address_.size());
    return stream;
}

Result<std::size_t> TcpStream::send_some(bytes_view data) noexcept {
    if (!is_open()) return Error{Errc::socket_error, EBADF};
    if (data.empty()) return std::size_t{0};
    for (int interruptions = 0;;) {
        const ssize_t sent = ::send(socket_, data.data(), data.size(), send_flags);
        if (sent >= 0) return static_cast<std::size_t>(sent);
        if (would_block(errno)) return std::size_t{0};
        if (errno == EINTR && ++interruptions < max_interrupted_retries) continue;
        return detail::transfer_failure(errno);
    }
}

Result<std::size_t> TcpStream::receive_some(mutable_bytes buffer) noexcept {
    if (!is_open()) return Error{Errc::socket_error, EBADF};
    if (buffer.empty()) return std::size_t{0};
    for (int interruptions = 0;;) {
        const ssize_t received = ::recv(socket_, buffer.data(), buffer.size(), 0);
        if (received > 0) {
            apply_acknowledgement_mode(socket_, quick_acknowledgements_);
            return static_cast<std::size_t>(received);
        }
        if (received == 0) return Error{Errc::connection_reset, 0};
        if (would_block(errno)) return std::size_t{0};
        if (errno == EINTR && ++interruptions < max_interrupted_retries) continue;
        return detail::transfer_failure(errno);
    }
}

Result<Readiness> TcpStream::wait(bool want_read, bool want_write, Duration timeout) noexcept {
    if (!want_read && !want_write) return Errc::invalid_argument;
    if (!is_open()) return Error{Errc::socket_error, EBADF};
    const auto events = static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0));
    const Duration bounded = timeout < Duration{} ? Duration{} : timeout;
    MQTLS_TRY_ASSIGN(const short revents, poll_until(socket_, events, monotonic_now() + bounded));
    if (revents == 0) return Errc::io_timed_out;
    if ((revents & POLLNVAL) != 0) return Error{Errc::socket_error, EBADF};
    // An error or hang-up makes both directions "ready": the next call then reports what
    // happened, instead of the caller waiting for data that will never come.
    const bool broken = (revents & (POLLERR | POLLHUP)) != 0;
    Readiness readiness;
    readiness.readable = want_read && (broken || (revents & POLLIN) != 0);
    readiness.writable = want_write && (broken || (revents & POLLOUT) != 0);
    return readiness;
}

void TcpStream::hold_until_close() noexcept {
#if defined(TCP_CORK)
    if (socket_ >= 0) corked_ = set_socket_option(socket_, IPPROTO_TCP, TCP_CORK, 1).has_value();
#endif
}

void TcpStream::set_quick_acknowledgements(bool quick) noexcept {
    quick_acknowledgements_ = quick;
    if (socket_ >= 0) apply_acknowledgement_mode(socket_, quick);
}

void TcpStream::close() noexcept {
    if (socket_ < 0) return;
    if (corked_) {
        // The FIN leaves with the held bytes (shutdown pushes them out at once). Then what the
        // peer sent is read away: close() with unread data would answer with a reset.
        (void)::shutdown(socket_, SHUT_WR);
        std::uint8_t discard[512];
        for (int round = 0; round < 64 && ::recv(socket_, discard, sizeof discard, 0) > 0;
             ++round) {
        }
        corked_ = false;
    }
    // No retry on EINTR: Linux releases the descriptor anyway, and a retry could close a
    // descriptor another thread has just been given.
    ::close(socket_);
    socket_ = -1;
}

}  // namespace mqtls::port::posix
