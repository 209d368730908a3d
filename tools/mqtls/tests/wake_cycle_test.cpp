// `mqtls node --wake-cycle` and `--cycles K`: each wake is its own process, as a reset from deep
// sleep; the TLS session, the outbox and the seq survive only in --outbox DIR. Against a real
// Mosquitto: wakes resume after the first, a broker restart costs one full handshake, a
// tampered session file is not used, and no reading is lost.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mqtls/client/client.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

constexpr const char* wake_password = "wake-test-password";

// Every wake test runs under MQTT 3.1.1 and MQTT 5 (-V; a wake's MQTT 5 session never
// expires unless -x says so, as a 3.1.1 persistent session).
class CliWake : public mqtls::cli_test::TempDirTest,
                public ::testing::WithParamInterface<const char*> {
protected:
    CliWake() : TempDirTest("mqtls-wake-test-") {}

    void set_up_in_directory() override {
        device_ = mqtls::cli_test::device_id_for_this_test("wake-");
        mqtls::testing::BrokerOptions options;
        options.users = {{device_, wake_password}, {"collector", wake_password}};
        options.acl = "user " + device_ + "\ntopic write telemetry/" + device_ +
                      "\nuser collector\ntopic read telemetry/#\n";
        broker_ = mqtls::cli_test::start_broker(options);
        ASSERT_TRUE(broker_);
    }

    std::string outbox() const { return path("outbox"); }
    std::string report_file() const { return path("report.json"); }

    std::vector<std::string> wake_command(std::vector<std::string> more,
                                          std::uint16_t port = 0) const {
        std::vector<std::string> arguments = {
            MQTLS_CLI_PATH,
            "node",
            "-h",
            MosquittoBroker::host(),
            "-p",
            std::to_string(port != 0 ? port : broker_->tls_port()),
            "--cafile",
            broker_->ca_file(),
            "-u",
            device_,
            "-P",
            wake_password,
            "--device",
            device_,
            "--outbox",
            outbox(),
            "--wake-report",
            report_file(),
            "-V",
            GetParam()};
        arguments.insert(arguments.end(), more.begin(), more.end());
        return arguments;
    }

    // Runs the command and returns its report (empty object if there is none).
    nlohmann::json run(const std::vector<std::string>& arguments, int expected_exit) {
        std::filesystem::remove(report_file());
        auto result = mqtls::testing::run_process(arguments, 60s);
        EXPECT_TRUE(result);
        if (!result) return nlohmann::json::object();
        last_output_ = result->output;
        EXPECT_EQ(result->exit_code, expected_exit) << result->output;
        std::ifstream in(report_file());
        if (!in) return nlohmann::json::object();
        return nlohmann::json::parse(in, nullptr, false);
    }

    // A collector with a persistent session, so it misses nothing while it is away.
    mqtls::client::ClientOptions collector_options() const {
        mqtls::client::ClientOptions options;
        options.host = MosquittoBroker::host();
        options.port = broker_->tls_port();
        options.trusted_roots_pem = broker_->ca_pem();
        options.client_id = "collector-" + device_;
        options.clean_session = false;
        options.username = "collector";
        options.password = wake_password;
        return options;
    }

    // The seq of every reading the collector receives within `timeout`.
    static std::set<long> received_sequences(mqtls::client::Client& collector,
                                             std::chrono::milliseconds timeout) {
        std::set<long> sequences;
        for (int i = 0; i < 1000; ++i) {
            auto message = collector.receive(timeout);
            if (!message || !*message) break;
            const auto reading = nlohmann::json::parse((*message)->payload, nullptr, false);
            EXPECT_FALSE(reading.is_discarded()) << (*message)->payload;
            if (!reading.is_discarded()) sequences.insert(reading["seq"].get<long>());
        }
        return sequences;
    }

    // Three wakes after a broker restart: the first offers the stored session, is declined and
    // does a full handshake; the two after it resume from the session it stored.
    void expect_one_declined_then_resumed(const nlohmann::json& cycles) {
        ASSERT_EQ(cycles["cycles"].size(), 3U) << last_output_;
        EXPECT_EQ(cycles["cycles"][0]["handshake"], "full");
        EXPECT_EQ(cycles["cycles"][0]["session_declined"], true) << cycles.dump();
        EXPECT_EQ(cycles["cycles"][1]["handshake"], "resumed");
        EXPECT_EQ(cycles["cycles"][2]["handshake"], "resumed");
        EXPECT_EQ(cycles["delivered"], 3);
    }

    std::string device_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::string last_output_;
};

