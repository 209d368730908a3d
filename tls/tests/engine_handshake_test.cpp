// Handshakes that must succeed, and what flows over them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "mqtls/pki/certificate.hpp"
#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::run_handshake;
using testing::server_options;
using testing::test_pki;
using testing::transfer;

struct Pair {
    Config client_config;
    Config server_config;
};

void expect_setup(Config& config, const ConfigOptions& options) {
    const auto result = config.setup(options);
    ASSERT_TRUE(result) << result.error().message();
}

std::string read_all(Engine& engine, std::size_t expected) {
    std::string text;
    std::uint8_t buffer[512];
    for (int i = 0; i < 20 && text.size() < expected; ++i) {
        auto n = engine.read_plaintext(buffer);
        if (!n || *n == 0) break;
        text.append(reinterpret_cast<const char*>(buffer), *n);
    }
    return text;
}

TEST(TlsHandshake, EcdsaServerByDnsNameThenDataBothWays) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    const auto outcome = run_handshake(client, server);
    ASSERT_TRUE(outcome.both_done());
    EXPECT_TRUE(client.handshake_done());

    const ConnectionInfo info = client.info();
    EXPECT_STREQ(info.protocol, "TLSv1.2");
    EXPECT_NE(std::strstr(info.cipher_suite, "ECDHE-ECDSA"), nullptr) << info.cipher_suite;
    EXPECT_TRUE(std::strstr(info.cipher_suite, "GCM") != nullptr ||
                std::strstr(info.cipher_suite, "CHACHA20") != nullptr)
        << info.cipher_suite;
    EXPECT_EQ(info.verified_name, "broker.test");

    const std::string hello = "CONNECT from the device";
    auto written = client.write_plaintext(as_bytes(hello.data(), hello.size()));
    ASSERT_TRUE(written);
    EXPECT_EQ(*written, hello.size());
    transfer(client, server);
    EXPECT_EQ(read_all(server, hello.size()), hello);

    const std::string reply = "CONNACK from the broker";
    ASSERT_TRUE(server.write_plaintext(as_bytes(reply.data(), reply.size())));
    transfer(server, client);
    EXPECT_EQ(read_all(client, reply.size()), reply);
}

TEST(TlsHandshake, ReadWithoutDataReturnsZeroNotError) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    std::uint8_t buffer[16];
    const auto n = client.read_plaintext(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);
}

TEST(TlsHandshake, RsaServerCertificateUsesEcdheRsa) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server_rsa));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    EXPECT_NE(std::strstr(client.info().cipher_suite, "ECDHE-RSA"), nullptr)
        << client.info().cipher_suite;
}

TEST(TlsHandshake, IpLiteralsMatchIpAddressSubjectAltNames) {
    for (const char* address : {"127.0.0.1", "::1"}) {
        Pair p;
        expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
        expect_setup(p.server_config, server_options(test_pki().server));
        Engine client(p.client_config);
        Engine server(p.server_config);
        ASSERT_TRUE(client.start(address));
        ASSERT_TRUE(server.start(""));
        EXPECT_TRUE(run_handshake(client, server).both_done()) << address;
    }
}

TEST(TlsHandshake, WildcardMatchesOneLabel) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("node7.wild.test"));
    ASSERT_TRUE(server.start(""));
    EXPECT_TRUE(run_handshake(client, server).both_done());
}

TEST(TlsHandshake, ChainThroughIntermediateSentByServer) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    pki::Issued chained = test_pki().server_via_intermediate;
    chained.certificate_pem += test_pki().intermediate.certificate_pem;
    expect_setup(p.server_config, server_options(chained));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    EXPECT_EQ(client.info().peer_chain_length, 2u);
}

