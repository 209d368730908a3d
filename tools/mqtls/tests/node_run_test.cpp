// `mqtls node` against a real Mosquitto, for what issue 11 added: run ids that keep a
// deduplicating collector from dropping the readings of a restarted node (and that persist
// with --outbox), readings from --sensor-command and --sensor-stdin (bad ones reported and
// counted, never published), topic templates, --no-status, and the log formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_timeout;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::lines_of;
using mqtls::cli_test::read_file;
using mqtls::cli_test::shell_command;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* password = "node-run-test-password";
// A node run publishes several readings and may wait on a sensor: more than the shared default.
constexpr std::chrono::milliseconds node_timeout = 30s;
// A collector waits for all of them.
constexpr std::chrono::milliseconds collector_timeout = 60s;

ProcessResult run_program(const std::vector<std::string>& arguments,
                          std::chrono::milliseconds timeout = node_timeout) {
    return mqtls::cli_test::run_program(arguments, timeout);
}

// The JSON readings in "published seq=N ...: {...}" text log lines, in order.
std::vector<Json> published_readings(const std::string& output) {
    std::vector<Json> readings;
    for (const std::string& line : lines_of(output)) {
        const std::size_t brace = line.find(": {");
        if (line.find("published seq=") == std::string::npos || brace == std::string::npos) {
            continue;
        }
        readings.push_back(Json::parse(line.substr(brace + 2), nullptr, false));
    }
    return readings;
}

class CliNodeRun : public mqtls::cli_test::TempDirTest {
protected:
    CliNodeRun() : TempDirTest("mqtls-node-run-") {}

    void set_up_in_directory() override {
        device_ = mqtls::cli_test::device_id_for_this_test("run-");
        mqtls::testing::BrokerOptions options;
        options.users = {{device_, password}, {"collector", password}};
        options.acl = "user " + device_ + "\ntopic write telemetry/" + device_ +
                      "\ntopic write status/" + device_ + "\ntopic write devices/" + device_ +
                      "/messages/events/\nuser collector\ntopic read #\n";
        broker_ = mqtls::cli_test::start_broker(options);
        ASSERT_TRUE(broker_);
    }

    std::vector<std::string> connection(const char* subcommand, const std::string& user) const {
        return mqtls::cli_test::mqtls_command(subcommand, *broker_, user, password);
    }

    std::vector<std::string> node(std::vector<std::string> more) const {
        std::vector<std::string> arguments = connection("node", device_);
        arguments.insert(arguments.end(), {"--device", device_, "--no-timestamps"});
        arguments.insert(arguments.end(), more.begin(), more.end());
        return arguments;
    }

    // A collector on `topic`, started and subscribed before this returns.
    std::unique_ptr<BackgroundRun> collector(const std::string& topic,
                                             std::vector<std::string> more) {
        std::vector<std::string> arguments = connection("sub", "collector");
        const std::string id = "collector-" + std::to_string(++collectors_);
        arguments.insert(arguments.end(), {"-i", id, "-t", topic, "-q", "1"});
        arguments.insert(arguments.end(), more.begin(), more.end());
        auto sub = std::make_unique<BackgroundRun>(
            arguments, mqtls::cli_test::output_to(path(id + ".out"), path(id + ".err")),
            collector_timeout);
        EXPECT_TRUE(mqtls::cli_test::wait_for_subscription(*broker_, id)) << broker_->log();
        return sub;
    }

    std::unique_ptr<MosquittoBroker> broker_;
    std::string device_;
    int collectors_ = 0;
};

