// A window of readings acknowledged together: the broker's PUBACKs arrive back to back, in
// separate records, and the channel holds the ones after the first while the runner handles
// it. Every one must be taken at once, not left in the channel until ack_timeout declares the
// link dead (which it did while the runner took events through poll_event()).
#include "mqtls_test.hpp"

#include <cstddef>

#include "mqtls/node/node_runner.hpp"
#include "sim_device.hpp"

namespace mqtls::node::sim_test {
namespace {

TEST(NodeRunnerWindow, AcknowledgementsArrivingTogetherAreAllTakenWithoutALinkDown) {
    constexpr std::size_t window = 8;
    World world(7);
    world.network.set_coalescing(true);  // the PUBACKs reach the channel in one read
    Device device(world, window);
    // Taken while disconnected: the first connection sends them as one window.
    for (std::size_t i = 0; i < window; ++i) {
        ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), 0));
    }
    NodeRunnerConfig config;
    config.qos = mqtt::QoS::at_least_once;
    config.client_id = "sim-device";
    config.clean_session = false;
    config.ack_timeout = Duration::from_seconds(4);
    NodeRunner runner(*device.node, device.connection, device.platform, config, &device.sensor);
    device.node->start(world.clock.now());
    const Instant started = world.clock.now();
    // Flags, not a std::set: this test also runs in the bare-metal sim runner.
    bool acknowledged[window] = {};
    std::size_t acknowledged_count = 0;
    std::size_t links_down = 0;
    for (int turn = 0; turn < 10'000 && acknowledged_count < window; ++turn) {
        runner.step(world.clock.now() + Duration::from_millis(250));
        while (auto event = runner.poll_event()) {
            if (event->type == NodeEventType::link_down) ++links_down;
            if (event->type == NodeEventType::acknowledged && event->seq >= 1 &&
                event->seq <= window && !acknowledged[event->seq - 1]) {
                acknowledged[event->seq - 1] = true;
                ++acknowledged_count;
            }
        }
    }
    EXPECT_EQ(acknowledged_count, window);
    EXPECT_EQ(links_down, 0U);
    // Well before the acknowledgement timeout: nothing waited for it.
    EXPECT_LT((world.clock.now() - started).millis(), config.ack_timeout.millis())
        << "virtual ms: " << (world.clock.now() - started).millis();
    runner.stop(world.clock.now() + Duration::from_seconds(5));
    EXPECT_TRUE(runner.stopped());
}

// request_stop: the goodbye step by step. Every reading still in the outbox goes out and its
// acknowledgement is reported as an event (an application logs each delivery up to the last),
// no new reading is due, then DISCONNECT and one `stopped` event.
TEST(NodeRunnerStop, RequestStopDeliversTheOutboxReportingEachAcknowledgement) {
    constexpr std::size_t readings = 12;
    World world(11);
    Device device(world, 4);  // a window of 4: the 12 readings need three rounds
    for (std::size_t i = 0; i < readings; ++i) {
        ASSERT_TRUE(device.node->take_reading(device.sensor, world.clock.now(), 0));
    }
    NodeRunnerConfig config;
    config.qos = mqtt::QoS::at_least_once;
    config.client_id = "sim-device";
    config.clean_session = false;
    NodeRunner runner(*device.node, device.connection, device.platform, config, &device.sensor);
    device.node->start(world.clock.now());
    for (int turn = 0; turn < 1'000 && !runner.connected(); ++turn) {
        runner.step(world.clock.now() + Duration::from_millis(250));
        (void)runner.poll_event();
    }
    ASSERT_TRUE(runner.connected());
    // The runner's sensor may have taken more on schedule while connecting: count what is there.
    const std::size_t waiting_at_stop = device.node->outbox().size();
    ASSERT_GT(waiting_at_stop, 0U);
    const std::uint64_t next_seq_at_stop = device.node->outbox().next_sequence();
    runner.request_stop(world.clock.now() + Duration::from_seconds(10));
    EXPECT_TRUE(runner.stopping());
    std::size_t acknowledged = 0;
    std::size_t stopped_events = 0;
    std::size_t other_events = 0;
    for (int turn = 0; turn < 1'000 && !runner.stopped(); ++turn) {
        runner.step(world.clock.now() + Duration::from_millis(250));
        if (auto event = runner.poll_event()) {
            if (event->type == NodeEventType::acknowledged) {
                ++acknowledged;
            } else if (event->type == NodeEventType::stopped) {
                ++stopped_events;
                EXPECT_FALSE(event->error);
            } else if (event->type != NodeEventType::published) {
                ++other_events;  // no reading_due, reading_taken, connected or link_down
            }
        }
    }
    EXPECT_TRUE(runner.stopped());
    EXPECT_FALSE(runner.stopping());
    EXPECT_EQ(acknowledged, waiting_at_stop) << "acknowledgements not reported while stopping";
    EXPECT_EQ(stopped_events, 1U);
    EXPECT_EQ(other_events, 0U);
    EXPECT_TRUE(device.node->outbox().empty());
    EXPECT_EQ(device.node->outbox().next_sequence(), next_seq_at_stop) << "a reading was taken";
    EXPECT_EQ(world.broker.disconnects(), 1U);
    EXPECT_FALSE(runner.connected());
}

}  // namespace
}  // namespace mqtls::node::sim_test