mode_t mode_of(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
}

TEST_P(CliWake, CyclesResumeAfterTheFirstAndABrokerRestartCostsOneFullHandshake) {
    mqtls::client::Client collector;
    ASSERT_TRUE(collector.connect(collector_options()));
    ASSERT_TRUE(collector.subscribe({{"telemetry/" + device_, mqtls::mqtt::QoS::at_least_once}}));

    nlohmann::json first = run(wake_command({"--cycles", "3", "--sleep", "0"}), 0);
    ASSERT_TRUE(first.is_object()) << last_output_;
    EXPECT_EQ(first["full"], 1) << first.dump();
    EXPECT_EQ(first["resumed"], 2) << first.dump();
    EXPECT_EQ(first["delivered"], 3);
    EXPECT_EQ(first["pending"], 0);
    ASSERT_EQ(first["cycles"].size(), 3U);
    EXPECT_EQ(first["cycles"][0]["handshake"], "full");
    EXPECT_EQ(first["cycles"][1]["handshake"], "resumed");
    EXPECT_EQ(first["cycles"][2]["handshake"], "resumed");
    EXPECT_GT(first["cycles"][2]["tls_heap_peak"].get<long>(), 0);
    EXPECT_EQ(mode_of(outbox() + "/tls-session.sealed"), 0600U);
    EXPECT_EQ(mode_of(outbox() + "/tls-session.key"), 0600U);

    std::string diagnostics;
    ASSERT_TRUE(broker_->restart(&diagnostics)) << diagnostics;
    collector.drop_connection();
    ASSERT_TRUE(collector.connect(collector_options()));
    ASSERT_TRUE(collector.subscribe({{"telemetry/" + device_, mqtls::mqtt::QoS::at_least_once}}));

    expect_one_declined_then_resumed(run(wake_command({"--cycles", "3", "--sleep", "0"}), 0));

    // The collector reconnected (with a new session: the broker has no persistence here)
    // before the second round, so every reading of that round must have arrived.
    const std::set<long> second_round = {4, 5, 6};
    const std::set<long> got = received_sequences(collector, 2000ms);
    EXPECT_TRUE(std::includes(got.begin(), got.end(), second_round.begin(), second_round.end()))
        << "second round lost readings: " << nlohmann::json(got).dump();
    EXPECT_NE(last_output_.find("the broker declined the stored session"), std::string::npos)
        << last_output_;
}

TEST_P(CliWake, Tls13CyclesResumeFromTicketsAcrossProcessesAndAfterABrokerRestart) {
    // TLS 1.3 resumes only from NewSessionTickets, which arrive after the handshake: each wake
    // stores the session once the ticket came, and the next process resumes from it (PSK+ECDHE).
    const std::vector<std::string> tls13 = {"--cycles",      "3",  "--sleep", "0",
                                            "--tls-version", "1.3"};
    nlohmann::json first = run(wake_command(tls13), 0);
    ASSERT_TRUE(first.is_object()) << last_output_;
    EXPECT_EQ(first["full"], 1) << first.dump();
    EXPECT_EQ(first["resumed"], 2) << first.dump();
    EXPECT_EQ(first["delivered"], 3);
    std::string diagnostics;
    ASSERT_TRUE(broker_->restart(&diagnostics)) << diagnostics;
    expect_one_declined_then_resumed(run(wake_command(tls13), 0));
    // A 1.2 session in the store is not offered to a 1.3 wake (nor the reverse): one full.
    nlohmann::json back = run(wake_command({"--cycles", "2", "--sleep", "0"}), 0);
    ASSERT_EQ(back["cycles"].size(), 2U) << last_output_;
    EXPECT_EQ(back["cycles"][0]["handshake"], "full");
    EXPECT_EQ(back["cycles"][1]["handshake"], "resumed");
}

TEST_P(CliWake, EveryReadingOfEveryWakeArrivesOnceOneFlightOrNot) {
    mqtls::client::Client collector;
    ASSERT_TRUE(collector.connect(collector_options()));
    ASSERT_TRUE(collector.subscribe({{"telemetry/" + device_, mqtls::mqtt::QoS::at_least_once}}));
    nlohmann::json one_flight = run(wake_command({"--cycles", "2", "--sleep", "0"}), 0);
    nlohmann::json conventional =
        run(wake_command({"--cycles", "2", "--sleep", "0", "--no-one-flight"}), 0);
    EXPECT_EQ(one_flight["cycles"][1]["one_flight"], true) << one_flight.dump();
    EXPECT_EQ(conventional["cycles"][1]["one_flight"], false) << conventional.dump();
    EXPECT_EQ(conventional["cycles"][1]["handshake"], "resumed");
    EXPECT_EQ(received_sequences(collector, 2000ms), (std::set<long>{1, 2, 3, 4}));
}

