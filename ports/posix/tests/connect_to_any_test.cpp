// connect()'s address loop, fed hand-made address lists, because what a resolver returns for a
// name (one address or several, which family first) depends on the machine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "loopback_listener.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"

namespace mqtls::port::posix {
namespace {

using testing::LoopbackListener;

constexpr Duration kGenerous = Duration::from_seconds(5);

// getaddrinfo's output shape, built by hand: one node per entry, linked in order.
class AddressList {
public:
    void add_ipv4_loopback(std::uint16_t port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        add(AF_INET, &address, sizeof address);
    }
    // A node whose family no socket can be opened for, like an IPv6 answer on a host without
    // IPv6 support.
    void add_unsupported_family() {
        sockaddr_in address{};
        add(AF_UNSPEC, &address, sizeof address);
    }
    [[nodiscard]] const addrinfo* head() {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            nodes_[i].ai_addr = reinterpret_cast<sockaddr*>(&addresses_[i]);
            nodes_[i].ai_next = i + 1 < nodes_.size() ? &nodes_[i + 1] : nullptr;
        }
        return nodes_.empty() ? nullptr : nodes_.data();
    }

private:
    void add(int family, const void* address, socklen_t length) {
        addrinfo node{};
        node.ai_family = family;
        node.ai_socktype = SOCK_STREAM;
        node.ai_addrlen = length;
        nodes_.push_back(node);
        sockaddr_storage storage{};
        std::memcpy(&storage, address, length);
        addresses_.push_back(storage);
    }

    std::vector<addrinfo> nodes_;
    std::vector<sockaddr_storage> addresses_;
};

std::uint16_t closed_port() {
    auto listener = LoopbackListener::open(AF_INET);
    EXPECT_TRUE(listener);
    return listener ? listener->port() : 1;
}

TEST(ConnectToAny, MovesOnPastARefusedAddress) {
    auto listener = LoopbackListener::open(AF_INET);
    ASSERT_TRUE(listener);
    AddressList list;
    list.add_ipv4_loopback(closed_port());
    list.add_ipv4_loopback(listener->port());

    auto client = detail::connect_to_any(list.head(), monotonic_now() + kGenerous);
    ASSERT_TRUE(client) << name(client.error().code);
    EXPECT_EQ(std::string(client->peer_address()), "127.0.0.1:" + std::to_string(listener->port()));
    EXPECT_TRUE(listener->accept(kGenerous));
}

TEST(ConnectToAny, MovesOnPastAnAddressFamilyItCannotOpen) {
    auto listener = LoopbackListener::open(AF_INET);
    ASSERT_TRUE(listener);
    AddressList list;
    list.add_unsupported_family();
    list.add_ipv4_loopback(listener->port());
    EXPECT_TRUE(detail::connect_to_any(list.head(), monotonic_now() + kGenerous));
}

TEST(ConnectToAny, ReportsTheMostTellingFailure) {
    AddressList list;
    list.add_unsupported_family();
    list.add_ipv4_loopback(closed_port());
    list.add_unsupported_family();
    auto client = detail::connect_to_any(list.head(), monotonic_now() + kGenerous);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error(), (Error{Errc::connection_refused, ECONNREFUSED}));

    AddressList unusable;
    unusable.add_unsupported_family();
    auto nowhere = detail::connect_to_any(unusable.head(), monotonic_now() + kGenerous);
    ASSERT_FALSE(nowhere);
    EXPECT_EQ(nowhere.error().code, Errc::network_unreachable);
}

TEST(ConnectToAny, OneDeadlineCoversAllAddresses) {
    // Once the zero-backlog listener's queue is full, the first address never answers (see
    // TcpStream.ConnectTimesOutWhenThePeerNeverAnswers) and uses up the whole budget, so the
    // good second address must not be tried.
    auto silent = LoopbackListener::open(AF_INET, 0);
    auto good = LoopbackListener::open(AF_INET);
    ASSERT_TRUE(silent && good);
    const std::string silent_address = "127.0.0.1:" + std::to_string(silent->port());
    const Duration timeout = Duration::from_millis(200);
    std::vector<TcpStream> queued;
    constexpr int kMaxConnections = 8;
    for (int i = 0; i < kMaxConnections; ++i) {
        AddressList list;
        list.add_ipv4_loopback(silent->port());
        list.add_ipv4_loopback(good->port());
        auto client = detail::connect_to_any(list.head(), monotonic_now() + timeout);
        if (client && client->peer_address() == silent_address) {
            queued.push_back(std::move(*client));
            continue;
        }
        ASSERT_FALSE(client) << "connected to the second address after the deadline had passed";
        EXPECT_EQ(client.error(), (Error{Errc::connect_timed_out, 0}));
        EXPECT_EQ(good->accept(Duration{}).error().code, Errc::io_timed_out);
        return;
    }
    GTEST_SKIP() << "the kernel accepted " << kMaxConnections
                 << " connections beyond a zero backlog, so no connect could be made to wait";
}

TEST(ConnectToAny, AnEmptyListIsAResolveFailure) {
    auto client = detail::connect_to_any(nullptr, monotonic_now() + kGenerous);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, Errc::resolve_failed);
}

}  // namespace
}  // namespace mqtls::port::posix
