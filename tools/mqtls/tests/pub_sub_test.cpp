// `mqtls pub` and `mqtls sub`, run as a user runs them: the built binary against a real
// Mosquitto on a loopback port, with mosquitto_pub / mosquitto_sub on the other side.
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_refused;
using mqtls::cli_test::exit_timeout;
using mqtls::cli_test::exit_tls;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::mqtls_command;
using mqtls::cli_test::run_program;
using mqtls::cli_test::run_redirected;
using mqtls::cli_test::wait_for_log;
using mqtls::cli_test::wait_for_subscription;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

constexpr const char* device_password = "device-1-cli-password";
constexpr const char* collector_password = "collector-cli-password";

std::unique_ptr<MosquittoBroker> start_telemetry_broker() {
    return mqtls::cli_test::start_broker(
        mqtls::cli_test::telemetry_broker_options(device_password, collector_password));
}

TEST(CliPubSub, PubMessageReachesMosquittoSub) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun watcher({"mosquitto_sub",
                           "-h",
                           MosquittoBroker::host(),
                           "-p",
                           std::to_string(broker->tls_port()),
                           "--cafile",
                           broker->ca_file(),
                           "-u",
                           "collector",
                           "-P",
                           collector_password,
                           "-i",
                           "watcher",
                           "-t",
                           "telemetry/#",
                           "-q",
                           "1",
                           "-C",
                           "1",
                           "-W",
                           "10"});
    ASSERT_TRUE(wait_for_subscription(*broker, "watcher")) << broker->log();
    const ProcessResult pub =
        run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                           {"-t", "telemetry/device-1", "-m", "{\"t\":21.5}", "-q", "1"}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    EXPECT_EQ(pub.output, "") << "pub prints nothing on success";
    const ProcessResult& received = watcher.result();
    EXPECT_EQ(received.exit_code, 0) << received.output << broker->log();
    EXPECT_EQ(received.output, "{\"t\":21.5}\n");
}

TEST(CliPubSub, SubPrintsWhatMosquittoPubSends) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun subscriber(concat(mqtls_command("sub", *broker, "collector", collector_password),
                                    {"-i", "mqtls-watcher", "-t", "telemetry/#", "-t", "other/#",
                                     "-q", "1", "-C", "1", "-W", "10", "-v"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "mqtls-watcher")) << broker->log();
    const ProcessResult pub = run_program(
        {"mosquitto_pub", "-h", MosquittoBroker::host(), "-p", std::to_string(broker->tls_port()),
         "--cafile", broker->ca_file(), "-u", "device-1", "-P", device_password, "-t",
         "telemetry/device-1", "-m", "hello from mosquitto_pub", "-q", "1"});
    ASSERT_EQ(pub.exit_code, 0) << pub.output;
    const ProcessResult& received = subscriber.result();
    EXPECT_EQ(received.exit_code, 0) << received.output;
    EXPECT_EQ(received.output, "telemetry/device-1 hello from mosquitto_pub\n");
}

TEST(CliPubSub, PubLinesAtQos1AreAllReceivedInOrder) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-pub-lines-");
    ASSERT_TRUE(dir);
    const std::string lines_file = dir->file("lines.txt");
    const std::vector<std::string> lines = {"first", "second line", "", "fourth", "last"};
    {
        std::ofstream out(lines_file);
        for (const std::string& line : lines) out << line << '\n';
    }
    BackgroundRun subscriber(concat(mqtls_command("sub", *broker, "collector", collector_password),
                                    {"-i", "line-counter", "-t", "telemetry/device-1/lines", "-q",
                                     "1", "-C", std::to_string(lines.size()), "-W", "10"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "line-counter")) << broker->log();
    // run_process gives programs /dev/null as standard input; a shell redirects the file.
    const ProcessResult pub =
        run_redirected(concat(mqtls_command("pub", *broker, "device-1", device_password),
                              {"-t", "telemetry/device-1/lines", "-l", "-q", "1"}),
                       mqtls::cli_test::input_from(lines_file));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    const ProcessResult& received = subscriber.result();
    EXPECT_EQ(received.exit_code, 0) << received.output;
    EXPECT_EQ(received.output, "first\nsecond line\n\nfourth\nlast\n");
}

