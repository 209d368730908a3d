// Config::setup refuses what cannot work, each with its own error.
#include <gtest/gtest.h>

#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::test_pki;

Errc setup_error(const ConfigOptions& options) {
    Config config;
    const auto result = config.setup(options);
    return result ? Errc{} : result.error().code;
}

TEST(TlsConfig, ClientNeedsTrustedRoots) {
    EXPECT_EQ(setup_error(client_options("")), Errc::ca_bundle_invalid);
}

TEST(TlsConfig, GarbageBundleIsInvalid) {
    EXPECT_EQ(setup_error(client_options("not a certificate")), Errc::ca_bundle_invalid);
}

TEST(TlsConfig, KeyInsteadOfCertificateIsInvalidBundle) {
    // The classic mistake: --cafile pointing at a private key.
    EXPECT_EQ(setup_error(client_options(test_pki().root.private_key_pem)),
              Errc::ca_bundle_invalid);
}

TEST(TlsConfig, WallClockIsRequired) {
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.wall_clock = WallClock{};
    EXPECT_EQ(setup_error(options), Errc::invalid_argument);
}

TEST(TlsConfig, ClientKeyMustMatchCertificate) {
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.certificate_pem = test_pki().client.certificate_pem;
    options.private_key_pem = test_pki().client_other_ca.private_key_pem;
    EXPECT_EQ(setup_error(options), Errc::client_key_mismatch);
}

TEST(TlsConfig, KeyOfAnotherTypeOrRsaKeyIsCheckedToo) {
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.certificate_pem = test_pki().server_rsa.certificate_pem;
    options.private_key_pem = test_pki().client.private_key_pem;  // EC key, RSA certificate
    EXPECT_EQ(setup_error(options), Errc::client_key_mismatch);
    options.private_key_pem = test_pki().server_rsa.private_key_pem;  // the RSA pair
    Config config;
    EXPECT_TRUE(config.setup(options));
}

TEST(TlsConfig, UnreadableClientCertificateAndKey) {
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.certificate_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    options.private_key_pem = test_pki().client.private_key_pem;
    EXPECT_EQ(setup_error(options), Errc::client_certificate_invalid);
    options.certificate_pem = test_pki().client.certificate_pem;
    options.private_key_pem =
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    EXPECT_EQ(setup_error(options), Errc::client_key_invalid);
    options.private_key_pem = "";
    EXPECT_EQ(setup_error(options), Errc::client_key_invalid);
}

TEST(TlsConfig, ServerNeedsItsCertificate) {
    ConfigOptions options;
    options.role = Role::server;
    options.wall_clock = testing::real_clock();
    EXPECT_EQ(setup_error(options), Errc::invalid_argument);
}

TEST(TlsConfig, PinParsing) {
    auto pin = parse_spki_pin("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff");
    ASSERT_TRUE(pin);
    EXPECT_EQ((*pin)[0], 0x00);
    EXPECT_EQ((*pin)[10], 0xaa);
    EXPECT_EQ((*pin)[31], 0xff);
    EXPECT_FALSE(parse_spki_pin("0011"));
    EXPECT_FALSE(parse_spki_pin(std::string(63, 'a') + "g"));
}

TEST(TlsConfig, ClientNeedsNameToDial) {
    Config config;
    ASSERT_TRUE(config.setup(client_options(test_pki().root.certificate_pem)));
    Engine engine(config);
    const auto result = engine.start("");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

// The platform's entropy source seeds the random generator on its own: it is called, and a
// source that fails fails the set-up rather than leaving the generator unseeded.
struct CountingSource {
    int calls = 0;
    bool fail = false;
};

int counting_poll(void* context, unsigned char* output, std::size_t length, std::size_t* produced) {
    auto& source = *static_cast<CountingSource*>(context);
    ++source.calls;
    if (source.fail) return -1;
    for (std::size_t i = 0; i < length; ++i) output[i] = static_cast<unsigned char>(i * 37 + 11);
    *produced = length;
    return 0;
}

TEST(TlsConfig, PlatformEntropySeedsTheGenerator) {
    CountingSource source;
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.entropy = EntropySource{&counting_poll, &source};
    Config config;
    ASSERT_TRUE(config.setup(options));
    EXPECT_GT(source.calls, 0);
}

TEST(TlsConfig, FailingEntropySourceFailsTheSetup) {
    CountingSource source;
    source.fail = true;
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.entropy = EntropySource{&counting_poll, &source};
    EXPECT_EQ(setup_error(options), Errc::tls_setup_failed);
}

}  // namespace
}  // namespace mqtls::tls
