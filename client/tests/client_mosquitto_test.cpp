// The blocking client against a real Mosquitto over TLS: authentication, QoS 0/1/2 round
// trips, retained and will messages, keepalive, and ACL denials.
#include <string>
#include <thread>

#include "client_test_support.hpp"

namespace mqtls::client {
namespace {

using namespace testing;
using mqtt::QoS;

TEST(ClientMosquitto, ConnectsWithPasswordOverVerifiedTls) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client client;
    const auto connected = client.connect(device_options(*broker));
    ASSERT_TRUE(connected) << connected.error().message() << "\n" << broker->log();
    EXPECT_TRUE(client.connected());
    const tls::ConnectionInfo info = client.tls_info();
    EXPECT_STREQ(info.protocol, testing::testing_tls13() ? "TLSv1.3" : "TLSv1.2");
    EXPECT_EQ(info.verified_name, "127.0.0.1");
    EXPECT_TRUE(client.disconnect());
    EXPECT_FALSE(client.connected());
}

TEST(ClientMosquitto, WrongPasswordIsRefusedWithTheReturnCode) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client client;
    const auto connected = client.connect(options_for(*broker, "device-1", "not the password"));
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::broker_refused);
    // Mosquitto answers a bad password with 5 (not authorized) in MQTT 3.1.1.
    EXPECT_TRUE(connected.error().detail == 4 || connected.error().detail == 5)
        << connected.error().detail;
    EXPECT_FALSE(client.connected());
}

TEST(ClientMosquitto, Qos0And1And2RoundTripsThroughASubscriber) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    auto granted = collector.subscribe({{"telemetry/#", QoS::exactly_once}});
    ASSERT_TRUE(granted);
    ASSERT_EQ(granted->size(), 1u);
    EXPECT_EQ((*granted)[0], 2);

    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    for (const QoS qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
        const std::string payload = "{\"seq\":" + std::to_string(static_cast<int>(qos)) + "}";
        const auto id = device.publish("telemetry/device-1", payload, qos);
        ASSERT_TRUE(id) << id.error().message();
        EXPECT_EQ(*id == 0, qos == QoS::at_most_once);
        const auto message = next_message(collector, 5000ms);
        ASSERT_TRUE(message) << "QoS " << static_cast<int>(qos) << " not delivered";
        EXPECT_EQ(message->topic, "telemetry/device-1");
        EXPECT_EQ(message->payload, payload);
        EXPECT_EQ(message->qos, qos);
    }
}

TEST(ClientMosquitto, RetainedMessageReachesALaterSubscriber) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client publisher;
    ASSERT_TRUE(publisher.connect(collector_options(*broker)));
    ASSERT_TRUE(publisher.publish("retained/config", "interval=10", QoS::at_least_once, true));
    ASSERT_TRUE(publisher.disconnect());

    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    ASSERT_TRUE(device.subscribe({{"retained/config", QoS::at_least_once}}));
    const auto message = next_message(device, 5000ms);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, "interval=10");
    EXPECT_TRUE(message->retain);
}

TEST(ClientMosquitto, WillIsPublishedAfterAnAbruptDisconnect) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"status/device-1", QoS::at_least_once}}));

    Client device;
    ClientOptions options = device_options(*broker);
    options.will = WillOptions{"status/device-1", "offline", QoS::at_least_once, false};
    ASSERT_TRUE(device.connect(options));
    device.drop_connection();  // no DISCONNECT: the broker must publish the will

    const auto message = next_message(collector, 5000ms);
    ASSERT_TRUE(message) << broker->log();
    EXPECT_EQ(message->topic, "status/device-1");
    EXPECT_EQ(message->payload, "offline");
}

TEST(ClientMosquitto, CleanDisconnectSuppressesTheWill) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"status/device-1", QoS::at_least_once}}));
    Client device;
    ClientOptions options = device_options(*broker);
    options.will = WillOptions{"status/device-1", "offline", QoS::at_least_once, false};
    ASSERT_TRUE(device.connect(options));
    ASSERT_TRUE(device.disconnect());
    EXPECT_FALSE(next_message(collector, 1500ms));
}

