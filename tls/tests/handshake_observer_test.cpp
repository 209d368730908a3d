// The observer that tells whether the server asked for a client certificate: at the byte level
// (records and handshake messages split anywhere, bytes after ChangeCipherSpec ignored), and
// through a real in-memory handshake against a server that requires a certificate.
#include "handshake_observer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using detail::HandshakeObserver;
using testing::handshake_pair;
using testing::server_options;
using testing::test_pki;

using Bytes = std::vector<std::uint8_t>;

// One TLS 1.2 record (RFC 5246 6.2.1) of `type` around `fragment`.
Bytes record(std::uint8_t type, const Bytes& fragment) {
    Bytes out = {type, 0x03, 0x03, static_cast<std::uint8_t>(fragment.size() >> 8),
                 static_cast<std::uint8_t>(fragment.size())};
    out.insert(out.end(), fragment.begin(), fragment.end());
    return out;
}

// One handshake message (RFC 5246 7.4) of `type` with a body of `length` bytes of `fill`.
Bytes message(std::uint8_t type, std::size_t length, std::uint8_t fill) {
    Bytes out = {type, static_cast<std::uint8_t>(length >> 16),
                 static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
    out.insert(out.end(), length, fill);
    return out;
}

Bytes join(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

constexpr std::uint8_t handshake = 22;
constexpr std::uint8_t change_cipher_spec = 20;
constexpr std::uint8_t certificate_request = 13;

void feed_one_byte_at_a_time(HandshakeObserver& observer, const Bytes& bytes) {
    for (const std::uint8_t byte : bytes) observer.observe(bytes_view(&byte, 1));
}

TEST(TlsHandshakeObserver, SeesACertificateRequestSplitAcrossRecords) {
    // ServerHello, Certificate (whose body is full of 0x0d bytes: not message headers), then
    // CertificateRequest cut in two records.
    const Bytes flight = join({message(2, 70, 0x01), message(11, 300, certificate_request),
                               message(certificate_request, 8, 0x00), message(14, 0, 0)});
    const Bytes first(flight.begin(), flight.begin() + 380);
    const Bytes second(flight.begin() + 380, flight.end());
    HandshakeObserver observer;
    feed_one_byte_at_a_time(observer, join({record(handshake, first), record(handshake, second)}));
    EXPECT_TRUE(observer.certificate_requested());
}

TEST(TlsHandshakeObserver, BodiesThatLookLikeHeadersAreNotMistaken) {
    HandshakeObserver observer;
    const Bytes flight = join({message(2, 70, certificate_request),
                               message(11, 1000, certificate_request), message(14, 0, 0)});
    observer.observe(bytes_view(record(handshake, flight).data(), flight.size() + 5));
    EXPECT_FALSE(observer.certificate_requested());
}

TEST(TlsHandshakeObserver, StopsAtTheServersChangeCipherSpec) {
    // After ChangeCipherSpec the bytes are ciphertext: a 0x0d there means nothing.
    HandshakeObserver observer;
    const Bytes stream = join(
        {record(change_cipher_spec, {1}), record(handshake, message(certificate_request, 4, 0))});
    observer.observe(bytes_view(stream.data(), stream.size()));
    EXPECT_FALSE(observer.certificate_requested());
}

TEST(TlsHandshakeObserver, ServerRequiringACertificateRefusesAClientWithoutOne) {
    if (testing::testing_tls13()) {
        GTEST_SKIP() << "TLS 1.2 only: a TLS 1.3 CertificateRequest is encrypted, and the "
                        "refusal is the certificate_required alert (TlsVerification tests it)";
    }
    ConfigOptions server = server_options(test_pki().server);
    server.trusted_roots_pem = test_pki().root.certificate_pem;  // client certificates required
    auto p = handshake_pair(testing::client_options(test_pki().root.certificate_pem), server,
                            "broker.test");
    ASSERT_FALSE(p->outcome.server) << "the server refuses a client without a certificate";
    // mbedTLS's server just stops; the client knows why a close would come now.
    EXPECT_TRUE(p->client->client_certificate_missing());
    // OpenSSL's (Mosquitto's) sends a fatal handshake_failure alert (RFC 5246 7.2): a record
    // of type 21, level 2, description 40, here in the clear as before ChangeCipherSpec.
    const std::uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
    ASSERT_EQ(p->client->feed_ciphertext(bytes_view(alert, sizeof alert)), sizeof alert);
    const Result<bool> client = p->client->handshake();
    ASSERT_FALSE(client) << "the alert must fail the client";
    EXPECT_EQ(client.error().code, Errc::client_certificate_required)
        << name(client.error().code) << " " << client.error().detail;
    EXPECT_EQ(client.error().detail, 40);
}

TEST(TlsHandshakeObserver, CertificateRequiredAlertIsACertificateRefusal) {
    // certificate_required (116, RFC 8446 6.2) says it outright, whatever was observed.
    Config config;
    ASSERT_TRUE(config.setup(testing::client_options(test_pki().root.certificate_pem)));
    Engine client(config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(client.handshake());  // the ClientHello is out
    const std::uint8_t alert[] = {21, 3, 3, 0, 2, 2, 116};
    ASSERT_EQ(client.feed_ciphertext(bytes_view(alert, sizeof alert)), sizeof alert);
    const Result<bool> refused = client.handshake();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::client_certificate_required);
    EXPECT_EQ(refused.error().detail, 116);
}

TEST(TlsHandshakeObserver, OtherAlertsStayPeerAlerts) {
    Config config;
    ASSERT_TRUE(config.setup(testing::client_options(test_pki().root.certificate_pem)));
    Engine client(config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(client.handshake());
    const std::uint8_t alert[] = {21, 3, 3, 0, 2, 2, 80};  // internal_error, no request came
    ASSERT_EQ(client.feed_ciphertext(bytes_view(alert, sizeof alert)), sizeof alert);
    const Result<bool> refused = client.handshake();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::peer_alert);
    EXPECT_EQ(refused.error().detail, 80);
}

TEST(TlsHandshakeObserver, HandshakeFailureInAnswerToTheClientHelloRefusesOurParameters) {
    // Before any ServerHello, handshake_failure means "no version or suite in common" (what
    // OpenSSL answers a client it shares no cipher with): permanent, not a network error.
    Config config;
    ASSERT_TRUE(config.setup(testing::client_options(test_pki().root.certificate_pem)));
    Engine client(config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(client.handshake());
    const std::uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
    ASSERT_EQ(client.feed_ciphertext(bytes_view(alert, sizeof alert)), sizeof alert);
    const Result<bool> refused = client.handshake();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::tls_parameters_refused);
    EXPECT_EQ(refused.error().detail, 40);
}

TEST(TlsHandshakeObserver, AClientWithACertificateIsNotReportedAsMissingOne) {
    ConfigOptions client = testing::client_options(test_pki().root.certificate_pem);
    client.certificate_pem = test_pki().client.certificate_pem;
    client.private_key_pem = test_pki().client.private_key_pem;
    ConfigOptions server = server_options(test_pki().server);
    server.trusted_roots_pem = test_pki().root.certificate_pem;
    auto p = handshake_pair(client, server, "broker.test");
    EXPECT_TRUE(p->outcome.both_done());
    EXPECT_FALSE(p->client->client_certificate_missing());
}

}  // namespace
}  // namespace mqtls::tls
