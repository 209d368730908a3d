// Downgrade: a server that offers only what mqtls refuses (TLS 1.0 or 1.1, CBC suites without
// AEAD, static RSA key exchange) is refused before any MQTT byte, with the error that says so
// (tls_parameters_refused: permanent, exit 5, so a node does not retry it for ever). The server
// is OpenSSL's s_server, a foreign peer that can still be made to speak all of these.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "foreign_server.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/process.hpp"

namespace mqtls::client {
namespace {

using namespace std::chrono_literals;

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
    auto server = testing::ForeignServer::start(*identity, *directory, downgrade.server_protocol);
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
