// The node runtime over MQTT 5, in the simulation (the scripted broker speaks the version the
// CONNECT asks for): a reading the broker refuses (PUBACK 0x87) is kept and stops the run, or is
// dropped and counted, by policy; a reading older than its time to live is released unsent and
// the rest carry what is left of it as Message Expiry Interval; the CONNECT's Session Expiry
// Interval follows the session's persistence.
#include "mqtls_test.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "sim_device.hpp"

#if MQTLS_MQTT5
namespace mqtls::node::sim_test {
namespace {

constexpr const char* telemetry = "telemetry/sim-device";
// The wall clock of the simulated device, Unix milliseconds.
constexpr std::int64_t wall_start_ms = 1'764'028'800'000;

std::int64_t wall_ms_of(void* context) noexcept { return *static_cast<std::int64_t*>(context); }

// A device that speaks MQTT 5 and has a wall clock in milliseconds (`wall_ms`).
void speak_mqtt5(Device& device, std::int64_t& wall_ms) {
    ASSERT_TRUE(device.connection.set_protocol(mqtt::ProtocolVersion::v5));
    device.platform.wall_clock.context = &wall_ms;
    device.platform.wall_clock_ms = &wall_ms_of;
}

// The readings the broker received (not the runner's status messages).
std::vector<sim::ReceivedPublish> readings_at(const sim::Broker& broker) {
    std::vector<sim::ReceivedPublish> readings;
    for (const sim::ReceivedPublish& publish : broker.publishes()) {
        if (publish.topic == telemetry) readings.push_back(publish);
    }
    return readings;
}

NodeRunnerConfig persistent_config(DenialPolicy policy) {
    NodeRunnerConfig config;
    config.qos = mqtt::QoS::at_least_once;
    config.client_id = "sim-device";
    config.clean_session = false;
    config.on_denied = policy;
    return config;
}

struct RunnerEvents {
    std::size_t denied_kept = 0;
    std::size_t denied_dropped = 0;
    std::size_t acknowledged = 0;
    std::size_t expired = 0;
    std::uint64_t first_denied_seq = 0;
    std::optional<Error> stop_error;
    bool stopped = false;
};

// Steps the runner until it stopped, `until_acknowledged`/`until_denied` readings were
// acknowledged/dropped, or 2,000 steps passed.
RunnerEvents run_until(NodeRunner& runner, World& world, std::size_t until_acknowledged,
                       std::size_t until_denied) {
    RunnerEvents seen;
    for (int turn = 0; turn < 2'000 && !runner.stopped(); ++turn) {
        if (seen.acknowledged >= until_acknowledged && seen.denied_dropped >= until_denied) break;
        runner.step(world.clock.now() + Duration::from_millis(250));
        while (auto event = runner.poll_event()) {
            switch (event->type) {
                case NodeEventType::denied:
                    if (seen.first_denied_seq == 0) seen.first_denied_seq = event->seq;
                    ++(event->dropped ? seen.denied_dropped : seen.denied_kept);
                    EXPECT_TRUE(event->error && event->error->code == Errc::message_rejected &&
                                event->error->detail == 0x87);
                    break;
                case NodeEventType::acknowledged:
                    ++seen.acknowledged;
                    break;
                case NodeEventType::expired:
                    ++seen.expired;
                    break;
                case NodeEventType::stopped:
                    seen.stopped = true;
                    seen.stop_error = event->error;
                    break;
                default:
                    break;
            }
        }
    }
    return seen;
}

TEST(NodeRunnerMqtt5, DeniedReadingIsKeptAndTheRunStopsWithTheReasonCode) {
    World world(21);
    world.broker.script.denied_topics = {telemetry};
    Device device(world, 4);
    std::int64_t wall_ms = wall_start_ms;
    speak_mqtt5(device, wall_ms);
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms));
    NodeRunner runner(*device.node, device.connection, device.platform,
                      persistent_config(DenialPolicy::keep), nullptr);
    device.node->start(world.clock.now() + Duration::from_seconds(3600));  // no more readings
    const RunnerEvents seen = run_until(runner, world, 1, 1);
    EXPECT_TRUE(seen.stopped);
    EXPECT_EQ(seen.denied_kept, 1U);
    EXPECT_EQ(seen.first_denied_seq, 1U);
    ASSERT_TRUE(seen.stop_error);
    EXPECT_EQ(seen.stop_error->code, Errc::message_rejected);
    EXPECT_EQ(seen.stop_error->detail, 0x87U);
    // Kept: still in the outbox, noted under the identifier it went out with.
    EXPECT_EQ(device.node->outbox().size(), 1U);
    EXPECT_EQ(device.node->denied(), 0U);
    const std::vector<sim::ReceivedPublish> readings = readings_at(world.broker);
    ASSERT_EQ(readings.size(), 1U);
    EXPECT_TRUE(readings[0].denied);
    // A persistent session under MQTT 5: Session Expiry "never" (3.1.2.11.2), as 3.1.1's.
    ASSERT_FALSE(world.broker.connects().empty());
    EXPECT_TRUE(world.broker.connects()[0].mqtt5);
    EXPECT_FALSE(world.broker.connects()[0].clean_session);
    ASSERT_TRUE(world.broker.connects()[0].session_expiry_s);
    EXPECT_EQ(*world.broker.connects()[0].session_expiry_s, 0xFFFF'FFFFU);
}

TEST(NodeRunnerMqtt5, DropPolicyReleasesAndCountsEachDeniedReadingAndGoesOn) {
    World world(22);
    world.broker.script.denied_topics = {telemetry};
    Device device(world, 4);
    std::int64_t wall_ms = wall_start_ms;
    speak_mqtt5(device, wall_ms);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms));
    }
    NodeRunnerConfig config = persistent_config(DenialPolicy::drop);
    config.session_expiry_s = 120;
    NodeRunner runner(*device.node, device.connection, device.platform, config, nullptr);
    device.node->start(world.clock.now() + Duration::from_seconds(3600));
    const RunnerEvents seen = run_until(runner, world, 0, 3);
    EXPECT_FALSE(seen.stopped);
    EXPECT_EQ(seen.denied_dropped, 3U);
    EXPECT_EQ(seen.denied_kept, 0U);
    EXPECT_EQ(device.node->denied(), 3U);
    EXPECT_TRUE(device.node->outbox().empty());
    ASSERT_FALSE(world.broker.connects().empty());
    ASSERT_TRUE(world.broker.connects()[0].session_expiry_s);
    EXPECT_EQ(*world.broker.connects()[0].session_expiry_s, 120U);
    // A status message carries the count.
    char status[256];
    const Result<std::string_view> composed = device.node->compose_status(true, status);
    ASSERT_TRUE(composed);
    EXPECT_NE(composed->find("\"denied\":3,"), std::string_view::npos);
    runner.stop(world.clock.now() + Duration::from_seconds(5));
}

