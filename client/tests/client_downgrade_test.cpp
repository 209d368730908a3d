// Downgrade: a server that offers only what mqtls refuses (TLS 1.0 or 1.1, CBC suites without
// AEAD, static RSA key exchange) is refused before any MQTT byte, with the error that says so
// (tls_parameters_refused: permanent, exit 5, so a node does not retry it for ever). The server
// is OpenSSL's s_server, a foreign peer that can still be made to speak all of these.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "mqtls/host/process.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/process.hpp"

namespace mqtls::client {
namespace {

using namespace std::chrono_literals;

void write_text(const std::string& path, const std::string& text) {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr) << path;
    ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), file), text.size());
    ASSERT_EQ(std::fclose(file), 0);
}

// `openssl s_server` on 127.0.0.1 with the kernel's choice of port (it prints "ACCEPT
// 127.0.0.1:PORT" once listening), stopped by PID when the object goes.
class ForeignServer {
public:
    static std::optional<ForeignServer> start(const pki::Issued& identity,
                                              const mqtls::testing::TempDir& directory,
                                              const std::vector<std::string>& protocol) {
        write_text(directory.file("server.crt"), identity.certificate_pem);
        write_text(directory.file("server.key"), identity.private_key_pem);
        host::SpawnOptions options;
        options.argv = {"openssl",  "s_server",
                        "-accept",  "127.0.0.1:0",
                        "-naccept", "1",
                        "-cert",    directory.file("server.crt"),
                        "-key",     directory.file("server.key")};
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

struct Downgrade {
    const char* what;
    bool rsa_certificate;
    std::vector<std::string> server_protocol;
};

class ClientDowngrade : public ::testing::TestWithParam<Downgrade> {};

TEST_P(ClientDowngrade, IsRefusedBeforeAnyMqttAndNotRetried) {
    const Downgrade& downgrade = GetParam();
    auto root = pki::make_self_signed(pki::ca_request("downgrade test root"));
    ASSERT_TRUE(root);
    pki::CertificateRequest request = pki::server_request("127.0.0.1", {}, {"127.0.0.1"});
    if (downgrade.rsa_certificate) request.key_type = pki::KeyType::rsa_2048;
    auto identity = pki::issue(request, *root);
    ASSERT_TRUE(identity);
    auto directory = mqtls::testing::TempDir::create("mqtls-downgrade-");
    ASSERT_TRUE(directory);
    auto server = ForeignServer::start(*identity, *directory, downgrade.server_protocol);
    ASSERT_TRUE(server);

    ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server->port();
    options.trusted_roots_pem = root->certificate_pem;
    options.client_id = "device-1";
    options.tls_version = testing::tested_tls_version();
    options.connect_timeout = 5000ms;
    Client device;
    const auto connected = device.connect(options);
    ASSERT_FALSE(connected) << downgrade.what;
    EXPECT_EQ(connected.error().code, Errc::tls_parameters_refused)
        << downgrade.what << ": " << name(connected.error().code) << " "
        << connected.error().detail;
    EXPECT_TRUE(is_permanent(connected.error().code));
    EXPECT_FALSE(device.connected());
}

const Downgrade downgrades[] = {
    // OpenSSL 3 keeps TLS 1.0/1.1 behind security level 0.
    {"TLS 1.0 only", false, {"-tls1", "-cipher", "DEFAULT@SECLEVEL=0"}},
    {"TLS 1.1 only", false, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}},
    {"TLS 1.2 with CBC suites only (no AEAD)",
     false,
     {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA"}},
    {"TLS 1.2 with static RSA key exchange only",
     true,
     {"-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA"}},
};

std::string downgrade_name(const ::testing::TestParamInfo<Downgrade>& param) {
    static const char* const test_names[] = {"Tls10Only", "Tls11Only", "CbcOnly", "StaticRsaOnly"};
    return test_names[param.index];
}

INSTANTIATE_TEST_SUITE_P(ForeignServers, ClientDowngrade, ::testing::ValuesIn(downgrades),
                         downgrade_name);

}  // namespace
}  // namespace mqtls::client
