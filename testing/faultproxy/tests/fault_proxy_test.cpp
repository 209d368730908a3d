// Tests of the fault proxy: the test holds both ends (a client socket connected to the proxy, and
// the upstream's accepted socket), so it sees exactly what each side gets. One test runs the
// blocking MQTT-over-TLS client through the proxy to a real Mosquitto.
#include "mqtls/testing/fault_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "mqtls/client/client.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"

namespace mqtls::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Owns a socket.
class Socket {
public:
    explicit Socket(int fd = -1) noexcept : fd_(fd) {}
    Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { reset(); }
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A blocking connect to 127.0.0.1:port; invalid with errno set on failure.
Socket connect_to(std::uint16_t port) {
    Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in address = loopback(port);
    if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        socket.reset();
        errno = error;
    }
    return socket;
}

// The test's upstream: a listener on a free loopback port.
class Upstream {
public:
    Upstream() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        const sockaddr_in address = loopback(0);
        sockaddr_in bound{};
        socklen_t length = sizeof bound;
        if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
                0 &&
            ::listen(listener_.get(), 16) == 0 &&
            ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
            port_ = ntohs(bound.sin_port);
        }
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // The next connection the proxy made, or an invalid socket after `timeout`.
    Socket accept(milliseconds timeout = 2000ms) {
        pollfd pfd{listener_.get(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
            return Socket{};
        }
        return Socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    }

private:
    Socket listener_;
    std::uint16_t port_ = 0;
};

std::unique_ptr<FaultProxy> start_proxy(std::uint16_t upstream_port) {
    auto proxy = FaultProxy::start(upstream_port);
    if (!proxy) {
        ADD_FAILURE() << "proxy did not start: " << name(proxy.error().code) << " errno "
                      << proxy.error().detail;
        return nullptr;
    }
    return std::move(*proxy);
}

bool send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// How a read ended.
enum class End { data, eof, reset, timeout };

struct ReadResult {
    std::string bytes;
    End end = End::timeout;
};

// Reads until `want` bytes arrived (End::data), the peer ended the stream, or `timeout`.
ReadResult read_for(int fd, std::size_t want, milliseconds timeout) {
    ReadResult result;
    const auto deadline = Clock::now() + timeout;
    char buffer[65536];
    while (result.bytes.size() < want) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        pollfd pfd{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) != 1) {
            result.end = End::timeout;
            return result;
        }
        const std::size_t room = std::min(sizeof buffer, want - result.bytes.size());
        const ssize_t n = ::recv(fd, buffer, room, 0);
        if (n == 0) {
            result.end = End::eof;
            return result;
        }
        if (n < 0) {
            result.end = End::reset;
            return result;
        }
        result.bytes.append(buffer, static_cast<std::size_t>(n));
    }
    result.end = End::data;
    return result;
}

// Reads everything until the stream ends (EOF or reset), at most `timeout`.
ReadResult read_to_end(int fd, milliseconds timeout) {
    return read_for(fd, std::string::npos, timeout);
}

bool ended(End end) { return end == End::eof || end == End::reset; }

std::string random_bytes(std::size_t size, std::uint32_t seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) {
        c = static_cast<char>(generator() & 0xffU);
    }
    return bytes;
}

// One end of exchange(): a socket, what it sends and what it received.
class Endpoint {
public:
    Endpoint(int fd, const std::string& out) : fd_(fd), out_(out) {
        if (out_.empty()) {
            ::shutdown(fd_, SHUT_WR);
        }
    }
    [[nodiscard]] bool ended() const noexcept { return eof_; }
    [[nodiscard]] std::string take_input() { return std::move(in_); }
    [[nodiscard]] pollfd poll_entry() const noexcept {
        short events = eof_ ? 0 : POLLIN;
        if (sent_ < out_.size()) {
            events = static_cast<short>(events | POLLOUT);
        }
        return {fd_, events, 0};
    }
    void on_ready(short revents) {
        if ((revents & POLLOUT) != 0) {
            send_some();
        }
        if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            receive_some();
        }
    }

private:
    void send_some() {
        const ssize_t n =
            ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) {
            return;
        }
        sent_ += static_cast<std::size_t>(n);
        if (sent_ == out_.size()) {
            ::shutdown(fd_, SHUT_WR);  // all sent: end the stream
        }
    }
    void receive_some() {
        char buffer[65536];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            in_.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            eof_ = true;
        }
    }

    int fd_;
    const std::string& out_;
    std::size_t sent_ = 0;
    std::string in_;
    bool eof_ = false;
};

