// TelemetryNode: the device runtime's decisions (connect, publish, wait, back off) and the
// readings it composes, driven with literal times and random values.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mqtls/node/telemetry_node.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

using std::string_view;

constexpr std::uint32_t highest_random = 0xFFFFFFFFU;

Instant at_ms(std::int64_t ms) { return Instant::from_millis(ms); }

TelemetryNodeConfig one_second_period() {
    TelemetryNodeConfig config;
    config.publish_period = Duration::from_seconds(1);
    config.reconnect.base = Duration::from_millis(500);
    config.reconnect.cap = Duration::from_seconds(4);
    return config;
}

// A sensor with one fixed value, or a failure.
class FixedSensor final : public SensorSource {
public:
    explicit FixedSensor(std::int32_t value) : value_(value) {}
    Result<std::size_t> read(span<SensorValue> out, Instant /*now*/) noexcept override {
        ++reads;
        if (fail) return Error{Errc::sensor_read_failed, 42};
        out[0] = SensorValue{"level", value_, 1};
        return std::size_t{1};
    }
    bool fail = false;
    int reads = 0;

private:
    std::int32_t value_;
};

bool contains(string_view text, string_view part) { return text.find(part) != string_view::npos; }

TEST(TelemetryNode, RejectsBadDeviceIdsAndConfigs) {
    const Result<TelemetryNode> bad_id = TelemetryNode::create("a/b", one_second_period());
    ASSERT_FALSE(bad_id.has_value());
    EXPECT_EQ(bad_id.error().code, Errc::invalid_device_id);
    TelemetryNodeConfig zero_period = one_second_period();
    zero_period.publish_period = Duration::from_millis(0);
    const Result<TelemetryNode> no_period = TelemetryNode::create("dev", zero_period);
    ASSERT_FALSE(no_period.has_value());
    EXPECT_EQ(no_period.error().code, Errc::invalid_argument);
    TelemetryNodeConfig inverted = one_second_period();
    inverted.reconnect.cap = Duration::from_millis(100);
    EXPECT_FALSE(TelemetryNode::create("dev", inverted).has_value());
}