TEST_F(CliNodeRun, TwoRunsWithoutAnOutboxAreBothCountedInFullByDedupe) {
    const std::string report = path("report.json");
    auto sub =
        collector("telemetry/#", {"-C", "6", "-W", "40", "--report-only", "--report-json", report});
    std::set<std::string> runs;
    std::vector<std::vector<Json>> values(2);
    for (int run = 0; run < 2; ++run) {
        const ProcessResult node_run = run_program(node({"--interval", "0.05", "-C", "3"}));
        ASSERT_EQ(node_run.exit_code, 0) << node_run.output;
        EXPECT_NE(node_run.output.find("without --outbox the seq starts at 1 in every run"),
                  std::string::npos)
            << node_run.output;
        const std::vector<Json> readings = published_readings(node_run.output);
        ASSERT_EQ(readings.size(), 3U) << node_run.output;
        for (std::size_t i = 0; i < readings.size(); ++i) {
            EXPECT_EQ(readings[i]["seq"], i + 1) << "seq starts at 1 in every run";
            ASSERT_TRUE(readings[i]["run"].is_string()) << readings[i].dump();
            EXPECT_EQ(readings[i]["run"], readings[0]["run"]);
            EXPECT_TRUE(std::regex_match(readings[i]["run"].get<std::string>(),
                                         std::regex("[0-9a-f]{16}")));
        }
        runs.insert(readings[0]["run"].get<std::string>());
        for (const Json& reading : readings) {
            values[run].push_back({reading["temperature_c"], reading["humidity_pct"]});
        }
    }
    // The simulated sensor is seeded per run: the second run does not repeat the first's
    // values (three random-walk steps of two values each coincide with odds of about 1e-8).
    EXPECT_NE(values[0], values[1]);
    EXPECT_EQ(runs.size(), 2U) << "each run without an outbox has its own run id";
    ASSERT_EQ(sub->result().exit_code, 0) << sub->out() << sub->err();
    const Json counted = Json::parse(read_file(report), nullptr, false);
    ASSERT_TRUE(counted.is_object()) << read_file(report);
    EXPECT_EQ(counted["unique"], 6) << counted.dump();
    EXPECT_EQ(counted["duplicates"], 0) << "no reading of the second run is taken for a repeat";
    const Json& device = counted["devices"][device_];
    EXPECT_EQ(device["runs"].size(), 2U) << device.dump();
    for (const std::string& run : runs) {
        EXPECT_EQ(device["runs"][run]["unique"], 3) << device.dump();
        EXPECT_EQ(device["runs"][run]["missing_count"], 0) << device.dump();
    }
    EXPECT_NE(sub->out().find("device " + device_ + " run " + *runs.begin() +
                              ": received 3, unique 3, duplicates 0, seq 1..3, missing 0"),
              std::string::npos)
        << sub->out();
}

