// `mqtls sub --dedupe`: the per-device accounting of telemetry readings (ReadingTally, tested
// directly), and the command run as a user runs it against a real Mosquitto, fed by `mqtls pub -l`.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "reading_tally.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli::ReadingOutcome;
using mqtls::cli::ReadingTally;
using mqtls::cli::SeqRange;
using mqtls::cli::SeqSet;
using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_timeout;
using mqtls::cli_test::mqtls_command;
using mqtls::cli_test::output_to;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_program;
using mqtls::cli_test::wait_for_subscription;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr std::uint64_t max_seq = std::numeric_limits<std::uint64_t>::max();

std::string reading(const std::string& device, std::uint64_t seq) {
    return R"({"device":")" + device + R"(","seq":)" + std::to_string(seq) +
           R"(,"ts":1795565398721,"temperature_c":21.38})";
}

// ---- SeqSet and ReadingTally -------------------------------------------------------------------

TEST(CliDedupe, SeqSetMergesNeighboursIntoRanges) {
    SeqSet set;
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(set.max(), 0U);
    EXPECT_EQ(set.missing_count(), 0U);
    for (std::uint64_t seq = 1; seq <= 100'000; ++seq) ASSERT_TRUE(set.insert(seq));
    EXPECT_EQ(set.range_count(), 1U) << "in-order readings stay one range";
    EXPECT_EQ(set.size(), 100'000U);
    EXPECT_TRUE(set.covers_from_one(100'000));
    EXPECT_FALSE(set.covers_from_one(100'001));

    SeqSet out_of_order;
    for (const std::uint64_t seq : {5U, 3U, 1U, 4U, 2U, 9U, 7U, 8U}) out_of_order.insert(seq);
    EXPECT_EQ(out_of_order.ranges(), (std::vector<SeqRange>{{1, 5}, {7, 9}}));
    EXPECT_EQ(out_of_order.missing(), (std::vector<SeqRange>{{6, 6}}));
    out_of_order.insert(6);  // joins both neighbours
    EXPECT_EQ(out_of_order.ranges(), (std::vector<SeqRange>{{1, 9}}));
    EXPECT_EQ(out_of_order.size(), 9U);
    EXPECT_TRUE(out_of_order.contains(6));
    EXPECT_FALSE(out_of_order.contains(10));
    EXPECT_FALSE(out_of_order.contains(0));
}

TEST(CliDedupe, SeqSetReportsDuplicatesAndGaps) {
    SeqSet set;
    for (const std::uint64_t seq : {3U, 4U, 10U, 12U}) EXPECT_TRUE(set.insert(seq));
    EXPECT_FALSE(set.insert(3));
    EXPECT_FALSE(set.insert(4));
    EXPECT_FALSE(set.insert(12));
    EXPECT_EQ(set.size(), 4U);
    EXPECT_EQ(set.min(), 3U);
    EXPECT_EQ(set.max(), 12U);
    EXPECT_EQ(set.missing(), (std::vector<SeqRange>{{1, 2}, {5, 9}, {11, 11}}));
    EXPECT_EQ(set.missing(2), (std::vector<SeqRange>{{1, 2}, {5, 9}}));
    EXPECT_EQ(set.missing_count(), 8U);
    EXPECT_EQ(set.missing_range_count(), 3U);
    EXPECT_FALSE(set.covers_from_one(1));
    EXPECT_TRUE(set.covers_from_one(0));
}

TEST(CliDedupe, SeqSetHandlesTheLargestSeq) {
    SeqSet set;
    EXPECT_TRUE(set.insert(max_seq));
    EXPECT_FALSE(set.insert(max_seq));
    EXPECT_TRUE(set.insert(max_seq - 1));  // joins the range ending at 2^64-1
    EXPECT_TRUE(set.insert(1));
    EXPECT_EQ(set.ranges(), (std::vector<SeqRange>{{1, 1}, {max_seq - 1, max_seq}}));
    EXPECT_EQ(set.missing(), (std::vector<SeqRange>{{2, max_seq - 2}}));
    EXPECT_EQ(set.missing_count(), max_seq - 3);
    EXPECT_TRUE(set.contains(max_seq));
}

TEST(CliDedupe, TallyCountsReceivedDuplicatesAndMissingPerDevice) {
    ReadingTally tally;
    for (std::uint64_t seq = 1; seq <= 1000; ++seq) {
        EXPECT_EQ(tally.add_payload(reading("sensor-17", seq)), ReadingOutcome::new_reading);
        if (seq % 100 == 0) {
            EXPECT_EQ(tally.add_payload(reading("sensor-17", seq)), ReadingOutcome::duplicate);
        }
        if (seq < 401 || seq > 410) tally.add_payload(reading("sensor-18", seq));
    }
    ASSERT_EQ(tally.devices().size(), 2U);
    const auto& a = tally.devices().at("sensor-17").without_run;
    EXPECT_EQ(a.received, 1010U);
    EXPECT_EQ(a.duplicates, 10U);
    EXPECT_EQ(a.seen.size(), 1000U);
    const auto& b = tally.devices().at("sensor-18").without_run;
    EXPECT_EQ(b.received, 990U);
    EXPECT_EQ(b.seen.missing(), (std::vector<SeqRange>{{401, 410}}));
    EXPECT_EQ(tally.messages(), 2000U);
    EXPECT_EQ(tally.new_readings(), 1990U);
    EXPECT_EQ(tally.duplicates(), 10U);

    const std::string text = tally.text_report();
    EXPECT_NE(text.find("device sensor-17: received 1010, unique 1000, duplicates 10, seq 1..1000, "
                        "missing 0\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("device sensor-18: received 990, unique 990, duplicates 0, seq 1..1000, "
                        "missing 10 (401-410)\n"),
              std::string::npos)
        << text;

    const Json report = Json::parse(tally.json_report());
    EXPECT_EQ(report["devices"]["sensor-17"]["received"], 1010);
    EXPECT_EQ(report["devices"]["sensor-17"]["duplicates"], 10);
    EXPECT_EQ(report["devices"]["sensor-17"]["missing"], Json::array());
    EXPECT_EQ(report["devices"]["sensor-18"]["unique"], 990);
    EXPECT_EQ(report["devices"]["sensor-18"]["max_seq"], 1000);
    EXPECT_EQ(report["devices"]["sensor-18"]["missing_count"], 10);
    EXPECT_EQ(report["devices"]["sensor-18"]["missing"], Json::parse("[[401,410]]"));
    EXPECT_EQ(report["not_readings"], 0);
    EXPECT_FALSE(report.contains("complete"));
}

TEST(CliDedupe, MalformedPayloadsAreNotReadings) {
    ReadingTally tally;
    const std::vector<std::string> malformed = {
        "",
        "hello",
        "online",
        "[1,2]",
        "42",
        R"({"device":"d","seq":0})",
        R"({"device":"d","seq":-1})",
        R"({"device":"d","seq":1.5})",
        R"({"device":"d","seq":1e3})",
        R"({"device":"d","seq":"7"})",
        R"({"device":"d","seq":18446744073709551616})",  // 2^64
        R"({"device":"","seq":1})",
        R"({"device":7,"seq":1})",
        R"({"seq":1})",
        R"({"device":"d"})",
        R"({"device":"d","seq":1)",  // truncated
        R"({"device":")" + std::string(300, 'x') + R"(","seq":1})",
        std::string(100'000, '[') + std::string(100'000, ']'),
    };
    for (const std::string& payload : malformed) {
        EXPECT_EQ(tally.add_payload(payload), ReadingOutcome::not_a_reading) << payload;
    }
    EXPECT_EQ(tally.not_readings(), malformed.size());
    EXPECT_EQ(tally.messages(), malformed.size());
    EXPECT_TRUE(tally.devices().empty());
    // Accepted: the largest seq, other members in any order, nested junk in them.
    EXPECT_EQ(tally.add_payload(R"({"seq":18446744073709551615,"x":[[{}]],"device":"d"})"),
              ReadingOutcome::new_reading);
    EXPECT_EQ(tally.devices().at("d").without_run.seen.max(), max_seq);
    EXPECT_NE(tally.text_report().find(std::to_string(malformed.size()) + " not a reading"),
              std::string::npos)
        << tally.text_report();
    EXPECT_EQ(Json::parse(tally.json_report())["not_readings"], malformed.size());
}

TEST(CliDedupe, OddDeviceNamesAreQuotedInTheTextReport) {
    ReadingTally tally;
    tally.add_payload(R"({"device":"evil\u001b[2Jname","seq":1})");
    tally.add_payload(R"({"device":"with space","seq":1})");
    const std::string text = tally.text_report();
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_NE(text.find(R"(device "evil\u001b[2Jname": received 1)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(device "with space": received 1)"), std::string::npos) << text;
    EXPECT_TRUE(Json::parse(tally.json_report())["devices"].contains("evil\x1b[2Jname"));
}

TEST(CliDedupe, DevicesBeyondTheLimitAreCountedNotTracked) {
    ReadingTally tally(3);
    for (int device = 0; device < 5; ++device) {
        for (std::uint64_t seq = 1; seq <= 2; ++seq) {
            tally.add_payload(reading("dev-" + std::to_string(device), seq));
        }
    }
    EXPECT_EQ(tally.devices().size(), 3U);
    EXPECT_EQ(tally.over_device_limit(), 4U);
    EXPECT_EQ(tally.add_payload(reading("dev-4", 3)), ReadingOutcome::over_device_limit);
    EXPECT_EQ(tally.add_payload(reading("dev-0", 3)), ReadingOutcome::new_reading);
    EXPECT_NE(tally.text_report().find("beyond the limit of 3 tracked devices and runs"),
              std::string::npos)
        << tally.text_report();
    const Json report = Json::parse(tally.json_report());
    EXPECT_EQ(report["over_device_limit"], 5);
    EXPECT_EQ(report["max_devices"], 3);
    EXPECT_EQ(ReadingTally::default_max_devices, 10'000U);
}

TEST(CliDedupe, CompletionNeedsEverySeqOfEveryDevice) {
    ReadingTally tally;
    tally.set_completion_target(3);
    EXPECT_FALSE(tally.all_complete()) << "no device yet";
    tally.add("a", 1);
    tally.add("b", 2);
    tally.add("a", 3);
    tally.add("a", 2);
    EXPECT_FALSE(tally.all_complete()) << "b lacks 1 and 3";
    tally.add("b", 5);
    tally.add("b", 1);
    EXPECT_FALSE(tally.all_complete());
    tally.add("b", 3);
    EXPECT_TRUE(tally.all_complete());
    const Json report = Json::parse(tally.json_report());
    EXPECT_EQ(report["completion_target"], 3);
    EXPECT_EQ(report["complete"], true);
    EXPECT_EQ(report["devices"]["b"]["missing"], Json::parse("[[4,4]]"));
    tally.add("c", 2);
    EXPECT_FALSE(tally.all_complete()) << "a new device that is not complete";
    EXPECT_NE(tally.text_report().find("device c: received 1, unique 1, duplicates 0, seq 2..2, "
                                       "missing 1 (1) [incomplete"),
              std::string::npos)
        << tally.text_report();
}

TEST(CliDedupe, ManyGapsAreListedUpToALimit) {
    ReadingTally tally;
    for (std::uint64_t seq = 2; seq <= 200'000; seq += 2) tally.add("d", seq);
    const auto& device = tally.devices().at("d").without_run;
    EXPECT_EQ(device.seen.range_count(), 100'000U);
    EXPECT_EQ(device.seen.missing_count(), 100'000U);
    EXPECT_NE(tally.text_report().find("... 99990 more range(s))"), std::string::npos);
    const Json report = Json::parse(tally.json_report(100));
    EXPECT_EQ(report["devices"]["d"]["missing"].size(), 100U);
    EXPECT_EQ(report["devices"]["d"]["missing_ranges"], 100'000);
    // Filling them in, in reverse, merges everything back into one range.
    for (std::uint64_t i = 0; i < 100'000; ++i) tally.add("d", 199'999 - 2 * i);
    EXPECT_EQ(device.seen.range_count(), 1U);
    EXPECT_EQ(device.seen.missing_count(), 0U);
}

// ---- mqtls sub --dedupe against Mosquitto ------------------------------------------------------

constexpr const char* publisher_password = "dedupe-publisher-password";
constexpr const char* collector_password = "dedupe-collector-password";

std::unique_ptr<MosquittoBroker> start_broker() {
    mqtls::testing::BrokerOptions options;
    options.users = {{"publisher", publisher_password}, {"collector", collector_password}};
    options.acl =
        "user publisher\n"
        "topic write telemetry/#\n"
        "user collector\n"
        "topic read #\n";
    return mqtls::cli_test::start_broker(options);
}

// Publishes each line as one message at QoS 1 with `mqtls pub -l`.
void publish_lines(const MosquittoBroker& broker, const mqtls::testing::TempDir& dir,
                   const std::vector<std::string>& lines) {
    const std::string lines_file = dir.file("lines.txt");
    std::string text;
    for (const std::string& line : lines) text += line + '\n';
    mqtls::cli_test::write_file(lines_file, text);
    const ProcessResult pub = mqtls::cli_test::run_redirected(
        mqtls_command("pub", broker, "publisher", publisher_password,
                      {"-t", "telemetry/readings", "-l", "-q", "1"}),
        mqtls::cli_test::input_from(lines_file));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
}

TEST(CliDedupe, SubPrintsFirstArrivalsAndReportsDuplicatesAndGaps) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-dedupe-");
    ASSERT_TRUE(dir);
    const std::string report_file = dir->file("report.json");
    // 8 unique readings (sensor-a 1-5 and 8, sensor-b 1-2): -C 8 ends at the last line.
    BackgroundRun sub(mqtls_command("sub", *broker, "collector", collector_password,
                                    {"-i", "dedupe-sub", "-t", "telemetry/#", "-q", "1", "-C", "8",
                                     "-W", "10", "--dedupe", "--report-json", report_file}),
                      output_to(dir->file("out"), dir->file("err")));
    ASSERT_TRUE(wait_for_subscription(*broker, "dedupe-sub")) << broker->log();
    publish_lines(
        *broker, *dir,
        {reading("sensor-a", 1), reading("sensor-a", 2), reading("sensor-a", 2),
         reading("sensor-b", 1), reading("sensor-a", 3), "not json", reading("sensor-a", 1),
         reading("sensor-a", 5), reading("sensor-a", 4), R"({"device":"x","seq":0})",
         reading("sensor-b", 1), reading("sensor-a", 8), reading("sensor-b", 2)});
    ASSERT_EQ(sub.result().exit_code, 0) << sub.out() << sub.err();

    // Standard output: every message but the duplicate readings, in arrival order.
    EXPECT_EQ(sub.out(), reading("sensor-a", 1) + "\n" + reading("sensor-a", 2) + "\n" +
                             reading("sensor-b", 1) + "\n" + reading("sensor-a", 3) + "\n" +
                             "not json\n" + reading("sensor-a", 5) + "\n" + reading("sensor-a", 4) +
                             "\n" + R"({"device":"x","seq":0})" + "\n" + reading("sensor-a", 8) +
                             "\n" + reading("sensor-b", 2) + "\n");
    // Standard error: the text report.
    const std::string err = sub.err();
    EXPECT_NE(err.find("mqtls sub: dedupe report: 2 device(s), 13 message(s), 8 unique "
                       "reading(s), 3 duplicate(s), 2 not a reading\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("device sensor-a: received 8, unique 6, duplicates 2, seq 1..8, missing 2 "
                       "(6-7)\n"),
              std::string::npos)
        << err;
    EXPECT_NE(
        err.find("device sensor-b: received 3, unique 2, duplicates 1, seq 1..2, missing 0\n"),
        std::string::npos)
        << err;

    const Json report = Json::parse(read_file(report_file), nullptr, false);
    ASSERT_TRUE(report.is_object()) << read_file(report_file);
    EXPECT_EQ(report["devices"]["sensor-a"]["received"], 8);
    EXPECT_EQ(report["devices"]["sensor-a"]["unique"], 6);
    EXPECT_EQ(report["devices"]["sensor-a"]["duplicates"], 2);
    EXPECT_EQ(report["devices"]["sensor-a"]["max_seq"], 8);
    EXPECT_EQ(report["devices"]["sensor-a"]["missing"], Json::parse("[[6,7]]"));
    EXPECT_EQ(report["devices"]["sensor-b"]["duplicates"], 1);
    EXPECT_EQ(report["devices"]["sensor-b"]["missing"], Json::array());
    EXPECT_EQ(report["not_readings"], 2);
    EXPECT_EQ(report["messages"], 13);
}

TEST(CliDedupe, UntilCompleteExitsOnceEveryDeviceHasEverySeq) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-dedupe-complete-");
    ASSERT_TRUE(dir);
    BackgroundRun sub(mqtls_command("sub", *broker, "collector", collector_password,
                                    {"-i", "complete-sub", "-t", "telemetry/#", "-q", "1", "-W",
                                     "10", "--report-only", "--until-complete", "3"}),
                      output_to(dir->file("out"), dir->file("err")));
    ASSERT_TRUE(wait_for_subscription(*broker, "complete-sub")) << broker->log();
    publish_lines(*broker, *dir,
                  {reading("sensor-a", 1), reading("sensor-b", 1), reading("sensor-a", 2),
                   reading("sensor-a", 2), reading("sensor-b", 3), reading("sensor-a", 3),
                   reading("sensor-b", 2)});
    ASSERT_EQ(sub.result().exit_code, 0) << sub.out() << sub.err();
    // --report-only: no messages, the report on standard output.
    EXPECT_EQ(sub.out(),
              "dedupe report: 2 device(s), 7 message(s), 6 unique reading(s), 1 duplicate(s), 0 "
              "not a reading\n"
              "device sensor-a: received 4, unique 3, duplicates 1, seq 1..3, missing 0\n"
              "device sensor-b: received 3, unique 3, duplicates 0, seq 1..3, missing 0\n")
        << sub.err();
}

TEST(CliDedupe, TimeoutBeforeCompleteExits7WithTheReport) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-dedupe-timeout-");
    ASSERT_TRUE(dir);
    const std::string report_file = dir->file("report.json");
    std::ofstream(report_file) << "stale report of an earlier run";
    BackgroundRun sub(mqtls_command("sub", *broker, "collector", collector_password,
                                    {"-i", "timeout-sub", "-t", "telemetry/#", "-q", "1", "-W", "2",
                                     "--until-complete", "4", "--report-json", report_file}),
                      output_to(dir->file("out"), dir->file("err")));
    ASSERT_TRUE(wait_for_subscription(*broker, "timeout-sub")) << broker->log();
    EXPECT_EQ(read_file(report_file), "") << "the stale report is gone once sub runs";
    publish_lines(*broker, *dir,
                  {reading("node-1", 1), reading("node-1", 2), reading("node-1", 4)});
    EXPECT_EQ(sub.result().exit_code, exit_timeout) << sub.out() << sub.err();
    EXPECT_NE(sub.err().find("timed out after 2 s with 3 unique reading(s), before every device "
                             "and run had seq 1..4"),
              std::string::npos)
        << sub.err();
    EXPECT_NE(sub.err().find("device node-1: received 3, unique 3, duplicates 0, seq 1..4, "
                             "missing 1 (3) [incomplete: seq 1..4 wanted]"),
              std::string::npos)
        << sub.err();
    const Json report = Json::parse(read_file(report_file), nullptr, false);
    ASSERT_TRUE(report.is_object()) << read_file(report_file);
    EXPECT_EQ(report["complete"], false);
    EXPECT_EQ(report["completion_target"], 4);
    EXPECT_EQ(report["devices"]["node-1"]["complete"], false);
    EXPECT_EQ(report["devices"]["node-1"]["missing"], Json::parse("[[3,3]]"));
}

TEST(CliDedupe, SigtermEndsWithTheReport) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-dedupe-signal-");
    ASSERT_TRUE(dir);
    const std::string report_file = dir->file("report.json");
    // timeout(1) sends SIGTERM after 3 s and, with --preserve-status, exits as sub did.
    std::vector<std::string> arguments = {"timeout", "--preserve-status", "-s", "TERM", "3"};
    for (const std::string& argument :
         mqtls_command("sub", *broker, "collector", collector_password,
                       {"-i", "signal-sub", "-t", "telemetry/#", "-q", "1", "--report-only",
                        "--report-json", report_file})) {
        arguments.push_back(argument);
    }
    BackgroundRun sub(arguments, output_to(dir->file("out"), dir->file("err")));
    ASSERT_TRUE(wait_for_subscription(*broker, "signal-sub")) << broker->log();
    publish_lines(*broker, *dir, {reading("node-7", 2), reading("node-7", 2), "offline"});
    EXPECT_EQ(sub.result().exit_code, 0) << sub.out() << sub.err();
    EXPECT_NE(sub.out().find("device node-7: received 2, unique 1, duplicates 1, seq 2..2, "
                             "missing 1 (1)\n"),
              std::string::npos)
        << sub.out() << sub.err();
    const Json report = Json::parse(read_file(report_file), nullptr, false);
    ASSERT_TRUE(report.is_object()) << read_file(report_file);
    EXPECT_EQ(report["devices"]["node-7"]["missing"], Json::parse("[[1,1]]"));
    EXPECT_EQ(report["not_readings"], 1);
}

TEST(CliDedupe, UnwritableReportFileFailsBeforeConnecting) {
    const ProcessResult sub = run_program({MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p", "1",
                                           "--cafile", "/nonexistent", "-t", "telemetry/#",
                                           "--report-json", "/nonexistent-dir/report.json"});
    EXPECT_EQ(sub.exit_code, exit_file) << sub.output;
    EXPECT_NE(sub.output.find("--report-json /nonexistent-dir/report.json"), std::string::npos)
        << sub.output;
}

TEST(CliDedupe, HelpDescribesTheDedupeFlags) {
    const ProcessResult help = run_program({MQTLS_CLI_PATH, "sub", "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    for (const char* flag : {"--dedupe", "--report-only", "--report-json", "--until-complete",
                             "unique readings", "missing_count", "over_device_limit"}) {
        EXPECT_NE(help.output.find(flag), std::string::npos) << flag << "\n" << help.output;
    }
}

}  // namespace