// One reading 10 s old and one 1 s old, with a time to live of 5 s: the first is released
// unsent, the second goes out with the 4 s it has left.
TEST(NodeRunnerMqtt5, StaleReadingExpiresUnsentAndTheRestCarryTheirRemainingLifetime) {
    World world(23);
    Device device(world, 4);
    std::int64_t wall_ms = wall_start_ms;
    speak_mqtt5(device, wall_ms);
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms - 10'000));
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms - 1'000));
    NodeRunnerConfig config = persistent_config(DenialPolicy::keep);
    config.reading_ttl_s = 5;
    NodeRunner runner(*device.node, device.connection, device.platform, config, nullptr);
    device.node->start(world.clock.now() + Duration::from_seconds(3600));
    const RunnerEvents seen = run_until(runner, world, 1, 0);
    EXPECT_EQ(seen.expired, 1U);
    EXPECT_EQ(seen.acknowledged, 1U);
    EXPECT_EQ(device.node->expired(), 1U);
    EXPECT_TRUE(device.node->outbox().empty());
    const std::vector<sim::ReceivedPublish> readings = readings_at(world.broker);
    ASSERT_EQ(readings.size(), 1U);
    EXPECT_EQ(seq_of(readings[0].payload), 2U);
    ASSERT_TRUE(readings[0].message_expiry_s);
    EXPECT_EQ(*readings[0].message_expiry_s, 4U);
    runner.stop(world.clock.now() + Duration::from_seconds(5));
}