TEST(ClientMosquitto, KeepalivePingsKeepAnIdleConnectionOpen) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client device;
    ClientOptions options = device_options(*broker);
    options.keep_alive_s = 1;  // the broker drops us after 1.5 s of silence without pings
    ASSERT_TRUE(device.connect(options));
    // Idle for four keepalive periods, servicing the connection as an application loop would.
    for (int i = 0; i < 8; ++i) {
        const auto serviced = device.loop(500ms);
        ASSERT_TRUE(serviced) << serviced.error().message() << "\n" << broker->log();
    }
    EXPECT_TRUE(device.connected());
    EXPECT_TRUE(device.publish("telemetry/device-1", "still here", QoS::at_least_once));
    EXPECT_NE(broker->log().find("PINGREQ"), std::string::npos) << broker->log();
}

TEST(ClientMosquitto, AclDeniedSubscriptionDeliversNothing) {
    // Mosquitto 2.0.11 grants a SUBSCRIBE the ACL forbids (SUBACK says granted) and then never
    // delivers on it; the denial must show as no message, never as one.
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    ASSERT_TRUE(device.subscribe({{"commands/#", QoS::at_least_once}}));
    ASSERT_TRUE(device.subscribe({{"retained/#", QoS::at_least_once}}));
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.publish("commands/device-1", "reboot", QoS::at_least_once));
    ASSERT_TRUE(collector.publish("retained/notice", "allowed", QoS::at_least_once));
    const auto message = next_message(device, 5000ms);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, "allowed");  // the denied one never arrives, before or after
    EXPECT_FALSE(next_message(device, 500ms));
}

TEST(ClientMosquitto, AclDeniedPublishIsNotDelivered) {
    // MQTT 3.1.1 gives the publisher no way to learn of the denial (Mosquitto still sends
    // PUBACK); what must hold is that the message goes nowhere.
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"telemetry/#", QoS::at_least_once}}));
    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    ASSERT_TRUE(device.publish("telemetry/device-2", "forged", QoS::at_least_once));
    ASSERT_TRUE(device.publish("telemetry/device-1", "genuine", QoS::at_least_once));
    const auto message = next_message(collector, 5000ms);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, "genuine");
    EXPECT_FALSE(next_message(collector, 500ms));
    EXPECT_NE(broker->log().find("Denied PUBLISH"), std::string::npos) << broker->log();
}

}  // namespace
}  // namespace mqtls::client

namespace mqtls::client::testing {
namespace {

// After a reboot: a new Client restores what the earlier run had in flight and the broker
// receives it again under the same identifier with DUP set, and acknowledges it.
TEST(ClientMosquitto, RestoredPublishGoesOutWithDupAndItsIdentifierAfterConnect) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"telemetry/#", mqtt::QoS::at_least_once}}));

    ClientOptions options = device_options(*broker);
    options.clean_session = false;
    Client device;
    ASSERT_TRUE(device.restore_publish("telemetry/device-1", R"({"seq":7})",
                                       mqtt::QoS::at_least_once, false, 4242));
    EXPECT_TRUE(device.in_flight(4242));
    const Result<void> twice =
        device.restore_publish("telemetry/device-1", "x", mqtt::QoS::at_least_once, false, 4242);
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, Errc::invalid_argument);
    ASSERT_TRUE(device.connect(options));
    ASSERT_TRUE(device.await_acknowledgement(4242, 5000ms));
    EXPECT_FALSE(device.in_flight(4242));
    const Result<void> late =
        device.restore_publish("telemetry/device-1", "x", mqtt::QoS::at_least_once, false, 4243);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Errc::already_connected);

    const auto message = next_message(collector, 5000ms);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, R"({"seq":7})");
    // Mosquitto logs each PUBLISH with its flags: d1 = DUP, m4242 = the identifier.
    EXPECT_NE(broker->log().find("Received PUBLISH from device-1 (d1, q1, r0, m4242"),
              std::string::npos)
        << broker->log();
    // New messages continue with fresh identifiers and complete normally.
    ASSERT_TRUE(device.publish("telemetry/device-1", "next", mqtt::QoS::at_least_once));
}

}  // namespace
}  // namespace mqtls::client::testing
