// The fault-injecting loopback proxy (fault_proxy.hpp). One thread runs a poll(2) loop over an
// eventfd (wake-ups from the setters), the listener and both sockets of every connection; the
// setters hand it new settings under a mutex and wait until it has applied them.
#include "mqtls/testing/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <system_error>
#include <utility>

namespace mqtls::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t read_chunk_size = std::size_t{64} * 1024U;
constexpr auto max_poll_wait = std::chrono::milliseconds(50);
constexpr auto apply_wait = std::chrono::seconds(2);
constexpr int max_accepts_per_round = 64;
constexpr int max_drain_reads = 64;

Error errno_error(int error) noexcept { return Error{Errc::socket_error, error}; }

sockaddr_in ipv4_address(std::uint32_t address_network_order, std::uint16_t port) noexcept {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = address_network_order;
    return address;
}

void set_nodelay(int fd) noexcept {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// close() that makes the kernel send RST and drop whatever is queued.
void close_with_reset(int fd) noexcept {
    if (fd < 0) {
        return;
    }
    const linger abort_on_close{1, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    ::close(fd);
}

// close() that ends with FIN after the bytes already written: unread input is discarded first,
// since closing a socket with unread input makes Linux send RST (and drop the send queue).
void close_orderly(int fd) noexcept {
    if (fd < 0) {
        return;
    }
    std::uint8_t discard[4096];
    for (int i = 0; i < max_drain_reads; ++i) {
        if (::recv(fd, discard, sizeof discard, MSG_DONTWAIT) <= 0) {
            break;
        }
    }
    (void)::shutdown(fd, SHUT_WR);
    ::close(fd);
}

// A non-blocking listening socket on 127.0.0.1:port (0: any free port).
Result<int> make_listener(std::uint16_t port) noexcept {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno_error(errno);
    }
    const int one = 1;
    const sockaddr_in address = ipv4_address(htonl(INADDR_LOOPBACK), port);
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
        const int error = errno;
        ::close(fd);
        return errno_error(error);
    }
    return fd;
}

Result<std::uint16_t> local_port(int fd) noexcept {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return errno_error(errno);
    }
    return static_cast<std::uint16_t>(ntohs(address.sin_port));
}

// "127.x.y.z:port" -> (address in network order, port).
Result<std::pair<std::uint32_t, std::uint16_t>> parse_upstream(const std::string& upstream) {
    const auto colon = upstream.rfind(':');
    if (colon == std::string::npos || colon + 1 == upstream.size() || upstream.size() - colon > 6) {
        return Error{Errc::invalid_argument};
    }
    in_addr address{};
    const std::string host = upstream.substr(0, colon);
    if (::inet_pton(AF_INET, host.c_str(), &address) != 1 ||
        (ntohl(address.s_addr) >> 24U) != 127U) {
        return Error{Errc::invalid_argument};
    }
    unsigned long port = 0;
    for (std::size_t i = colon + 1; i < upstream.size(); ++i) {
        const char c = upstream[i];
        if (c < '0' || c > '9') {
            return Error{Errc::invalid_argument};
        }
        port = port * 10U + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535U) {
        return Error{Errc::invalid_argument};
    }
    return std::make_pair(address.s_addr, static_cast<std::uint16_t>(port));
}

}  // namespace

struct FaultProxy::Connection {
    struct Chunk {
        Clock::time_point due;
        std::vector<std::uint8_t> bytes;  // empty with eof: the end of the stream
        std::size_t offset = 0;
        bool eof = false;
        bool reset = false;  // eof caused by a read error: reset the destination
    };
    // One direction: bytes read from `source`, waiting to be written to the destination.
    struct Pipe {
        std::deque<Chunk> queue;
        std::size_t queued = 0;  // bytes in queue not yet written
        Clock::time_point last_due{};
        bool source_eof = false;              // end of stream (or an error) read from the source
        bool done = false;                    // the end of stream was forwarded
        std::optional<std::uint64_t> budget;  // cut after this many more bytes
    };

    int client = -1;
    int upstream = -1;
    bool connecting = false;   // non-blocking connect to the upstream in progress
    bool black_holed = false;  // for good (see set_black_hole())
    bool closed = false;
    Pipe up;    // client -> upstream
    Pipe down;  // upstream -> client

