#include "mqtls/port/posix/tcp_stream.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "blocking_io.hpp"
#include "loopback_listener.hpp"
#include "mqtls/port/posix/clock.hpp"

namespace mqtls::port::posix {
namespace {

using testing::LoopbackListener;
using testing::receive_exactly;
using testing::send_all;

// Loopback connects and transfers take microseconds; these only bound a test that goes wrong.
constexpr Duration kGenerous = Duration::from_seconds(5);

// A connected pair over loopback: `client` from TcpStream::connect, `server` from accept.
struct ConnectedPair {
    TcpStream client;
    TcpStream server;
};

ConnectedPair connect_pair(LoopbackListener& listener) {
    ConnectedPair pair;
    auto client = TcpStream::connect(listener.host(), listener.port(), kGenerous);
    EXPECT_TRUE(client) << (client ? "" : name(client.error().code));
    auto server = listener.accept(kGenerous);
    EXPECT_TRUE(server) << (server ? "" : name(server.error().code));
    if (client) pair.client = std::move(*client);
    if (server) pair.server = std::move(*server);
    return pair;
}

LoopbackListener open_ipv4_listener(int backlog = 8) {
    auto listener = LoopbackListener::open(AF_INET, backlog);
    EXPECT_TRUE(listener);
    return listener ? std::move(*listener) : LoopbackListener{};
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31 + seed);
    return bytes;
}

bytes_view view(const std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }
mutable_bytes view(std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }

void expect_round_trip(ConnectedPair& pair) {
    const auto request = pattern(100, 1);
    const auto reply = pattern(200, 2);
    std::vector<std::uint8_t> received_request(request.size());
    std::vector<std::uint8_t> received_reply(reply.size());

    ASSERT_TRUE(send_all(pair.client, view(request), kGenerous));
    ASSERT_TRUE(receive_exactly(pair.server, view(received_request), kGenerous));
    EXPECT_EQ(received_request, request);

    ASSERT_TRUE(send_all(pair.server, view(reply), kGenerous));
    ASSERT_TRUE(receive_exactly(pair.client, view(received_reply), kGenerous));
    EXPECT_EQ(received_reply, reply);
}

TEST(TcpStream, ExchangesBytesBothWaysOverIpv4Loopback) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    ASSERT_TRUE(pair.client.is_open() && pair.server.is_open());
    expect_round_trip(pair);
    EXPECT_EQ(std::string(pair.client.peer_address()),
              "127.0.0.1:" + std::to_string(listener.port()));
}

TEST(TcpStream, ExchangesBytesBothWaysOverIpv6Loopback) {
    auto listener = LoopbackListener::open(AF_INET6);
    if (!listener &&
        (listener.error().detail == EADDRNOTAVAIL || listener.error().detail == EAFNOSUPPORT)) {
        GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
    }
    ASSERT_TRUE(listener);
    auto pair = connect_pair(*listener);
    ASSERT_TRUE(pair.client.is_open() && pair.server.is_open());
    expect_round_trip(pair);
    EXPECT_EQ(std::string(pair.client.peer_address()), "[::1]:" + std::to_string(listener->port()));
}

// "localhost" may resolve to ::1 before 127.0.0.1; the IPv6 attempt is then refused and the next
// address must still be tried.
TEST(TcpStream, ConnectsByNameTryingEachAddress) {
    auto listener = open_ipv4_listener();
    auto client = TcpStream::connect("localhost", listener.port(), kGenerous);
    ASSERT_TRUE(client) << name(client.error().code) << " " << client.error().detail;
    auto server = listener.accept(kGenerous);
    ASSERT_TRUE(server);
    ConnectedPair pair{std::move(*client), std::move(*server)};
    expect_round_trip(pair);
}

TEST(TcpStream, ConnectedSocketIsNonBlockingCloseOnExecAndNoDelay) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    for (const TcpStream* stream : {&pair.client, &pair.server}) {
        const int socket = stream->native_handle();
        ASSERT_GE(socket, 0);
        EXPECT_NE(::fcntl(socket, F_GETFL) & O_NONBLOCK, 0);
        EXPECT_NE(::fcntl(socket, F_GETFD) & FD_CLOEXEC, 0);
        int no_delay = 0;
        socklen_t length = sizeof no_delay;
        ASSERT_EQ(::getsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &no_delay, &length), 0);
        EXPECT_NE(no_delay, 0);
    }
}

TEST(TcpStream, ConnectIsRefusedOnAPortJustClosed) {
    auto listener = open_ipv4_listener();
    const std::uint16_t port = listener.port();
    listener.close();
    auto client = TcpStream::connect("127.0.0.1", port, kGenerous);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error(), (Error{Errc::connection_refused, ECONNREFUSED}));
}

