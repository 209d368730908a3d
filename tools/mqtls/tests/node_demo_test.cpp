// End-to-end tests of `mqtls node` and `mqtls demo`: the built binary against real Mosquitto
// brokers on loopback, its output parsed as a user (or a log collector) would.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::lines_of;
using mqtls::cli_test::run_program;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

constexpr const char* node_password = "node-test-password";

std::unique_ptr<MosquittoBroker> start_broker_for(const std::string& device) {
    mqtls::testing::BrokerOptions options;
    options.users = {{device, node_password}};
    options.acl = "user " + device + "\ntopic write telemetry/" + device + "\ntopic write status/" +
                  device + "\n";
    return mqtls::cli_test::start_broker(options);
}

std::vector<std::string> node_command(const MosquittoBroker& broker, const std::string& device,
                                      const std::vector<std::string>& more) {
    return mqtls::cli_test::mqtls_command("node", broker, device, node_password,
                                          mqtls::cli_test::concat({"--device", device}, more));
}

// The seq numbers of "published seq=N" status lines, in order.
std::vector<long> published_sequences(const std::string& output) {
    static const std::regex published(R"(published seq=(\d+) )");
    std::vector<long> sequences;
    for (const std::string& line : lines_of(output)) {
        std::smatch match;
        if (std::regex_search(line, match, published)) sequences.push_back(std::stol(match[1]));
    }
    return sequences;
}

TEST(CliNode, PublishesNumberedJsonReadingsAndStopsAfterCount) {
    const std::string device = "node-count-1";
    auto broker = start_broker_for(device);
    ASSERT_TRUE(broker);
    const ProcessResult run =
        run_program(node_command(*broker, device, {"--interval", "0.1", "-C", "4"}), 30s);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(published_sequences(run.output), (std::vector<long>{1, 2, 3, 4})) << run.output;
    // Each status line carries the reading; each reading is the JSON the issue asks for.
    int readings = 0;
    for (const std::string& line : lines_of(run.output)) {
        const std::size_t brace = line.find('{');
        if (line.find("published seq=") == std::string::npos || brace == std::string::npos) {
            continue;
        }
        const auto reading = nlohmann::json::parse(line.substr(brace), nullptr, false);
        ASSERT_FALSE(reading.is_discarded()) << line;
        EXPECT_EQ(reading["device"], device);
        EXPECT_EQ(reading["seq"].get<long>(), ++readings);
        EXPECT_GT(reading["ts"].get<long long>(), 1'700'000'000'000LL);  // wall-clock ms
        EXPECT_TRUE(reading["temperature_c"].is_number()) << line;
    }
    EXPECT_EQ(readings, 4);
    EXPECT_NE(run.output.find("verified name"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("4 reading(s) acknowledged, 4 taken, 0 pending"), std::string::npos)
        << run.output;
    // The retained online and, on the clean stop, offline reached the broker.
    EXPECT_NE(broker->log().find("Received PUBLISH from " + device), std::string::npos);
}

TEST(CliNode, ResumesAfterBrokerRestartWithBackoffInsideItsBounds) {
    const std::string device = "node-resume-1";
    auto broker = start_broker_for(device);
    ASSERT_TRUE(broker);
    constexpr double base_s = 0.2;
    constexpr double cap_s = 0.8;
    mqtls::cli_test::BackgroundRun node(node_command(*broker, device,
                                                     {"--interval", "0.2", "--retry-base", "0.2",
                                                      "--retry-cap", "0.8", "--duration", "9"}),
                                        40s);
    // Let it publish, take the broker away for 2.5 s (several failed attempts), bring it back.
    EXPECT_TRUE(mqtls::cli_test::wait_for_log(*broker, "as " + device, 5s)) << broker->log();
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(broker->stop());
    std::this_thread::sleep_for(2500ms);
    ASSERT_TRUE(broker->restart());
    const ProcessResult& run = node.result();

    ASSERT_EQ(run.exit_code, 0) << run.output;
    static const std::regex attempt_line(
        R"(reconnect attempt (\d+) in (\d+) ms \(backoff bound (\d+) ms\))");
    int attempts = 0;
    for (const std::string& line : lines_of(run.output)) {
        std::smatch match;
        if (!std::regex_search(line, match, attempt_line)) continue;
        ++attempts;
        const long attempt = std::stol(match[1]);
        const long delay_ms = std::stol(match[2]);
        const long bound_ms = std::stol(match[3]);
        const long expected_bound =
            std::lround(std::min(cap_s, base_s * std::pow(2.0, attempt - 1)) * 1000);
        EXPECT_EQ(bound_ms, expected_bound) << line;
        EXPECT_GE(delay_ms, 0) << line;
        EXPECT_LE(delay_ms, bound_ms) << line;
    }
    EXPECT_GE(attempts, 2) << run.output;  // 2.5 s away with delays of at most 0.8 s
    // Connected twice, and publishing went on after the restart with the numbering intact.
    std::size_t connections = 0;
    for (std::size_t at = run.output.find("connected to"); at != std::string::npos;
         at = run.output.find("connected to", at + 1)) {
        ++connections;
    }
    EXPECT_EQ(connections, 2U) << run.output;
    const std::vector<long> sequences = published_sequences(run.output);
    ASSERT_GE(sequences.size(), 4U) << run.output;
    for (std::size_t i = 1; i < sequences.size(); ++i) {
        // Each seq once, in order; a reading in flight at the cut is sent again under its seq.
        EXPECT_EQ(sequences[i], sequences[i - 1] + 1) << run.output;
    }
    const std::size_t restart_line = run.output.rfind("connected to");
    EXPECT_NE(run.output.find("published seq=", restart_line), std::string::npos)
        << "nothing published after the broker came back:\n"
        << run.output;
}

TEST(CliNode, UntrustedBrokerStopsAtOnceWithoutRetrying) {
    const std::string device = "node-untrusted-1";
    auto broker = start_broker_for(device);
    ASSERT_TRUE(broker);
    auto other = MosquittoBroker::start({});
    ASSERT_TRUE(other);
    std::vector<std::string> arguments = node_command(*broker, device, {"--interval", "0.1"});
    for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments[i] == "--cafile") arguments[i + 1] = (*other)->ca_file();
    }
    const ProcessResult run = run_program(arguments, 30s);
    EXPECT_EQ(run.exit_code, 5) << run.output;
    EXPECT_NE(run.output.find("not signed by a trusted CA"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("reconnect attempt"), std::string::npos) << run.output;
    EXPECT_EQ(broker->log().find("as " + device), std::string::npos);  // never logged in
}