// Sends `a_out` from a to b and `b_out` from b to a at the same time (so neither blocks on a full
// window), half-closing each side once it has sent everything, and reads until both streams
// ended. Returns what a and b received.
std::pair<std::string, std::string> exchange(int a, int b, const std::string& a_out,
                                             const std::string& b_out, milliseconds timeout) {
    Endpoint ends[2] = {Endpoint(a, a_out), Endpoint(b, b_out)};
    const auto deadline = Clock::now() + timeout;
    while ((!ends[0].ended() || !ends[1].ended()) && Clock::now() < deadline) {
        pollfd fds[2] = {ends[0].poll_entry(), ends[1].poll_entry()};
        if (::poll(fds, 2, 50) < 0) {
            break;
        }
        ends[0].on_ready(fds[0].revents);
        ends[1].on_ready(fds[1].revents);
    }
    return {ends[0].take_input(), ends[1].take_input()};
}

bool eventually(const std::function<bool()>& condition, milliseconds timeout = 2000ms) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

// A client connected through the proxy and the upstream's end of it, checked with one byte each
// way.
struct Link {
    Socket client;
    Socket server;
};

Link open_link(FaultProxy& proxy, Upstream& upstream) {
    Link link;
    link.client = connect_to(proxy.port());
    EXPECT_TRUE(link.client.valid()) << "connect: errno " << errno;
    link.server = upstream.accept();
    EXPECT_TRUE(link.server.valid()) << "the proxy did not connect upstream";
    return link;
}

void expect_relays(Link& link) {
    ASSERT_TRUE(send_all(link.client.get(), "ping"));
    EXPECT_EQ(read_for(link.server.get(), 4, 2000ms).bytes, "ping");
    ASSERT_TRUE(send_all(link.server.get(), "pong"));
    EXPECT_EQ(read_for(link.client.get(), 4, 2000ms).bytes, "pong");
}

TEST(FaultProxy, RelaysMegabytesBothWaysByteExact) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    EXPECT_NE(proxy->port(), 0);
    EXPECT_STREQ(FaultProxy::host(), "127.0.0.1");
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    constexpr std::size_t size = 3U << 20U;
    const std::string up = random_bytes(size, 1);
    const std::string down = random_bytes(size, 2);
    const auto [client_in, server_in] =
        exchange(link.client.get(), link.server.get(), up, down, 10000ms);
    EXPECT_EQ(server_in.size(), size);
    EXPECT_TRUE(server_in == up) << "bytes to the upstream differ";
    EXPECT_EQ(client_in.size(), size);
    EXPECT_TRUE(client_in == down) << "bytes to the client differ";

    // Both sides ended their streams: the proxy closes the connection by itself.
    EXPECT_TRUE(eventually([&] { return proxy->counters().open_connections == 0; }));
    const FaultProxyCounters counters = proxy->counters();
    EXPECT_EQ(counters.connections_accepted, 1U);
    EXPECT_EQ(counters.bytes_to_upstream, size);
    EXPECT_EQ(counters.bytes_to_client, size);
    EXPECT_EQ(counters.connections_cut, 0U);
    EXPECT_EQ(counters.bytes_dropped, 0U);
}

TEST(FaultProxy, HandlesSeveralConnectionsAtOnce) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link first = open_link(*proxy, upstream);
    Link second = open_link(*proxy, upstream);
    ASSERT_TRUE(first.server.valid() && second.server.valid());
    ASSERT_TRUE(send_all(second.client.get(), "two"));
    ASSERT_TRUE(send_all(first.client.get(), "one"));
    EXPECT_EQ(read_for(first.server.get(), 3, 2000ms).bytes, "one");
    EXPECT_EQ(read_for(second.server.get(), 3, 2000ms).bytes, "two");
    EXPECT_EQ(proxy->counters().connections_accepted, 2U);
    EXPECT_EQ(proxy->counters().open_connections, 2U);
}

