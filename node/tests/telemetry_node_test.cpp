// TelemetryNode: the device runtime's decisions (take a reading, connect, publish, wait, back
// off) and the readings it composes, driven with literal times and random values, over an
// in-RAM outbox.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mqtls/node/telemetry_node.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

using std::string_view;

constexpr std::uint32_t highest_random = 0xFFFFFFFFU;
constexpr std::size_t segment_capacity = 16 * 1024;

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

// An in-RAM outbox for one test (static storage: the portable tests run without a heap).
struct RamOutbox {
    std::uint8_t first_memory[segment_capacity] = {};
    std::uint8_t second_memory[segment_capacity] = {};
    RamLogStorage first{mutable_bytes(first_memory, segment_capacity)};
    RamLogStorage second{mutable_bytes(second_memory, segment_capacity)};
    OutboxMemory<8, max_reading_bytes> memory;

    Result<Outbox> open(OverflowPolicy overflow = OverflowPolicy::drop_oldest) {
        OutboxConfig config = OutboxMemory<8, max_reading_bytes>::config();
        config.max_live_bytes = 8 * max_reading_bytes;
        config.segment_bytes = Outbox::minimum_segment_bytes(config);
        config.overflow = overflow;
        return Outbox::open(first, second, memory.index, memory.scratch, config);
    }
};

string_view as_text(const OutboxReading& reading) {
    return {reinterpret_cast<const char*>(reading.payload.data()), reading.payload.size()};
}

bool contains(string_view text, string_view part) { return text.find(part) != string_view::npos; }

TEST(TelemetryNode, RejectsBadDeviceIdsAndConfigs) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    const Result<TelemetryNode> bad_id = TelemetryNode::create("a/b", one_second_period(), *outbox);
    ASSERT_FALSE(bad_id.has_value());
    EXPECT_EQ(bad_id.error().code, Errc::invalid_device_id);
    TelemetryNodeConfig zero_period = one_second_period();
    zero_period.publish_period = Duration::from_millis(0);
    const Result<TelemetryNode> no_period = TelemetryNode::create("dev", zero_period, *outbox);
    ASSERT_FALSE(no_period.has_value());
    EXPECT_EQ(no_period.error().code, Errc::invalid_argument);
    TelemetryNodeConfig inverted = one_second_period();
    inverted.reconnect.cap = Duration::from_millis(100);
    EXPECT_FALSE(TelemetryNode::create("dev", inverted, *outbox).has_value());
}

TEST(TelemetryNode, DerivesItsTopicsFromTheDeviceId) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    const Result<TelemetryNode> node =
        TelemetryNode::create("sensor-17", TelemetryNodeConfig{}, *outbox);
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(node->device_id() == "sensor-17");
    EXPECT_TRUE(node->telemetry_topic() == "telemetry/sensor-17");
    EXPECT_TRUE(node->status_topic() == "status/sensor-17");
    EXPECT_EQ(node->publish_period().millis(), 10'000);  // the seed's 10 s
}