TEST_P(CliWake, ResumesByTicketWhenAskedTo) {
    nlohmann::json cycles =
        run(wake_command({"--cycles", "2", "--sleep", "0", "--resumption", "ticket"}), 0);
    ASSERT_EQ(cycles["cycles"].size(), 2U) << last_output_;
    EXPECT_EQ(cycles["cycles"][0]["handshake"], "full");
    EXPECT_EQ(cycles["cycles"][1]["handshake"], "resumed");
    run(wake_command({"--wake-cycle", "--resumption", "tickets"}), 2);
    EXPECT_NE(last_output_.find("--resumption must be session-id or ticket"), std::string::npos)
        << last_output_;
}

TEST_P(CliWake, TamperedSessionFileIsNotUsedAndIsReplaced) {
    run(wake_command({"--wake-cycle"}), 0);
    const std::string session = outbox() + "/tls-session.sealed";
    {
        std::fstream file(session, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(100);
        char byte = 0;
        file.read(&byte, 1);
        file.seekp(100);
        byte = static_cast<char>(byte ^ 0x20);
        file.write(&byte, 1);
    }
    nlohmann::json tampered = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_EQ(tampered["handshake"], "full");
    EXPECT_NE(tampered["session_problem"].get<std::string>().find("session_invalid"),
              std::string::npos)
        << tampered.dump();
    EXPECT_EQ(tampered["delivered"], 1);
    nlohmann::json next = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_EQ(next["handshake"], "resumed") << next.dump();
}

TEST_P(CliWake, UnreachableBrokerKeepsTheReadingForTheNextWake) {
    nlohmann::json down = run(wake_command({"--wake-cycle", "--wake-deadline", "3"}, 1), 4);
    EXPECT_EQ(down["delivered"], 0) << down.dump();
    EXPECT_EQ(down["pending"], 1);
    nlohmann::json up = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_EQ(up["delivered"], 2) << up.dump();
    EXPECT_EQ(up["first_seq"], 1);
    EXPECT_EQ(up["last_seq"], 2);
    EXPECT_EQ(up["pending"], 0);
}

TEST_P(CliWake, RefusedConnectKeepsTheReadingsInTheOutbox) {
    // The one flight carries the reading before CONNACK; the broker refuses the credentials,
    // so the reading must wait in the outbox, and go out once the password is right.
    std::vector<std::string> wrong = wake_command({"--wake-cycle"});
    for (std::size_t i = 0; i + 1 < wrong.size(); ++i) {
        if (wrong[i] == "-P") wrong[i + 1] = "not-the-password";
    }
    nlohmann::json refused = run(wrong, 6);
    EXPECT_EQ(refused["delivered"], 0) << refused.dump();
    EXPECT_EQ(refused["pending"], 1);
    nlohmann::json accepted = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_EQ(accepted["delivered"], 2) << accepted.dump();
    EXPECT_EQ(accepted["pending"], 0);
}

TEST_P(CliWake, ExposedKeyIsNotUsedButTheReadingStillGoesOut) {
    run(wake_command({"--wake-cycle"}), 0);
    ASSERT_EQ(::chmod((outbox() + "/tls-session.key").c_str(), 0644), 0);
    nlohmann::json exposed = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_NE(last_output_.find("TLS session resumption off for this wake"), std::string::npos)
        << last_output_;
    EXPECT_NE(last_output_.find("readable or writable by other users"), std::string::npos);
    EXPECT_EQ(exposed["handshake"], "full") << exposed.dump();
    EXPECT_EQ(exposed["delivered"], 1);
}

TEST_P(CliWake, DamagedKeyIsReplacedAndResumptionComesBack) {
    run(wake_command({"--wake-cycle"}), 0);
    std::filesystem::resize_file(outbox() + "/tls-session.key", 5);
    nlohmann::json damaged = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_NE(last_output_.find("was damaged (5 bytes): made a new one"), std::string::npos)
        << last_output_;
    EXPECT_EQ(damaged["handshake"], "full") << damaged.dump();
    EXPECT_EQ(mode_of(outbox() + "/tls-session.key"), 0600U);
    nlohmann::json next = run(wake_command({"--wake-cycle"}), 0);
    EXPECT_EQ(next["handshake"], "resumed") << next.dump();
}

TEST_P(CliWake, QosZeroReadingsWaitForAnAcceptedConnection) {
    std::vector<std::string> wrong = wake_command({"--wake-cycle", "-q", "0"});
    for (std::size_t i = 0; i + 1 < wrong.size(); ++i) {
        if (wrong[i] == "-P") wrong[i + 1] = "not-the-password";
    }
    nlohmann::json refused = run(wrong, 6);
    EXPECT_EQ(refused["delivered"], 0) << refused.dump();
    EXPECT_EQ(refused["pending"], 1);
    mqtls::client::Client collector;
    ASSERT_TRUE(collector.connect(collector_options()));
    ASSERT_TRUE(collector.subscribe({{"telemetry/" + device_, mqtls::mqtt::QoS::at_least_once}}));
    nlohmann::json accepted = run(wake_command({"--wake-cycle", "-q", "0"}), 0);
    EXPECT_EQ(accepted["delivered"], 2) << accepted.dump();
    EXPECT_EQ(accepted["pending"], 0);
    EXPECT_EQ(received_sequences(collector, 2000ms), (std::set<long>{1, 2}));
}

TEST_P(CliWake, QosTwoReadingsArriveOnceAcrossWakesAndAnUnreachableOne) {
    mqtls::client::Client collector;
    ASSERT_TRUE(collector.connect(collector_options()));
    ASSERT_TRUE(collector.subscribe({{"telemetry/" + device_, mqtls::mqtt::QoS::exactly_once}}));
    nlohmann::json down =
        run(wake_command({"--wake-cycle", "-q", "2", "--wake-deadline", "3"}, 1), 4);
    EXPECT_EQ(down["pending"], 1) << down.dump();
    nlohmann::json cycles = run(wake_command({"--cycles", "2", "--sleep", "0", "-q", "2"}), 0);
    EXPECT_EQ(cycles["delivered"], 3) << cycles.dump();
    EXPECT_EQ(cycles["pending"], 0);
    ASSERT_EQ(cycles["cycles"].size(), 2U) << last_output_;
    EXPECT_EQ(cycles["cycles"][0]["qos"], 2);
    EXPECT_EQ(cycles["cycles"][0]["first_seq"], 1);
    EXPECT_EQ(cycles["cycles"][0]["last_seq"], 2);
    EXPECT_EQ(cycles["cycles"][1]["handshake"], "resumed");
    EXPECT_GT(cycles["cycles"][1]["channel_memory_peak"].get<long>(),
              cycles["cycles"][1]["tls_heap_peak"].get<long>());
    // Exactly once: each seq arrives, and only once.
    std::vector<long> got;
    for (int i = 0; i < 10; ++i) {
        auto message = collector.receive(1500ms);
        if (!message || !*message) break;
        got.push_back(nlohmann::json::parse((*message)->payload)["seq"].get<long>());
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<long>{1, 2, 3}));
}