TEST(CliPubSub, BrokerSignedByAnotherCaIsRefusedNamingTheCa) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    auto other = mqtls::testing::BrokerPki::generate();
    ASSERT_TRUE(other);
    auto dir = mqtls::testing::TempDir::create("mqtls-other-ca-");
    ASSERT_TRUE(dir);
    const std::string other_ca = dir->file("other-ca.crt");
    std::ofstream(other_ca) << other->ca.certificate_pem;
    std::vector<std::string> arguments =
        concat(mqtls_command("pub", *broker, "device-1", device_password),
               {"-t", "telemetry/device-1", "-m", "x"});
    for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments[i] == "--cafile") arguments[i + 1] = other_ca;
    }
    const ProcessResult pub = run_program(arguments);
    EXPECT_EQ(pub.exit_code, exit_tls) << pub.output;
    EXPECT_NE(pub.output.find("CA"), std::string::npos) << pub.output;
    EXPECT_NE(pub.output.find(other_ca), std::string::npos) << pub.output;
}

TEST(CliPubSub, MissingCafileIsAUsageError) {
    const ProcessResult pub = run_program(
        {MQTLS_CLI_PATH, "pub", "-h", "127.0.0.1", "-p", "1", "-t", "telemetry/x", "-m", "x"});
    EXPECT_EQ(pub.exit_code, exit_usage) << pub.output;
    EXPECT_NE(pub.output.find("--cafile"), std::string::npos) << pub.output;
    const ProcessResult sub =
        run_program({MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p", "1", "-t", "x"});
    EXPECT_EQ(sub.exit_code, exit_usage) << sub.output;
    EXPECT_NE(sub.output.find("--cafile"), std::string::npos) << sub.output;
}

TEST(CliPubSub, ConflictingOrInvalidPubArgumentsAreUsageErrors) {
    const std::vector<std::string> base = {MQTLS_CLI_PATH, "pub", "--cafile",
                                           "/nonexistent", "-t",  "telemetry/x"};
    const ProcessResult both = run_program(concat(base, {"-m", "x", "-l"}));
    EXPECT_EQ(both.exit_code, exit_usage) << both.output;
    EXPECT_NE(both.output.find("exactly one of -m, -l and -f"), std::string::npos) << both.output;
    const ProcessResult none = run_program(base);
    EXPECT_EQ(none.exit_code, exit_usage) << none.output;
    const ProcessResult bad_qos = run_program(concat(base, {"-m", "x", "-q", "3"}));
    EXPECT_EQ(bad_qos.exit_code, exit_usage) << bad_qos.output;
    EXPECT_NE(bad_qos.output.find("-q"), std::string::npos) << bad_qos.output;
    const ProcessResult no_topic =
        run_program({MQTLS_CLI_PATH, "pub", "--cafile", "/nonexistent", "-m", "x"});
    EXPECT_EQ(no_topic.exit_code, exit_usage) << no_topic.output;
}

TEST(CliPubSub, WrongPasswordIsRefusedWithoutPrintingIt) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const std::string wrong_password = "not-the-device-password";
    const ProcessResult pub =
        run_program(concat(mqtls_command("pub", *broker, "device-1", wrong_password),
                           {"-t", "telemetry/device-1", "-m", "x"}));
    EXPECT_EQ(pub.exit_code, exit_refused) << pub.output;
    EXPECT_EQ(pub.output.find(wrong_password), std::string::npos) << pub.output;
    const ProcessResult sub = run_program(
        concat(mqtls_command("sub", *broker, "collector", wrong_password), {"-t", "#", "-W", "2"}));
    EXPECT_EQ(sub.exit_code, exit_refused) << sub.output;
    EXPECT_EQ(sub.output.find(wrong_password), std::string::npos) << sub.output;
}

TEST(CliPubSub, SubTimesOutWithStatus7) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const auto started = std::chrono::steady_clock::now();
    const ProcessResult sub =
        run_program(concat(mqtls_command("sub", *broker, "collector", collector_password),
                           {"-t", "quiet/topic", "-C", "1", "-W", "1"}));
    EXPECT_EQ(sub.exit_code, exit_timeout) << sub.output;
    EXPECT_NE(sub.output.find("timed out"), std::string::npos) << sub.output;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(CliPubSub, DebugPrintsTheTlsSession) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const ProcessResult pub =
        run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                           {"-t", "telemetry/device-1", "-m", "x", "-d"}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    EXPECT_NE(pub.output.find("TLSv1.2"), std::string::npos) << pub.output;
    EXPECT_NE(pub.output.find("verified name 127.0.0.1"), std::string::npos) << pub.output;
    EXPECT_EQ(pub.output.find(device_password), std::string::npos) << pub.output;
}