TEST(TelemetryNode, TakesAReadingThenConnectsThenPublishesIt) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(215);
    EXPECT_TRUE(node->next_step(at_ms(0)).action != NodeAction::take_reading);  // not started
    node->start(at_ms(0));
    EXPECT_TRUE(node->next_step(at_ms(0)).action == NodeAction::take_reading);
    const Result<OutboxPush> taken = node->take_reading(sensor, at_ms(0), 1'000'000);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->seq, 1U);
    EXPECT_TRUE(node->next_step(at_ms(1)).action == NodeAction::connect);
    node->on_connected(at_ms(100));
    EXPECT_TRUE(node->next_step(at_ms(100)).action == NodeAction::publish_reading);
    std::uint8_t buffer[max_reading_bytes];
    const Result<OutboxReading> reading = node->reading_to_publish(buffer);
    ASSERT_TRUE(reading.has_value());
    EXPECT_EQ(reading->seq, 1U);
    EXPECT_TRUE(as_text(*reading) == R"({"device":"dev","seq":1,"ts":1000000,"level":21.5})");
    // While it is in flight nothing else goes out; the node waits for the next slot.
    const NodeStep in_flight = node->next_step(at_ms(150));
    EXPECT_TRUE(in_flight.action == NodeAction::wait);
    EXPECT_EQ(in_flight.at.millis(), 1'000);
    ASSERT_TRUE(node->on_reading_acknowledged(1).has_value());
    EXPECT_TRUE(node->outbox().empty());
    EXPECT_TRUE(node->next_step(at_ms(1'000)).action == NodeAction::take_reading);
}

TEST(TelemetryNode, ReadingsTakenWhileDisconnectedWaitInTheOutboxAndGoOutInOrder) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->start(at_ms(0));
    ASSERT_TRUE(node->take_reading(sensor, at_ms(0), 0).has_value());
    const Result<Duration> delay = node->on_disconnected(at_ms(1), highest_random);
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(delay->millis(), 500);
    // Away for three more periods: each reading is taken on time and kept.
    for (std::int64_t t = 1'000; t <= 3'000; t += 1'000) {
        EXPECT_TRUE(node->next_step(at_ms(t)).action == NodeAction::take_reading);
        ASSERT_TRUE(node->take_reading(sensor, at_ms(t), t).has_value());
        ASSERT_TRUE(node->on_disconnected(at_ms(t), 0).has_value());  // retry failed again
    }
    EXPECT_EQ(node->outbox().size(), 4U);
    EXPECT_EQ(node->missed_slots(), 0U);
    node->on_connected(at_ms(3'100));
    std::uint8_t buffer[max_reading_bytes];
    for (std::uint64_t seq = 1; seq <= 4; ++seq) {
        ASSERT_TRUE(node->next_step(at_ms(3'100)).action == NodeAction::publish_reading);
        const Result<OutboxReading> reading = node->reading_to_publish(buffer);
        ASSERT_TRUE(reading.has_value());
        EXPECT_EQ(reading->seq, seq);
        ASSERT_TRUE(node->on_reading_acknowledged(seq).has_value());
    }
    EXPECT_TRUE(node->outbox().empty());
}

TEST(TelemetryNode, ReadingInFlightWhenTheLinkDropsIsPublishedAgainFirst) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->start(at_ms(0));
    ASSERT_TRUE(node->take_reading(sensor, at_ms(0), 5).has_value());
    node->on_connected(at_ms(0));
    std::uint8_t buffer[max_reading_bytes];
    const Result<OutboxReading> first = node->reading_to_publish(buffer);
    ASSERT_TRUE(first.has_value());
    char sent[max_reading_bytes];
    std::memcpy(sent, first->payload.data(), first->payload.size());
    const string_view first_text(sent, first->payload.size());
    ASSERT_TRUE(node->on_disconnected(at_ms(10), 0).has_value());
    EXPECT_FALSE(node->connected());
    node->on_connected(at_ms(520));
    EXPECT_TRUE(node->next_step(at_ms(520)).action == NodeAction::publish_reading);
    const Result<OutboxReading> again = node->reading_to_publish(buffer);
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(as_text(*again) == first_text);  // same seq and ts: a duplicate, not a new one
    EXPECT_EQ(sensor.reads, 1);
}

TEST(TelemetryNode, BackoffGrowsWithinBoundsAndResetsOnConnect) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
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

TEST(TelemetryNode, WaitsForWhicheverComesFirstRetryOrReading) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->start(at_ms(0));
    ASSERT_TRUE(node->take_reading(sensor, at_ms(0), 0).has_value());
    // Backoff 4 s away (cap 4 s), next reading at 1 s: wake for the reading.
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(node->on_disconnected(at_ms(0), highest_random).has_value());
    const NodeStep step = node->next_step(at_ms(10));
    EXPECT_TRUE(step.action == NodeAction::wait);
    EXPECT_EQ(step.at.millis(), 1'000);
}

TEST(TelemetryNode, GivesUpAfterMaxAttempts) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    TelemetryNodeConfig config = one_second_period();
    config.reconnect.max_attempts = 2;
    Result<TelemetryNode> node = TelemetryNode::create("dev", config, *outbox);
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(node->on_disconnected(at_ms(0), 0).has_value());
    EXPECT_TRUE(node->on_disconnected(at_ms(0), 0).has_value());
    const Result<Duration> third = node->on_disconnected(at_ms(0), 0);
    ASSERT_FALSE(third.has_value());
    EXPECT_EQ(third.error().code, Errc::closed);
}

TEST(TelemetryNode, FailingSensorConsumesTheSlotNotASeq) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    sensor.fail = true;
    node->start(at_ms(0));
    const Result<OutboxPush> failed = node->take_reading(sensor, at_ms(0), 0);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, Errc::sensor_read_failed);
    EXPECT_EQ(failed.error().detail, 42);
    EXPECT_TRUE(node->next_step(at_ms(1)).action != NodeAction::take_reading);  // no tight loop
    sensor.fail = false;
    const Result<OutboxPush> next = node->take_reading(sensor, at_ms(1'000), 0);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->seq, 1U);
}

TEST(TelemetryNode, StatusCarriesTheDroppedCount) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open(OverflowPolicy::drop_oldest);
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", one_second_period(), *outbox);
    ASSERT_TRUE(node.has_value());
    FixedSensor sensor(1);
    node->start(at_ms(0));
    for (std::int64_t t = 0; t < 10'000; t += 1'000) {
        ASSERT_TRUE(node->take_reading(sensor, at_ms(t), t).has_value());  // 10 into 8 places
    }
    char status[160];
    const Result<string_view> online = node->compose_status(true, status);
    ASSERT_TRUE(online.has_value());
    EXPECT_TRUE(*online == R"({"status":"online","dropped":2,"pending":8,"next_seq":11,)"
                           R"("sensor_errors":0,"denied":0,"expired":0})");
    const Result<string_view> offline = node->compose_status(false, status);
    ASSERT_TRUE(offline.has_value());
    EXPECT_TRUE(contains(*offline, R"("status":"offline")"));
}

}  // namespace
}  // namespace mqtls::node::test