TEST(TelemetryNode, DerivesItsTopicsFromTheDeviceId) {
    const Result<TelemetryNode> node = TelemetryNode::create("sensor-17", TelemetryNodeConfig{});
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(node->device_id() == "sensor-17");
    EXPECT_TRUE(node->telemetry_topic() == "telemetry/sensor-17");
    EXPECT_TRUE(node->status_topic() == "status/sensor-17");
    EXPECT_EQ(node->publish_period().millis(), 10'000);  // the seed's 10 s
}

TEST(TelemetryNode, ConnectsFirstThenPublishesOnThePeriod) {
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period());
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(215);
    EXPECT_TRUE(node->next_step(at_ms(0)).action == NodeAction::connect);
    node->on_connected(at_ms(100));
    EXPECT_TRUE(node->next_step(at_ms(100)).action == NodeAction::publish_reading);
    const Result<string_view> first = node->reading_to_publish(sensor, at_ms(100), 1'000'000);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(*first == R"({"device":"dev","seq":1,"ts":1000000,"level":21.5})");
    // Until acknowledged, the same reading is what to publish.
    EXPECT_TRUE(node->next_step(at_ms(150)).action == NodeAction::publish_reading);
    node->on_reading_acknowledged();
    const NodeStep idle = node->next_step(at_ms(150));
    EXPECT_TRUE(idle.action == NodeAction::wait);
    EXPECT_EQ(idle.at.millis(), 1'100);
    EXPECT_TRUE(node->next_step(at_ms(1'100)).action == NodeAction::publish_reading);
    const Result<string_view> second = node->reading_to_publish(sensor, at_ms(1'100), 1'001'000);
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(contains(*second, R"("seq":2,"ts":1001000)"));
    EXPECT_EQ(node->next_sequence(), 3U);
}

TEST(TelemetryNode, ReadingInFlightWhenTheLinkDropsIsPublishedAgainFirst) {
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period());
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->on_connected(at_ms(0));
    const Result<string_view> reading = node->reading_to_publish(sensor, at_ms(0), 5);
    ASSERT_TRUE(reading.has_value());
    char sent[max_reading_bytes];
    std::memcpy(sent, reading->data(), reading->size());
    const string_view first_text(sent, reading->size());
    EXPECT_EQ(node->unacknowledged_sequence(), 1U);

    const Result<Duration> delay = node->on_disconnected(at_ms(10), highest_random);
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(delay->millis(), 500);
    EXPECT_FALSE(node->connected());
    const NodeStep waiting = node->next_step(at_ms(10));
    EXPECT_TRUE(waiting.action == NodeAction::wait);
    EXPECT_EQ(waiting.at.millis(), 510);
    EXPECT_TRUE(node->next_step(at_ms(510)).action == NodeAction::connect);
    node->on_connected(at_ms(520));
    EXPECT_TRUE(node->next_step(at_ms(520)).action == NodeAction::publish_reading);
    const Result<string_view> again = node->reading_to_publish(sensor, at_ms(520), 999);
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(*again == first_text);  // same seq, same timestamp: a duplicate, not a new reading
    EXPECT_EQ(sensor.reads, 1);
    node->on_reading_acknowledged();
    EXPECT_EQ(node->unacknowledged_sequence(), 0U);
    EXPECT_EQ(node->next_sequence(), 2U);
}

TEST(TelemetryNode, BackoffGrowsWithinBoundsAndResetsOnConnect) {
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period());
    ASSERT_TRUE(node.has_value());
    const std::int64_t bounds[] = {500, 1'000, 2'000, 4'000, 4'000};
    std::int64_t now = 0;
    for (const std::int64_t bound : bounds) {
        const Result<Duration> delay = node->on_disconnected(at_ms(now), highest_random);
        ASSERT_TRUE(delay.has_value());
        EXPECT_EQ(delay->millis(), bound);
        EXPECT_EQ(node->last_backoff_bound().millis(), bound);
        now += bound;
    }
    EXPECT_EQ(node->reconnect_attempt(), 5U);
    node->on_connected(at_ms(now));
    EXPECT_EQ(node->reconnect_attempt(), 0U);
    const Result<Duration> after_reset = node->on_disconnected(at_ms(now), highest_random);
    ASSERT_TRUE(after_reset.has_value());
    EXPECT_EQ(after_reset->millis(), 500);
}

TEST(TelemetryNode, GivesUpAfterMaxAttempts) {
    TelemetryNodeConfig config = one_second_period();
    config.reconnect.max_attempts = 2;
    Result<TelemetryNode> node = TelemetryNode::create("dev", config);
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(node->on_disconnected(at_ms(0), 0).has_value());
    EXPECT_TRUE(node->on_disconnected(at_ms(0), 0).has_value());
    const Result<Duration> third = node->on_disconnected(at_ms(0), 0);
    ASSERT_FALSE(third.has_value());
    EXPECT_EQ(third.error().code, Errc::closed);
}

TEST(TelemetryNode, SlotsThatFallDueWhileDisconnectedAreCountedNotBurst) {
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period());
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->on_connected(at_ms(0));
    ASSERT_TRUE(node->reading_to_publish(sensor, at_ms(0), 0).has_value());
    node->on_reading_acknowledged();
    ASSERT_TRUE(node->on_disconnected(at_ms(200), 0).has_value());  // retry at once (random 0)
    node->on_connected(at_ms(3'500));  // the 1 s, 2 s and 3 s slots passed while away
    EXPECT_TRUE(node->next_step(at_ms(3'500)).action == NodeAction::publish_reading);
    ASSERT_TRUE(node->reading_to_publish(sensor, at_ms(3'500), 0).has_value());
    node->on_reading_acknowledged();
    EXPECT_EQ(node->missed_slots(), 2U);  // one reading stands for the 3 s slot
    const NodeStep next = node->next_step(at_ms(3'500));
    EXPECT_TRUE(next.action == NodeAction::wait);
    EXPECT_EQ(next.at.millis(), 4'000);    // still on the original grid
    EXPECT_EQ(node->next_sequence(), 3U);  // seq counts readings taken: no gaps
}

TEST(TelemetryNode, FailingSensorConsumesTheSlotAndKeepsTheSequence) {
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period());
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    sensor.fail = true;
    node->on_connected(at_ms(0));
    const Result<string_view> reading = node->reading_to_publish(sensor, at_ms(0), 0);
    ASSERT_FALSE(reading.has_value());
    EXPECT_EQ(reading.error().code, Errc::sensor_read_failed);
    EXPECT_EQ(reading.error().detail, 42);
    EXPECT_TRUE(node->next_step(at_ms(1)).action == NodeAction::wait);  // no tight retry loop
    sensor.fail = false;
    const Result<string_view> next = node->reading_to_publish(sensor, at_ms(1'000), 0);
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(contains(*next, R"("seq":1,)"));
}

}  // namespace
}  // namespace mqtls::node::test