TEST(CliPubSub, PinnedKeyMustMatchTheBroker) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const auto broker_pin = mqtls::pki::spki_sha256_hex(broker->server_certificate_pem());
    ASSERT_TRUE(broker_pin);
    const std::vector<std::string> publish =
        concat(mqtls_command("pub", *broker, "device-1", device_password),
               {"-t", "telemetry/device-1", "-m", "x"});
    const ProcessResult matching = run_program(concat(publish, {"--pin-sha256", *broker_pin}));
    EXPECT_EQ(matching.exit_code, 0) << matching.output;
    const ProcessResult other =
        run_program(concat(publish, {"--pin-sha256", std::string(64, 'a')}));
    EXPECT_EQ(other.exit_code, exit_tls) << other.output;
    const ProcessResult malformed = run_program(concat(publish, {"--pin-sha256", "abc"}));
    EXPECT_EQ(malformed.exit_code, exit_usage) << malformed.output;
}

TEST(CliPubSub, PasswordFromFileOrEnvironment) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-pw-");
    ASSERT_TRUE(dir);
    const std::string password_file = dir->file("password");
    // First line only, without its \r\n.
    std::ofstream(password_file) << device_password << "\r\nsecond line is ignored\n";
    const std::vector<std::string> base = {MQTLS_CLI_PATH, "pub",
                                           "-h",           MosquittoBroker::host(),
                                           "-p",           std::to_string(broker->tls_port()),
                                           "--cafile",     broker->ca_file(),
                                           "-u",           "device-1",
                                           "-t",           "telemetry/device-1",
                                           "-m",           "x"};
    const ProcessResult from_file = run_program(concat(base, {"--pw-file", password_file}));
    EXPECT_EQ(from_file.exit_code, 0) << from_file.output;

    const auto with_environment = [&](const std::string& value,
                                      const std::vector<std::string>& more) {
        std::vector<std::string> arguments = {"env", "MQTLS_PASSWORD=" + value};
        arguments.insert(arguments.end(), base.begin(), base.end());
        return run_program(concat(arguments, more));
    };
    const ProcessResult from_environment = with_environment(device_password, {});
    EXPECT_EQ(from_environment.exit_code, 0) << from_environment.output;
    const ProcessResult wrong_environment = with_environment("wrong-env-password", {});
    EXPECT_EQ(wrong_environment.exit_code, exit_refused) << wrong_environment.output;
    EXPECT_EQ(wrong_environment.output.find("wrong-env-password"), std::string::npos);
    // -P and --pw-file take precedence over the environment.
    const ProcessResult flag_wins = with_environment("wrong-env-password", {"-P", device_password});
    EXPECT_EQ(flag_wins.exit_code, 0) << flag_wins.output;
    const ProcessResult file_wins =
        with_environment("wrong-env-password", {"--pw-file", password_file});
    EXPECT_EQ(file_wins.exit_code, 0) << file_wins.output;

    const ProcessResult missing = run_program(concat(base, {"--pw-file", dir->file("none")}));
    EXPECT_EQ(missing.exit_code, 3) << missing.output;
    EXPECT_NE(missing.output.find("--pw-file " + dir->file("none")), std::string::npos)
        << missing.output;
    const ProcessResult both =
        run_program(concat(base, {"--pw-file", password_file, "-P", device_password}));
    EXPECT_EQ(both.exit_code, exit_usage) << both.output;
    EXPECT_NE(both.output.find("excludes"), std::string::npos) << both.output;
    EXPECT_EQ(both.output.find(device_password), std::string::npos) << both.output;
}

