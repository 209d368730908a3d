// Security against a real Mosquitto: mutual TLS, and refusals with forged certificates.
#include "client_test_support.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::client {
namespace {

using namespace testing;
using mqtt::QoS;

mqtls::testing::BrokerOptions certificate_broker_options() {
    mqtls::testing::BrokerOptions options;
    options.require_certificate = true;  // use_identity_as_username: the CN is the user
    options.acl = telemetry_acl;
    return options;
}

TEST(ClientSecurity, ClientCertificateIdentifiesTheDevice) {
    auto broker = start_broker(certificate_broker_options());
    ASSERT_TRUE(broker);
    const auto identity = broker->issue_client_certificate("device-1");
    ASSERT_TRUE(identity);
    ClientOptions options;
    options.tls_version = testing::tested_tls_version();
    options.host = "127.0.0.1";
    options.port = broker->tls_port();
    options.trusted_roots_pem = broker->ca_pem();
    options.certificate_pem = identity->certificate_pem;
    options.private_key_pem = identity->private_key_pem;
    options.client_id = "device-1";
    Client device;
    const auto connected = device.connect(options);
    ASSERT_TRUE(connected) << connected.error().message() << "\n" << broker->log();
    // The ACL applies to the certificate's CN as the user: status/device-1 is readable and
    // writable only for user device-1, so our own message comes back.
    ASSERT_TRUE(device.subscribe({{"status/device-1", QoS::at_least_once}}));
    EXPECT_TRUE(device.publish("status/device-1", "online", QoS::at_least_once));
    const auto message = next_message(device, 5000ms);
    ASSERT_TRUE(message) << broker->log();
    EXPECT_EQ(message->payload, "online");
}

TEST(ClientSecurity, MissingClientCertificateIsRefused) {
    auto broker = start_broker(certificate_broker_options());
    ASSERT_TRUE(broker);
    ClientOptions options;
    options.tls_version = testing::tested_tls_version();
    options.host = "127.0.0.1";
    options.port = broker->tls_port();
    options.trusted_roots_pem = broker->ca_pem();
    options.client_id = "device-1";
    options.connect_timeout = 5000ms;
    Client device;
    const auto connected = device.connect(options);
    ASSERT_FALSE(connected);
    // Mosquitto (OpenSSL) refuses with a fatal alert. TLS 1.2 has no certificate_required
    // alert, so it sends handshake_failure (40), and the client saw the CertificateRequest it
    // could not answer; TLS 1.3 sends certificate_required (116, RFC 8446 4.4.2.4) after our
    // Finished. Either way the client says why.
    if (testing::testing_tls13() && connected.error().code == Errc::connection_reset) {
        // A known TLS 1.3 race, not yet solved: the alert comes after our Finished, when our
        // CONNECT is already on its way; Mosquitto closes with that CONNECT unread, its kernel
        // answers with a reset, and ours may drop the alert that arrived before it.
        EXPECT_FALSE(device.connected());
        return;
    }
    EXPECT_EQ(connected.error().code, Errc::client_certificate_required)
        << connected.error().message();
    EXPECT_EQ(connected.error().detail, testing::testing_tls13() ? 116 : 40);
    EXPECT_FALSE(device.connected());
}

TEST(ClientSecurity, BrokerCertificateOfAnotherCaIsRefused) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    auto other_ca = pki::make_self_signed(pki::ca_request("attacker CA"));
    ASSERT_TRUE(other_ca);
    ClientOptions options = device_options(*broker);
    options.trusted_roots_pem = other_ca->certificate_pem;
    Client device;
    const auto connected = device.connect(options);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::certificate_untrusted);
    // The broker never saw a CONNECT, so the password never left the device.
    EXPECT_EQ(broker->log().find("device-1"), std::string::npos) << broker->log();
}

TEST(ClientSecurity, WrongPinIsRefusedBeforeAnyMqtt) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    ClientOptions options = device_options(*broker);
    tls::SpkiSha256 wrong{};
    wrong.fill(0x42);
    options.pinned_spki = {wrong};
    Client device;
    const auto connected = device.connect(options);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::pin_mismatch);
}

}  // namespace
}  // namespace mqtls::client