// The name is under the reserved .invalid TLD (RFC 2606/6761) and its first label is 64 bytes,
// one more than DNS allows (RFC 1035 section 2.3.4), so no resolver can put it in a query: the
// test sends nothing to the network whatever the machine's DNS setup.
TEST(TcpStream, UnresolvableNameGivesResolveFailed) {
    const std::string host = std::string(64, 'x') + ".mqtls-test.invalid";
    const Instant start = monotonic_now();
    auto client = TcpStream::connect(host, 8883, kGenerous);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, Errc::resolve_failed);
    EXPECT_NE(client.error().detail, 0);
    EXPECT_LT(monotonic_now() - start, kGenerous);
}

TEST(TcpStream, ConnectRejectsInvalidArguments) {
    const Duration timeout = Duration::from_millis(100);
    const std::string_view with_nul("127.0.0.1\0evil", 14);
    const std::string too_long(254, 'a');
    EXPECT_EQ(TcpStream::connect("", 1883, timeout).error().code, Errc::invalid_argument);
    EXPECT_EQ(TcpStream::connect(with_nul, 1883, timeout).error().code, Errc::invalid_argument);
    EXPECT_EQ(TcpStream::connect(too_long, 1883, timeout).error().code, Errc::invalid_argument);
    EXPECT_EQ(TcpStream::connect("127.0.0.1", 0, timeout).error().code, Errc::invalid_argument);
    EXPECT_EQ(TcpStream::connect("127.0.0.1", 1883, Duration{}).error().code,
              Errc::invalid_argument);
    EXPECT_EQ(TcpStream::adopt(-1).error().code, Errc::invalid_argument);
}

// A listener with a zero backlog takes one connection into its accept queue; while that is full
// the kernel drops further SYNs, so the next connect waits for an answer that never comes.
TEST(TcpStream, ConnectTimesOutWhenThePeerNeverAnswers) {
    auto listener = open_ipv4_listener(0);
    constexpr int kMaxConnections = 8;
    const Duration timeout = Duration::from_millis(300);
    std::vector<TcpStream> queued;
    for (int attempt = 0; attempt < kMaxConnections; ++attempt) {
        const Instant start = monotonic_now();
        auto client = TcpStream::connect("127.0.0.1", listener.port(), timeout);
        if (client) {
            queued.push_back(std::move(*client));
            continue;
        }
        const Duration waited = monotonic_now() - start;
        EXPECT_EQ(client.error(), (Error{Errc::connect_timed_out, 0}));
        EXPECT_GE(waited, timeout);
        EXPECT_LT(waited, kGenerous);
        return;
    }
    GTEST_SKIP() << "the kernel accepted " << kMaxConnections
                 << " connections beyond a zero backlog, so no connect could be made to wait";
}

TEST(TcpStream, OrderlyCloseByPeerIsEndOfStream) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    const auto last_words = pattern(10, 3);
    ASSERT_TRUE(send_all(pair.server, view(last_words), kGenerous));
    pair.server.close();

    // Bytes sent before the close still arrive, then the end of the stream.
    std::vector<std::uint8_t> received(last_words.size());
    ASSERT_TRUE(receive_exactly(pair.client, view(received), kGenerous));
    EXPECT_EQ(received, last_words);
    auto ready = pair.client.wait(true, false, kGenerous);
    ASSERT_TRUE(ready);
    EXPECT_TRUE(ready->readable);
    std::uint8_t byte = 0;
    auto after_close = pair.client.receive_some(mutable_bytes(&byte, 1));
    ASSERT_FALSE(after_close);
    EXPECT_EQ(after_close.error(), (Error{Errc::connection_reset, 0}));
    EXPECT_TRUE(is_end_of_stream(after_close.error()));
}

TEST(TcpStream, ResetByPeerGivesConnectionResetWithErrno) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    // SO_LINGER with a zero timeout turns close() into an abortive close: the peer sends RST.
    const linger abort_on_close{1, 0};
    ASSERT_EQ(::setsockopt(pair.server.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                           sizeof abort_on_close),
              0);
    pair.server.close();

    ASSERT_TRUE(pair.client.wait(true, false, kGenerous));
    std::uint8_t byte = 0;
    auto after_reset = pair.client.receive_some(mutable_bytes(&byte, 1));
    ASSERT_FALSE(after_reset);
    EXPECT_EQ(after_reset.error(), (Error{Errc::connection_reset, ECONNRESET}));
    EXPECT_FALSE(is_end_of_stream(after_reset.error()));
}

