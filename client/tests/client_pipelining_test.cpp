// Pipelined publishing (publish_queued + flush) against a real Mosquitto: more QoS 1 messages
// than there are packet identifiers, so the identifiers wrap, all counted by a subscriber.
#include <chrono>
#include <iostream>
#include <string>

#include "client_test_support.hpp"

namespace mqtls::client {
namespace {

using namespace testing;
using test_clock = std::chrono::steady_clock;
using mqtt::QoS;

// Past 65535: identifiers must wrap without reusing one still in flight.
constexpr int wrapping_message_count = 70'000;

// Mosquitto drops QoS 1/2 messages for a subscriber beyond 1000 queued (its default
// max_queued_messages); the tests are about the publisher, so let the broker queue them all.
mqtls::testing::BrokerOptions deep_queue_broker_options() {
    mqtls::testing::BrokerOptions options = password_broker_options();
    options.extra_config = "max_queued_messages 200000\n";
    return options;
}

TEST(ClientPipelining, SeventyThousandQos1MessagesWrapPacketIdsAndAllArrive) {
    auto broker = start_broker(deep_queue_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"telemetry/device-1/pipelined", QoS::at_least_once}}));

    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    const auto started = test_clock::now();
    const auto time_limit = std::chrono::seconds(90);
    int received = 0;
    int next_expected = 0;
    bool in_order = true;
    // Counts what has arrived so far, so neither side's buffers fill up while we publish.
    const auto collect = [&](std::chrono::milliseconds wait) {
        for (int turn = 0; turn < wrapping_message_count; ++turn) {
            // receive(0ms) only hands out what was already read; the first turn reads.
            auto message = collector.receive(turn == 0 ? wait : 0ms);
            if (!message || !*message) return;
            if ((*message)->payload != std::to_string(next_expected)) in_order = false;
            ++next_expected;
            ++received;
        }
    };
    mqtt::PacketId highest_id = 0;
    int wraps = 0;
    mqtt::PacketId previous_id = 0;
    for (int i = 0; i < wrapping_message_count; ++i) {
        const auto id = device.publish_queued("telemetry/device-1/pipelined", std::to_string(i),
                                              QoS::at_least_once);
        ASSERT_TRUE(id) << "message " << i << ": " << id.error().message();
        ASSERT_NE(*id, 0);
        if (*id < previous_id) ++wraps;
        previous_id = *id;
        highest_id = std::max(highest_id, *id);
        if (i % 1000 == 999) collect(1ms);
        ASSERT_LT(test_clock::now() - started, time_limit) << "publishing too slow at " << i;
    }
    const auto flushed = device.flush(30'000ms);
    ASSERT_TRUE(flushed) << flushed.error().message();
    const auto published_in =
        std::chrono::duration_cast<std::chrono::milliseconds>(test_clock::now() - started);
    std::cout << wrapping_message_count << " QoS 1 messages published and acknowledged in "
              << published_in.count() << " ms\n";
    EXPECT_GE(wraps, 1) << "packet identifiers never wrapped (highest " << highest_id << ")";

    for (int round = 0; received < wrapping_message_count && round < 10'000; ++round) {
        collect(200ms);
        if (test_clock::now() - started > time_limit) break;
    }
    EXPECT_EQ(received, wrapping_message_count) << broker->log().substr(0, 4000);
    EXPECT_TRUE(in_order);
    EXPECT_TRUE(device.disconnect());
}

TEST(ClientPipelining, FlushWaitsForQos2AndReturnsAtOnceWhenIdle) {
    auto broker = start_broker(deep_queue_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    ASSERT_TRUE(collector.subscribe({{"telemetry/#", QoS::exactly_once}}));
    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    ASSERT_TRUE(device.flush(1000ms)) << "nothing queued: flush must succeed at once";
    // More than Mosquitto's 20 QoS 2 messages awaiting PUBREL: without max_inflight_qos2 it
    // would acknowledge and drop the excess.
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(
            device.publish_queued("telemetry/device-1/q2", std::to_string(i), QoS::exactly_once));
    }
    ASSERT_TRUE(device.flush(10'000ms));
    for (int i = 0; i < 200; ++i) {
        const auto message = next_message(collector, 5000ms);
        ASSERT_TRUE(message) << "message " << i << " missing\n" << broker->log();
        EXPECT_EQ(message->payload, std::to_string(i));
    }
    // The blocking publish still waits for its own acknowledgement after pipelined ones.
    EXPECT_TRUE(device.publish("telemetry/device-1/q2", "last", QoS::at_least_once));
}

TEST(ClientPipelining, QueuedPublishNeedsAConnection) {
    Client client;
    const auto id = client.publish_queued("t", "x", QoS::at_least_once);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::not_connected);
    EXPECT_EQ(client.flush(100ms).error().code, Errc::not_connected);
}

}  // namespace
}  // namespace mqtls::client
