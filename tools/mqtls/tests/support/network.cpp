#include "network.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

namespace mqtls::cli_test {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

std::uint16_t free_port() {
    const testing::FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = loopback(0);
    EXPECT_EQ(::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    return ntohs(address.sin_port);
}

bool accepts_tcp(std::uint16_t port) {
    const testing::FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in address = loopback(port);
    return ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
           0;
}

SilentListener::SilentListener() : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    const bool listening =
        socket_.get() >= 0 &&
        ::bind(socket_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::listen(socket_.get(), 16) == 0 &&
        ::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0;
    EXPECT_TRUE(listening) << "no silent listener on 127.0.0.1";
    if (listening) port_ = ntohs(address.sin_port);
}

bool SilentListener::was_connected() {
    pollfd entry{socket_.get(), POLLIN, 0};
    if (::poll(&entry, 1, 0) <= 0) return false;
    const testing::FileDescriptor connection(
        ::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return true;
}

}  // namespace mqtls::cli_test