int sigpipe_count = 0;
extern "C" void count_sigpipe(int) { ++sigpipe_count; }

// Counts SIGPIPE for the lifetime of the object instead of relying on the default action
// (which kills the process) or an inherited SIG_IGN (which would hide a missing MSG_NOSIGNAL).
class SigpipeCounter {
public:
    SigpipeCounter() {
        struct sigaction counting {};
        counting.sa_handler = &count_sigpipe;
        sigemptyset(&counting.sa_mask);
        sigpipe_count = 0;
        installed_ = ::sigaction(SIGPIPE, &counting, &previous_) == 0;
    }
    ~SigpipeCounter() {
        if (installed_) ::sigaction(SIGPIPE, &previous_, nullptr);
    }
    SigpipeCounter(const SigpipeCounter&) = delete;
    SigpipeCounter& operator=(const SigpipeCounter&) = delete;
    [[nodiscard]] bool installed() const { return installed_; }

private:
    struct sigaction previous_ {};
    bool installed_ = false;
};

TEST(TcpStream, SendToClosedPeerGivesConnectionResetWithoutSigpipe) {
    SigpipeCounter sigpipes;
    ASSERT_TRUE(sigpipes.installed());
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    pair.server.close();

    // The first send usually succeeds (the kernel only learns of the close when the peer
    // answers it with RST); one of the next ones must fail.
    const auto chunk = pattern(1000, 4);
    Result<std::size_t> sent = std::size_t{0};
    constexpr int kMaxSends = 100;
    for (int attempt = 0; attempt < kMaxSends && sent; ++attempt) {
        sent = pair.client.send_some(view(chunk));
        if (sent) (void)pair.client.wait(true, false, Duration::from_millis(20));
    }
    ASSERT_FALSE(sent) << "sending to a closed peer kept succeeding";
    EXPECT_EQ(sent.error().code, Errc::connection_reset);
    EXPECT_TRUE(sent.error().detail == EPIPE || sent.error().detail == ECONNRESET)
        << sent.error().detail;
    EXPECT_EQ(sigpipe_count, 0);
}

TEST(TcpStream, WaitTimesOutOnAnIdleConnection) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    const Duration timeout = Duration::from_millis(50);
    const Instant start = monotonic_now();
    auto ready = pair.client.wait(true, false, timeout);
    const Duration waited = monotonic_now() - start;
    ASSERT_FALSE(ready);
    EXPECT_EQ(ready.error().code, Errc::io_timed_out);
    EXPECT_GE(waited, timeout);
    EXPECT_LT(waited, kGenerous);

    // A zero timeout only looks.
    auto look = pair.client.wait(true, false, Duration{});
    ASSERT_FALSE(look);
    EXPECT_EQ(look.error().code, Errc::io_timed_out);
}

TEST(TcpStream, WaitReportsWhichDirectionIsReady) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);

    auto writable = pair.client.wait(true, true, kGenerous);
    ASSERT_TRUE(writable);
    EXPECT_TRUE(writable->writable);
    EXPECT_FALSE(writable->readable);

    const std::uint8_t byte = 42;
    ASSERT_TRUE(send_all(pair.server, bytes_view(&byte, 1), kGenerous));
    auto readable = pair.client.wait(true, false, kGenerous);
    ASSERT_TRUE(readable);
    EXPECT_TRUE(readable->readable);
    EXPECT_FALSE(readable->writable);

    EXPECT_EQ(pair.client.wait(false, false, kGenerous).error().code, Errc::invalid_argument);
}

// Fills the kernel's buffers while the peer does not read, so send_some() must report "would
// block" with 0; then both sides drain it all, in both directions at once.
TEST(TcpStream, SendReportsWouldBlockAndLargeTransfersComplete) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);

    const auto chunk = pattern(64 * 1024, 5);
    std::size_t queued = 0;
    bool would_block = false;
    constexpr int kMaxChunks = 4096;  // 256 MiB: far beyond any socket buffer
    for (int attempt = 0; attempt < kMaxChunks && !would_block; ++attempt) {
        auto sent = pair.client.send_some(view(chunk));
        ASSERT_TRUE(sent);
        queued += *sent;
        would_block = *sent == 0;
    }
    ASSERT_TRUE(would_block);
    ASSERT_GT(queued, 0u);
    auto full = pair.client.wait(false, true, Duration{});
    EXPECT_TRUE(!full || !full->writable);

    std::vector<std::uint8_t> drained(queued);
    ASSERT_TRUE(receive_exactly(pair.server, view(drained), kGenerous));
    for (std::size_t i = 0; i < queued; ++i) {
        ASSERT_EQ(drained[i], chunk[i % chunk.size()]) << "at byte " << i;
    }

    // Both directions with nothing read on either side until the writes finish would deadlock
    // beyond the buffer size, so each side sends less than what was just buffered.
    const auto big = pattern(queued / 4, 6);
    ASSERT_TRUE(send_all(pair.server, view(big), kGenerous));
    ASSERT_TRUE(send_all(pair.client, view(big), kGenerous));
    std::vector<std::uint8_t> at_client(big.size());
    std::vector<std::uint8_t> at_server(big.size());
    ASSERT_TRUE(receive_exactly(pair.client, view(at_client), kGenerous));
    ASSERT_TRUE(receive_exactly(pair.server, view(at_server), kGenerous));
    EXPECT_EQ(at_client, big);
    EXPECT_EQ(at_server, big);
}

