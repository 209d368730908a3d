// Handshakes that must succeed, and what flows over them.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "mqtls/pki/certificate.hpp"
#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::handshake_pair;
using testing::server_options;
using testing::test_pki;
using testing::transfer;

ConfigOptions trusting_root() { return client_options(test_pki().root.certificate_pem); }

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
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    Engine& client = *p->client;
    Engine& server = *p->server;
    EXPECT_TRUE(client.handshake_done());

    const ConnectionInfo info = client.info();
    if (testing::testing_tls13()) {
        EXPECT_STREQ(info.protocol, "TLSv1.3");
        EXPECT_TRUE(info.tls13);
        EXPECT_NE(std::strstr(info.cipher_suite, "TLS1-3-"), nullptr) << info.cipher_suite;
    } else {
        EXPECT_STREQ(info.protocol, "TLSv1.2");
        EXPECT_FALSE(info.tls13);
        EXPECT_NE(std::strstr(info.cipher_suite, "ECDHE-ECDSA"), nullptr) << info.cipher_suite;
    }
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
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    std::uint8_t buffer[16];
    const auto n = p->client->read_plaintext(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);
}

TEST(TlsHandshake, RsaServerCertificateUsesEcdheRsa) {
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server_rsa), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    // TLS 1.3 suites do not name the key exchange; RSA-PSS signs its CertificateVerify.
    EXPECT_NE(std::strstr(p->client->info().cipher_suite,
                          testing::testing_tls13() ? "TLS1-3-" : "ECDHE-RSA"),
              nullptr)
        << p->client->info().cipher_suite;
}

TEST(TlsHandshake, IpLiteralsMatchIpAddressSubjectAltNames) {
    for (const char* address : {"127.0.0.1", "::1"}) {
        auto p = handshake_pair(trusting_root(), server_options(test_pki().server), address);
        EXPECT_TRUE(p->outcome.both_done()) << address;
    }
}

TEST(TlsHandshake, WildcardMatchesOneLabel) {
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "node7.wild.test");
    EXPECT_TRUE(p->outcome.both_done());
}