    Pipe& pipe(Direction direction) noexcept {
        return direction == Direction::to_upstream ? up : down;
    }
};

struct FaultProxy::Loop {
    using Pipe = Connection::Pipe;

    FaultProxy& proxy;
    int listener;
    Settings settings;  // the last snapshot applied
    std::uint64_t cut_all_seen = 0;
    std::vector<std::unique_ptr<Connection>> connections;
    std::vector<pollfd> fds;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(read_chunk_size);

    Loop(FaultProxy& owner, int listening) : proxy(owner), listener(listening) {}

    void run();
    bool poll_once();
    void service_ready(Clock::time_point now);
    void shut_down();
    void apply_settings();
    void apply_refuse();
    void accept_pending();
    void open_upstream(Connection& connection);
    [[nodiscard]] int poll_wait_ms(Clock::time_point now) const;
    void build_poll_set();
    [[nodiscard]] std::pair<short, short> poll_events_of(const Connection& connection,
                                                         Clock::time_point now) const noexcept;
    void service(Connection& connection, short client_events, short upstream_events,
                 Clock::time_point now);
    void finish_connect(Connection& connection);
    void service_black_hole(Connection& connection, short client_events, short upstream_events);
    // Reads once from `source` into `pipe` (an end of stream or error is queued too).
    void read_into(Pipe& pipe, int source, Clock::time_point now);
    // Writes the due chunks of `pipe` to `destination`; false when the connection was closed.
    bool flush(Connection& connection, Pipe& pipe, int destination, Direction direction,
               Clock::time_point now);
    enum class ChunkResult : std::uint8_t { sent, wait, connection_ended };
    ChunkResult send_chunk(Connection& connection, Pipe& pipe, int destination,
                           Direction direction);
    void enter_black_hole(Connection& connection);
    void set_budget(Connection& connection, Direction direction, std::uint64_t n);
    void cut_at_budget(Connection& connection, Direction direction);
    void close_connection(Connection& connection, bool reset_client, bool reset_upstream);
    void abort(Connection& connection) { close_connection(connection, true, true); }

    [[nodiscard]] bool wants_read(const Connection& connection, const Pipe& pipe) const noexcept {
        return !settings.stall && !connection.connecting && !pipe.source_eof &&
               (connection.black_holed || pipe.queued < max_queued_bytes());
    }
    [[nodiscard]] bool wants_write(const Pipe& pipe, Clock::time_point now) const noexcept {
        return !settings.stall && !pipe.queue.empty() && pipe.queue.front().due <= now;
    }
};

void FaultProxy::Loop::run() {
    while (!proxy.stopping_.load()) {
        apply_settings();
        build_poll_set();
        if (!poll_once()) break;  // cannot happen with valid descriptors; stop rather than spin
        service_ready(Clock::now());
    }
    shut_down();
}

bool FaultProxy::Loop::poll_once() {
    const int ready = ::poll(fds.data(), fds.size(), poll_wait_ms(Clock::now()));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) {
        // Timeout (chunks may have come due) or EINTR: nothing is ready.
        for (auto& pfd : fds) {
            pfd.revents = 0;
        }
    }
    if ((fds[0].revents & POLLIN) != 0) {
        std::uint64_t count = 0;
        (void)::read(proxy.wake_fd_, &count, sizeof count);
    }
    return true;
}

void FaultProxy::Loop::service_ready(Clock::time_point now) {
    // fds: [0] wake, [1] listener (fd -1 when closed), then client and upstream of each
    // connection, in order.
    const std::size_t polled = (fds.size() - 2) / 2;
    for (std::size_t i = 0; i < polled; ++i) {
        Connection& connection = *connections[i];
        if (!connection.closed) {
            service(connection, fds[2 + 2 * i].revents, fds[3 + 2 * i].revents, now);
        }
    }
    if ((fds[1].revents & POLLIN) != 0) {
        accept_pending();
    }
}

void FaultProxy::Loop::shut_down() {
    for (auto& connection : connections) {
        if (!connection->closed) {
            abort(*connection);
        }
    }
    connections.clear();
    if (listener >= 0) {
        ::close(listener);
        listener = -1;
    }
}

