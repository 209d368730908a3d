// A wake delivers its reading over verified TLS: what the device reported, what the broker
// delivered to a subscriber, and what crossed the wire.
#include <chrono>

#include "firmware_fixture.hpp"
#include "mqtls/testing/tls_records.hpp"

namespace mqtls::firmware_test {
namespace {

using WakeDelivery = FirmwareTest;

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST_F(WakeDelivery, FirstWakeDeliversItsReadingAfterAFullHandshake) {
    const std::int64_t before_ms = unix_now_ms();
    const FirmwareRun run = wake();
    ASSERT_EQ(run.exit_code, 0) << context(run);
    ASSERT_TRUE(run.has_report) << context(run);
    EXPECT_EQ(run.report["handshake"], "full");
    EXPECT_EQ(run.report["protocol"], "TLSv1.2");
    EXPECT_EQ(run.report["retained_was_blank"], true);
    EXPECT_EQ(run.report["delivered"], 1);
    EXPECT_EQ(run.report["first_seq"], 1);
    EXPECT_EQ(run.report["pending"], 0);

    const auto readings = readings_of(collect(1), device_id);
    ASSERT_EQ(readings.size(), 1U) << broker_->log();
    const nlohmann::json& reading = readings.begin()->second;
    EXPECT_EQ(reading["device"], device_id);
    EXPECT_EQ(reading["seq"], 1);
    // The device's wall clock comes from the host at boot (semihosting SYS_TIME, whole seconds).
    ASSERT_TRUE(reading["ts"].is_number_integer()) << reading.dump();
    const auto ts = reading["ts"].get<std::int64_t>();
    EXPECT_GE(ts, before_ms - 2000);
    EXPECT_LE(ts, unix_now_ms() + 2000);

    // One broker connection: a full TLS 1.2 handshake (the broker's Certificate in the clear),
    // then the MQTT bytes only as application data.
    const auto seen = connections();
    ASSERT_EQ(seen.size(), 1U);
    const auto flight = testing::summarize_server_flight(view(seen[0].from_broker));
    EXPECT_TRUE(flight.parsed) << flight.problem;
    EXPECT_TRUE(flight.certificate_seen);
    EXPECT_FALSE(flight.tls13);
    EXPECT_GE(testing::count_application_data_records(view(seen[0].to_broker)), 1U);
    // An orderly end: the device hung up, or the broker closed after its DISCONNECT (MQTT
    // 3.1.1 3.14.4) before the device's hang-up arrived; never a reset.
    EXPECT_TRUE(seen[0].end == testing::ConnectionEnd::hung_up ||
                seen[0].end == testing::ConnectionEnd::broker_closed)
        << testing::to_string(seen[0].end) << "\n"
        << bridge_->log();
}

TEST_F(WakeDelivery, ReadingsKeepTheirSequenceAcrossWakes) {
    for (int wake_number = 1; wake_number <= 3; ++wake_number) {
        const FirmwareRun run = wake();
        ASSERT_EQ(run.exit_code, 0) << "wake " << wake_number << "\n" << context(run);
        EXPECT_EQ(run.report["first_seq"], wake_number);
        EXPECT_EQ(run.report["retained_was_blank"], wake_number == 1);
    }
    const auto readings = readings_of(collect(3), device_id);
    ASSERT_EQ(readings.size(), 3U) << broker_->log();
    EXPECT_EQ(readings.begin()->first, 1U);
    EXPECT_EQ(readings.rbegin()->first, 3U);
}

// Mutual TLS: the device proves itself with a certificate from the broker's CA (its CN is its
// user name), no password.
class WakeMutualTls : public FirmwareTest {
protected:
    testing::BrokerOptions broker_options() override {
        testing::BrokerOptions options = FirmwareTest::broker_options();
        options.require_certificate = true;
        return options;
    }
};

TEST_F(WakeMutualTls, DeviceCertificateLogsInWithoutPassword) {
    auto files = broker_->write_client_certificate(device_id);
    ASSERT_TRUE(files) << name(files.error().code);
    const FirmwareRun run =
        wake({"cert=" + files->certificate_path, "key=" + files->key_path}, device_id,
             /*with_password=*/false);
    ASSERT_EQ(run.exit_code, 0) << context(run);
    EXPECT_EQ(run.report["delivered"], 1);
    EXPECT_NE(broker_->log().find(std::string("u'") + device_id + "'"), std::string::npos)
        << broker_->log();
}

TEST_F(WakeMutualTls, WithoutACertificateTheBrokerRefusesAndTheReadingStays) {
    const FirmwareRun run = wake({}, device_id, /*with_password=*/false);
    EXPECT_NE(run.exit_code, 0) << context(run);
    ASSERT_TRUE(run.has_report) << context(run);
    EXPECT_EQ(run.report["delivered"], 0);
    EXPECT_EQ(run.report["pending"], 1);
    EXPECT_TRUE(run.report.contains("error")) << run.report.dump();
}

TEST_F(WakeDelivery, WrongPasswordIsRefusedAndTheReadingStays) {
    const FirmwareRun run = wake({std::string("user=") + device_id, "pass=not-the-password"},
                                 device_id, /*with_password=*/false);
    EXPECT_EQ(run.exit_code, 5) << context(run);
    ASSERT_TRUE(run.has_report) << context(run);
    EXPECT_EQ(run.report["delivered"], 0);
    EXPECT_EQ(run.report["pending"], 1);
    EXPECT_EQ(run.report["error"], "broker_refused") << run.report.dump();

    // Once provisioned with the right password, the kept reading goes out first.
    const FirmwareRun fixed = wake();
    ASSERT_EQ(fixed.exit_code, 0) << context(fixed);
    EXPECT_EQ(fixed.report["delivered"], 2);
    const auto readings = readings_of(collect(2), device_id);
    EXPECT_EQ(readings.size(), 2U) << broker_->log();
    EXPECT_EQ(readings.count(1), 1U);
}

// A mistyped or repeated provisioning key is refused by name (exit status 2) before anything
// is dialed: silently ignoring it would run the device with a default it was not given.
TEST_F(WakeDelivery, UnknownProvisioningKeyIsRefusedByName) {
    const FirmwareRun run = wake({"sesion-key=" + session_key_file_});
    EXPECT_EQ(run.exit_code, 2) << context(run);
    EXPECT_NE(run.output.find("'sesion-key'"), std::string::npos) << run.output;
    EXPECT_TRUE(connections().empty()) << bridge_->log();
}

TEST_F(WakeDelivery, RepeatedProvisioningKeyIsRefusedByName) {
    const std::string retained = create_retained_memory(target_, dir_->path(), device_id);
    const FirmwareRun run =
        run_firmware(target_, target_.wake_elf, bridge_->port(), retained,
                     {"host=localhost", "port=" + std::to_string(broker_->tls_port()),
                      std::string("id=") + device_id, "ca=" + ca_file_, "tls=1.2", "tls=1.3"});
    EXPECT_EQ(run.exit_code, 2) << context(run);
    EXPECT_NE(run.output.find("'tls'"), std::string::npos) << run.output;
    EXPECT_TRUE(connections().empty()) << bridge_->log();
}

}  // namespace
}  // namespace mqtls::firmware_test