TEST(CliPubSub, SubAnnouncesSubscriptionsWithDebugAndStopsCleanlyOnSignals) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-sub-signal-");
    ASSERT_TRUE(dir);
    for (const int signal_number : {SIGTERM, SIGINT}) {
        const std::string client_id = "signal-sub-" + std::to_string(signal_number);
        ChildProcess subscriber(
            concat(mqtls_command("sub", *broker, "collector", collector_password),
                   {"-i", client_id, "-t", "telemetry/#", "-t", "status/+", "-q", "1", "-d"}),
            dir->file(client_id + ".out"));
        ASSERT_TRUE(subscriber.wait_for_output("subscribed to status/+ (granted QoS 1)"))
            << subscriber.output() << broker->log();
        EXPECT_NE(
            subscriber.output().find("mqtls sub: subscribed to telemetry/# (granted QoS 1)\n"),
            std::string::npos)
            << subscriber.output();
        // The announcement means the subscription is active: a message sent now arrives.
        const ProcessResult pub = run_program(
            concat(mqtls_command("pub", *broker, "device-1", device_password),
                   {"-t", "telemetry/device-1", "-m", "after-announcement", "-q", "1"}));
        ASSERT_EQ(pub.exit_code, 0) << pub.output;
        ASSERT_TRUE(subscriber.wait_for_output("after-announcement\n")) << subscriber.output();

        const auto signalled = std::chrono::steady_clock::now();
        subscriber.signal(signal_number);
        const auto status = subscriber.wait_exit(5s);
        ASSERT_TRUE(status.has_value()) << "sub did not exit after signal " << signal_number;
        EXPECT_EQ(*status, 0) << subscriber.output();
        EXPECT_LT(std::chrono::steady_clock::now() - signalled, 3s);
        // A DISCONNECT, not a dropped socket: Mosquitto logs "Client <id> disconnected."
        EXPECT_TRUE(wait_for_log(*broker, "Client " + client_id + " disconnected.", 2s))
            << broker->log();
    }
}

TEST(CliPubSub, HelpDescribesTheFlags) {
    for (const char* subcommand : {"pub", "sub"}) {
        const ProcessResult help = run_program({MQTLS_CLI_PATH, subcommand, "--help"});
        EXPECT_EQ(help.exit_code, 0) << help.output;
        EXPECT_NE(help.output.find("--cafile"), std::string::npos) << help.output;
        EXPECT_NE(help.output.find("--pin-sha256"), std::string::npos) << help.output;
        EXPECT_NE(help.output.find("--pw-file"), std::string::npos) << help.output;
        EXPECT_NE(help.output.find("MQTLS_PASSWORD"), std::string::npos) << help.output;
        EXPECT_NE(help.output.find("--connect-timeout"), std::string::npos) << help.output;
    }
    const ProcessResult sub_help = run_program({MQTLS_CLI_PATH, "sub", "--help"});
    EXPECT_NE(sub_help.output.find("SIGTERM"), std::string::npos) << sub_help.output;
}

}  // namespace