TEST(FaultProxy, DelayAddsOneWayAndRoundTripLatency) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    proxy->set_delay(100ms);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    const auto sent = Clock::now();
    ASSERT_TRUE(send_all(link.client.get(), "x"));
    ASSERT_EQ(read_for(link.server.get(), 1, 2000ms).bytes, "x");
    const auto arrived = Clock::now();
    ASSERT_TRUE(send_all(link.server.get(), "y"));
    ASSERT_EQ(read_for(link.client.get(), 1, 2000ms).bytes, "y");
    const auto answered = Clock::now();

    EXPECT_GE(arrived - sent, 100ms);
    EXPECT_LE(arrived - sent, 2000ms);
    EXPECT_GE(answered - arrived, 100ms);
    EXPECT_GE(answered - sent, 200ms);
    EXPECT_LE(answered - sent, 2000ms);

    // Back to no delay: the next round trip is fast again.
    proxy->set_delay(0ms);
    const auto again = Clock::now();
    ASSERT_TRUE(send_all(link.client.get(), "z"));
    ASSERT_EQ(read_for(link.server.get(), 1, 2000ms).bytes, "z");
    EXPECT_LT(Clock::now() - again, 100ms);
}

TEST(FaultProxy, DelayKeepsTheThroughput) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    proxy->set_delay(100ms);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    // 4 MiB arrive in 64 KiB reads or less: a proxy that slept 100 ms per chunk would need
    // more than 6 s; a queue needs about 100 ms plus the copying.
    constexpr std::size_t size = 4U << 20U;
    const std::string bytes = random_bytes(size, 3);
    const auto start = Clock::now();
    const auto [client_in, server_in] =
        exchange(link.client.get(), link.server.get(), bytes, "", 10000ms);
    const auto took = Clock::now() - start;
    EXPECT_TRUE(server_in == bytes);
    EXPECT_TRUE(client_in.empty());
    EXPECT_GE(took, 100ms);
    EXPECT_LT(took, 2000ms);
}

TEST(FaultProxy, CutAllResetsBothSidesPromptly) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());
    expect_relays(link);

    const auto cut = Clock::now();
    proxy->cut_all();
    const ReadResult client = read_to_end(link.client.get(), 1000ms);
    EXPECT_TRUE(ended(client.end));
    EXPECT_LT(Clock::now() - cut, 1000ms);
    EXPECT_TRUE(client.bytes.empty());
    EXPECT_TRUE(ended(read_to_end(link.server.get(), 1000ms).end));
    const FaultProxyCounters counters = proxy->counters();
    EXPECT_EQ(counters.connections_cut, 1U);
    EXPECT_EQ(counters.open_connections, 0U);

    // New connections are relayed normally.
    Link next = open_link(*proxy, upstream);
    ASSERT_TRUE(next.server.valid());
    expect_relays(next);
}

TEST(FaultProxy, CutAllIncludesConnectionsNotYetAccepted) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    // Cut right after connect(), before the proxy thread may have accepted the connection.
    Socket client = connect_to(proxy->port());
    ASSERT_TRUE(client.valid());
    proxy->cut_all();
    EXPECT_TRUE(ended(read_to_end(client.get(), 1000ms).end));
    EXPECT_EQ(proxy->counters().connections_cut, 1U);
}

TEST(FaultProxy, CutAfterBytesDeliversExactlyThatManyToTheClient) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());
    expect_relays(link);

    proxy->cut_after_bytes(Direction::to_client, 10);
    ASSERT_TRUE(send_all(link.server.get(), std::string(100, 'd')));
    const ReadResult client = read_to_end(link.client.get(), 2000ms);
    EXPECT_EQ(client.bytes, std::string(10, 'd'));
    EXPECT_EQ(client.end, End::eof);  // the bytes, then an orderly end
    EXPECT_TRUE(ended(read_to_end(link.server.get(), 1000ms).end));
    EXPECT_EQ(proxy->counters().connections_cut, 1U);
    EXPECT_EQ(proxy->counters().bytes_to_client, 4U + 10U);
}

TEST(FaultProxy, CutAfterBytesDeliversExactlyThatManyToTheUpstream) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    proxy->cut_after_bytes(Direction::to_upstream, 7);
    // Sent in pieces: the budget spans chunks.
    ASSERT_TRUE(send_all(link.client.get(), "abc"));
    EXPECT_EQ(read_for(link.server.get(), 3, 2000ms).bytes, "abc");
    ASSERT_TRUE(send_all(link.client.get(), "defghijklmnop"));
    const ReadResult server = read_to_end(link.server.get(), 2000ms);
    EXPECT_EQ(server.bytes, "defg");
    EXPECT_EQ(server.end, End::eof);
    EXPECT_TRUE(ended(read_to_end(link.client.get(), 1000ms).end));
}

