// ClientLimits against a real Mosquitto: the packet size limit both ways (exactly at it passes,
// one byte over fails with the size), 1 MiB payloads with the defaults, and the outgoing window
// that publish_queued() never exceeds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "client_test_support.hpp"

namespace mqtls::client {
namespace {

using namespace testing;
using mqtt::QoS;

constexpr std::size_t mebibyte = std::size_t{1} << 20;

// Bytes of every value, newlines and NULs included, so nothing text-only passes by accident.
std::string random_payload(std::size_t size, std::uint32_t seed) {
    std::mt19937 generator(seed);
    std::string payload(size, '\0');
    for (char& byte : payload) byte = static_cast<char>(generator() & 0xffU);
    return payload;
}

// The payload that makes a PUBLISH to `topic` at `qos` exactly `packet_size` bytes.
std::string payload_for_packet(const std::string& topic, QoS qos, std::size_t packet_size) {
    std::size_t payload = packet_size;
    while (payload > 0 && publish_packet_size(topic, payload, qos) > packet_size) --payload;
    EXPECT_EQ(publish_packet_size(topic, payload, qos), packet_size) << "no payload fits exactly";
    std::string bytes(payload, 'p');  // not {}: that would be two characters
    return bytes;
}

TEST(ClientLimits, DefaultsAndClamping) {
    const Client plain;
    EXPECT_EQ(plain.limits().max_packet_size, default_max_packet_size);
    EXPECT_EQ(plain.limits().max_inflight, default_max_inflight);
    // 1 MiB payloads with the longest topic MQTT allows fit the default.
    EXPECT_LE(publish_packet_size(std::string(65'535, 't'), mebibyte, QoS::exactly_once),
              default_max_packet_size);

    const Client tiny(ClientLimits{0, 0});
    EXPECT_EQ(tiny.limits().max_packet_size, min_packet_size_limit);
    EXPECT_EQ(tiny.limits().max_inflight, 1U);
    const Client huge(ClientLimits{std::size_t{1} << 40, 1'000'000});
    EXPECT_EQ(huge.limits().max_packet_size, std::size_t{268'435'460});
    EXPECT_EQ(huge.limits().max_inflight, 65'535U);
    EXPECT_EQ(huge.in_flight_count(), 0U);
}

TEST(ClientLimits, PublishPacketSizeCountsHeaderTopicAndIdentifier) {
    // PUBLISH "t" "hi": 0x30 0x05 0x00 0x01 't' 'h' 'i'; at QoS 1 two identifier bytes more.
    EXPECT_EQ(publish_packet_size("t", 2, QoS::at_most_once), 7U);
    EXPECT_EQ(publish_packet_size("t", 2, QoS::at_least_once), 9U);
    // The remaining length takes a second byte from 128 on (MQTT 3.1.1 section 2.2.3).
    EXPECT_EQ(publish_packet_size("t", 124, QoS::at_most_once), 1U + 1U + 127U);
    EXPECT_EQ(publish_packet_size("t", 125, QoS::at_most_once), 1U + 2U + 128U);
    EXPECT_EQ(publish_packet_size("t", 16'380, QoS::at_most_once), 1U + 2U + 16'383U);
    EXPECT_EQ(publish_packet_size("t", 16'381, QoS::at_most_once), 1U + 3U + 16'384U);
}

TEST(ClientLimits, OutgoingMessageAtTheLimitIsSentOneByteOverIsRefusedWithItsSize) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    const std::string topic = "telemetry/device-1/limit";
    ASSERT_TRUE(collector.subscribe({{topic, QoS::at_least_once}}));

    constexpr std::size_t limit = 10'000;
    Client device(ClientLimits{limit, 16});
    ASSERT_TRUE(device.connect(device_options(*broker)));
    const std::string at_limit = payload_for_packet(topic, QoS::at_least_once, limit);
    ASSERT_TRUE(device.publish(topic, at_limit, QoS::at_least_once));

    const std::string over = at_limit + "x";
    const auto refused = device.publish(topic, over, QoS::at_least_once);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::message_too_large);
    EXPECT_EQ(refused.error().detail, static_cast<std::int32_t>(limit + 1));
    // Without the identifier, QoS 0 takes two payload bytes more to go over.
    ASSERT_TRUE(device.publish_queued(topic, over + "x", QoS::at_most_once));
    const auto refused_queued = device.publish_queued(topic, over + "xx", QoS::at_most_once);
    ASSERT_FALSE(refused_queued);
    EXPECT_EQ(refused_queued.error().code, Errc::message_too_large);
    EXPECT_EQ(refused_queued.error().detail, static_cast<std::int32_t>(limit + 1));
    // Nothing of the refused messages left; the connection goes on.
    EXPECT_TRUE(device.connected());
    ASSERT_TRUE(device.publish(topic, "after", QoS::at_least_once));

    const auto first = next_message(collector, 5s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->payload, at_limit);
    const auto qos0_at_limit = next_message(collector, 5s);
    ASSERT_TRUE(qos0_at_limit);
    EXPECT_EQ(qos0_at_limit->payload, over + "x");
    const auto second = next_message(collector, 5s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->payload, "after");
    EXPECT_TRUE(device.disconnect());
}

TEST(ClientLimits, IncomingPacketOverTheLimitEndsTheConnectionWithItsSize) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    constexpr std::size_t limit = 4096;
    const std::string topic = "telemetry/device-1/incoming";
    Client collector(ClientLimits{limit, default_max_inflight});
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    // QoS 0 both ways: the broker forwards the very packet size the device sent.
    ASSERT_TRUE(collector.subscribe({{topic, QoS::at_most_once}}));

    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    const std::string at_limit = payload_for_packet(topic, QoS::at_most_once, limit);
    ASSERT_TRUE(device.publish(topic, at_limit, QoS::at_most_once));
    const auto received = next_message(collector, 5s);
    ASSERT_TRUE(received);
    EXPECT_EQ(received->payload.size(), at_limit.size());

    ASSERT_TRUE(device.publish(topic, at_limit + "x", QoS::at_most_once));
    const auto over = collector.receive(5s);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Errc::packet_too_large);
    EXPECT_EQ(over.error().detail, static_cast<std::int32_t>(limit + 1));
    EXPECT_FALSE(collector.connected());
    EXPECT_TRUE(device.disconnect());
}

TEST(ClientLimits, OneMebibytePayloadsTravelBothWaysByteExactWithTheDefaults) {
    auto broker = start_broker(password_broker_options());
    ASSERT_TRUE(broker);
    Client collector;
    ASSERT_TRUE(collector.connect(collector_options(*broker)));
    const std::string topic = "telemetry/device-1/large";
    ASSERT_TRUE(collector.subscribe({{topic, QoS::exactly_once}}));
    Client device;
    ASSERT_TRUE(device.connect(device_options(*broker)));
    for (const QoS qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
        const std::string payload = random_payload(mebibyte, static_cast<std::uint32_t>(qos));
        ASSERT_TRUE(device.publish(topic, payload, qos)) << "QoS " << static_cast<int>(qos);
        const auto received = next_message(collector, 10s);
        ASSERT_TRUE(received) << "QoS " << static_cast<int>(qos);
        EXPECT_EQ(received->qos, qos);
        EXPECT_TRUE(received->payload == payload) << "QoS " << static_cast<int>(qos);
    }
    EXPECT_TRUE(device.disconnect());
}

// Publishes `count` QoS 1 messages through a window of `window`; returns the most in flight
// seen after any publish_queued(), after checking every one arrived in order.
std::size_t publish_through_window(std::size_t window, int count) {
    auto broker = start_broker(password_broker_options());
    if (!broker) return 0;
    Client collector;
    EXPECT_TRUE(collector.connect(collector_options(*broker)));
    const std::string topic = "telemetry/device-1/window";
    EXPECT_TRUE(collector.subscribe({{topic, QoS::at_least_once}}));
    Client device(ClientLimits{default_max_packet_size, window});
    EXPECT_TRUE(device.connect(device_options(*broker)));
    std::size_t most_in_flight = 0;
    for (int i = 0; i < count; ++i) {
        const auto id = device.publish_queued(topic, std::to_string(i), QoS::at_least_once);
        EXPECT_TRUE(id) << "message " << i;
        if (!id) return most_in_flight;
        most_in_flight = std::max(most_in_flight, device.in_flight_count());
        EXPECT_LE(device.in_flight_count(), window) << "message " << i;
    }
    EXPECT_TRUE(device.flush(10'000ms));
    EXPECT_EQ(device.in_flight_count(), 0U);
    for (int i = 0; i < count; ++i) {
        const auto message = next_message(collector, 5s);
        EXPECT_TRUE(message) << "message " << i << " of " << count;
        if (!message) break;
        EXPECT_EQ(message->payload, std::to_string(i));
    }
    EXPECT_TRUE(device.disconnect());
    return most_in_flight;
}

TEST(ClientWindow, PublishQueuedNeverHasMoreInFlightThanMaxInflightAndAllArrive) {
    // publish_queued() reads acknowledgements only once the window is full, so a window this
    // small is filled, and must never be exceeded.
    EXPECT_EQ(publish_through_window(1, 50), 1U);
    EXPECT_EQ(publish_through_window(5, 300), 5U);
    // A window wider than the burst: everything can be in flight at once.
    EXPECT_EQ(publish_through_window(65'535, 300), 300U);
}

}  // namespace
}  // namespace mqtls::client