void FaultProxy::Loop::apply_settings() {
    Settings next;
    std::uint64_t version = 0;
    {
        const std::lock_guard<std::mutex> lock(proxy.mutex_);
        next = proxy.settings_;
        version = proxy.requested_;
        // Budgets for current connections are one-shot requests.
        proxy.settings_.cut_current = {};
    }
    settings = next;
    apply_refuse();
    if (settings.black_hole) {
        for (auto& connection : connections) {
            enter_black_hole(*connection);
        }
    }
    if (settings.cut_all_requests != cut_all_seen) {
        cut_all_seen = settings.cut_all_requests;
        accept_pending();  // connections the kernel completed count as current
        for (auto& connection : connections) {
            if (!connection->closed) {
                abort(*connection);
                proxy.counters_.connections_cut.fetch_add(1);
            }
        }
    }
    for (const Direction direction : {Direction::to_upstream, Direction::to_client}) {
        const auto& budget = settings.cut_current[static_cast<std::size_t>(direction)];
        if (budget) {
            accept_pending();
            for (auto& connection : connections) {
                set_budget(*connection, direction, *budget);
            }
        }
    }
    {
        const std::lock_guard<std::mutex> lock(proxy.mutex_);
        proxy.applied_ = std::max(proxy.applied_, version);
    }
    proxy.applied_cv_.notify_all();
}

void FaultProxy::Loop::apply_refuse() {
    if (settings.refuse && listener >= 0) {
        ::close(listener);  // the kernel resets the connections waiting in the backlog
        listener = -1;
    } else if (!settings.refuse && listener < 0) {
        auto reopened = make_listener(proxy.port_);
        const std::lock_guard<std::mutex> lock(proxy.mutex_);
        if (reopened) {
            listener = *reopened;
            proxy.listen_error_.reset();
        } else {
            // Stay refusing until asked again, rather than retrying every round.
            proxy.listen_error_ = reopened.error();
            proxy.settings_.refuse = true;
            settings.refuse = true;
        }
    }
}

void FaultProxy::Loop::accept_pending() {
    if (listener < 0) {
        return;
    }
    for (int i = 0; i < max_accepts_per_round; ++i) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == ECONNABORTED || errno == EINTR) {
                continue;
            }
            return;  // EAGAIN: none left; EMFILE and the like: try again next round
        }
        set_nodelay(client);
        auto connection = std::make_unique<Connection>();
        connection->client = client;
        proxy.counters_.connections_accepted.fetch_add(1);
        proxy.counters_.open_connections.fetch_add(1);
        for (const Direction direction : {Direction::to_upstream, Direction::to_client}) {
            connection->pipe(direction).budget =
                settings.cut_new[static_cast<std::size_t>(direction)];
        }
        if (settings.black_hole) {
            connection->black_holed = true;  // never connected upstream, never relayed
            connection->down.source_eof = true;
        } else {
            open_upstream(*connection);
        }
        connections.push_back(std::move(connection));
    }
}

void FaultProxy::Loop::open_upstream(Connection& connection) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        close_connection(connection, true, true);
        proxy.counters_.upstream_failures.fetch_add(1);
        return;
    }
    set_nodelay(fd);
    connection.upstream = fd;
    const sockaddr_in address = ipv4_address(proxy.upstream_address_, proxy.upstream_port_);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        return;
    }
    if (errno == EINPROGRESS) {
        connection.connecting = true;
        return;
    }
    close_connection(connection, true, true);
    proxy.counters_.upstream_failures.fetch_add(1);
}

int FaultProxy::Loop::poll_wait_ms(Clock::time_point now) const {
    auto wait = std::chrono::duration_cast<Clock::duration>(max_poll_wait);
    if (!settings.stall) {
        for (const auto& connection : connections) {
            for (const Pipe* pipe : {&connection->up, &connection->down}) {
                // A chunk already due waits for POLLOUT instead.
                if (!pipe->queue.empty() && pipe->queue.front().due > now) {
                    wait = std::min(wait, pipe->queue.front().due - now);
                }
            }
        }
    }
    // Round up, so that a chunk due in 0.3 ms does not make poll() spin with a 0 ms timeout.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    return static_cast<int>(ms);
}

