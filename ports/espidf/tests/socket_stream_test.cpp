// The ESP-IDF port's SocketStream, built on the host from the same source the component compiles
// (it calls only what lwIP's socket layer also has) and held to the link::ByteStream contract
// against loopback listeners: what can be proven here of the device's transport.
#include "mqtls/port/espidf/socket_stream.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "blocking_io.hpp"
#include "loopback_listener.hpp"
#include "mqtls/port/posix/clock.hpp"

namespace mqtls::port::espidf {
namespace {

using posix::testing::LoopbackListener;
using posix::testing::receive_exactly;
using posix::testing::send_all;

constexpr Duration generous = Duration::from_seconds(5);

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31 + seed);
    return bytes;
}

bytes_view view(const std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }
mutable_bytes view(std::vector<std::uint8_t>& bytes) { return {bytes.data(), bytes.size()}; }

struct Pair {
    LoopbackListener listener;
    SocketStream client{posix::monotonic_clock()};
    posix::TcpStream server;
};

void connect(Pair& pair, const char* host = "127.0.0.1") {
    auto listener = LoopbackListener::open(AF_INET);
    ASSERT_TRUE(listener);
    pair.listener = std::move(*listener);
    ASSERT_TRUE(pair.client.open(host, pair.listener.port(), generous));
    auto server = pair.listener.accept(generous);
    ASSERT_TRUE(server);
    pair.server = std::move(*server);
}

TEST(EspIdfSocketStream, ExchangesBytesBothWaysIncludingLargeTransfers) {
    Pair pair;
    connect(pair, "localhost");  // by name: getaddrinfo, each address in turn
    ASSERT_TRUE(pair.client.is_open());
    // Larger than the socket buffers, so send_some() must report would-block (0) on the way.
    const auto request = pattern(std::size_t{4} * 1024 * 1024, 1);
    std::vector<std::uint8_t> received(request.size());
    std::size_t sent = 0;
    std::size_t got = 0;
    // Nobody reads yet: the socket buffers fill and send_some() says would-block (0).
    bool blocked = false;
    while (!blocked && sent < request.size()) {
        auto n = pair.client.send_some(view(request).subspan(sent));
        ASSERT_TRUE(n);
        blocked = *n == 0;
        sent += *n;
    }
    for (int round = 0; round < 1'000'000 && got < received.size(); ++round) {
        if (sent < request.size()) {
            auto n = pair.client.send_some(view(request).subspan(sent));
            ASSERT_TRUE(n);
            sent += *n;
        }
        auto r = pair.server.receive_some(view(received).subspan(got));
        ASSERT_TRUE(r);
        got += *r;
        if (*r == 0) {
            ASSERT_TRUE(pair.server.wait(true, false, generous));
        }
    }
    EXPECT_TRUE(blocked) << "no would-block seen: the transfer fit into the socket buffers";
    EXPECT_EQ(received, request);

    const auto reply = pattern(300, 2);
    std::vector<std::uint8_t> reply_received(reply.size());
    ASSERT_TRUE(send_all(pair.server, view(reply), generous));
    ASSERT_TRUE(receive_exactly(pair.client, view(reply_received), generous));
    EXPECT_EQ(reply_received, reply);
}

TEST(EspIdfSocketStream, PeerCloseIsEndOfStreamAfterTheLastBytes) {
    Pair pair;
    connect(pair);
    const auto last = pattern(10, 3);
    ASSERT_TRUE(send_all(pair.server, view(last), generous));
    pair.server.close();
    std::vector<std::uint8_t> received(last.size());
    ASSERT_TRUE(receive_exactly(pair.client, view(received), generous));
    EXPECT_EQ(received, last);
    auto ready = pair.client.wait(true, false, generous);
    ASSERT_TRUE(ready);
    EXPECT_TRUE(ready->readable);
    std::uint8_t byte = 0;
    auto after = pair.client.receive_some(mutable_bytes(&byte, 1));
    ASSERT_FALSE(after);
    EXPECT_TRUE(link::is_end_of_stream(after.error()));
}

TEST(EspIdfSocketStream, WaitTimesOutAndReportsOnlyTheReadyDirection) {
    Pair pair;
    connect(pair);
    auto idle = pair.client.wait(true, false, Duration::from_millis(50));
    ASSERT_FALSE(idle);
    EXPECT_EQ(idle.error().code, Errc::io_timed_out);
    auto writable = pair.client.wait(true, true, generous);
    ASSERT_TRUE(writable);
    EXPECT_TRUE(writable->writable);
    EXPECT_FALSE(writable->readable);
    auto nothing = pair.client.wait(false, false, generous);
    ASSERT_FALSE(nothing);
    EXPECT_EQ(nothing.error().code, Errc::invalid_argument);
}

TEST(EspIdfSocketStream, ConnectFailuresAreNamed) {
    SocketStream stream(posix::monotonic_clock());
    // A port just closed: refused.
    std::uint16_t closed_port = 0;
    {
        auto listener = LoopbackListener::open(AF_INET);
        ASSERT_TRUE(listener);
        closed_port = listener->port();
    }
    auto refused = stream.open("127.0.0.1", closed_port, generous);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), (Error{Errc::connection_refused, ECONNREFUSED}));
    EXPECT_FALSE(stream.is_open());

    auto unresolvable = stream.open("name.invalid", 8883, generous);  // RFC 6761: never resolves
    ASSERT_FALSE(unresolvable);
    EXPECT_EQ(unresolvable.error().code, Errc::resolve_failed);

    for (const auto& [host, port, timeout] :
         {std::tuple{"", std::uint16_t{8883}, generous},
          std::tuple{"127.0.0.1", std::uint16_t{0}, generous},
          std::tuple{"127.0.0.1", std::uint16_t{8883}, Duration::from_millis(0)}}) {
        auto bad = stream.open(host, port, timeout);
        ASSERT_FALSE(bad);
        EXPECT_EQ(bad.error().code, Errc::invalid_argument) << host << ":" << port;
    }
    const std::string too_long(SocketStream::max_host_length + 1, 'a');
    EXPECT_EQ(stream.open(too_long, 8883, generous).error().code, Errc::invalid_argument);
}

TEST(EspIdfSocketStream, ClosedStreamFailsEveryOperationAndCloseIsIdempotent) {
    Pair pair;
    connect(pair);
    pair.client.close();
    pair.client.close();
    EXPECT_FALSE(pair.client.is_open());
    std::uint8_t byte = 0;
    EXPECT_EQ(pair.client.send_some(bytes_view(&byte, 1)).error().code, Errc::not_connected);
    EXPECT_EQ(pair.client.receive_some(mutable_bytes(&byte, 1)).error().code, Errc::not_connected);
    EXPECT_EQ(pair.client.wait(true, true, generous).error().code, Errc::not_connected);
    // And it opens again: a Connection reuses its stream for every reconnect.
    ASSERT_TRUE(pair.client.open("127.0.0.1", pair.listener.port(), generous));
    EXPECT_TRUE(pair.client.is_open());
}

TEST(EspIdfSocketStream, SendToAResetPeerIsConnectionResetNotASignal) {
    Pair pair;
    connect(pair);
    pair.server.close();
    const auto data = pattern(std::size_t{64} * 1024, 4);
    Result<std::size_t> sent = std::size_t{0};
    for (int round = 0; round < 200 && sent; ++round) {
        sent = pair.client.send_some(view(data));
        if (sent && *sent == 0) (void)pair.client.wait(false, true, Duration::from_millis(20));
    }
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().code, Errc::connection_reset);
}

}  // namespace
}  // namespace mqtls::port::espidf