TEST(TlsHandshake, ChainThroughIntermediateSentByServer) {
    pki::Issued chained = test_pki().server_via_intermediate;
    chained.certificate_pem += test_pki().intermediate.certificate_pem;
    auto p = handshake_pair(trusting_root(), server_options(chained), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    EXPECT_EQ(p->client->info().peer_chain_length, 2u);
}

TEST(TlsHandshake, BundleOfTwoRootsTrustsEither) {
    // CA rotation: the device holds the old and the new root.
    const std::string bundle =
        test_pki().other_root.certificate_pem + test_pki().root.certificate_pem;
    for (const pki::Issued* identity : {&test_pki().server, &test_pki().server_other_ca}) {
        auto p = handshake_pair(client_options(bundle), server_options(*identity), "broker.test");
        EXPECT_TRUE(p->outcome.both_done());
    }
}

TEST(TlsHandshake, CorrectPinIsAccepted) {
    auto pin_hex = pki::spki_sha256_hex(test_pki().server.certificate_pem);
    ASSERT_TRUE(pin_hex);
    auto pin = parse_spki_pin(*pin_hex);
    ASSERT_TRUE(pin);
    ConfigOptions options = trusting_root();
    options.pinned_spki = {*pin};
    auto p = handshake_pair(options, server_options(test_pki().server), "broker.test");
    EXPECT_TRUE(p->outcome.both_done());
}

TEST(TlsHandshake, MutualTlsSendsOnlyLeafNeverTheRoot) {
    ConfigOptions client = trusting_root();
    // The device's file holds its certificate followed by the root; only the leaf may be sent.
    const std::string with_root =
        test_pki().client.certificate_pem + test_pki().root.certificate_pem;
    client.certificate_pem = with_root;
    client.private_key_pem = test_pki().client.private_key_pem;
    ConfigOptions server = server_options(test_pki().server);
    server.trusted_roots_pem = test_pki().root.certificate_pem;  // require client certificates
    auto p = handshake_pair(client, server, "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    EXPECT_EQ(p->server->info().peer_chain_length, 1u);
}

TEST(TlsHandshake, HeapIsAccountedPerConnection) {
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    ASSERT_TRUE(heap_accounting_active())
        << "the bundled mbedTLS is built with MBEDTLS_PLATFORM_MEMORY (tls/mbedtls-config)";
    EXPECT_GT(p->client_config.heap_usage().current, 0u);  // the parsed root, the DRBG
    const HeapUsage usage = p->client->heap_usage();
    std::printf(
        "client engine heap: peak %zu B, after handshake %zu B, %zu allocations; "
        "config %zu B\n",
        usage.peak, usage.current, usage.allocations, p->client_config.heap_usage().current);
    // Two 16 KiB record buffers at least, and the handshake peak above what stays afterwards.
    EXPECT_GT(usage.peak, 32u * 1024u);
    EXPECT_GE(usage.peak, usage.current);
    EXPECT_GT(usage.allocations, 0u);
    // Destroying the engine returns its memory to the account.
    p->client.reset();
}

TEST(TlsHandshake, InterruptedWriteResumesWithoutLosingOrDuplicatingBytes) {
    // mbedTLS finishes an interrupted record on the next write and then reports that call's
    // length as written; the Engine must make that the length of the interrupted write.
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    std::string sent;
    std::string stream;
    for (int i = 0; i < 40000; ++i) stream.push_back(static_cast<char>('a' + i % 26));
    std::size_t offset = 0;
    // Fill the Engine's output without draining it, until a write is interrupted.
    int interrupted = 0;
    for (int round = 0; round < 40 && interrupted == 0; ++round) {
        const std::size_t want = round == 0 ? 16384 : 100;
        auto n = p->client->write_plaintext(as_bytes(stream.data() + offset, want));
        ASSERT_TRUE(n);
        if (*n == 0) interrupted = round;
        offset += *n;
    }
    ASSERT_NE(interrupted, 0) << "the output never filled up";
    // Offering fewer bytes than the interrupted write is refused...
    EXPECT_FALSE(p->client->write_plaintext(as_bytes(stream.data() + offset, 50)));
    // ...and offering more, once there is room, takes exactly the interrupted 100 first.
    std::string received;
    std::uint8_t buffer[4096];
    for (int round = 0; round < 100 && offset < 20000; ++round) {
        transfer(*p->client, *p->server);
        for (int k = 0; k < 100; ++k) {
            auto n = p->server->read_plaintext(buffer);
            ASSERT_TRUE(n);
            if (*n == 0) break;
            received.append(reinterpret_cast<const char*>(buffer), *n);
        }
        auto n = p->client->write_plaintext(as_bytes(stream.data() + offset, 300));
        ASSERT_TRUE(n);
        offset += *n;
    }
    transfer(*p->client, *p->server);
    for (int k = 0; k < 100; ++k) {
        auto n = p->server->read_plaintext(buffer);
        ASSERT_TRUE(n);
        if (*n == 0) break;
        received.append(reinterpret_cast<const char*>(buffer), *n);
    }
    ASSERT_EQ(received.size(), offset);
    EXPECT_EQ(received, stream.substr(0, offset));
}

TEST(TlsHandshake, TamperedRecordIsRejected) {
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    const std::string text = "reading 21.5 C";
    ASSERT_TRUE(p->client->write_plaintext(as_bytes(text.data(), text.size())));
    const bytes_view record = p->client->pending_ciphertext();
    std::string copy(reinterpret_cast<const char*>(record.data()), record.size());
    copy[copy.size() - 3] ^= 0x01;  // inside the authentication tag
    p->client->consume_ciphertext(record.size());
    p->server->feed_ciphertext(as_bytes(copy.data(), copy.size()));
    std::uint8_t buffer[64];
    const auto n = p->server->read_plaintext(buffer);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Errc::tls_record_error);
}

TEST(TlsHandshake, CloseNotifyIsSeenAsClosed) {
    auto p = handshake_pair(trusting_root(), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    ASSERT_TRUE(p->server->close_notify());
    transfer(*p->server, *p->client);
    std::uint8_t buffer[16];
    const auto n = p->client->read_plaintext(buffer);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Errc::tls_closed);
}

}  // namespace
}  // namespace mqtls::tls
