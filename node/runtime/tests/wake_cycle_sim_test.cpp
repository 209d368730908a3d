// run_wake_cycle through thousands of seeded fault schedules in virtual time: every wake is a
// reset (a new device in RAM over the same outbox and TLS session store), takes one reading
// and delivers what it can before its deadline, under the same faults as the runner's
// schedules. Every reading must reach the broker at least once, no wake may outlast its
// deadline, and no two readings may be in flight under one packet identifier.
// MQTLS_SIM_SEED=<n> replays one schedule.
#include "mqtls_test.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <cstdio>

#include "mqtls/node/wake_cycle.hpp"
#include "sim_device.hpp"

namespace mqtls::node::sim_test {
namespace {

constexpr int wakes_with_faults = 6;
constexpr int healing_wakes = 6;
const Duration wake_deadline = Duration::from_seconds(5);

struct Totals {
    std::size_t schedules = 0;
    std::size_t wakes = 0;
    std::size_t faults = 0;
    std::size_t readings = 0;
    std::size_t lost = 0;
    std::size_t at_most_once_lost = 0;  // QoS 0: a cut may lose what the stream took
    std::size_t duplicates = 0;
    std::size_t resumed = 0;
};

// No identifier noted for two live readings (they would be restored, and in flight, under it).
void expect_distinct_identifiers(const Outbox& outbox, std::uint32_t seed) {
    // A sorted vector, not a std::set: the bare-metal runner has no compiled libstdc++.
    std::vector<std::uint16_t> ids;
    auto& readable = const_cast<Outbox&>(outbox);
    for (std::size_t i = 0; i < outbox.size(); ++i) {
        std::uint8_t buffer[128];
        const auto reading = readable.peek(i, buffer);
        ASSERT_TRUE(reading) << seed;
        if (reading->packet_id == 0) continue;
        const auto at = std::lower_bound(ids.begin(), ids.end(), reading->packet_id);
        EXPECT_TRUE(at == ids.end() || *at != reading->packet_id)
            << "seed " << seed << ": packet id " << reading->packet_id << " noted twice";
        ids.insert(at, reading->packet_id);
    }
}

WakeConfig wake_config(std::uint32_t seed, bool one_flight) {
    WakeConfig config;
    config.qos = static_cast<mqtt::QoS>(seed % 3);
    config.connect.client_id = "sim-device";
    config.connect.keep_alive_s = 60;
    config.deadline = wake_deadline;
    config.one_flight = one_flight;
    return config;
}

void check_wake(Duration took, const WakeReport& report, const TelemetryNode& node,
                std::uint32_t seed) {
    // The deadline holds in virtual time (plus the one stream step that may end past it).
    EXPECT_LE(took.millis(), (wake_deadline + Duration::from_millis(100)).millis())
        << "seed " << seed << " (replay: MQTLS_SIM_SEED=" << seed << ")";
    EXPECT_EQ(report.pending, node.outbox().size()) << seed;
    EXPECT_TRUE(report.error.has_value() || report.pending == 0) << seed;
    expect_distinct_identifiers(node.outbox(), seed);
}

WakeReport one_wake(World& world, std::uint32_t seed, bool one_flight, Totals& totals) {
    Device device(world, 1 + seed % 16);
    const Result<OutboxPush> taken = device.node->take_reading(device.sensor, world.clock.now(), 0);
    EXPECT_TRUE(taken) << seed;
    const WakeConfig config = wake_config(seed, one_flight);
    const Instant started = world.clock.now();
    const WakeReport report =
        run_wake_cycle(*device.node, device.connection, device.platform, config);
    check_wake(world.clock.now() - started, report, *device.node, seed);
    ++totals.wakes;
    if (report.handshake == WakeHandshake::resumed) ++totals.resumed;
    world.clock.advance(Duration::from_seconds(60));  // deep sleep
    return report;
}

// Now and then the broker restarts between wakes: the session and its TLS cache are gone.
void maybe_restart_broker(World& world) {
    if (world.random() % 5 == 0) {
        world.broker.script.session_present = false;
        world.server.forget_sessions();
    } else {
        world.broker.script.session_present.reset();
    }
}

void run_schedule(std::uint32_t seed, Totals& totals) {
    World world(seed);
    const bool one_flight = seed % 4 != 0;
    for (int wake = 0; wake < wakes_with_faults; ++wake) {
        // Each wake's connection is the network's next open attempt: script its fault.
        script_fault(world, world.network.open_attempts());
        maybe_restart_broker(world);
        one_wake(world, seed, one_flight, totals);
    }
    world.broker.script.session_present.reset();
    WakeReport last;
    for (int wake = 0; wake < healing_wakes; ++wake) {
        last = one_wake(world, seed, one_flight, totals);
        if (last.pending == 0 && !last.error) break;
    }
    Device after(world, 1);
    const std::uint64_t taken = after.node->outbox().next_sequence() - 1;
    const Delivery delivery = tally(world.broker, taken);
    EXPECT_EQ(last.pending, 0U) << "seed " << seed << " (replay: MQTLS_SIM_SEED=" << seed << ")";
    ++totals.schedules;
    totals.faults += world.network.faults_fired();
    totals.readings += static_cast<std::size_t>(taken);
    // QoS 0 is at most once: a reading the stream took is released, and a cut loses it.
    if (seed % 3 == 0) {
        totals.at_most_once_lost += delivery.lost.size();
        return;
    }
    EXPECT_TRUE(delivery.lost.empty())
        << "seed " << seed << ": " << delivery.lost.size() << " reading(s) lost (replay: "
        << "MQTLS_SIM_SEED=" << seed << ")";
    totals.lost += delivery.lost.size();
    totals.duplicates += delivery.duplicates;
}

TEST(WakeCycleSimulation, EveryReadingArrivesThroughSeededFaultSchedules) {
    Totals totals;
    for (const std::uint32_t seed : seeds(schedule_count)) {
        run_schedule(seed, totals);
        if (MQTLS_TEST_HAS_FAILURE()) {
            std::printf("failing seed %lu: replay with MQTLS_SIM_SEED=%lu\n",
                        static_cast<unsigned long>(seed), static_cast<unsigned long>(seed));
            break;
        }
    }
    std::printf(
        "wake-cycle simulation: %zu schedules, %zu wakes (%zu resumed), %zu faults, %zu "
        "readings, %zu lost at QoS 1/2, %zu duplicates; QoS 0 (at most once): %zu lost\n",
        totals.schedules, totals.wakes, totals.resumed, totals.faults, totals.readings, totals.lost,
        totals.duplicates, totals.at_most_once_lost);
    EXPECT_EQ(totals.lost, 0U);
    if (totals.schedules >= 100) {
        EXPECT_GT(totals.faults, totals.schedules);  // they did fault
    }
}

// Reports (the CLI's JSON, the firmware's MQTLS-REPORT line) and the benchmarks parse these.
TEST(WakeCycleReport, HandshakeNamesAreStable) {
    EXPECT_TRUE(std::string_view(handshake_name(WakeHandshake::none)) == "none");
    EXPECT_TRUE(std::string_view(handshake_name(WakeHandshake::full)) == "full");
    EXPECT_TRUE(std::string_view(handshake_name(WakeHandshake::resumed)) == "resumed");
}

}  // namespace
}  // namespace mqtls::node::sim_test