TEST_F(CliNodeRun, TheOutboxKeepsTheRunIdAcrossRestartsAndWakes) {
    const std::string outbox = path("outbox");
    const std::string report = path("report.json");
    auto sub =
        collector("telemetry/#", {"-C", "6", "-W", "60", "--report-only", "--report-json", report});
    const ProcessResult first =
        run_program(node({"--outbox", outbox, "--interval", "0.05", "-C", "2"}));
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_NE(first.output.find("the outbox starts a new log at seq 1"), std::string::npos)
        << first.output;
    const std::string stored = read_file(outbox + "/run-id");
    ASSERT_EQ(stored.size(), 17U) << stored;
    const std::string run = stored.substr(0, 16);
    const ProcessResult second =
        run_program(node({"--outbox", outbox, "--interval", "0.05", "-C", "2"}));
    ASSERT_EQ(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find("run " + run + " (from " + outbox +
                                 "/run-id): the outbox's numbering continues at seq 3"),
              std::string::npos)
        << second.output;
    const std::vector<Json> readings = published_readings(second.output);
    ASSERT_EQ(readings.size(), 2U) << second.output;
    EXPECT_EQ(readings[0]["run"], run);
    EXPECT_EQ(readings[0]["seq"], 3);
    // Two wakes from deep sleep, each its own process: the same run, seq going on.
    const ProcessResult wakes =
        run_program(node({"--outbox", outbox, "--cycles", "2", "--sleep", "0"}), 60s);
    ASSERT_EQ(wakes.exit_code, 0) << wakes.output;
    EXPECT_NE(wakes.output.find("wake: run " + run + " (from"), std::string::npos) << wakes.output;
    EXPECT_EQ(wakes.output.find("is new"), std::string::npos) << wakes.output;
    ASSERT_EQ(sub->result().exit_code, 0) << sub->out() << sub->err();
    const Json counted = Json::parse(read_file(report), nullptr, false);
    ASSERT_TRUE(counted.is_object()) << read_file(report);
    const Json& device = counted["devices"][device_];
    ASSERT_EQ(device["runs"].size(), 1U) << device.dump();
    EXPECT_EQ(device["runs"][run]["unique"], 6) << device.dump();
    EXPECT_EQ(device["runs"][run]["max_seq"], 6) << device.dump();
    EXPECT_EQ(device["runs"][run]["missing_count"], 0) << device.dump();

    // The outbox's log lost (seq would start at 1 again): a new run id, whatever run-id says.
    std::filesystem::remove(outbox + "/segment-0.log");
    std::filesystem::remove(outbox + "/segment-1.log");
    const ProcessResult lost =
        run_program(node({"--outbox", outbox, "--interval", "0.05", "-C", "1"}));
    ASSERT_EQ(lost.exit_code, 0) << lost.output;
    const std::vector<Json> after = published_readings(lost.output);
    ASSERT_EQ(after.size(), 1U) << lost.output;
    EXPECT_EQ(after[0]["seq"], 1);
    EXPECT_NE(after[0]["run"], run);
    EXPECT_EQ(read_file(outbox + "/run-id").substr(0, 16), after[0]["run"].get<std::string>());

    // A run-id file others may write is refused before connecting (exit 3).
    std::filesystem::permissions(outbox + "/run-id", std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::add);
    const ProcessResult unsafe = run_program(node({"--outbox", outbox, "-C", "1"}));
    EXPECT_EQ(unsafe.exit_code, exit_file) << unsafe.output;
    EXPECT_NE(unsafe.output.find("others may write to it"), std::string::npos) << unsafe.output;
}

TEST_F(CliNodeRun, SensorCommandDeliversItsFieldsAndABadReadingIsCountedNotPublished) {
    const std::string counter = path("counter");
    // The second run prints something that is not JSON; the others a reading.
    const std::string command = "n=$(cat '" + counter +
                                "' 2>/dev/null || echo 0); n=$((n+1)); "
                                "echo $n > '" +
                                counter +
                                "'; if [ $n -eq 2 ]; then echo "
                                "'not json {'; else printf '{\"level_cm\":%d.5,\"dev\":\"%s\"}' "
                                "$n \"$MQTLS_DEVICE\"; fi";
    auto sub = collector("telemetry/#", {"-C", "3", "-W", "30"});
    const ProcessResult run =
        run_program(node({"--sensor-command", command, "--interval", "0.1", "-C", "3"}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("sensor error #1 (sensor command): not JSON: syntax error at byte "),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("3 reading(s) acknowledged, 3 taken, 0 pending in the outbox, 0 "
                              "dropped, 0 denied, 0 expired, 1 sensor error(s)"),
              std::string::npos)
        << run.output;
    ASSERT_EQ(sub->result().exit_code, 0) << sub->err();
    const std::vector<std::string> payloads = lines_of(sub->out());
    ASSERT_EQ(payloads.size(), 3U) << sub->out();
    const double levels[] = {1.5, 3.5, 4.5};
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        const Json reading = Json::parse(payloads[i], nullptr, false);
        ASSERT_TRUE(reading.is_object()) << payloads[i];
        EXPECT_EQ(reading["device"], device_);
        EXPECT_EQ(reading["seq"], i + 1) << "a refused reading uses up no seq";
        EXPECT_EQ(reading["level_cm"], levels[i]) << payloads[i];
        EXPECT_EQ(reading["dev"], device_) << "MQTLS_DEVICE is set for the command";
        EXPECT_TRUE(reading["ts"].is_number_integer());
    }
    EXPECT_EQ(sub->out().find("not json"), std::string::npos);
    // The retained status counts the sensor error too.
    const ProcessResult status = run_program([&] {
        auto arguments = connection("sub", "collector");
        arguments.insert(arguments.end(), {"-t", "status/" + device_, "-C", "1", "-W", "10"});
        return arguments;
    }());
    ASSERT_EQ(status.exit_code, 0) << status.output;
    const Json offline = Json::parse(lines_of(status.output).at(0), nullptr, false);
    EXPECT_EQ(offline["status"], "offline") << status.output;
    EXPECT_EQ(offline["sensor_errors"], 1) << status.output;
    EXPECT_EQ(offline["run"], published_readings(run.output).at(0)["run"]);
}

