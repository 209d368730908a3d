// The device refuses a broker it cannot verify (RFC 5280 path validation, RFC 6125 name check)
// before any MQTT byte leaves it: the wake fails closed (exit status 5, a permanent error), the
// broker never sees a client, and the reading stays in the outbox for a wake that can verify.
#include "firmware_fixture.hpp"
#include "mqtls/testing/tls_records.hpp"

namespace mqtls::firmware_test {
namespace {

using namespace std::chrono_literals;

constexpr int exit_permanent = 5;

// TLS 1.3 encrypts the client's alert under the handshake keys, so a refusal there may show as
// one application_data record: an alert's size (2 bytes + content type + 16-byte AEAD tag).
constexpr std::size_t encrypted_alert_record = 2 + 1 + 16;

class WakeRefusal : public FirmwareTest {
protected:
    // Checks a refused wake: the run, the capture, the broker log, and the kept reading.
    void expect_refused(const FirmwareRun& run, bool tls13) {
        EXPECT_EQ(run.exit_code, exit_permanent) << context(run);
        ASSERT_TRUE(run.has_report) << context(run);
        EXPECT_EQ(run.report["delivered"], 0);
        EXPECT_EQ(run.report["pending"], 1);
        EXPECT_TRUE(run.report.contains("error")) << run.report.dump();
        const auto seen = connections();
        ASSERT_FALSE(seen.empty()) << bridge_->log();
        const auto& to_broker = seen.back().to_broker;
        const auto shapes = testing::record_shapes(view(to_broker));
        std::size_t application_data = 0;
        for (const auto& shape : shapes) {
            if (shape.type != 23) continue;
            ++application_data;
            EXPECT_LE(shape.length, encrypted_alert_record)
                << testing::describe_records(view(to_broker));
        }
        EXPECT_LE(application_data, tls13 ? 1U : 0U) << testing::describe_records(view(to_broker));
        // The broker never saw an MQTT client dev-1 (the collector's connection is in the log).
        EXPECT_EQ(broker_->log().find(std::string(" as ") + device_id + " ("), std::string::npos)
            << broker_->log();
    }

    // The kept reading goes out, with the new one, once the device can verify the broker.
    void expect_delivered_after_fix() {
        const FirmwareRun fixed = wake();
        ASSERT_EQ(fixed.exit_code, 0) << context(fixed);
        EXPECT_EQ(fixed.report["delivered"], 2);
        const auto readings = readings_of(collect(2), device_id);
        EXPECT_EQ(readings.size(), 2U) << broker_->log();
        EXPECT_EQ(readings.count(1), 1U);
    }

    std::string other_ca_file() {
        auto other = testing::BrokerPki::generate();
        if (!other) return {};
        return write_file("other-ca.crt", other->ca.certificate_pem);
    }
};

TEST_F(WakeRefusal, BrokerCertificateFromAnotherCaTls12) {
    const std::string other_ca = other_ca_file();
    ASSERT_FALSE(other_ca.empty());
    expect_refused(wake({"ca=" + other_ca, "tls=1.2"}), /*tls13=*/false);
    expect_delivered_after_fix();
}

TEST_F(WakeRefusal, BrokerCertificateFromAnotherCaTls13) {
    const std::string other_ca = other_ca_file();
    ASSERT_FALSE(other_ca.empty());
    expect_refused(wake({"ca=" + other_ca, "tls=1.3"}), /*tls13=*/true);
    expect_delivered_after_fix();
}

TEST_F(WakeRefusal, NameTheCertificateDoesNotCarry) {
    expect_refused(wake({"host=wrong-name.test"}), /*tls13=*/false);
    expect_delivered_after_fix();
}

TEST_F(WakeRefusal, VerifyNameStandsInForTheNameDialed) {
    // The override is what is checked: the right host under a wrong verify-name is refused.
    expect_refused(wake({"verify-name=wrong-name.test"}), /*tls13=*/false);
    // Dialed under a name the certificate lacks (a tunnel's), verified as the one it has; the
    // kept reading goes out with the new one.
    const FirmwareRun tunnel = wake({"host=wrong-name.test", "verify-name=localhost"});
    ASSERT_EQ(tunnel.exit_code, 0) << context(tunnel);
    EXPECT_EQ(tunnel.report["verified_name"], "localhost");
    EXPECT_EQ(tunnel.report["delivered"], 2);
}

class WakeRefusesExpired : public WakeRefusal {
protected:
    // mosquitto_sub verifies the broker too: no collector against an expired certificate.
    bool with_collector() const override { return false; }

    testing::BrokerOptions broker_options() override {
        testing::BrokerOptions options = FirmwareTest::broker_options();
        auto pki = testing::BrokerPki::generate();
        auto request = pki::server_request("localhost", {"localhost"}, {"127.0.0.1"});
        request.validity = pki::Validity::relative_to_now(-48h, -24h);
        auto expired = pki ? pki::issue(request, pki->ca) : Result<pki::Issued>(pki.error());
        if (!expired) {
            ADD_FAILURE() << "no expired certificate: " << name(expired.error().code);
            return options;
        }
        pki->server = std::move(*expired);
        options.pki = std::move(*pki);
        return options;
    }
};

TEST_F(WakeRefusesExpired, BrokerCertificatePastItsNotAfter) {
    const FirmwareRun run = wake();
    expect_refused(run, /*tls13=*/false);
    EXPECT_EQ(run.report["error"], "certificate_expired") << run.report.dump();
}

}  // namespace
}  // namespace mqtls::firmware_test