TEST(FaultProxy, CutNewConnectionsAfterBytes) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    proxy->cut_new_connections_after_bytes(Direction::to_client, 5);
    for (int i = 0; i < 2; ++i) {
        Link link = open_link(*proxy, upstream);
        ASSERT_TRUE(link.server.valid());
        ASSERT_TRUE(send_all(link.server.get(), "0123456789"));
        const ReadResult client = read_to_end(link.client.get(), 2000ms);
        EXPECT_EQ(client.bytes, "01234");
        EXPECT_EQ(client.end, End::eof);
    }
    EXPECT_EQ(proxy->counters().connections_cut, 2U);

    proxy->cut_new_connections_after_bytes(Direction::to_client, std::nullopt);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());
    ASSERT_TRUE(send_all(link.server.get(), "0123456789"));
    EXPECT_EQ(read_for(link.client.get(), 10, 2000ms).bytes, "0123456789");
}

TEST(FaultProxy, BlackHoleDropsEverythingUntilTurnedOff) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link old_link = open_link(*proxy, upstream);
    ASSERT_TRUE(old_link.server.valid());
    expect_relays(old_link);

    proxy->set_black_hole(true);
    ASSERT_TRUE(send_all(old_link.client.get(), "lost-up"));
    ASSERT_TRUE(send_all(old_link.server.get(), "lost-down"));
    EXPECT_EQ(read_for(old_link.server.get(), 1, 300ms).end, End::timeout);
    EXPECT_EQ(read_for(old_link.client.get(), 1, 300ms).end, End::timeout);

    // A new connection is accepted, but nothing reaches the upstream, not even the connection.
    Socket swallowed = connect_to(proxy->port());
    ASSERT_TRUE(swallowed.valid());
    ASSERT_TRUE(send_all(swallowed.get(), "hello?"));
    EXPECT_FALSE(upstream.accept(300ms).valid());
    EXPECT_EQ(read_for(swallowed.get(), 1, 100ms).end, End::timeout);  // open, silent
    EXPECT_TRUE(eventually([&] { return proxy->counters().bytes_dropped == 7U + 9U + 6U; }))
        << proxy->counters().bytes_dropped;

    proxy->set_black_hole(false);
    Link new_link = open_link(*proxy, upstream);
    ASSERT_TRUE(new_link.server.valid());
    expect_relays(new_link);
    // The connections that went through the hole stay in it.
    ASSERT_TRUE(send_all(old_link.client.get(), "still-lost"));
    EXPECT_EQ(read_for(old_link.server.get(), 1, 200ms).end, End::timeout);
    EXPECT_EQ(proxy->counters().connections_accepted, 3U);
    EXPECT_EQ(proxy->counters().open_connections, 3U);
}

TEST(FaultProxy, StallHoldsBytesUntilReleased) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    proxy->set_stall(true);
    ASSERT_TRUE(send_all(link.client.get(), "held"));
    ASSERT_TRUE(send_all(link.server.get(), "back"));
    EXPECT_EQ(read_for(link.server.get(), 1, 300ms).end, End::timeout);
    EXPECT_EQ(read_for(link.client.get(), 1, 100ms).end, End::timeout);
    proxy->set_stall(false);
    EXPECT_EQ(read_for(link.server.get(), 4, 2000ms).bytes, "held");
    EXPECT_EQ(read_for(link.client.get(), 4, 2000ms).bytes, "back");
    EXPECT_EQ(proxy->counters().bytes_dropped, 0U);
}

TEST(FaultProxy, RefuseClosesTheListenerAndReopensTheSamePort) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    const std::uint16_t port = proxy->port();
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());

    ASSERT_TRUE(proxy->set_refuse(true));
    Socket refused = connect_to(port);
    const int error = errno;
    EXPECT_FALSE(refused.valid());
    EXPECT_EQ(error, ECONNREFUSED);
    expect_relays(link);  // current connections go on

    const auto reopened = proxy->set_refuse(false);
    ASSERT_TRUE(reopened) << "errno " << reopened.error().detail;
    EXPECT_EQ(proxy->port(), port);
    Link next = open_link(*proxy, upstream);
    ASSERT_TRUE(next.server.valid());
    expect_relays(next);
    EXPECT_EQ(proxy->counters().connections_accepted, 2U);
}

TEST(FaultProxy, ClearFaultsTurnsEverythingOff) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    proxy->set_delay(500ms);
    ASSERT_TRUE(proxy->set_refuse(true));
    proxy->set_black_hole(true);
    proxy->cut_new_connections_after_bytes(Direction::to_upstream, 1);
    ASSERT_TRUE(proxy->clear_faults());
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());
    const auto start = Clock::now();
    expect_relays(link);
    EXPECT_LT(Clock::now() - start, 400ms);
}

