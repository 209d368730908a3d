#pragma once
/// @file
/// Loopback ports for CLI tests: one that is free to bind, whether something listens on one,
/// and a listener that never answers (a broker that hangs).
#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "mqtls/testing/process.hpp"

namespace mqtls::cli_test {

/// 127.0.0.1:`port` as a socket address.
sockaddr_in loopback(std::uint16_t port);

/// A port on 127.0.0.1 that nothing listens on right now: the kernel chose it for a socket that
/// is closed again (so a program told to listen there can, and a client connecting there is
/// refused).
std::uint16_t free_port();

/// Whether a TCP connection to 127.0.0.1:`port` is accepted right now.
bool accepts_tcp(std::uint16_t port);

/// A TCP listener on 127.0.0.1 that never accepts and never speaks: connections complete in the
/// kernel's backlog, so a client waits for a TLS ServerHello that never comes. Also tells whether
/// anyone connected (to check that a command refused its input before connecting). port() is 0
/// when the listener could not be set up (the test has already failed then).
class SilentListener {
public:
    SilentListener();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string port_text() const { return std::to_string(port_); }

    /// Whether a connection arrived since the last call (it is accepted and closed).
    bool was_connected();

private:
    testing::FileDescriptor socket_;
    std::uint16_t port_ = 0;
};

}  // namespace mqtls::cli_test
