// NodeRunner through thousands of seeded fault schedules in virtual time: refused and
// unreachable connects, cuts (often mid-record), black holes, a broker that is not ready
// (CONNACK 3) or restarted without the session, device resets with readings in flight. Every
// reading taken must reach the broker at least once (none lost), no packet identifier may be
// handed out again while in flight, backoff delays stay within their bounds and every step
// returns by its deadline. MQTLS_SIM_SEED=<n> replays one schedule.
#include "mqtls_test.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "mqtls/node/node_runner.hpp"
#include "sim_device.hpp"

namespace mqtls::node::sim_test {
namespace {

const Duration connect_timeout = Duration::from_seconds(3);
const Duration ack_timeout = Duration::from_seconds(4);
const Duration backoff_cap = Duration::from_seconds(5);

struct Totals {
    std::size_t schedules = 0;
    std::size_t faults = 0;
    std::size_t readings = 0;
    std::size_t lost = 0;
    std::size_t at_most_once_lost = 0;  // QoS 0: a cut may lose what the stream took
    std::size_t duplicates = 0;
    std::size_t resets = 0;
};

// One schedule's run and the invariants checked as it goes.
class RunnerSchedule {
public:
    explicit RunnerSchedule(std::uint32_t seed) : seed_(seed), world_(seed) {
        for (std::size_t connection = 0; connection < 8; ++connection) {
            if (script_fault(world_, connection)) ++scripted_;
        }
        world_.network.set_latency(sim::Direction::to_server, Duration::from_millis(seed % 40));
        world_.network.set_latency(sim::Direction::to_client, Duration::from_millis(seed % 30));
        if (seed % 5 == 0) {
            world_.broker.script.connack_codes = {mqtt::ConnectReturnCode::accepted,
                                                  mqtt::ConnectReturnCode::server_unavailable};
            ++scripted_;
        }
        qos_ = static_cast<mqtt::QoS>(seed % 3);
        window_ = 1 + seed % 8;
        config_.qos = qos_;
        config_.client_id = "sim-device";
        config_.clean_session = false;
        config_.connect_timeout = connect_timeout;
        config_.ack_timeout = ack_timeout;
        boot();
    }

    void run(Totals& totals) {
        run_with_faults(totals);
        if (MQTLS_TEST_HAS_FATAL_FAILURE()) return;
        // The network heals: run until connected with nothing pending, then stop.
        for (int turn = 0; turn < 200'000; ++turn) {
            if (runner_->connected() && device_->node->outbox().empty()) break;
            step_once();
        }
        runner_->stop(world_.clock.now() + Duration::from_seconds(30));
        while (auto event = runner_->poll_event()) check(*event);
        tally_delivery(totals);
    }

private:
    // 30 s of virtual time under the scripted faults, readings every second, and on even seeds
    // one device reset at a seeded instant.
    void run_with_faults(Totals& totals) {
        const Instant faults_end = world_.clock.now() + Duration::from_seconds(30);
        const bool reset = seed_ % 2 == 0;
        const Instant reset_at = world_.clock.now() + Duration::from_seconds(5 + seed_ % 20);
        bool was_reset = false;
        for (int turn = 0; turn < 200'000 && world_.clock.now() < faults_end; ++turn) {
            if (reset && !was_reset && world_.clock.now() >= reset_at) {
                boot();  // a crash: RAM is gone, the outbox and the TLS session store remain
                was_reset = true;
                ++totals.resets;
            }
            step_once();
            if (MQTLS_TEST_HAS_FATAL_FAILURE()) return;
        }
    }

    void tally_delivery(Totals& totals) {
        const std::uint64_t taken = device_->node->outbox().next_sequence() - 1;
        const Delivery delivery = tally(world_.broker, taken);
        EXPECT_TRUE(device_->node->outbox().empty()) << "seed " << seed_;
        ++totals.schedules;
        totals.faults += world_.network.faults_fired() + (seed_ % 5 == 0 ? 1 : 0);
        totals.readings += static_cast<std::size_t>(taken);
        // QoS 0 is at most once: a reading the stream took is released, and a cut loses it.
        if (qos_ == mqtt::QoS::at_most_once) {
            totals.at_most_once_lost += delivery.lost.size();
            return;
        }
        EXPECT_TRUE(delivery.lost.empty())
            << "seed " << seed_ << ": " << delivery.lost.size() << " reading(s) lost (replay: "
            << "MQTLS_SIM_SEED=" << seed_ << ")";
        totals.lost += delivery.lost.size();
        totals.duplicates += delivery.duplicates;
    }