TEST(TcpStream, ReceiveReturnsZeroWhenNothingArrivedOrBufferIsEmpty) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    std::uint8_t buffer[16];
    auto nothing = pair.client.receive_some(buffer);
    ASSERT_TRUE(nothing);
    EXPECT_EQ(*nothing, 0u);
    auto empty = pair.client.receive_some(mutable_bytes{});
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, 0u);
    auto empty_send = pair.client.send_some(bytes_view{});
    ASSERT_TRUE(empty_send);
    EXPECT_EQ(*empty_send, 0u);
}

TEST(TcpStream, UnconnectedStreamFailsEveryOperation) {
    TcpStream stream;
    EXPECT_FALSE(stream.is_open());
    EXPECT_EQ(stream.native_handle(), -1);
    EXPECT_STREQ(stream.peer_address(), "");
    std::uint8_t byte = 0;
    const Error bad_descriptor{Errc::socket_error, EBADF};
    EXPECT_EQ(stream.send_some(bytes_view(&byte, 1)).error(), bad_descriptor);
    EXPECT_EQ(stream.receive_some(mutable_bytes(&byte, 1)).error(), bad_descriptor);
    EXPECT_EQ(stream.wait(true, true, Duration{}).error(), bad_descriptor);
    stream.close();
    stream.close();
}

TEST(TcpStream, MoveTransfersOwnershipAndCloseKeepsPeerAddress) {
    auto listener = open_ipv4_listener();
    auto pair = connect_pair(listener);
    const int socket = pair.client.native_handle();
    const std::string address = pair.client.peer_address();

    TcpStream moved(std::move(pair.client));
    EXPECT_FALSE(pair.client.is_open());  // NOLINT(bugprone-use-after-move): checks the move
    EXPECT_STREQ(pair.client.peer_address(), "");
    EXPECT_EQ(moved.native_handle(), socket);
    EXPECT_EQ(moved.peer_address(), address);

    TcpStream assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.native_handle(), socket);
    pair.client = std::move(assigned);
    expect_round_trip(pair);

    pair.client.close();
    EXPECT_FALSE(pair.client.is_open());
    EXPECT_EQ(pair.client.peer_address(), address);
    EXPECT_EQ(::fcntl(socket, F_GETFD), -1);  // the descriptor really was closed
}

}  // namespace
}  // namespace mqtls::port::posix

namespace mqtls::port::posix {
namespace {

// The link::ByteStream way: open() connects the stream object itself, and again after a close.
TEST(TcpStream, OpenConnectsThroughTheByteStreamInterface) {
    auto listener = LoopbackListener::open(AF_INET, 8);
    ASSERT_TRUE(listener);
    TcpStream stream;
    link::ByteStream& byte_stream = stream;
    ASSERT_TRUE(byte_stream.open(listener->host(), listener->port(), Duration::from_seconds(5)));
    EXPECT_TRUE(byte_stream.is_open());
    auto server = listener->accept(Duration::from_seconds(5));
    ASSERT_TRUE(server);
    const std::uint8_t hello[] = {'h', 'i'};
    auto sent = byte_stream.send_some(bytes_view(hello, sizeof(hello)));
    ASSERT_TRUE(sent);
    EXPECT_EQ(*sent, sizeof(hello));
    byte_stream.close();
    EXPECT_FALSE(byte_stream.is_open());
    ASSERT_TRUE(byte_stream.open(listener->host(), listener->port(), Duration::from_seconds(5)));
    EXPECT_TRUE(stream.is_open());
    listener->close();
    stream.close();
    auto refused = byte_stream.open("127.0.0.1", listener->port(), Duration::from_seconds(5));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::connection_refused);
    EXPECT_FALSE(byte_stream.is_open());
}

}  // namespace
}  // namespace mqtls::port::posix
