// TLS session resumption and one-flight connects against a real Mosquitto: a fresh Client (as
// after a deep-sleep reset) resumes from the store, a restarted broker makes the next
// connection full and the one after resume again, and messages sent before CONNACK arrive.
#include <gtest/gtest.h>

#include <string>

#include "client_test_support.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::client {
namespace {

using namespace std::chrono_literals;
using testing::collector_options;
using testing::device_options;
using testing::next_message;
using testing::password_broker_options;
using testing::start_broker;

tls::SessionKey test_key() {
    tls::SessionKey key;
    key.bytes.fill(0x5A);
    return key;
}

ClientOptions resuming(ClientOptions options, tls::SessionStore& store) {
    options.session_store = &store;
    options.session_key = test_key();
    return options;
}

// One wake: a new Client, connect, publish at QoS 1, disconnect; returns whether it resumed.
bool wake_and_publish(const ClientOptions& options, const std::string& payload,
                      ResumptionCounters* counters = nullptr) {
    Client device;
    auto connected = device.connect(options);
    EXPECT_TRUE(connected) << (connected ? "" : connected.error().message());
    if (!connected) return false;
    const bool resumed = device.tls_info().resumed;
    EXPECT_TRUE(device.publish("telemetry/device-1", payload, mqtt::QoS::at_least_once));
    EXPECT_TRUE(device.disconnect());
    if (counters != nullptr) *counters = device.resumption();
    return resumed;
}

TEST(ClientResumption, FreshClientsResumeFromTheStoreAfterTheFirst) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    tls::RamSessionStore store;
    const ClientOptions options = resuming(device_options(*broker), store);

    ResumptionCounters first;
    EXPECT_FALSE(wake_and_publish(options, "1", &first));
    EXPECT_EQ(first.full_handshakes, 1U);
    EXPECT_EQ(first.saved, 1U);
    EXPECT_FALSE(first.last_problem.has_value());
    for (int wake = 2; wake <= 4; ++wake) {
        ResumptionCounters counters;
        EXPECT_TRUE(wake_and_publish(options, std::to_string(wake), &counters)) << wake;
        EXPECT_EQ(counters.resumed, 1U);
        EXPECT_EQ(counters.full_handshakes, 0U);
    }
}

TEST(ClientResumption, RestartedBrokerGetsOneFullHandshakeThenResumesAgain) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    tls::RamSessionStore store;
    const ClientOptions options = resuming(device_options(*broker), store);
    EXPECT_FALSE(wake_and_publish(options, "before"));
    EXPECT_TRUE(wake_and_publish(options, "resumed"));

    std::string diagnostics;
    ASSERT_TRUE(broker->restart(&diagnostics)) << diagnostics;
    ResumptionCounters after_restart;
    EXPECT_FALSE(wake_and_publish(options, "after restart", &after_restart));
    EXPECT_EQ(after_restart.declined, 1U);  // offered, and the new broker did not know it
    EXPECT_TRUE(wake_and_publish(options, "resumed again"));
}

TEST(ClientResumption, TamperedStoreIsNotOfferedAndIsRefreshed) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    tls::RamSessionStore store;
    const ClientOptions options = resuming(device_options(*broker), store);
    EXPECT_FALSE(wake_and_publish(options, "first"));
    ASSERT_GT(store.contents().size(), 100U);
    store.contents()[store.contents().size() / 2] ^= 0x40;

    ResumptionCounters counters;
    EXPECT_FALSE(wake_and_publish(options, "tampered", &counters));
    EXPECT_EQ(counters.unusable, 1U);
    ASSERT_TRUE(counters.last_problem.has_value());
    EXPECT_EQ(counters.last_problem->code, Errc::session_invalid);
    EXPECT_TRUE(wake_and_publish(options, "refreshed"));
}

TEST(ClientResumption, OneFlightMessagesArriveInOrder) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"telemetry/device-1", mqtt::QoS::at_least_once}}));

    tls::RamSessionStore store;
    const ClientOptions options = resuming(device_options(*broker), store);
    for (int wake = 0; wake < 2; ++wake) {  // a full handshake, then a resumed one
        Client device;
        ASSERT_TRUE(device.start_connect(options));
        EXPECT_FALSE(device.connected());  // CONNACK is not awaited yet
        auto first = device.publish_queued("telemetry/device-1", "a" + std::to_string(wake),
                                           mqtt::QoS::at_least_once);
        auto second = device.publish_queued("telemetry/device-1", "b" + std::to_string(wake),
                                            mqtt::QoS::at_least_once);
        ASSERT_TRUE(first && second);
        ASSERT_TRUE(device.finish_connect());
        EXPECT_EQ(device.tls_info().resumed, wake == 1);
        ASSERT_TRUE(device.await_acknowledgement(*first, 5000ms));
        ASSERT_TRUE(device.await_acknowledgement(*second, 5000ms));
        EXPECT_TRUE(device.disconnect());

        auto a = next_message(collector, 5000ms);
        auto b = next_message(collector, 5000ms);
        ASSERT_TRUE(a && b);
        EXPECT_EQ(a->payload, "a" + std::to_string(wake));
        EXPECT_EQ(b->payload, "b" + std::to_string(wake));
    }
}

TEST(ClientResumption, RefusedOneFlightKeepsItsQos1MessagesInFlight) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    ClientOptions options = device_options(*broker);
    options.password = "wrong";
    options.clean_session = false;
    Client device;
    ASSERT_TRUE(device.start_connect(options));
    auto id = device.publish_queued("telemetry/device-1", "kept", mqtt::QoS::at_least_once);
    ASSERT_TRUE(id);
    auto finished = device.finish_connect();
    ASSERT_FALSE(finished);
    EXPECT_EQ(finished.error().code, Errc::broker_refused);
    EXPECT_TRUE(device.in_flight(*id)) << "the message must wait for the next connection";
}

TEST(ClientResumption, StoreWithoutAKeyIsNeverUsed) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    tls::RamSessionStore store;
    ClientOptions options = device_options(*broker);
    options.session_store = &store;  // and no session_key: all zero
    ResumptionCounters counters;
    EXPECT_FALSE(wake_and_publish(options, "1", &counters));
    EXPECT_EQ(counters.saved, 0U);
    EXPECT_EQ(store.contents().size(), 0U);
    ASSERT_TRUE(counters.last_problem.has_value());
    EXPECT_EQ(counters.last_problem->code, Errc::invalid_argument);
}

TEST(ClientResumption, BlockingPublishInsideAOneFlightIsRefused) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client device;
    ASSERT_TRUE(device.start_connect(device_options(*broker)));
    // Its wait for PUBACK could never end: the flight leaves at finish_connect().
    auto blocking = device.publish("telemetry/device-1", "x", mqtt::QoS::at_least_once);
    ASSERT_FALSE(blocking);
    EXPECT_EQ(blocking.error().code, Errc::not_connected);
    ASSERT_TRUE(device.finish_connect());
    EXPECT_TRUE(device.publish("telemetry/device-1", "y", mqtt::QoS::at_least_once));
}

TEST(ClientResumption, PublishBeforeStartConnectIsRefused) {
    Client device;
    auto id = device.publish_queued("telemetry/device-1", "x", mqtt::QoS::at_least_once);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::not_connected);
    EXPECT_EQ(device.finish_connect().error().code, Errc::not_connected);
}

}  // namespace
}  // namespace mqtls::client
