// The TLS session survives deep sleep in retained memory, sealed with the device's key: the
// second wake resumes it, which the broker's own flight proves (no Certificate in TLS 1.2's
// abbreviated handshake; pre_shared_key accepted in TLS 1.3's ServerHello), at a fraction of
// the full handshake's instructions.
#include "firmware_fixture.hpp"
#include "mqtls/testing/tls_records.hpp"

namespace mqtls::firmware_test {
namespace {

using WakeResumption = FirmwareTest;

std::uint64_t work_instructions(const FirmwareRun& run) {
    return run.report.value("work_instructions", std::uint64_t{0});
}

TEST_F(WakeResumption, Tls12SessionIdResumesOnTheNextWake) {
    const FirmwareRun first = wake({"tls=1.2"});
    ASSERT_EQ(first.exit_code, 0) << context(first);
    EXPECT_EQ(first.report["handshake"], "full");
    const FirmwareRun second = wake({"tls=1.2"});
    ASSERT_EQ(second.exit_code, 0) << context(second);
    EXPECT_EQ(second.report["handshake"], "resumed") << second.report.dump();
    EXPECT_EQ(second.report["session_offered"], true);

    const auto seen = connections();
    ASSERT_EQ(seen.size(), 2U);
    const auto full = testing::summarize_server_flight(view(seen[0].from_broker));
    const auto resumed = testing::summarize_server_flight(view(seen[1].from_broker));
    ASSERT_TRUE(resumed.parsed) << resumed.problem;
    EXPECT_TRUE(full.certificate_seen);
    EXPECT_FALSE(resumed.certificate_seen);
    // RFC 5246 7.4.1.2: the broker echoes the session id it resumes.
    EXPECT_FALSE(resumed.session_id.empty());
    EXPECT_EQ(resumed.session_id, full.session_id);
    EXPECT_LT(seen[1].from_broker.size(), seen[0].from_broker.size() / 2);
    EXPECT_LT(work_instructions(second) * 10, work_instructions(first))
        << work_instructions(second) << " vs " << work_instructions(first);

    EXPECT_EQ(readings_of(collect(2), device_id).size(), 2U) << broker_->log();
}

TEST_F(WakeResumption, Tls13TicketResumesOnTheNextWake) {
    const FirmwareRun first = wake({"tls=1.3"});
    ASSERT_EQ(first.exit_code, 0) << context(first);
    EXPECT_EQ(first.report["protocol"], "TLSv1.3");
    const FirmwareRun second = wake({"tls=1.3"});
    ASSERT_EQ(second.exit_code, 0) << context(second);
    EXPECT_EQ(second.report["handshake"], "resumed") << second.report.dump();

    const auto seen = connections();
    ASSERT_EQ(seen.size(), 2U);
    const auto full = testing::summarize_server_flight(view(seen[0].from_broker));
    const auto resumed = testing::summarize_server_flight(view(seen[1].from_broker));
    EXPECT_TRUE(full.tls13);
    EXPECT_FALSE(full.psk_accepted);
    EXPECT_TRUE(resumed.tls13);
    EXPECT_TRUE(resumed.psk_accepted);
    // psk_dhe_ke still runs an ECDHE exchange, but no certificate signature is checked.
    EXPECT_LT(work_instructions(second) * 2, work_instructions(first))
        << work_instructions(second) << " vs " << work_instructions(first);
    EXPECT_EQ(readings_of(collect(2), device_id).size(), 2U) << broker_->log();
}

// A broker restart forgets its session cache: one wake pays a full handshake (its offer
// declined), and the wake after it resumes the new session. No reading is lost on the way.
class WakeAcrossBrokerRestart : public FirmwareTest {
protected:
    testing::BrokerOptions broker_options() override {
        testing::BrokerOptions options = FirmwareTest::broker_options();
        options.persistence = true;  // the collector's queued readings survive the restart
        return options;
    }
};

TEST_F(WakeAcrossBrokerRestart, OneFullHandshakeThenResumedAgain) {
    ASSERT_EQ(wake().exit_code, 0);
    ASSERT_EQ(wake().report["handshake"], "resumed");
    std::string diagnostics;
    ASSERT_TRUE(broker_->restart(&diagnostics)) << diagnostics;

    const FirmwareRun after_restart = wake();
    ASSERT_EQ(after_restart.exit_code, 0) << context(after_restart);
    EXPECT_EQ(after_restart.report["handshake"], "full");
    EXPECT_EQ(after_restart.report["session_offered"], true);
    EXPECT_EQ(after_restart.report["session_declined"], true);
    const FirmwareRun next = wake();
    ASSERT_EQ(next.exit_code, 0) << context(next);
    EXPECT_EQ(next.report["handshake"], "resumed");

    const auto readings = readings_of(collect(4), device_id);
    EXPECT_EQ(readings.size(), 4U) << broker_->log();
}

TEST_F(WakeResumption, AnotherSealingKeyCannotOpenTheSessionAndFallsBackToFull) {
    ASSERT_EQ(wake().exit_code, 0);
    const std::string other_key = write_file("other.key", std::string(32, '\x33'));
    const FirmwareRun run = wake({"session-key=" + other_key});
    ASSERT_EQ(run.exit_code, 0) << context(run);
    EXPECT_EQ(run.report["handshake"], "full");
    EXPECT_EQ(run.report["session_offered"], false);
    EXPECT_TRUE(run.report.contains("session_problem")) << run.report.dump();
}

}  // namespace
}  // namespace mqtls::firmware_test
