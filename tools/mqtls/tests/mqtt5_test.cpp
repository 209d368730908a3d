// MQTT 5 from the command line (-V 5), against a real Mosquitto on a loopback port, with
// mosquitto_pub / mosquitto_sub -V mqttv5 on the other side: pub, sub, and the node (denied
// readings, message expiry, the wake cycle).
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

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
using Json = nlohmann::json;

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

// The broker's limits from CONNACK (3.2.2.3): Receive Maximum bounds the QoS 2 messages in
// flight (Mosquitto holds each until PUBREL; a burst of 40 with -M 65535 must stay within 2, or
// it disconnects with 0x93 Receive Maximum exceeded),
// and Maximum Packet Size refuses a message before it is sent, where 3.1.1 has the broker drop
// the connection.
TEST(CliMqtt5, BurstStaysWithinTheBrokersReceiveMaximumAndItsMaximumPacketSize) {
    mqtls::testing::BrokerOptions options =
        mqtls::cli_test::telemetry_broker_options(device_password, collector_password);
    options.extra_config = "max_inflight_messages 2\nmax_packet_size 1024\n";
    auto broker = mqtls::cli_test::start_broker(options);
    ASSERT_TRUE(broker);
    auto made = mqtls::testing::TempDir::create("mqtls-v5-burst-");
    ASSERT_TRUE(made);
    const mqtls::testing::TempDir& dir = *made;
    std::string lines;
    for (int i = 0; i < 40; ++i) lines += "burst-" + std::to_string(i) + "\n";
    const std::string input = dir.file("burst.txt");
    mqtls::cli_test::write_file(input, lines);
    BackgroundRun collector(concat(
        mqtls_command("sub", *broker, "collector", collector_password),
        {"-V", "5", "-i", "v5-burst", "-t", "telemetry/#", "-q", "1", "-C", "40", "-W", "20"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-burst")) << broker->log();
    const ProcessResult burst = mqtls::cli_test::run_redirected(
        concat(mqtls_command("pub", *broker, "device-1", device_password),
               {"-V", "5", "-q", "2", "-l", "-M", "65535", "-t", "telemetry/device-1/b"}),
        mqtls::cli_test::input_from(input));
    EXPECT_EQ(burst.exit_code, 0) << burst.output;
    EXPECT_EQ(collector.result().exit_code, 0) << collector.result().output;
    EXPECT_EQ(collector.result().output, lines);
    EXPECT_EQ(broker->log().find("Receive Maximum"), std::string::npos) << broker->log();

    const auto pub_bytes = [&](std::size_t size) {
        return run_program(concat(
            mqtls_command("pub", *broker, "device-1", device_password),
            {"-V", "5", "-q", "1", "-t", "telemetry/device-1/big", "-m", std::string(size, 'x')}));
    };
    const ProcessResult too_big = pub_bytes(2000);
    EXPECT_NE(too_big.exit_code, 0) << too_big.output;
    EXPECT_NE(too_big.output.find("the message breaks a limit the broker announced in CONNACK"),
              std::string::npos)
        << too_big.output;
    EXPECT_EQ(pub_bytes(900).exit_code, 0);
}

// Topic aliases (3.3.2.3.4) against Mosquitto, which allows 10 by default: a burst to one topic
// goes out as alias 1 after the first message, and every message arrives under its topic. A
// broker that did not know the alias would close the connection (0x94 Topic Alias invalid).
TEST(CliMqtt5, RepeatedTopicsGoAsAliasesAndArriveUnderTheirNames) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    auto made = mqtls::testing::TempDir::create("mqtls-v5-alias-");
    ASSERT_TRUE(made);
    std::string lines;
    std::string expected;
    for (int i = 0; i < 10; ++i) {
        lines += "reading-" + std::to_string(i) + "\n";
        expected += "telemetry/device-1/aliased reading-" + std::to_string(i) + "\n";
    }
    const std::string input = made->file("lines.txt");
    mqtls::cli_test::write_file(input, lines);
    BackgroundRun watcher(
        mosquitto_command("mosquitto_sub", *broker, "collector", collector_password,
                          {"-V", "mqttv5", "-i", "v5-alias-watcher", "-t", "telemetry/#", "-q", "1",
                           "-C", "10", "-W", "20", "-v"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-alias-watcher")) << broker->log();
    for (const char* qos : {"0", "1"}) {
        const ProcessResult pub = mqtls::cli_test::run_redirected(
            concat(mqtls_command("pub", *broker, "device-1", device_password),
                   {"-V", "5", "-q", qos, "-l", "-t", "telemetry/device-1/aliased"}),
            mqtls::cli_test::input_from(input));
        EXPECT_EQ(pub.exit_code, 0) << pub.output;
        if (qos[0] == '0') {
            EXPECT_EQ(watcher.result().exit_code, 0) << watcher.result().output;
            EXPECT_EQ(watcher.result().output, expected);
        }
    }
    EXPECT_EQ(broker->log().find("Topic Alias"), std::string::npos) << broker->log();
}

// sub -V 5 -F shows a message's MQTT 5 properties as mosquitto_sub does: %C content type, %D
// correlation data, %E message expiry, %F payload format, %P user properties, %R response topic.
TEST(CliMqtt5, SubFormatShowsThePropertiesMosquittoPubSent) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun sub(concat(mqtls_command("sub", *broker, "collector", collector_password),
                             {"-V", "5", "-i", "v5-format", "-t", "telemetry/#", "-C", "2", "-W",
                              "10", "-F", "%C|%D|%E|%F|%P|%R|%A|%t %p"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-format")) << broker->log();
    const ProcessResult with_properties =
        run_program(mosquitto_command("mosquitto_pub", *broker, "device-1", device_password,
                                      {"-V",
                                       "mqttv5",
                                       "-t",
                                       "telemetry/device-1/p",
                                       "-m",
                                       "21.5",
                                       "-D",
                                       "PUBLISH",
                                       "content-type",
                                       "text/plain",
                                       "-D",
                                       "PUBLISH",
                                       "correlation-data",
                                       "req-7",
                                       "-D",
                                       "PUBLISH",
                                       "message-expiry-interval",
                                       "3600",
                                       "-D",
                                       "PUBLISH",
                                       "payload-format-indicator",
                                       "1",
                                       "-D",
                                       "PUBLISH",
                                       "user-property",
                                       "site",
                                       "north",
                                       "-D",
                                       "PUBLISH",
                                       "user-property",
                                       "unit",
                                       "C",
                                       "-D",
                                       "PUBLISH",
                                       "response-topic",
                                       "reply/device-1"}));
    ASSERT_EQ(with_properties.exit_code, 0) << with_properties.output;
    const ProcessResult plain = run_program(
        mosquitto_command("mosquitto_pub", *broker, "device-1", device_password,
                          {"-V", "mqttv5", "-t", "telemetry/device-1/q", "-m", "none"}));
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    const ProcessResult shown = sub.result();
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    // The broker forwards what is left of the expiry: 3600, or 3599 across a second.
    const std::regex expected(
        "text/plain\\|req-7\\|(3600|3599)\\|1\\|site:north unit:C\\|reply/device-1\\|\\|"
        "telemetry/device-1/p 21\\.5\n\\|\\|\\|\\|\\|\\|\\|telemetry/device-1/q none\n");
    EXPECT_TRUE(std::regex_match(shown.output, expected)) << shown.output;
}

// pub -D as mosquitto_pub takes it: the properties arrive at mosquitto_sub -V mqttv5 -F.
TEST(CliMqtt5, PubPropertiesArriveAtMosquittoSub) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun watcher(
        mosquitto_command("mosquitto_sub", *broker, "collector", collector_password,
                          {"-V", "mqttv5", "-i", "v5-props-watcher", "-t", "telemetry/#", "-C", "1",
                           "-W", "10", "-F", "%P|%C|%R|%D|%F|%p"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-props-watcher")) << broker->log();
    const ProcessResult pub = run_program(concat(
        mqtls_command("pub", *broker, "device-1", device_password), {"-V",
                                                                     "5",
                                                                     "-t",
                                                                     "telemetry/device-1/d",
                                                                     "-m",
                                                                     "22.0",
                                                                     "-D",
                                                                     "PUBLISH",
                                                                     "user-property",
                                                                     "site",
                                                                     "north",
                                                                     "-D",
                                                                     "publish",
                                                                     "content-type",
                                                                     "text/plain",
                                                                     "-D",
                                                                     "PUBLISH",
                                                                     "response-topic",
                                                                     "reply/d",
                                                                     "-D",
                                                                     "PUBLISH",
                                                                     "correlation-data",
                                                                     "c-1",
                                                                     "-D",
                                                                     "PUBLISH",
                                                                     "payload-format-indicator",
                                                                     "1",
                                                                     "-D",
                                                                     "CONNECT",
                                                                     "user-property",
                                                                     "fw",
                                                                     "1.2"}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    EXPECT_EQ(watcher.result().output, "site:north|text/plain|reply/d|c-1|1|22.0\n")
        << watcher.result().output;
}

TEST(CliMqtt5, PropertyFlagMistakesAreUsageErrors) {
    const std::vector<std::string> pub = {"pub", "-h", "127.0.0.1", "-t", "a", "-m", "b"};
    const auto refused = [&](const std::vector<std::string>& more, const char* says) {
        const ProcessResult result = run_program(mqtls(concat(pub, more)));
        EXPECT_EQ(result.exit_code, mqtls::cli_test::exit_usage) << result.output;
        EXPECT_NE(result.output.find(says), std::string::npos) << says << "\n" << result.output;
    };
    refused({"-D", "PUBLISH", "content-type", "x"}, "-D sets MQTT 5 properties: add -V 5");
    refused({"-V", "5", "-D", "PUBLISH", "colour", "red"}, "'colour' is not an MQTT 5 property");
    refused({"-V", "5", "-D", "SUBSCRIBE", "user-property", "a", "b"},
            "sets properties of CONNECT, PUBLISH or DISCONNECT only");
    refused({"-V", "5", "-D", "PUBLISH", "subscription-identifier", "3"}, "[MQTT-3.3.4-6]");
    refused({"-V", "5", "-D", "DISCONNECT", "server-reference", "b2"}, "only a server sends it");
    refused({"-V", "5", "-D", "DISCONNECT", "session-expiry-interval", "60"},
            "only 0 unless -x keeps the session");
    refused({"-V", "5", "-x", "0", "-D", "DISCONNECT", "session-expiry-interval", "60"},
            "[MQTT-3.14.2-2]");
    refused({"-V", "5", "-D", "CONNECT", "content-type", "x"}, "does not belong in CONNECT");
    refused({"-V", "5", "-D", "PUBLISH", "user-property", "a"}, "takes a name and a value");
    refused({"-V", "5", "-D", "PUBLISH", "message-expiry-interval", "soon"}, "needs a number");
    refused({"-V", "5", "-D", "PUBLISH", "topic-alias", "3"}, "is not settable");
    refused({"-V", "5", "-D", "CONNECT", "session-expiry-interval", "3"}, "-x SECONDS");
    refused({"-V", "5", "-D", "PUBLISH", "payload-format-indicator", "7"}, "-D PUBLISH: ");
    const auto sub_refused = [&](const std::vector<std::string>& more, const char* says) {
        const ProcessResult result =
            run_program(mqtls(concat({"sub", "-h", "127.0.0.1", "-t", "a", "-V", "5"}, more)));
        EXPECT_EQ(result.exit_code, mqtls::cli_test::exit_usage) << result.output;
        EXPECT_NE(result.output.find(says), std::string::npos) << says << "\n" << result.output;
    };
    sub_refused({"-D", "PUBLISH", "content-type", "x"},
                "sets properties of CONNECT, SUBSCRIBE, UNSUBSCRIBE or DISCONNECT only");
    sub_refused({"-D", "SUBSCRIBE", "content-type", "x"}, "does not belong in SUBSCRIBE");
    sub_refused({"-D", "UNSUBSCRIBE", "subscription-identifier", "1"},
                "does not belong in UNSUBSCRIBE");
    sub_refused({"-D", "SUBSCRIBE", "subscription-identifier", "0"}, "-D SUBSCRIBE: ");
    sub_refused({"-D", "subscribe", "subscription-identifier", "268435456"}, "needs a number");
}

// sub -D SUBSCRIBE subscription-identifier: Mosquitto sends the identifier with each message
// the subscription matched [MQTT-3.3.4-3], and -F %S shows it. UNSUBSCRIBE with a User
// Property is accepted like any other.
TEST(CliMqtt5, SubscribePropertiesReachTheBroker) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    BackgroundRun sub(concat(mqtls_command("sub", *broker, "collector", collector_password),
                             {"-V",
                              "5",
                              "-i",
                              "v5-identified",
                              "-t",
                              "telemetry/#",
                              "-t",
                              "other/#",
                              "-U",
                              "other/#",
                              "-C",
                              "1",
                              "-W",
                              "10",
                              "-F",
                              "%S|%p",
                              "-D",
                              "SUBSCRIBE",
                              "subscription-identifier",
                              "7",
                              "-D",
                              "SUBSCRIBE",
                              "user-property",
                              "site",
                              "north",
                              "-D",
                              "UNSUBSCRIBE",
                              "user-property",
                              "why",
                              "test",
                              "-d"}));
    ASSERT_TRUE(wait_for_subscription(*broker, "v5-identified")) << broker->log();
    const ProcessResult published =
        run_program(mosquitto_command("mosquitto_pub", *broker, "device-1", device_password,
                                      {"-V", "mqttv5", "-t", "telemetry/device-1/i", "-m", "one"}));
    ASSERT_EQ(published.exit_code, 0) << published.output;
    const ProcessResult shown = sub.result();
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_NE(shown.output.find("7|one\n"), std::string::npos) << shown.output;
    EXPECT_NE(shown.output.find("unsubscribed from other/#"), std::string::npos) << shown.output;
}

// -D DISCONNECT session-expiry-interval 0 ends a session CONNECT asked the broker to keep
// (3.14.2.2.2): what is published afterwards is not queued for it, where without it
// (SessionOutlivesADisconnectShorterThanItsExpiryOnly) it is.
TEST(CliMqtt5, DisconnectCanEndTheSessionConnectKept) {
    auto broker = start_telemetry_broker();
    ASSERT_TRUE(broker);
    const auto session = [&](const char* wait_s, const std::vector<std::string>& more) {
        return run_program(concat(mqtls_command("sub", *broker, "collector", collector_password),
                                  concat({"-V", "5", "-c", "-x", "60", "-i", "ender", "-q", "1",
                                          "-t", "telemetry/#", "-C", "1", "-W", wait_s},
                                         more)));
    };
    const ProcessResult ended = session("1", {"-D", "DISCONNECT", "session-expiry-interval", "0"});
    EXPECT_EQ(ended.exit_code, mqtls::cli_test::exit_timeout) << ended.output;
    ASSERT_EQ(run_program(mosquitto_command("mosquitto_pub", *broker, "device-1", device_password,
                                            {"-V", "mqttv5", "-q", "1", "-t",
                                             "telemetry/device-1/e", "-m", "unqueued"}))
                  .exit_code,
              0);
    const ProcessResult back = session("1", {});
    EXPECT_EQ(back.exit_code, mqtls::cli_test::exit_timeout) << back.output;
    EXPECT_EQ(back.output.find("unqueued"), std::string::npos) << back.output;
}

// `mqtls node -V 5` as device-1 (ACL: telemetry/device-1/# only), with an outbox in a folder
// of its own.
class CliNodeMqtt5 : public mqtls::cli_test::TempDirTest {
protected:
    CliNodeMqtt5() : TempDirTest("mqtls-node-v5-") {}

    void set_up_in_directory() override {
        broker_ = start_telemetry_broker();
        ASSERT_TRUE(broker_);
    }

    // The node on `topic`, no status messages (status/device-1 is not in its ACL).
    [[nodiscard]] std::vector<std::string> node(const std::string& topic,
                                                const std::vector<std::string>& more) const {
        return concat(mqtls_command("node", *broker_, "device-1", device_password),
                      concat({"-V", "5", "--device", "device-1", "--no-status", "--topic", topic,
                              "--outbox", path("outbox"), "--interval", "0.1", "--no-timestamps"},
                             more));
    }

    [[nodiscard]] ProcessResult run(const std::vector<std::string>& arguments) const {
        return run_program(arguments, std::chrono::seconds(30));
    }

    // A persistent MQTT 5 session on telemetry/device-1/# that the broker keeps 60 s: made (or
    // read) and left after `wait_s`.
    [[nodiscard]] ProcessResult keeper(const char* wait_s) const {
        return run(concat(mqtls_command("sub", *broker_, "collector", collector_password),
                          {"-V", "5", "-c", "-x", "60", "-i", "v5-keeper", "-q", "1", "-t",
                           "telemetry/device-1/#", "-C", "1", "-W", wait_s}));
    }

    std::unique_ptr<MosquittoBroker> broker_;
};

TEST_F(CliNodeMqtt5, DeniedReadingIsKeptAndGoesOutOnceTheTopicIsAllowed) {
    const ProcessResult denied = run(node("telemetry/device-2/t", {"-C", "1"}));
    EXPECT_EQ(denied.exit_code, exit_refused) << denied.output;
    EXPECT_NE(denied.output.find("seq=1: the broker refused the message: Not authorized (Reason "
                                 "Code 0x87); it stays in the outbox (--on-denied keep)"),
              std::string::npos)
        << denied.output;
    EXPECT_NE(denied.output.find("--on-denied drop releases refused readings instead"),
              std::string::npos)
        << denied.output;
    // The kept reading goes out first on the next run, to the topic the device may write.
    BackgroundRun collector(concat(
        mqtls_command("sub", *broker_, "collector", collector_password),
        {"-V", "5", "-i", "v5-collector", "-t", "telemetry/#", "-q", "1", "-C", "1", "-W", "20"}));
    ASSERT_TRUE(wait_for_subscription(*broker_, "v5-collector")) << broker_->log();
    const ProcessResult allowed = run(node("telemetry/device-1/t", {"-C", "1"}));
    EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
    EXPECT_NE(collector.result().output.find("\"seq\":1,"), std::string::npos)
        << collector.result().output;
    EXPECT_NE(allowed.output.find("0 denied"), std::string::npos) << allowed.output;
}

TEST_F(CliNodeMqtt5, DropPolicyReleasesAndCountsEveryDeniedReading) {
    const ProcessResult dropped =
        run(node("telemetry/device-2/t", {"--on-denied", "drop", "--duration", "1.5"}));
    EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
    EXPECT_NE(dropped.output.find("seq=1: the broker refused the message: Not authorized (Reason "
                                  "Code 0x87); dropped (--on-denied drop), 1 denied so far"),
              std::string::npos)
        << dropped.output;
    // None acknowledged, none left, each one counted.
    const std::regex summary(R"(stopped: 0 reading\(s\) acknowledged, (\d+) taken, 0 pending )"
                             R"(in the outbox, 0 dropped, (\d+) denied)");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(dropped.output, match, summary)) << dropped.output;
    EXPECT_GE(std::stoi(match[2]), 3) << dropped.output;
    EXPECT_EQ(match[1], match[2]) << dropped.output;
}

TEST_F(CliNodeMqtt5, OnDeniedNeedsMqttFiveAndAKnownPolicy) {
    const std::vector<std::string> base = {"node", "--device", "d1", "-h", "127.0.0.1"};
    const ProcessResult v311 = run_program(mqtls(concat(base, {"--on-denied", "drop"})));
    EXPECT_EQ(v311.exit_code, mqtls::cli_test::exit_usage) << v311.output;
    EXPECT_NE(v311.output.find("--on-denied needs -V 5"), std::string::npos) << v311.output;
    const ProcessResult unknown =
        run_program(mqtls(concat(base, {"--mqtt", "5", "--on-denied", "ignore"})));
    EXPECT_EQ(unknown.exit_code, mqtls::cli_test::exit_usage) << unknown.output;
    EXPECT_NE(unknown.output.find("--on-denied must be keep or drop"), std::string::npos)
        << unknown.output;
    const ProcessResult short_expiry = run_program(mqtls(concat(
        base, {"-V", "5", "-x", "30", "--cycles", "2", "--sleep", "60", "--outbox", path("o")})));
    EXPECT_EQ(short_expiry.exit_code, mqtls::cli_test::exit_usage) << short_expiry.output;
    EXPECT_NE(short_expiry.output.find("-x is shorter than --sleep plus --wake-deadline"),
              std::string::npos)
        << short_expiry.output;
}

// Message expiry (3.3.2.3.3) at the broker: a reading queued for a sleeping subscriber is
// discarded once its --reading-ttl has passed, and kept when it has not.
TEST_F(CliNodeMqtt5, BrokerDiscardsAQueuedReadingOnceItsTtlPassed) {
    ASSERT_EQ(keeper("1").exit_code, mqtls::cli_test::exit_timeout);  // subscribed, then away
    ASSERT_EQ(run(node("telemetry/device-1/t", {"--reading-ttl", "1", "-C", "1"})).exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const ProcessResult stale = keeper("1");
    EXPECT_EQ(stale.exit_code, mqtls::cli_test::exit_timeout) << stale.output;
    EXPECT_EQ(stale.output.find("\"seq\":1,"), std::string::npos) << stale.output;

    ASSERT_EQ(run(node("telemetry/device-1/t", {"--reading-ttl", "60", "-C", "1"})).exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const ProcessResult fresh = keeper("5");
    EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
    EXPECT_NE(fresh.output.find("\"seq\":2,"), std::string::npos) << fresh.output;
}

// The wake cycle under MQTT 5: readings delivered with the session kept between wakes; a
// refused one kept (exit 6) or dropped and counted in the report; a stale one expired unsent.
TEST_F(CliNodeMqtt5, WakeCycleDeliversKeepsOrDropsRefusedAndExpiresStaleReadings) {
    const auto wake = [&](const std::string& topic, const std::vector<std::string>& more) {
        std::vector<std::string> arguments = node(topic, concat({"--wake-cycle"}, more));
        return run(arguments);
    };
    const std::string report = path("wake.json");
    const ProcessResult delivered = wake("telemetry/device-1/w", {"--wake-report", report});
    EXPECT_EQ(delivered.exit_code, 0) << delivered.output;
    Json first = Json::parse(mqtls::cli_test::read_file(report), nullptr, false);
    EXPECT_EQ(first.value("delivered", 0), 1) << first.dump();
    EXPECT_EQ(first.value("mqtt", std::string()), "5") << first.dump();
    // The wake's session is persistent (Session Expiry "never" without -x): the broker says so.
    EXPECT_NE(broker_->log().find("(p5, c0, k"), std::string::npos) << broker_->log();

    const ProcessResult kept = wake("telemetry/device-2/w", {"--wake-report", report});
    EXPECT_EQ(kept.exit_code, exit_refused) << kept.output;
    EXPECT_NE(kept.output.find("Not authorized (Reason Code 0x87)"), std::string::npos)
        << kept.output;
    Json second = Json::parse(mqtls::cli_test::read_file(report), nullptr, false);
    EXPECT_EQ(second.value("pending", 0), 1) << second.dump();

    const ProcessResult dropped =
        wake("telemetry/device-2/w", {"--on-denied", "drop", "--wake-report", report});
    EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
    Json third = Json::parse(mqtls::cli_test::read_file(report), nullptr, false);
    EXPECT_EQ(third.value("denied", 0), 2) << third.dump();  // the kept one and this wake's
    EXPECT_EQ(third.value("pending", 1), 0) << third.dump();

    // A reading taken while the broker is out of reach is older than its ttl at the next wake.
    std::vector<std::string> unreachable = node("telemetry/device-1/w", {"--wake-cycle"});
    for (std::size_t i = 0; i + 1 < unreachable.size(); ++i) {
        if (unreachable[i] == "-p")
            unreachable[i + 1] = std::to_string(mqtls::cli_test::free_port());
    }
    EXPECT_EQ(run(unreachable).exit_code, mqtls::cli_test::exit_network);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const ProcessResult stale =
        wake("telemetry/device-1/w", {"--reading-ttl", "2", "--wake-report", report});
    EXPECT_EQ(stale.exit_code, 0) << stale.output;
    Json fourth = Json::parse(mqtls::cli_test::read_file(report), nullptr, false);
    EXPECT_EQ(fourth.value("expired", 0), 1) << fourth.dump();
    EXPECT_EQ(fourth.value("delivered", 0), 1) << fourth.dump();  // this wake's own reading
    EXPECT_NE(stale.output.find("1 reading(s) older than --reading-ttl 2 s: released unsent"),
              std::string::npos)
        << stale.output;
}

}  // namespace
#endif