// Under MQTT 3.1.1 the outbox still expires readings; the PUBLISH has no place for the rest.
TEST(NodeRunnerMqtt311, StaleReadingExpiresUnsentWithoutAMessageExpiry) {
    World world(24);
    Device device(world, 4);
    std::int64_t wall_ms = wall_start_ms;
    device.platform.wall_clock.context = &wall_ms;
    device.platform.wall_clock_ms = &wall_ms_of;
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms - 10'000));
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms - 1'000));
    NodeRunnerConfig config = persistent_config(DenialPolicy::keep);
    config.reading_ttl_s = 5;
    NodeRunner runner(*device.node, device.connection, device.platform, config, nullptr);
    device.node->start(world.clock.now() + Duration::from_seconds(3600));
    const RunnerEvents seen = run_until(runner, world, 1, 0);
    EXPECT_EQ(seen.expired, 1U);
    const std::vector<sim::ReceivedPublish> readings = readings_at(world.broker);
    ASSERT_EQ(readings.size(), 1U);
    EXPECT_EQ(seq_of(readings[0].payload), 2U);
    EXPECT_FALSE(readings[0].message_expiry_s);
    ASSERT_FALSE(world.broker.connects().empty());
    EXPECT_FALSE(world.broker.connects()[0].mqtt5);
    EXPECT_FALSE(world.broker.connects()[0].session_expiry_s);
    runner.stop(world.clock.now() + Duration::from_seconds(5));
}

WakeConfig wake_config(DenialPolicy policy) {
    WakeConfig config;
    config.qos = mqtt::QoS::at_least_once;
    config.connect.client_id = "sim-device";
    config.on_denied = policy;
    return config;
}

TEST(WakeCycleMqtt5, RefusedReadingsAreKeptOrDroppedByPolicyAndTheSessionOutlivesTheSleep) {
    World world(25);
    world.broker.script.denied_topics = {telemetry};
    {
        Device device(world, 4);
        std::int64_t wall_ms = wall_start_ms;
        speak_mqtt5(device, wall_ms);
        ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms));
        const WakeReport kept = run_wake_cycle(*device.node, device.connection, device.platform,
                                               wake_config(DenialPolicy::keep));
        ASSERT_TRUE(kept.error);
        EXPECT_EQ(kept.error->code, Errc::message_rejected);
        EXPECT_EQ(kept.error->detail, 0x87U);
        EXPECT_EQ(kept.pending, 1U);
        EXPECT_EQ(kept.denied, 0U);
        EXPECT_EQ(kept.denied_seq, 1U);
    }
    world.clock.advance_to(world.clock.now() + Duration::from_seconds(60));  // deep sleep
    {
        Device device(world, 4);  // a reset: what is in RAM is gone, the outbox is not
        std::int64_t wall_ms = wall_start_ms + 60'000;
        speak_mqtt5(device, wall_ms);
        ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms));
        WakeConfig config = wake_config(DenialPolicy::drop);
        config.session_expiry_s = 600;
        const WakeReport dropped =
            run_wake_cycle(*device.node, device.connection, device.platform, config);
        EXPECT_FALSE(dropped.error);
        EXPECT_EQ(dropped.denied, 2U);  // the kept one (resent under its identifier) and this one
        EXPECT_EQ(dropped.delivered, 0U);
        EXPECT_EQ(dropped.pending, 0U);
        EXPECT_EQ(dropped.restored, 1U);
    }
    ASSERT_EQ(world.broker.connects().size(), 2U);
    ASSERT_TRUE(world.broker.connects()[0].session_expiry_s);
    EXPECT_EQ(*world.broker.connects()[0].session_expiry_s, 0xFFFF'FFFFU);  // the default
    ASSERT_TRUE(world.broker.connects()[1].session_expiry_s);
    EXPECT_EQ(*world.broker.connects()[1].session_expiry_s, 600U);
    EXPECT_FALSE(world.broker.connects()[1].clean_session);
}

TEST(WakeCycleMqtt5, StaleReadingsOfALongSleepExpireAndTheFreshOneIsDelivered) {
    World world(26);
    Device device(world, 4);
    std::int64_t wall_ms = wall_start_ms;
    speak_mqtt5(device, wall_ms);
    for (int i = 0; i < 3; ++i) {  // taken on earlier wakes, an hour ago
        ASSERT_TRUE(
            device.node->take_reading(device.sensor, world.clock.now(), wall_ms - 3'600'000));
    }
    ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), wall_ms));
    WakeConfig config = wake_config(DenialPolicy::keep);
    config.reading_ttl_s = 900;
    const WakeReport report =
        run_wake_cycle(*device.node, device.connection, device.platform, config);
    EXPECT_FALSE(report.error);
    EXPECT_EQ(report.expired, 3U);
    EXPECT_EQ(report.delivered, 1U);
    EXPECT_EQ(report.last_seq, 4U);
    EXPECT_EQ(report.pending, 0U);
    ASSERT_EQ(world.broker.publishes().size(), 1U);
    ASSERT_TRUE(world.broker.publishes()[0].message_expiry_s);
    EXPECT_EQ(*world.broker.publishes()[0].message_expiry_s, 900U);
}

}  // namespace
}  // namespace mqtls::node::sim_test
#endif