void FaultProxy::Loop::build_poll_set() {
    connections.erase(std::remove_if(connections.begin(), connections.end(),
                                     [](const auto& c) { return c->closed; }),
                      connections.end());
    fds.clear();
    fds.push_back({proxy.wake_fd_, POLLIN, 0});
    fds.push_back({listener, POLLIN, 0});  // poll() ignores a negative fd
    const auto now = Clock::now();
    for (const auto& connection : connections) {
        const auto [client_events, upstream_events] = poll_events_of(*connection, now);
        // A socket we neither read nor write is left out: poll() would report POLLHUP on it
        // again and again.
        fds.push_back({client_events != 0 ? connection->client : -1, client_events, 0});
        fds.push_back({upstream_events != 0 ? connection->upstream : -1, upstream_events, 0});
    }
}

// What to poll for on the connection's client and upstream sockets.
std::pair<short, short> FaultProxy::Loop::poll_events_of(const Connection& connection,
                                                         Clock::time_point now) const noexcept {
    if (connection.connecting) return {0, POLLOUT};
    short client_events = 0;
    short upstream_events = 0;
    if (wants_read(connection, connection.up)) client_events |= POLLIN;
    if (wants_read(connection, connection.down) && connection.upstream >= 0) {
        upstream_events |= POLLIN;
    }
    if (!connection.black_holed) {
        if (wants_write(connection.down, now)) client_events |= POLLOUT;
        if (wants_write(connection.up, now)) upstream_events |= POLLOUT;
    }
    return {client_events, upstream_events};
}

void FaultProxy::Loop::service(Connection& connection, short client_events, short upstream_events,
                               Clock::time_point now) {
    if (connection.connecting) {
        if ((upstream_events & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            finish_connect(connection);
        }
        return;
    }
    if (connection.black_holed) {
        service_black_hole(connection, client_events, upstream_events);
        return;
    }
    constexpr short readable = POLLIN | POLLHUP | POLLERR;
    if ((client_events & readable) != 0) {
        read_into(connection.up, connection.client, now);
    }
    if ((upstream_events & readable) != 0) {
        read_into(connection.down, connection.upstream, now);
    }
    // Write whatever is due; a socket that is not writable answers EAGAIN and is polled for
    // POLLOUT next round.
    if (!settings.stall &&
        (!flush(connection, connection.up, connection.upstream, Direction::to_upstream, now) ||
         !flush(connection, connection.down, connection.client, Direction::to_client, now))) {
        return;
    }
    if (connection.up.done && connection.down.done) {
        close_connection(connection, false, false);  // both sides ended their streams
    }
}

void FaultProxy::Loop::finish_connect(Connection& connection) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(connection.upstream, SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
        error != 0) {
        close_connection(connection, true, true);
        proxy.counters_.upstream_failures.fetch_add(1);
        return;
    }
    connection.connecting = false;
}

void FaultProxy::Loop::service_black_hole(Connection& connection, short client_events,
                                          short upstream_events) {
    constexpr short readable = POLLIN | POLLHUP | POLLERR;
    for (const auto& [events, fd] : {std::make_pair(client_events, connection.client),
                                     std::make_pair(upstream_events, connection.upstream)}) {
        if ((events & readable) == 0 || fd < 0) {
            continue;
        }
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n > 0) {
            proxy.counters_.bytes_dropped.fetch_add(static_cast<std::uint64_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            abort(connection);  // one side gave up: end both
            return;
        }
    }
}

