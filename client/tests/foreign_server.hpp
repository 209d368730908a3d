#pragma once
// `openssl s_server` as a foreign TLS peer for the client tests: it can be made to speak what an
// mbedTLS server will not (old versions, CBC suites, certificates mbedTLS cannot parse).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/host/process.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/process.hpp"

namespace mqtls::client::testing {

using namespace std::chrono_literals;

inline void write_text(const std::string& path, const std::string& text) {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr) << path;
    ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), file), text.size());
    ASSERT_EQ(std::fclose(file), 0);
}

// `openssl s_server` on 127.0.0.1 with the kernel's choice of port (it prints "ACCEPT
// 127.0.0.1:PORT" once listening), stopped by PID when the object goes.
class ForeignServer {
public:
    /// Serves `identity` (its certificate first; any further certificates of its PEM go out as
    /// the chain) with the s_server options `protocol`.
    static std::optional<ForeignServer> start(const pki::Issued& identity,
                                              const mqtls::testing::TempDir& directory,
                                              const std::vector<std::string>& protocol) {
        const std::string& pem = identity.certificate_pem;
        const std::string end = "-----END CERTIFICATE-----\n";
        const std::size_t first_end = pem.find(end);
        const std::size_t leaf_size =
            first_end == std::string::npos ? pem.size() : first_end + end.size();
        write_text(directory.file("server.crt"), pem.substr(0, leaf_size));
        write_text(directory.file("server.key"), identity.private_key_pem);
        const std::string rest = pem.substr(leaf_size);
        write_text(directory.file("chain.crt"), rest);
        host::SpawnOptions options;
        options.argv = {"openssl",  "s_server",
                        "-accept",  "127.0.0.1:0",
                        "-naccept", "1",
                        "-cert",    directory.file("server.crt"),
                        "-key",     directory.file("server.key")};
        if (rest.find("BEGIN CERTIFICATE") != std::string::npos) {
            options.argv.insert(options.argv.end(), {"-cert_chain", directory.file("chain.crt")});
        }
        options.argv.insert(options.argv.end(), protocol.begin(), protocol.end());
        // s_server ends at end of its input: a pipe that stays open keeps it serving.
        options.input = host::StreamOptions::pipe();
        options.output = host::StreamOptions::pipe();
        options.error = host::StreamOptions::to_fd(STDERR_FILENO);
        auto process = host::Process::spawn(options);
        if (!process) {
            ADD_FAILURE() << "openssl did not start: " << process.error().message();
            return std::nullopt;
        }
        ForeignServer server(std::move(*process));
        if (!server.await_port()) return std::nullopt;
        return server;
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    explicit ForeignServer(host::Process process) : process_(std::move(process)) {}

    bool await_port() {
        std::string output;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd ready{process_.output_fd(), POLLIN, 0};
            if (::poll(&ready, 1, 100) <= 0) continue;
            char buffer[256];
            const ssize_t n = ::read(process_.output_fd(), buffer, sizeof buffer);
            if (n <= 0) break;
            output.append(buffer, static_cast<std::size_t>(n));
            const std::size_t accept = output.find("ACCEPT 127.0.0.1:");
            const std::size_t end = output.find('\n', accept);
            if (accept != std::string::npos && end != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(output.substr(accept + 17)));
                return true;
            }
        }
        ADD_FAILURE() << "openssl s_server did not say where it listens: " << output;
        return false;
    }

    host::Process process_;
    std::uint16_t port_ = 0;
};

}  // namespace mqtls::client::testing
