// What the lean device profile (MQTLS_DEVICE_TLS_PROFILE=lean, tls/mbedtls-config/
// device_lean_profile.h) gives up, it refuses by name: TLS 1.3 before anything is dialed, an
// RSA broker during the handshake (no suite in common) and an RSA root at set-up, never by
// accepting less. The rest of
// the firmware suite runs on the lean image too (its TLS 1.2 cases); firmware/tests/
// CMakeLists.txt registers these cases for cortex-m4-lean only.
#include "firmware_fixture.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/tls_records.hpp"

namespace mqtls::firmware_test {
namespace {

constexpr int exit_permanent = 5;

class LeanProfile : public FirmwareTest {};

TEST_F(LeanProfile, Tls13IsRefusedByNameAndTheReadingStays) {
    const FirmwareRun refused = wake({"tls=1.3"});
    EXPECT_EQ(refused.exit_code, exit_permanent) << context(refused);
    EXPECT_NE(refused.output.find("tls13_unavailable"), std::string::npos) << refused.output;
    EXPECT_TRUE(connections().empty()) << bridge_->log();

    // auto means TLS 1.2 here, and the kept reading goes out with the new one.
    const FirmwareRun fixed = wake({"tls=auto"});
    ASSERT_EQ(fixed.exit_code, 0) << context(fixed);
    EXPECT_EQ(fixed.report["tls_profile"], "lean");
    EXPECT_EQ(fixed.report["protocol"], "TLSv1.2");
    EXPECT_EQ(fixed.report["delivered"], 2);
    EXPECT_EQ(readings_of(collect(2), device_id).size(), 2U) << broker_->log();
}

TEST_F(LeanProfile, AlpnIsRefusedByNameBeforeAnythingIsDialed) {
    const FirmwareRun refused = wake({"alpn=x-amzn-mqtt-ca"});
    EXPECT_EQ(refused.exit_code, exit_permanent) << context(refused);
    EXPECT_NE(refused.output.find("alpn_unavailable"), std::string::npos) << refused.output;
    EXPECT_TRUE(connections().empty()) << bridge_->log();
}

// A broker with an RSA-2048 key: its CA's key is RSA too when the test says so.
class LeanProfileRsaBroker : public FirmwareTest {
protected:
    virtual bool rsa_root() const { return false; }

    testing::BrokerOptions broker_options() override {
        testing::BrokerOptions options = FirmwareTest::broker_options();
        auto ca_request = pki::ca_request("mqtls test CA");
        if (rsa_root()) ca_request.key_type = pki::KeyType::rsa_2048;
        auto ca = pki::make_self_signed(ca_request);
        if (!ca) {
            ADD_FAILURE() << "no CA: " << name(ca.error().code);
            return options;
        }
        auto server_request = pki::server_request("localhost", {"localhost"}, {"127.0.0.1"});
        server_request.key_type = pki::KeyType::rsa_2048;
        auto server = pki::issue(server_request, *ca);
        if (!server) {
            ADD_FAILURE() << "no RSA server certificate: " << name(server.error().code);
            return options;
        }
        options.pki = testing::BrokerPki{std::move(*ca), std::move(*server)};
        return options;
    }
};

// The ECDSA root is usable, the broker's RSA key is not: the broker finds no ECDHE-ECDSA suite
// for its certificate and the handshake ends before any application data.
TEST_F(LeanProfileRsaBroker, IsRefusedBeforeAnyMqttByteAndTheReadingStays) {
    const FirmwareRun run = wake({"tls=1.2"});
    EXPECT_EQ(run.exit_code, exit_permanent) << context(run);
    ASSERT_TRUE(run.has_report) << context(run);
    EXPECT_EQ(run.report["delivered"], 0);
    EXPECT_EQ(run.report["pending"], 1);
    EXPECT_EQ(run.report["error"], "tls_parameters_refused") << run.report.dump();
    const auto seen = connections();
    ASSERT_FALSE(seen.empty()) << bridge_->log();
    for (const auto& shape : testing::record_shapes(view(seen.back().to_broker))) {
        EXPECT_NE(shape.type, 23) << testing::describe_records(view(seen.back().to_broker));
    }
    EXPECT_EQ(broker_->log().find(std::string(" as ") + device_id + " ("), std::string::npos)
        << broker_->log();
}

class LeanProfileRsaRoot : public LeanProfileRsaBroker {
protected:
    bool rsa_root() const override { return true; }
};

// An RSA root cannot verify anything here, so the device refuses it at set-up, before dialing.
TEST_F(LeanProfileRsaRoot, IsRefusedAtSetUpByName) {
    const FirmwareRun run = wake({"tls=1.2"});
    EXPECT_EQ(run.exit_code, exit_permanent) << context(run);
    EXPECT_NE(run.output.find("ca_bundle_invalid"), std::string::npos) << run.output;
    EXPECT_TRUE(connections().empty()) << bridge_->log();
}

}  // namespace
}  // namespace mqtls::firmware_test
