// ReadingTally with run ids: readings are deduplicated by (device, run, seq), so a node that
// started its numbering over is not taken for a repeat of its earlier run; readings without a
// run (older nodes, other publishers) are still deduplicated by device alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reading_tally.hpp"

namespace {

using mqtls::cli::ReadingOutcome;
using mqtls::cli::ReadingTally;
using mqtls::cli::SeqRange;
using Json = nlohmann::json;

constexpr const char* first_run = "3f9a0c2e51b7d864";
constexpr const char* second_run = "b1e276502b8d5d4b";

std::string reading(const std::string& device, const std::string& run, std::uint64_t seq) {
    return R"({"device":")" + device + R"(","run":")" + run + R"(","seq":)" + std::to_string(seq) +
           R"(,"ts":1795565398721,"temperature_c":21.38})";
}

std::string legacy_reading(const std::string& device, std::uint64_t seq) {
    return R"({"device":")" + device + R"(","seq":)" + std::to_string(seq) + R"(,"ts":1})";
}

TEST(CliDedupeRuns, TwoRunsFromSeqOneAreBothCountedInFull) {
    // The review's case (F8): a node without an outbox run twice, seq 1.. each time.
    ReadingTally tally;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        EXPECT_EQ(tally.add_payload(reading("node-1", first_run, seq)),
                  ReadingOutcome::new_reading);
    }
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        EXPECT_EQ(tally.add_payload(reading("node-1", second_run, seq)),
                  ReadingOutcome::new_reading)
            << "seq " << seq << " of the second run is not a duplicate of the first run's";
    }
    // A real duplicate (the same run's seq again) still is one.
    EXPECT_EQ(tally.add_payload(reading("node-1", second_run, 2)), ReadingOutcome::duplicate);
    EXPECT_EQ(tally.new_readings(), 6U);
    EXPECT_EQ(tally.duplicates(), 1U);
    ASSERT_EQ(tally.devices().size(), 1U);
    const auto& device = tally.devices().at("node-1");
    EXPECT_EQ(device.without_run.received, 0U);
    ASSERT_EQ(device.runs.size(), 2U);
    EXPECT_EQ(device.runs.at(second_run).duplicates, 1U);
    EXPECT_EQ(device.received(), 7U);
    EXPECT_EQ(device.unique(), 6U);

    const std::string text = tally.text_report();
    EXPECT_NE(text.find("dedupe report: 1 device(s), 7 message(s), 6 unique reading(s), 1 "
                        "duplicate(s), 0 not a reading\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("device node-1 run 3f9a0c2e51b7d864: received 3, unique 3, duplicates 0, "
                        "seq 1..3, missing 0\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("device node-1 run b1e276502b8d5d4b: received 4, unique 3, duplicates 1, "
                        "seq 1..3, missing 0\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("device node-1:"), std::string::npos) << "no line without a run";

    const Json report = Json::parse(tally.json_report());
    const Json& entry = report["devices"]["node-1"];
    EXPECT_EQ(entry["received"], 7);
    EXPECT_EQ(entry["unique"], 6);
    EXPECT_EQ(entry["duplicates"], 1);
    EXPECT_EQ(entry["missing_count"], 0);
    EXPECT_FALSE(entry.contains("min_seq")) << "those belong to readings without a run";
    EXPECT_EQ(entry["runs"][first_run]["unique"], 3);
    EXPECT_EQ(entry["runs"][second_run]["duplicates"], 1);
    EXPECT_EQ(entry["runs"][second_run]["max_seq"], 3);
    EXPECT_EQ(entry["runs"][second_run]["missing"], Json::array());
}

TEST(CliDedupeRuns, ReadingsWithoutARunAreKeptByDeviceAlone) {
    ReadingTally tally;
    EXPECT_EQ(tally.add_payload(legacy_reading("old", 1)), ReadingOutcome::new_reading);
    EXPECT_EQ(tally.add_payload(legacy_reading("old", 1)), ReadingOutcome::duplicate);
    EXPECT_EQ(tally.add_payload(legacy_reading("old", 3)), ReadingOutcome::new_reading);
    // The same device upgraded: its run readings are apart from the ones without a run.
    EXPECT_EQ(tally.add_payload(reading("old", first_run, 1)), ReadingOutcome::new_reading);
    EXPECT_EQ(tally.add_payload(reading("old", first_run, 1)), ReadingOutcome::duplicate);
    const std::string text = tally.text_report();
    EXPECT_NE(text.find("device old: received 3, unique 2, duplicates 1, seq 1..3, missing 1 "
                        "(2)\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("device old run 3f9a0c2e51b7d864: received 2, unique 1, duplicates 1, "
                        "seq 1..1, missing 0\n"),
              std::string::npos)
        << text;
    const Json report = Json::parse(tally.json_report());
    const Json& entry = report["devices"]["old"];
    EXPECT_EQ(entry["received"], 5);
    EXPECT_EQ(entry["duplicates"], 2);
    EXPECT_EQ(entry["missing_count"], 1);
    EXPECT_EQ(entry["min_seq"], 1) << "the readings without a run, as before run ids";
    EXPECT_EQ(entry["max_seq"], 3);
    EXPECT_EQ(entry["missing"], Json::parse("[[2,2]]"));
    EXPECT_EQ(entry["runs"][first_run]["received"], 2);

    // A device that never sent a run id reports exactly as before.
    ReadingTally plain;
    plain.add_payload(legacy_reading("d", 1));
    const Json plain_report = Json::parse(plain.json_report());
    EXPECT_EQ(plain_report["devices"]["d"],
              Json::parse(R"({"received":1,"unique":1,"duplicates":0,"missing_count":0,)"
                          R"("min_seq":1,"max_seq":1,"missing_ranges":0,"missing":[]})"));
}

TEST(CliDedupeRuns, ARunThatIsNotANonEmptyStringIsNotAReading) {
    ReadingTally tally;
    const std::vector<std::string> bad = {
        R"({"device":"d","run":7,"seq":1})",
        R"({"device":"d","run":"","seq":1})",
        R"({"device":"d","run":null,"seq":1})",
        R"({"device":"d","run":{"id":"x"},"seq":1})",
        R"({"device":"d","run":")" + std::string(65, 'r') + R"(","seq":1})",
    };
    for (const std::string& payload : bad) {
        EXPECT_EQ(tally.add_payload(payload), ReadingOutcome::not_a_reading) << payload;
    }
    EXPECT_EQ(tally.not_readings(), bad.size());
    EXPECT_TRUE(tally.devices().empty());
    EXPECT_EQ(
        tally.add_payload(R"({"device":"d","run":")" + std::string(64, 'r') + R"(","seq":1})"),
        ReadingOutcome::new_reading)
        << "64 bytes is the longest run accepted";
}

TEST(CliDedupeRuns, CompletionNeedsEverySeqOfEveryRun) {
    ReadingTally tally;
    tally.set_completion_target(2);
    tally.add("n", first_run, 1);
    tally.add("n", first_run, 2);
    EXPECT_TRUE(tally.all_complete());
    tally.add("n", second_run, 2);
    EXPECT_FALSE(tally.all_complete()) << "the second run lacks seq 1";
    EXPECT_NE(tally.text_report().find("device n run b1e276502b8d5d4b: received 1, unique 1, "
                                       "duplicates 0, seq 2..2, missing 1 (1) [incomplete"),
              std::string::npos)
        << tally.text_report();
    Json report = Json::parse(tally.json_report());
    EXPECT_EQ(report["devices"]["n"]["complete"], false);
    EXPECT_EQ(report["devices"]["n"]["runs"][first_run]["complete"], true);
    tally.add("n", second_run, 1);
    EXPECT_TRUE(tally.all_complete());
    report = Json::parse(tally.json_report());
    EXPECT_EQ(report["complete"], true);
    EXPECT_EQ(report["devices"]["n"]["complete"], true);
}

TEST(CliDedupeRuns, RunsCountTowardsTheTrackingLimit) {
    // A stream that invents a run per reading must not grow memory without bound.
    ReadingTally tally(3);
    EXPECT_EQ(tally.add("d", "r1", 1), ReadingOutcome::new_reading);
    EXPECT_EQ(tally.add("d", "r2", 1), ReadingOutcome::new_reading);
    EXPECT_EQ(tally.add("d", "", 1), ReadingOutcome::new_reading);
    EXPECT_EQ(tally.add("d", "r3", 1), ReadingOutcome::over_device_limit);
    EXPECT_EQ(tally.add("e", "", 1), ReadingOutcome::over_device_limit);
    EXPECT_EQ(tally.add("d", "r1", 2), ReadingOutcome::new_reading) << "known runs go on";
    EXPECT_EQ(tally.over_device_limit(), 2U);
}

TEST(CliDedupeRuns, OddRunNamesAreQuotedInTheTextReport) {
    ReadingTally tally;
    tally.add_payload(R"({"device":"d","run":"x\u001b[2Jy","seq":1})");
    const std::string text = tally.text_report();
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_NE(text.find(R"(device d run "x\u001b[2Jy": received 1)"), std::string::npos) << text;
}

}  // namespace