TEST(FaultProxy, UnreachableUpstreamClosesTheClient) {
    std::uint16_t closed_port = 0;
    {
        Upstream gone;  // a port nobody listens on once it is closed
        closed_port = gone.port();
    }
    auto proxy = start_proxy(closed_port);
    ASSERT_NE(proxy, nullptr);
    Socket client = connect_to(proxy->port());
    ASSERT_TRUE(client.valid());
    EXPECT_TRUE(ended(read_to_end(client.get(), 1000ms).end));
    EXPECT_TRUE(eventually([&] { return proxy->counters().upstream_failures == 1U; }));
    EXPECT_EQ(proxy->counters().open_connections, 0U);
}

TEST(FaultProxy, StopClosesConnectionsPromptly) {
    Upstream upstream;
    auto proxy = start_proxy(upstream.port());
    ASSERT_NE(proxy, nullptr);
    Link link = open_link(*proxy, upstream);
    ASSERT_TRUE(link.server.valid());
    proxy->set_delay(1000ms);
    ASSERT_TRUE(send_all(link.client.get(), "queued"));

    const auto start = Clock::now();
    proxy->stop();
    EXPECT_LT(Clock::now() - start, 500ms);
    EXPECT_TRUE(ended(read_to_end(link.client.get(), 1000ms).end));
    EXPECT_FALSE(connect_to(proxy->port()).valid());
    proxy->stop();           // idempotent
    proxy->set_delay(10ms);  // harmless after stop
    proxy->cut_all();
}

TEST(FaultProxy, StartAcceptsOnlyLoopbackAddresses) {
    for (const char* upstream : {"10.0.0.1:8883", "0.0.0.0:8883", "localhost:8883", "127.0.0.1",
                                 "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:12ab",
                                 "[::1]:8883", ":8883"}) {
        const auto proxy = FaultProxy::start(std::string(upstream));
        ASSERT_FALSE(proxy) << upstream;
        EXPECT_EQ(proxy.error().code, Errc::invalid_argument) << upstream;
    }
    EXPECT_TRUE(FaultProxy::start(std::string("127.0.0.2:8883")));
}

// The blocking MQTT-over-TLS client through the proxy to a real Mosquitto. The broker's
// certificate names 127.0.0.1, which is also the proxy's address, so verification passes.
TEST(FaultProxy, MosquittoThroughTheProxy) {
    std::string diagnostics;
    auto broker = MosquittoBroker::start({}, &diagnostics);
    ASSERT_TRUE(broker) << name(broker.error().code) << "\n" << diagnostics;
    auto proxy = start_proxy((*broker)->tls_port());
    ASSERT_NE(proxy, nullptr);

    client::ClientOptions options;
    options.host = FaultProxy::host();
    options.port = proxy->port();
    options.trusted_roots_pem = (*broker)->ca_pem();
    options.client_id = "faultproxy-test";
    options.connect_timeout = 5000ms;
    options.operation_timeout = 5000ms;

    // 20 ms each way: TLS 1.2 (two round trips) and CONNECT/CONNACK take at least 3 x 40 ms.
    proxy->set_delay(20ms);
    client::Client device;
    const auto start = Clock::now();
    const auto connected = device.connect(options);
    ASSERT_TRUE(connected) << connected.error().message() << "\n" << (*broker)->log();
    EXPECT_GE(Clock::now() - start, 120ms);
    const auto published = device.publish("telemetry/faultproxy", "21.5", mqtt::QoS::at_least_once);
    ASSERT_TRUE(published) << published.error().message();
    EXPECT_GT(proxy->counters().bytes_to_upstream, 0U);
    EXPECT_GT(proxy->counters().bytes_to_client, 0U);

    proxy->cut_all();
    const auto after_cut = device.publish("telemetry/faultproxy", "21.6", mqtt::QoS::at_least_once);
    ASSERT_FALSE(after_cut);
    const ErrorClass error_class_after = error_class(after_cut.error().code);
    EXPECT_TRUE(error_class_after == ErrorClass::transport || error_class_after == ErrorClass::tls)
        << name(after_cut.error().code);
    EXPECT_FALSE(device.connected());
    EXPECT_EQ(proxy->counters().connections_cut, 1U);
}

}  // namespace
}  // namespace mqtls::testing