TEST_P(CliWake, WakeOptionsNeedWakeModeAndAnOutbox) {
    const std::vector<std::string> base = {MQTLS_CLI_PATH,     "node",     "--cafile",
                                           broker_->ca_file(), "--device", device_};
    auto no_outbox = base;
    no_outbox.emplace_back("--wake-cycle");
    auto result = mqtls::testing::run_process(no_outbox, 30s);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->exit_code, 2) << result->output;
    EXPECT_NE(result->output.find("--wake-cycle needs --outbox DIR"), std::string::npos)
        << result->output;

    auto stray = base;
    stray.emplace_back("--no-resume");
    result = mqtls::testing::run_process(stray, 30s);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->exit_code, 2) << result->output;
    EXPECT_NE(result->output.find("belong to --wake-cycle"), std::string::npos) << result->output;
}

std::string mqtt_version_name(const ::testing::TestParamInfo<const char*>& info) {
    return std::string("mqtt") + info.param;
}

#if MQTLS_MQTT5
INSTANTIATE_TEST_SUITE_P(Mqtt, CliWake, ::testing::Values("311", "5"), mqtt_version_name);
#else
INSTANTIATE_TEST_SUITE_P(Mqtt, CliWake, ::testing::Values("311"), mqtt_version_name);
#endif

}  // namespace