TEST_F(CliNodeRun, ASensorCommandThatHangsIsKilledAndCounted) {
    const ProcessResult run = run_program(node({"--sensor-command", "sleep 30", "--sensor-timeout",
                                                "0.2", "--interval", "0.3", "--duration", "1"}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("sensor error #1 (sensor command): did not finish within 0.2 s "
                              "(--sensor-timeout) and was killed; nothing published"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(run.output.find("published seq="), std::string::npos) << run.output;
}

TEST_F(CliNodeRun, SensorStdinPublishesEachLineAndReportsTheBadOnes) {
    const std::string input = path("readings.jsonl");
    {
        std::ofstream out(input, std::ios::binary);
        out << R"({"door":"open","t":1})"
            << "\n"
            << "\n"  // blank: skipped, not an error
            << R"({"seq":9,"door":"shut"})"
            << "\n"                            // sets the node's own key
            << std::string(5000, 'x') << "\n"  // too long
            << R"({"door":"shut","t":2.25})"
            << "\n"
            << "{\"name\":\"\xff\xfe\"}\n"
            << R"({"nested":{"a":[1,{"b":null}]}})";  // the last line without a newline
    }
    auto sub = collector("telemetry/#", {"-C", "3", "-W", "30"});
    const ProcessResult run = mqtls::cli_test::run_redirected(
        node({"--sensor-stdin"}), mqtls::cli_test::input_from(input), node_timeout);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("sensor error #1 (standard input line 3): sets \"seq\""),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("sensor error #2 (standard input line 4): longer than 4096 bytes"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("sensor error #3 (standard input line 6): not valid UTF-8"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("end of standard input after 7 line(s)"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("3 reading(s) acknowledged, 3 taken, 0 pending in the outbox, 0 "
                              "dropped, 0 denied, 0 expired, 3 sensor error(s)"),
              std::string::npos)
        << run.output;
    ASSERT_EQ(sub->result().exit_code, 0) << sub->err();
    const std::vector<std::string> payloads = lines_of(sub->out());
    ASSERT_EQ(payloads.size(), 3U) << sub->out();
    const Json first = Json::parse(payloads[0], nullptr, false);
    EXPECT_EQ(first["door"], "open");
    EXPECT_EQ(first["t"], 1);
    EXPECT_EQ(first["seq"], 1);
    const Json second = Json::parse(payloads[1], nullptr, false);
    EXPECT_EQ(second["t"], 2.25);
    EXPECT_EQ(second["seq"], 2);
    const Json third = Json::parse(payloads[2], nullptr, false);
    EXPECT_EQ(third["nested"], Json::parse(R"({"a":[1,{"b":null}]})"));
    // The fields follow the node's own, in the order they came.
    EXPECT_EQ(payloads[0].find(R"({"device":")" + device_ + R"(","run":")"), 0U) << payloads[0];
    EXPECT_NE(payloads[0].find(R"(,"door":"open","t":1})"), std::string::npos) << payloads[0];
}

TEST_F(CliNodeRun, TopicTemplatesAndNoStatus) {
    auto sub = collector("devices/#", {"-C", "2", "-W", "30", "-v"});
    const ProcessResult run = run_program(node({"--topic", "devices/{device}/messages/events/",
                                                "--no-status", "--interval", "0.05", "-C", "2"}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(
        run.output.find("publishing to devices/" + device_ + "/messages/events/ every 0.05 s"),
        std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("no status messages, no will"), std::string::npos) << run.output;
    ASSERT_EQ(sub->result().exit_code, 0) << sub->err();
    for (const std::string& line : lines_of(sub->out())) {
        EXPECT_EQ(line.find("devices/" + device_ + "/messages/events/ {"), 0U) << line;
    }
    // No retained status, and none from a will: the node killed outright sets no "offline".
    const ProcessResult killed = run_program(
        {"timeout", "-s", "KILL", "1.5", "sh", "-c",
         shell_command(node({"--no-status", "--interval", "0.05", "--duration", "30"}))});
    EXPECT_NE(killed.exit_code, 0);
    const auto status_sub = [&] {
        auto arguments = connection("sub", "collector");
        arguments.insert(arguments.end(), {"-t", "status/#", "-C", "1", "-W", "2"});
        return run_program(arguments);
    };
    const ProcessResult nothing = status_sub();
    EXPECT_EQ(nothing.exit_code, exit_timeout) << nothing.output;
    // The control: with status, the same kill leaves the will's retained "offline".
    const ProcessResult with_status =
        run_program({"timeout", "-s", "KILL", "1.5", "sh", "-c",
                     shell_command(node({"--status-topic", "status/{device}", "--interval", "0.05",
                                         "--duration", "30"}))});
    EXPECT_NE(with_status.exit_code, 0);
    const ProcessResult offline = status_sub();
    ASSERT_EQ(offline.exit_code, 0) << offline.output;
    EXPECT_NE(offline.output.find("\"status\":\"offline\""), std::string::npos) << offline.output;
}

TEST_F(CliNodeRun, TopicTemplatesThatGiveNoPublishableTopicAreUsageErrors) {
    struct Case {
        std::vector<std::string> flags;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"--topic", "telemetry/+"}, "--topic gives a topic with a wildcard"},
        {{"--topic", "telemetry/{device}/#"}, "--topic gives a topic with a wildcard"},
        {{"--topic", ""}, "--topic is empty"},
        {{"--topic", "telemetry/{id}"}, "--topic has a '{' or '}' at byte 10"},
        {{"--status-topic", "status/#"}, "--status-topic gives a topic with a wildcard"},
        {{"--status-topic", "telemetry/{device}"}, "give the same topic"},
        {{"--no-status", "--status-topic", "s/{device}"}, "exclude each other"},
        {{"--sensor-command", "true", "--sensor-stdin"}, "exclude each other"},
        {{"--sensor-command", "true", "--sensor-seed", "5"}, "are for the simulated sensor"},
        {{"--sensor-timeout", "61"}, "--sensor-timeout must be 0.01..60 seconds"},
        {{"--log-format", "xml"}, "--log-format must be text or json"},
        {{"--sensor", "dht22"}, "--sensor must be 'simulated'"},
    };
    for (const Case& bad : cases) {
        // Port 1: were it to connect, it would fail with exit 4, not 2.
        std::vector<std::string> arguments = {
            MQTLS_CLI_PATH,     "node",     "-h", "127.0.0.1", "-p", "1", "--cafile",
            broker_->ca_file(), "--device", "d1"};
        arguments.insert(arguments.end(), bad.flags.begin(), bad.flags.end());
        const ProcessResult run = run_program(arguments);
        EXPECT_EQ(run.exit_code, exit_usage) << bad.message << "\n" << run.output;
        EXPECT_NE(run.output.find(bad.message), std::string::npos) << run.output;
    }
    const ProcessResult wake = run_program(
        {MQTLS_CLI_PATH, "node", "-h", "127.0.0.1", "-p", "1", "--cafile", broker_->ca_file(),
         "--device", "d1", "--outbox", path("o"), "--wake-cycle", "--sensor-stdin"});
    EXPECT_EQ(wake.exit_code, exit_usage) << wake.output;
    EXPECT_NE(wake.output.find("--sensor-stdin does not apply to --wake-cycle"), std::string::npos)
        << wake.output;
}

TEST_F(CliNodeRun, JsonLogLinesParseAndTextLinesStartWithTheTime) {
    std::vector<std::string> arguments = connection("node", device_);
    arguments.insert(arguments.end(), {"--device", device_, "--interval", "0.05", "-C", "2"});
    std::vector<std::string> json_arguments = arguments;
    json_arguments.insert(json_arguments.end(), {"--log-format", "json"});
    const ProcessResult json_run = run_program(json_arguments);
    ASSERT_EQ(json_run.exit_code, 0) << json_run.output;
    const std::regex iso_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    std::vector<std::string> events;
    int published = 0;
    for (const std::string& line : lines_of(json_run.output)) {
        const Json event = Json::parse(line, nullptr, false);
        ASSERT_TRUE(event.is_object()) << line;
        ASSERT_TRUE(event["ts"].is_string()) << line;
        EXPECT_TRUE(std::regex_match(event["ts"].get<std::string>(), iso_time)) << line;
        EXPECT_TRUE(event["level"] == "info" || event["level"] == "warning") << line;
        EXPECT_EQ(event["device"], device_) << line;
        EXPECT_TRUE(event["message"].is_string()) << line;
        events.push_back(event["event"].get<std::string>());
        if (event["event"] == "published") {
            ++published;
            EXPECT_EQ(event["seq"], published) << line;
            EXPECT_EQ(event["reading"]["seq"], published) << line;
            EXPECT_EQ(event["reading"]["device"], device_) << line;
            EXPECT_EQ(event["topic"], "telemetry/" + device_) << line;
        }
        if (event["event"] == "stopped") {
            EXPECT_EQ(event["acknowledged"], 2) << line;
            EXPECT_EQ(event["exit_status"], 0) << line;
        }
    }
    EXPECT_EQ(published, 2);
    ASSERT_GE(events.size(), 5U);
    EXPECT_EQ(events.front(), "started");
    EXPECT_EQ(events.back(), "stopped");
    EXPECT_NE(std::find(events.begin(), events.end(), "run_id"), events.end());
    EXPECT_NE(std::find(events.begin(), events.end(), "connected"), events.end());

    const ProcessResult text_run = run_program(arguments);
    ASSERT_EQ(text_run.exit_code, 0) << text_run.output;
    const std::regex timed_line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mqtls node )" + device_ +
                                ": .*");
    for (const std::string& line : lines_of(text_run.output)) {
        EXPECT_TRUE(std::regex_match(line, timed_line)) << line;
    }

    std::vector<std::string> quiet_arguments = arguments;
    quiet_arguments.emplace_back("--quiet");
    const ProcessResult quiet = run_program(quiet_arguments);
    ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
    EXPECT_EQ(quiet.output, "") << "nothing went wrong, so --quiet says nothing";
}

TEST_F(CliNodeRun, HelpGivesNodesOwnClientIdDefault) {
    const ProcessResult help = run_program({MQTLS_CLI_PATH, "node", "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find("client id (default: the --device id)"), std::string::npos)
        << help.output;
    EXPECT_EQ(help.output.find("mqtls-<command>-<pid>"), std::string::npos) << help.output;
    for (const char* flag :
         {"--sensor-command", "--sensor-stdin", "--sensor-timeout", "--topic", "--status-topic",
          "--no-status", "--log-format", "--no-timestamps", "--quiet", "DIR/run-id"}) {
        EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
    }
    // pub keeps its own.
    const ProcessResult pub = run_program({MQTLS_CLI_PATH, "pub", "--help"});
    EXPECT_NE(pub.output.find("mqtls-<command>-<pid>"), std::string::npos) << pub.output;
}

}  // namespace
