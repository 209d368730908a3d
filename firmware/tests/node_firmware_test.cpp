// The continuous node image: readings on schedule in emulated time, each acknowledged, the
// retained status left "offline" by the clean goodbye (the will is for an unclean end).
#include "firmware_fixture.hpp"

namespace mqtls::firmware_test {
namespace {

using NodeFirmware = FirmwareTest;

TEST_F(NodeFirmware, DeliversEveryReadingOnItsScheduleAndSaysGoodbye) {
    const FirmwareRun run = run_node({"period=1", "readings=3"});
    ASSERT_EQ(run.exit_code, 0) << context(run);
    ASSERT_TRUE(run.has_report) << context(run);
    EXPECT_EQ(run.report["firmware"], "node");
    EXPECT_EQ(run.report["taken"], 3);
    EXPECT_EQ(run.report["acknowledged"], 3);
    EXPECT_EQ(run.report["pending"], 0);
    EXPECT_EQ(run.report["reconnects"], 0);
    EXPECT_NE(run.output.find("mqtls node: connected (full handshake"), std::string::npos)
        << run.output;

    const auto readings = readings_of(collect(3), device_id);
    ASSERT_EQ(readings.size(), 3U) << broker_->log();
    // One reading a period of emulated time (the board's timer under -icount): ts 1 s apart.
    const auto ts = [&](std::uint64_t seq) { return readings.at(seq)["ts"].get<std::int64_t>(); };
    EXPECT_NEAR(static_cast<double>(ts(2) - ts(1)), 1000.0, 100.0);
    EXPECT_NEAR(static_cast<double>(ts(3) - ts(2)), 1000.0, 100.0);

    const std::string status = retained_status(device_id);
    EXPECT_NE(status.find("\"offline\""), std::string::npos) << status << "\n" << broker_->log();
}

}  // namespace
}  // namespace mqtls::firmware_test