TEST(TlsHandshake, BundleOfTwoRootsTrustsEither) {
    // CA rotation: the device holds the old and the new root.
    const std::string bundle =
        test_pki().other_root.certificate_pem + test_pki().root.certificate_pem;
    for (const pki::Issued* identity : {&test_pki().server, &test_pki().server_other_ca}) {
        Pair p;
        expect_setup(p.client_config, client_options(bundle));
        expect_setup(p.server_config, server_options(*identity));
        Engine client(p.client_config);
        Engine server(p.server_config);
        ASSERT_TRUE(client.start("broker.test"));
        ASSERT_TRUE(server.start(""));
        EXPECT_TRUE(run_handshake(client, server).both_done());
    }
}

TEST(TlsHandshake, CorrectPinIsAccepted) {
    auto pin_hex = pki::spki_sha256_hex(test_pki().server.certificate_pem);
    ASSERT_TRUE(pin_hex);
    auto pin = parse_spki_pin(*pin_hex);
    ASSERT_TRUE(pin);
    Pair p;
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.pinned_spki = {*pin};
    expect_setup(p.client_config, options);
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    EXPECT_TRUE(run_handshake(client, server).both_done());
}

TEST(TlsHandshake, MutualTlsSendsOnlyLeafNeverTheRoot) {
    Pair p;
    ConfigOptions client = client_options(test_pki().root.certificate_pem);
    // The device's file holds its certificate followed by the root; only the leaf may be sent.
    const std::string with_root =
        test_pki().client.certificate_pem + test_pki().root.certificate_pem;
    client.certificate_pem = with_root;
    client.private_key_pem = test_pki().client.private_key_pem;
    expect_setup(p.client_config, client);
    ConfigOptions server = server_options(test_pki().server);
    server.trusted_roots_pem = test_pki().root.certificate_pem;  // require client certificates
    expect_setup(p.server_config, server);
    Engine client_engine(p.client_config);
    Engine server_engine(p.server_config);
    ASSERT_TRUE(client_engine.start("broker.test"));
    ASSERT_TRUE(server_engine.start(""));
    ASSERT_TRUE(run_handshake(client_engine, server_engine).both_done());
    EXPECT_EQ(server_engine.info().peer_chain_length, 1u);
}

TEST(TlsHandshake, HeapIsAccountedPerConnection) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    // The wrappers report themselves once mbedTLS has allocated through them (setup did).
    ASSERT_TRUE(heap_accounting_active()) << "the tests link the tls layer with --wrap=calloc";
    EXPECT_GT(p.client_config.heap_usage().current, 0u);  // the parsed root, the DRBG
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    const HeapUsage usage = client.heap_usage();
    // Two 16 KiB record buffers at least, and the handshake peak above what stays afterwards.
    EXPECT_GT(usage.peak, 32u * 1024u);
    EXPECT_GE(usage.peak, usage.current);
    EXPECT_GT(usage.allocations, 0u);
}

TEST(TlsHandshake, TamperedRecordIsRejected) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    const std::string text = "reading 21.5 C";
    ASSERT_TRUE(client.write_plaintext(as_bytes(text.data(), text.size())));
    const bytes_view record = client.pending_ciphertext();
    std::string copy(reinterpret_cast<const char*>(record.data()), record.size());
    copy[copy.size() - 3] ^= 0x01;  // inside the authentication tag
    client.consume_ciphertext(record.size());
    server.feed_ciphertext(as_bytes(copy.data(), copy.size()));
    std::uint8_t buffer[64];
    const auto n = server.read_plaintext(buffer);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Errc::tls_record_error);
}

TEST(TlsHandshake, CloseNotifyIsSeenAsClosed) {
    Pair p;
    expect_setup(p.client_config, client_options(test_pki().root.certificate_pem));
    expect_setup(p.server_config, server_options(test_pki().server));
    Engine client(p.client_config);
    Engine server(p.server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    ASSERT_TRUE(run_handshake(client, server).both_done());
    ASSERT_TRUE(server.close_notify());
    transfer(server, client);
    std::uint8_t buffer[16];
    const auto n = client.read_plaintext(buffer);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Errc::tls_closed);
}

}  // namespace
}  // namespace mqtls::tls
