// MQTT 5 from the command line (-V 5), against a real Mosquitto on a loopback port, with
// mosquitto_pub / mosquitto_sub -V mqttv5 on the other side.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

#if MQTLS_MQTT5
namespace {

using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_refused;
using mqtls::cli_test::mosquitto_command;
using mqtls::cli_test::mqtls;
using mqtls::cli_test::mqtls_command;
using mqtls::cli_test::run_program;
using mqtls::cli_test::wait_for_subscription;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;

constexpr const char* device_password = "device-1-v5-password";
constexpr const char* collector_password = "collector-v5-password";

std::unique_ptr<MosquittoBroker> start_telemetry_broker() {
    // device-1 may write telemetry/device-1/# only (the ACL of telemetry_broker_options).
    return mqtls::cli_test::start_broker(
        mqtls::cli_test::telemetry_broker_options(device_password, collector_password));
}

TEST(CliMqtt5, AclDeniedPublishIsReportedAsDenied) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const auto pub = [&](const char* version, const char* topic) {
        return run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                                  {"-V", version, "-q", "1", "-t", topic, "-m", "21.5"}));
    };
    // MQTT 5: Mosquitto answers the denied PUBLISH with PUBACK 0x87, and pub says so.
    const ProcessResult denied = pub("5", "telemetry/device-2/t");
    EXPECT_EQ(denied.exit_code, exit_refused) << denied.output;
    EXPECT_NE(denied.output.find("the broker refused the message"), std::string::npos)
        << denied.output;
    EXPECT_NE(denied.output.find("Not authorized (Reason Code 0x87)"), std::string::npos)
        << denied.output;
    EXPECT_NE(denied.output.find("ACL"), std::string::npos) << denied.output;
    // The allowed topic goes through under MQTT 5 ...
    const ProcessResult allowed = pub("5", "telemetry/device-1/t");
    EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
    // ... and under MQTT 3.1.1 Mosquitto acknowledges a denied PUBLISH like any other: the
    // limit MQTT 5 removes.
    EXPECT_EQ(pub("311", "telemetry/device-2/t").exit_code, 0);
}

TEST(CliMqtt5, MqttFiveBothWaysWithMosquittoClients) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun mqtls_sub(concat(mqtls_command("sub", *broker, "collector", collector_password),
                                   {"-V", "5", "-i", "v5-watcher", "-t", "telemetry/#", "-q", "1",
                                    "-C", "1", "-W", "10", "-v"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-watcher")) << broker->log();
    const ProcessResult from_mosquitto = run_program(
        mosquitto_command("mosquitto_pub", *broker, "device-1", device_password,
                          {"-V", "mqttv5", "-q", "1", "-t", "telemetry/device-1/a", "-m", "one"}));
    ASSERT_EQ(from_mosquitto.exit_code, 0) << from_mosquitto.output;
    EXPECT_EQ(mqtls_sub.result().exit_code, 0) << mqtls_sub.result().output;
    EXPECT_EQ(mqtls_sub.result().output, "telemetry/device-1/a one\n");

    BackgroundRun mosquitto_sub(
        mosquitto_command("mosquitto_sub", *broker, "collector", collector_password,
                          {"-V", "mqttv5", "-i", "v5-mosquitto-watcher", "-t", "telemetry/#", "-q",
                           "1", "-C", "1", "-W", "10", "-v"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-mosquitto-watcher")) << broker->log();
    const ProcessResult from_mqtls =
        run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                           {"-V", "mqttv5", "-q", "2", "-t", "telemetry/device-1/b", "-m", "two"}));
    ASSERT_EQ(from_mqtls.exit_code, 0) << from_mqtls.output;
    EXPECT_EQ(mosquitto_sub.result().exit_code, 0) << mosquitto_sub.result().output;
    EXPECT_EQ(mosquitto_sub.result().output, "telemetry/device-1/b two\n");
    // Both connections were MQTT 5 on the broker's side.
    EXPECT_NE(broker->log().find("(p5, "), std::string::npos) << broker->log();
}

TEST(CliMqtt5, SessionOutlivesADisconnectShorterThanItsExpiryOnly) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    // A persistent MQTT 5 session that the broker keeps 2 s after we leave.
    const auto keeper = [&](const char* wait_s) {
        return run_program(concat(mqtls_command("sub", *broker, "collector", collector_password),
                                  {"-V", "5", "-c", "-x", "2", "-i", "keeper", "-q", "1", "-t",
                                   "telemetry/#", "-C", "1", "-W", wait_s}));
    };
    const auto publish = [&](const char* payload) {
        return run_program(mosquitto_command(
            "mosquitto_pub", *broker, "device-1", device_password,
            {"-V", "mqttv5", "-q", "1", "-t", "telemetry/device-1/s", "-m", payload}));
    };
    EXPECT_EQ(keeper("1").exit_code, mqtls::cli_test::exit_timeout);  // subscribed, then gone
    ASSERT_EQ(publish("kept").exit_code, 0);
    const ProcessResult back_in_time = keeper("5");
    EXPECT_EQ(back_in_time.exit_code, 0) << back_in_time.output;
    EXPECT_EQ(back_in_time.output, "kept\n");  // queued for the session while we were away

    EXPECT_EQ(keeper("1").exit_code, mqtls::cli_test::exit_timeout);
    ASSERT_EQ(publish("lost").exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // past the 2 s expiry
    const ProcessResult too_late = keeper("1");
    EXPECT_EQ(too_late.exit_code, mqtls::cli_test::exit_timeout) << too_late.output;
    EXPECT_EQ(too_late.output.find("lost"), std::string::npos) << too_late.output;
}

TEST(CliMqtt5, NodeRefusesMqttFiveRatherThanQuietlySpeaking311) {
    for (const char* flag : {"-V", "-x"}) {
        const ProcessResult node = run_program(mqtls(
            {"node", "--device", "d1", "-h", "127.0.0.1", flag, flag[1] == 'V' ? "5" : "60"}));
        EXPECT_EQ(node.exit_code, mqtls::cli_test::exit_usage) << node.output;
        EXPECT_NE(node.output.find("node speaks MQTT 3.1.1 only so far"), std::string::npos)
            << node.output;
    }
}

}  // namespace
#endif