TEST(CliNode, WrongPasswordStopsWithRefusedStatus) {
    const std::string device = "node-refused-1";
    auto broker = start_broker_for(device);
    ASSERT_TRUE(broker);
    std::vector<std::string> arguments = node_command(*broker, device, {});
    for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments[i] == "-P") arguments[i + 1] = "wrong-password";
    }
    const ProcessResult run = run_program(arguments, 30s);
    EXPECT_EQ(run.exit_code, 6) << run.output;
    EXPECT_EQ(run.output.find("wrong-password"), std::string::npos) << run.output;
}

TEST(CliNode, DeviceCertificateOfAnotherCaStopsWithRefusedStatus) {
    mqtls::testing::BrokerOptions options;
    options.require_certificate = true;
    auto broker = MosquittoBroker::start(options);
    ASSERT_TRUE(broker);
    auto other = MosquittoBroker::start({});
    ASSERT_TRUE(other);
    auto foreign = (*other)->write_client_certificate("node-foreign-1");
    ASSERT_TRUE(foreign);
    const ProcessResult run = run_program(
        {MQTLS_CLI_PATH, "node", "-h", MosquittoBroker::host(), "-p",
         std::to_string((*broker)->tls_port()), "--cafile", (*broker)->ca_file(), "--cert",
         foreign->certificate_path, "--key", foreign->key_path, "--device", "node-foreign-1"},
        30s);
    EXPECT_EQ(run.exit_code, 6) << run.output;
    EXPECT_NE(run.output.find("fatal TLS alert"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("reconnect attempt"), std::string::npos) << run.output;
}

TEST(CliNode, GivesUpAfterMaxAttemptsWhenNothingListens) {
    auto broker = start_broker_for("node-gone-1");
    ASSERT_TRUE(broker);
    std::vector<std::string> arguments =
        node_command(*broker, "node-gone-1",
                     {"--retry-base", "0.05", "--retry-cap", "0.1", "--max-attempts", "3"});
    ASSERT_TRUE(broker->stop());
    const ProcessResult run = run_program(arguments, 30s);
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_NE(run.output.find("reconnect attempt 3 in"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("giving up after 3 failed reconnect attempts"), std::string::npos)
        << run.output;
}

TEST(CliNode, BadArgumentsAreUsageErrors) {
    const std::vector<std::vector<std::string>> cases = {
        {"--device", "a/b", "--cafile", "ca.crt"},
        {"--device", "", "--cafile", "ca.crt"},
        {"--device", "dev", "--cafile", "ca.crt", "--interval", "0"},
        {"--device", "dev", "--cafile", "ca.crt", "--interval", "soon"},
        {"--device", "dev", "--cafile", "ca.crt", "--retry-base", "2", "--retry-cap", "1"},
        {"--device", "dev", "--cafile", "ca.crt", "-q", "3"},
        {"--device", "dev", "--cafile", "ca.crt", "--sensor", "thermometer"},
        {"--device", "dev"},     // no --cafile
        {"--cafile", "ca.crt"},  // no --device
        {"--device", "dev", "--cafile", "ca.crt", "--count", "-1"},
    };
    for (const auto& extra : cases) {
        std::vector<std::string> arguments = {MQTLS_CLI_PATH, "node"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const ProcessResult run = run_program(arguments, 10s);
        EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(extra) << "\n" << run.output;
        EXPECT_FALSE(run.output.empty());
    }
}

TEST(CliNode, ReadsOptionsFromAConfigFileSection) {
    const std::string device = "node-config-1";
    auto broker = start_broker_for(device);
    ASSERT_TRUE(broker);
    const std::string config = broker->dir() + "/node.toml";
    std::ofstream(config) << "[node]\n"
                          << "host = \"" << MosquittoBroker::host() << "\"\n"
                          << "port = " << broker->tls_port() << "\n"
                          << "cafile = \"" << broker->ca_file() << "\"\n"
                          << "username = \"" << device << "\"\n"
                          << "pw = \"" << node_password << "\"\n"
                          << "device = \"" << device << "\"\n"
                          << "interval = 0.1\n";
    const ProcessResult run =
        run_program({MQTLS_CLI_PATH, "node", "--config", config, "-C", "2"}, 30s);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(published_sequences(run.output), (std::vector<long>{1, 2})) << run.output;

    std::ofstream(config) << "[node]\ndevise = \"typo\"\n";
    const ProcessResult typo = run_program({MQTLS_CLI_PATH, "node", "--config", config}, 10s);
    EXPECT_EQ(typo.exit_code, 2) << typo.output;
    EXPECT_NE(typo.output.find("devise"), std::string::npos) << typo.output;
    const ProcessResult missing =
        run_program({MQTLS_CLI_PATH, "node", "--config", config + ".missing"}, 10s);
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_NE(missing.output.find(".missing"), std::string::npos) << missing.output;
}

// The main job: everything in one command, readings arriving as JSON, nothing left behind.
TEST(CliDemo, DurationDeliversJsonReadingsAndStopsEverything) {
    const ProcessResult run =
        run_program({MQTLS_CLI_PATH, "demo", "--duration", "4", "--interval", "0.5"}, 60s);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::vector<long> sequences;
    std::vector<long> pids;
    std::string workdir;
    static const std::regex pid_pattern(R"(\(pid (\d+)\))");
    static const std::regex workdir_pattern(R"(working folder (\S+))");
    for (const std::string& line : lines_of(run.output)) {
        std::smatch match;
        if (std::regex_search(line, match, pid_pattern)) pids.push_back(std::stol(match[1]));
        if (std::regex_search(line, match, workdir_pattern)) workdir = match[1];
        const std::size_t topic = line.find(" sub    telemetry/");
        if (topic == std::string::npos) continue;
        const std::size_t brace = line.find('{', topic);
        ASSERT_NE(brace, std::string::npos) << line;
        const auto reading = nlohmann::json::parse(line.substr(brace), nullptr, false);
        ASSERT_FALSE(reading.is_discarded()) << line;
        EXPECT_EQ(reading["device"], "demo-node-1");
        sequences.push_back(reading["seq"].get<long>());
    }
    // 4 s at 0.5 s: about 8 readings; at least 4 even on a slow, loaded machine.
    ASSERT_GE(sequences.size(), 4U) << run.output;
    for (std::size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], long(i + 1));
    EXPECT_NE(run.output.find("first reading delivered"), std::string::npos);
    EXPECT_NE(run.output.find("verified name localhost"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("TLS-ECDHE-ECDSA-WITH-"), std::string::npos) << run.output;
    EXPECT_TRUE(std::regex_search(
        run.output, std::regex(R"(status/demo-node-1 \{"status":"offline","run":"[0-9a-f]{16}",)"
                               R"("dropped":0,)")))
        << run.output;
    EXPECT_NE(run.output.find(" 0 malformed"), std::string::npos) << run.output;
    // Broker (mosquitto and mqtls broker), node and subscriber: all gone, workdir removed.
    EXPECT_GE(pids.size(), 4U) << run.output;
    for (const long pid : pids) {
        EXPECT_FALSE(mqtls::testing::process_alive(static_cast<pid_t>(pid))) << pid;
    }
    ASSERT_FALSE(workdir.empty());
    EXPECT_FALSE(std::filesystem::exists(workdir)) << workdir;
}

TEST(CliDemo, TakenPortIsAClearErrorAndLeavesNothingRunning) {
    auto broker = MosquittoBroker::start({});
    ASSERT_TRUE(broker);
    const std::string port = std::to_string((*broker)->tls_port());
    const ProcessResult run =
        run_program({MQTLS_CLI_PATH, "demo", "--duration", "2", "--port", port}, 60s);
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_NE(run.output.find("already in use"), std::string::npos) << run.output;
    static const std::regex pid_pattern(R"(\(pid (\d+)\))");
    for (const std::string& line : lines_of(run.output)) {
        std::smatch match;
        if (std::regex_search(line, match, pid_pattern)) {
            EXPECT_FALSE(mqtls::testing::process_alive(static_cast<pid_t>(std::stol(match[1]))));
        }
    }
}

}  // namespace

namespace {

TEST(CliDemo, CtrlCStopsEverythingCleanly) {
    // coreutils timeout delivers SIGINT, as a terminal's Ctrl-C would, and passes the status on.
    const ProcessResult run = run_program({"timeout", "--preserve-status", "-s", "INT", "5",
                                           MQTLS_CLI_PATH, "demo", "--interval", "0.5"},
                                          60s);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("stopping node"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("stopped on signal"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("All processes stopped"), std::string::npos) << run.output;
    static const std::regex pid_pattern(R"(\(pid (\d+)\))");
    int pids = 0;
    for (const std::string& line : lines_of(run.output)) {
        std::smatch match;
        if (!std::regex_search(line, match, pid_pattern)) continue;
        ++pids;
        EXPECT_FALSE(mqtls::testing::process_alive(static_cast<pid_t>(std::stol(match[1]))));
    }
    EXPECT_GE(pids, 4) << run.output;
}

TEST(CliPassword, ParseErrorsNeverQuoteArgumentsWhenAPasswordIsGiven) {
    // "-P two words": CLI11 would print "The following argument was not expected: words".
    for (const char* subcommand : {"pub", "sub", "node"}) {
        const ProcessResult run =
            run_program({MQTLS_CLI_PATH, subcommand, "-t", "x", "--cafile", "ca.crt", "--device",
                         "dev", "-u", "user", "-P", "two", "words-of-a-secret"},
                        10s);
        EXPECT_EQ(run.exit_code, 2) << run.output;
        EXPECT_EQ(run.output.find("words-of-a-secret"), std::string::npos) << run.output;
        EXPECT_NE(run.output.find("quote a value"), std::string::npos) << run.output;
        EXPECT_NE(run.output.find(", 12 of the command line"), std::string::npos) << run.output;
    }
    // Without a password a stray value is not shown either (it may be half of one, as in
    // -dP two words), but its position is.
    const ProcessResult plain =
        run_program({MQTLS_CLI_PATH, "pub", "-t", "x", "-m", "m", "stray-argument"}, 10s);
    EXPECT_EQ(plain.exit_code, 2);
    EXPECT_EQ(plain.output.find("stray-argument"), std::string::npos) << plain.output;
    EXPECT_NE(plain.output.find("position 6"), std::string::npos) << plain.output;
}

TEST(CliDemo, BadArgumentsAreUsageErrors) {
    const std::vector<std::vector<std::string>> cases = {
        {"--interval", "0"}, {"--interval", "fast"}, {"--duration", "-1"}, {"--port", "0"},
        {"--port", "70000"}, {"--device", "a/b"},    {"--unknown-option"},
    };
    for (const auto& extra : cases) {
        std::vector<std::string> arguments = {MQTLS_CLI_PATH, "demo"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const ProcessResult run = run_program(arguments, 10s);
        EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(extra) << "\n" << run.output;
        // Rejected before anything was started.
        EXPECT_EQ(run.output.find("working folder"), std::string::npos) << run.output;
    }
}

}  // namespace