    void boot() {
        runner_.reset();
        if (device_) device_->connection.drop();
        device_ = std::make_unique<Device>(world_, window_);
        runner_ = std::make_unique<NodeRunner>(*device_->node, device_->connection,
                                               device_->platform, config_, &device_->sensor);
        device_->node->start(world_.clock.now());
        in_flight_.clear();
    }

    void step_once() {
        const Instant before = world_.clock.now();
        runner_->step(before + Duration::from_millis(250));
        const Duration took = world_.clock.now() - before;
        // A step is a connect, a publish, an acknowledgement or a wait: each has its bound.
        ASSERT_LE(took.millis(), (connect_timeout + ack_timeout).millis())
            << "seed " << seed_ << " (replay: MQTLS_SIM_SEED=" << seed_ << ")";
        ASSERT_FALSE(runner_->stopped())
            << "seed " << seed_ << ": stopped (MQTLS_SIM_SEED=" << seed_ << ")";
        while (auto event = runner_->poll_event()) check(*event);
    }

    void check(const NodeEvent& event) {
        switch (event.type) {
            case NodeEventType::link_down:
                check_backoff(event);
                break;
            case NodeEventType::published:
            case NodeEventType::restored:
                check_identifier(event);
                break;
            case NodeEventType::acknowledged:
                release_identifier(event.packet_id);
                break;
            case NodeEventType::stopped:
                EXPECT_FALSE(event.error.has_value()) << "seed " << seed_;
                break;
            default:
                break;
        }
    }

    void check_backoff(const NodeEvent& event) {
        EXPECT_LE(event.retry_delay.millis(), event.backoff_bound.millis()) << seed_;
        EXPECT_LE(event.backoff_bound.millis(), backoff_cap.millis()) << seed_;
        EXPECT_GE(event.retry_delay.millis(), 0) << seed_;
        // Now and then the broker restarts and forgets the session and its TLS cache.
        if (world_.random() % 4 == 0) {
            world_.broker.script.session_present = false;
            world_.server.forget_sessions();
        } else {
            world_.broker.script.session_present.reset();
        }
    }

    void release_identifier(mqtt::PacketId id) {
        in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                        [id](const auto& entry) { return entry.first == id; }),
                         in_flight_.end());
    }

    // No identifier handed out for a second reading while the first is in flight under it.
    void check_identifier(const NodeEvent& event) {
        if (event.packet_id == 0) return;
        // A sorted vector, not a std::map: the bare-metal runner has no compiled libstdc++.
        const auto held = std::lower_bound(in_flight_.begin(), in_flight_.end(), event.packet_id,
                                           [](const std::pair<mqtt::PacketId, std::uint64_t>& entry,
                                              mqtt::PacketId id) { return entry.first < id; });
        if (held == in_flight_.end() || held->first != event.packet_id) {
            in_flight_.insert(held, {event.packet_id, event.seq});
            return;
        }
        if (held->second != event.seq) {
            ADD_FAILURE() << "seed " << seed_ << ": packet id " << event.packet_id
                          << " reused for seq " << event.seq << " while seq " << held->second
                          << " is in flight";
        }
        held->second = event.seq;
    }

    std::uint32_t seed_;
    World world_;
    mqtt::QoS qos_ = mqtt::QoS::at_least_once;
    std::size_t window_ = 1;
    std::size_t scripted_ = 0;
    NodeRunnerConfig config_;
    std::unique_ptr<Device> device_;
    std::unique_ptr<NodeRunner> runner_;
    std::vector<std::pair<mqtt::PacketId, std::uint64_t>> in_flight_;  // sorted by id
};

TEST(NodeRunnerSimulation, EveryReadingArrivesThroughSeededFaultSchedules) {
    Totals totals;
    for (const std::uint32_t seed : seeds(schedule_count)) {
        RunnerSchedule schedule(seed);
        schedule.run(totals);
        if (MQTLS_TEST_HAS_FAILURE()) {
            std::printf("failing seed %lu: replay with MQTLS_SIM_SEED=%lu\n",
                        static_cast<unsigned long>(seed), static_cast<unsigned long>(seed));
            break;
        }
    }
    std::printf(
        "NodeRunner simulation: %zu schedules, %zu faults, %zu device resets, %zu "
        "readings, %zu lost at QoS 1/2, %zu duplicates; QoS 0 (at most once): %zu lost\n",
        totals.schedules, totals.faults, totals.resets, totals.readings, totals.lost,
        totals.duplicates, totals.at_most_once_lost);
    EXPECT_EQ(totals.lost, 0U);
    if (totals.schedules >= 100) {
        EXPECT_GT(totals.faults, totals.schedules);  // they did fault
    }
}

}  // namespace
}  // namespace mqtls::node::sim_test