void FaultProxy::Loop::read_into(Pipe& pipe, int source, Clock::time_point now) {
    if (pipe.source_eof) {
        return;
    }
    const ssize_t n = ::recv(source, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    auto due = std::max(now + settings.delay, pipe.last_due);
    pipe.last_due = due;
    Connection::Chunk chunk;
    chunk.due = due;
    if (n > 0) {
        chunk.bytes.assign(buffer.begin(), buffer.begin() + n);
        pipe.queued += static_cast<std::size_t>(n);
    } else {
        // End of stream, or an error (reset): forwarded in order, after the bytes before it.
        chunk.eof = true;
        chunk.reset = n < 0;
        pipe.source_eof = true;
    }
    pipe.queue.push_back(std::move(chunk));
}

bool FaultProxy::Loop::flush(Connection& connection, Pipe& pipe, int destination,
                             Direction direction, Clock::time_point now) {
    while (!pipe.queue.empty() && pipe.queue.front().due <= now) {
        Connection::Chunk& chunk = pipe.queue.front();
        if (chunk.eof) {
            if (chunk.reset) {
                abort(connection);
                return false;
            }
            (void)::shutdown(destination, SHUT_WR);
            pipe.queue.pop_front();
            pipe.done = true;
            return true;
        }
        switch (send_chunk(connection, pipe, destination, direction)) {
            case ChunkResult::connection_ended:
                return false;
            case ChunkResult::wait:
                return true;  // EAGAIN or a partial write: wait for POLLOUT
            case ChunkResult::sent:
                pipe.queue.pop_front();
                break;
        }
    }
    return true;
}

// Sends what is left of the front chunk, within the pipe's cut budget.
FaultProxy::Loop::ChunkResult FaultProxy::Loop::send_chunk(Connection& connection, Pipe& pipe,
                                                           int destination, Direction direction) {
    Connection::Chunk& chunk = pipe.queue.front();
    std::size_t length = chunk.bytes.size() - chunk.offset;
    if (pipe.budget) {
        length = static_cast<std::size_t>(std::min<std::uint64_t>(length, *pipe.budget));
    }
    const ssize_t n =
        ::send(destination, chunk.bytes.data() + chunk.offset, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return ChunkResult::wait;
        abort(connection);
        return ChunkResult::connection_ended;
    }
    const auto written = static_cast<std::size_t>(n);
    chunk.offset += written;
    pipe.queued -= written;
    auto& forwarded = direction == Direction::to_upstream ? proxy.counters_.bytes_to_upstream
                                                          : proxy.counters_.bytes_to_client;
    forwarded.fetch_add(written);
    if (pipe.budget) {
        *pipe.budget -= written;
        if (*pipe.budget == 0) {
            cut_at_budget(connection, direction);
            return ChunkResult::connection_ended;
        }
    }
    return chunk.offset < chunk.bytes.size() ? ChunkResult::wait : ChunkResult::sent;
}

void FaultProxy::Loop::enter_black_hole(Connection& connection) {
    if (connection.closed || connection.black_holed) {
        return;
    }
    connection.black_holed = true;
    for (Pipe* pipe : {&connection.up, &connection.down}) {
        proxy.counters_.bytes_dropped.fetch_add(pipe->queued);
        pipe->queue.clear();
        pipe->queued = 0;
    }
    if (connection.connecting) {
        // Never finish the upstream connection: nothing gets through the hole.
        ::close(connection.upstream);
        connection.upstream = -1;
        connection.connecting = false;
        connection.down.source_eof = true;
    }
    if (connection.up.source_eof && connection.down.source_eof) {
        abort(connection);  // nothing left to read from either side
    }
}

void FaultProxy::Loop::set_budget(Connection& connection, Direction direction, std::uint64_t n) {
    if (connection.closed) {
        return;
    }
    connection.pipe(direction).budget = n;
    if (n == 0) {
        cut_at_budget(connection, direction);
    }
}

void FaultProxy::Loop::cut_at_budget(Connection& connection, Direction direction) {
    proxy.counters_.connections_cut.fetch_add(1);
    // The destination keeps the bytes it got and sees an orderly end; the source is reset.
    const bool to_upstream = direction == Direction::to_upstream;
    close_connection(connection, to_upstream, !to_upstream);
}

void FaultProxy::Loop::close_connection(Connection& connection, bool reset_client,
                                        bool reset_upstream) {
    if (connection.closed) {
        return;
    }
    if (reset_client) {
        close_with_reset(connection.client);
    } else {
        close_orderly(connection.client);
    }
    if (reset_upstream) {
        close_with_reset(connection.upstream);
    } else {
        close_orderly(connection.upstream);
    }
    connection.client = -1;
    connection.upstream = -1;
    connection.closed = true;
    for (Pipe* pipe : {&connection.up, &connection.down}) {
        pipe->queue.clear();
        pipe->queued = 0;
    }
    proxy.counters_.open_connections.fetch_sub(1);
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(std::uint16_t upstream_port) {
    return start("127.0.0.1:" + std::to_string(upstream_port));
}

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(const std::string& upstream) {
    MQTLS_TRY_ASSIGN(const auto target, parse_upstream(upstream));
    MQTLS_TRY_ASSIGN(const int listener, make_listener(0));
    const auto port = local_port(listener);
    if (!port) {
        ::close(listener);
        return port.error();
    }
    const int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0) {
        const int error = errno;
        ::close(listener);
        return errno_error(error);
    }
    // From here on the destructor closes both descriptors.
    std::unique_ptr<FaultProxy> proxy(
        new FaultProxy(listener, wake, target.first, target.second, *port));
    try {
        proxy->thread_ = std::thread([raw = proxy.get()] { raw->run(); });
    } catch (const std::system_error& error) {
        return errno_error(error.code().value());
    }
    return proxy;
}

FaultProxy::FaultProxy(int listener, int wake, std::uint32_t upstream_address,
                       std::uint16_t upstream_port, std::uint16_t port) noexcept
    : upstream_address_(upstream_address),
      upstream_port_(upstream_port),
      port_(port),
      wake_fd_(wake),
      initial_listener_(listener) {}

FaultProxy::~FaultProxy() {
    stop();
    if (initial_listener_ >= 0) {
        ::close(initial_listener_);  // the thread never started
    }
    ::close(wake_fd_);
}

void FaultProxy::stop() noexcept {
    const std::lock_guard<std::mutex> stop_lock(stop_mutex_);
    stopping_.store(true);
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void FaultProxy::run() noexcept {
    Loop loop(*this, std::exchange(initial_listener_, -1));
    loop.run();
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        thread_done_ = true;
    }
    applied_cv_.notify_all();
}

void FaultProxy::wake() const noexcept {
    const std::uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
}

template <class Change>
void FaultProxy::update(Change change) {
    std::unique_lock<std::mutex> lock(mutex_);
    change(settings_);
    if (thread_done_ || stopping_.load()) {
        return;
    }
    const std::uint64_t version = ++requested_;
    lock.unlock();
    wake();
    lock.lock();
    applied_cv_.wait_for(lock, apply_wait, [&] { return applied_ >= version || thread_done_; });
}

void FaultProxy::set_delay(std::chrono::milliseconds one_way) {
    update([&](Settings& s) { s.delay = std::max(one_way, std::chrono::milliseconds(0)); });
}

void FaultProxy::cut_all() {
    update([](Settings& s) { ++s.cut_all_requests; });
}

void FaultProxy::cut_after_bytes(Direction direction, std::uint64_t n) {
    update([&](Settings& s) { s.cut_current[static_cast<std::size_t>(direction)] = n; });
}

void FaultProxy::cut_new_connections_after_bytes(Direction direction,
                                                 std::optional<std::uint64_t> n) {
    update([&](Settings& s) { s.cut_new[static_cast<std::size_t>(direction)] = n; });
}

void FaultProxy::set_black_hole(bool on) {
    update([&](Settings& s) { s.black_hole = on; });
}

void FaultProxy::set_stall(bool on) {
    update([&](Settings& s) { s.stall = on; });
}

Result<void> FaultProxy::set_refuse(bool on) {
    update([&](Settings& s) { s.refuse = on; });
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!on && listen_error_) {
        return *listen_error_;
    }
    return ok();
}

Result<void> FaultProxy::clear_faults() {
    update([](Settings& s) {
        s.delay = std::chrono::milliseconds(0);
        s.black_hole = false;
        s.stall = false;
        s.cut_current = {};
        s.cut_new = {};
    });
    return set_refuse(false);
}

FaultProxyCounters FaultProxy::counters() const noexcept {
    FaultProxyCounters snapshot;
    snapshot.connections_accepted = counters_.connections_accepted.load();
    snapshot.connections_cut = counters_.connections_cut.load();
    snapshot.upstream_failures = counters_.upstream_failures.load();
    snapshot.bytes_to_upstream = counters_.bytes_to_upstream.load();
    snapshot.bytes_to_client = counters_.bytes_to_client.load();
    snapshot.bytes_dropped = counters_.bytes_dropped.load();
    snapshot.open_connections = counters_.open_connections.load();
    return snapshot;
}

}  // namespace mqtls::testing
