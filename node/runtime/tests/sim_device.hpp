#pragma once
// A device in the simulation: the node runtime over link::Connection, the loopback channel and
// the scripted broker, with an outbox on storage that survives a simulated reset, and the
// bookkeeping the fault-schedule tests check (readings taken, delivered, duplicates).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/node/outbox_set.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/sim/broker.hpp"
#include "mqtls/sim/loopback_channel.hpp"
#include "mqtls/sim/network.hpp"
#include "mqtls/sim/virtual_clock.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::node::sim_test {

// A log whose bytes outlive the objects using it (flash, RTC memory): a "reset" builds new
// objects over the same bytes.
class KeptLog final : public LogStorage {
public:
    Result<std::size_t> size() noexcept override { return bytes_.size(); }
    Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept override {
        if (offset > bytes_.size()) return Errc::invalid_argument;
        std::size_t count = 0;
        for (; count < out.size() && offset + count < bytes_.size(); ++count) {
            out[count] = bytes_[offset + count];
        }
        return count;
    }
    Result<void> append(bytes_view data) noexcept override {
        bytes_.insert(bytes_.end(), data.begin(), data.end());
        return ok();
    }
    Result<void> truncate(std::size_t length) noexcept override {
        if (length > bytes_.size()) return Errc::invalid_argument;
        bytes_.resize(length);
        return ok();
    }
    Result<void> sync() noexcept override { return ok(); }

private:
    std::vector<std::uint8_t> bytes_;
};

// A sensor whose value counts up, so every reading differs.
class CountingSensor final : public SensorSource {
public:
    Result<std::size_t> read(span<SensorValue> out, Instant /*now*/) noexcept override {
        out[0] = SensorValue{"n", ++count_, 0};
        return std::size_t{1};
    }

private:
    std::int32_t count_ = 0;
};

inline tls::SessionKey sim_key() {
    tls::SessionKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i)
        key.bytes[i] = static_cast<std::uint8_t>(7 * i + 3);
    return key;
}

inline int entropy_from(void* context, unsigned char* out, std::size_t length,
                        std::size_t* produced) {
    auto& random = *static_cast<std::mt19937*>(context);
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<unsigned char>(random());
    *produced = length;
    return 0;
}

inline void idle_in_virtual_time(void* context, Instant until) {
    static_cast<sim::VirtualClock*>(context)->advance_to(until);
}

// The world outside the device: clock, network, broker. It survives the device's resets.
struct World {
    explicit World(std::uint32_t seed) : random(seed) {}
    std::mt19937 random;
    sim::VirtualClock clock;
    sim::Network network{clock};
    sim::LoopbackServer server;
    sim::Broker broker{network, server};
    tls::RamSessionStore sessions;  // the device's RTC memory: survives its resets
    KeptLog segments[2];            // the device's flash: survives its resets
};

// What the device is in RAM: lost at every reset (a wake from deep sleep).
struct Device {
    static constexpr std::size_t max_records = 256;

    Device(World& world, std::size_t max_in_flight)
        : world_(world),
          settings(make_settings(world)),
          connection(channel, world.network.client(), world.clock.monotonic(), settings,
                     link::ConnectionMemory{storage.memory(),
                                            mutable_bytes(scratch.data(), scratch.size()),
                                            mutable_bytes(sealed.data(), sealed.size())}) {
        platform.stream = &world.network.client();
        platform.clock = world.clock.monotonic();
        platform.entropy = tls::EntropySource{&entropy_from, &world.random};
        platform.sessions = &world.sessions;
        platform.outbox_segments[0] = &world.segments[0];
        platform.outbox_segments[1] = &world.segments[1];
        platform.idle_until = &idle_in_virtual_time;
        platform.idle_context = &world.clock;
        OutboxConfig bounds;
        bounds.max_records = max_records;
        bounds.max_live_bytes = max_records * 128;
        bounds.max_record_bytes = 128;
        bounds.overflow = OverflowPolicy::refuse;  // nothing may be dropped: all must arrive
        const OutboxConfig config = OutboxSet::sized(bounds);
        auto opened =
            OutboxSet::open(world.segments[0], world.segments[1],
                            OutboxSetMemory{span<OutboxEntry>(index, max_records),
                                            mutable_bytes(outbox_scratch, sizeof outbox_scratch)},
                            config);
        if (!opened) std::abort();
        outbox_set.emplace(*opened);
        TelemetryNodeConfig node_config;
        node_config.publish_period = Duration::from_seconds(1);
        node_config.reconnect.base = Duration::from_millis(200);
        node_config.reconnect.cap = Duration::from_seconds(5);
        node_config.max_in_flight = max_in_flight;
        auto made = TelemetryNode::create("sim-device", node_config, outbox_set->outbox());
        if (!made) std::abort();
        node.emplace(*made);
    }

    static link::ConnectionSettings make_settings(World& world) {
        link::ConnectionSettings s;
        s.host = "broker.sim";
        s.session_store = &world.sessions;
        s.session_key = sim_key();
        s.operation_timeout = Duration::from_seconds(5);
        return s;
    }

    World& world_;
    std::vector<std::uint8_t> channel_in = std::vector<std::uint8_t>(2048);
    std::vector<std::uint8_t> channel_out = std::vector<std::uint8_t>(2048);
    sim::LoopbackChannel channel{mutable_bytes(channel_in.data(), channel_in.size()),
                                 mutable_bytes(channel_out.data(), channel_out.size())};
    mqtt::SessionStorage<4096, 4096, 16384, 64, 64, 4> storage;
    std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(1024);
    std::vector<std::uint8_t> sealed = std::vector<std::uint8_t>(tls::max_sealed_session_size);
    link::ConnectionSettings settings;
    link::Connection connection;
    Platform platform;
    OutboxEntry index[max_records];
    std::uint8_t outbox_scratch[outbox_record_overhead + 128] = {};
    std::optional<OutboxSet> outbox_set;
    std::optional<TelemetryNode> node;
    CountingSensor sensor;
};

// The seq of a reading the broker received ({"device":"sim-device","seq":N,...}); 0: not one.
inline std::uint64_t seq_of(const std::string& payload) {
    const std::size_t at = payload.find("\"seq\":");
    if (at == std::string::npos) return 0;
    return std::strtoull(payload.c_str() + at + 6, nullptr, 10);
}

struct Delivery {
    std::size_t unique = 0;
    std::size_t duplicates = 0;
    std::vector<std::uint64_t> lost;
};

// Which of readings 1..taken reached the broker, and how often.
inline Delivery tally(const sim::Broker& broker, std::uint64_t taken) {
    // Counts by seq in a vector, not a std::map: the bare-metal runner has no compiled
    // libstdc++. A seq outside 1..taken is not one of the readings asked about.
    std::vector<std::size_t> seen(static_cast<std::size_t>(taken) + 1, 0);
    Delivery result;
    for (const auto& publish : broker.publishes()) {
        if (publish.topic.rfind("telemetry/", 0) != 0) continue;
        const std::uint64_t seq = seq_of(publish.payload);
        if (seq >= 1 && seq <= taken) ++seen[static_cast<std::size_t>(seq)];
    }
    for (std::uint64_t seq = 1; seq <= taken; ++seq) {
        const std::size_t count = seen[static_cast<std::size_t>(seq)];
        if (count == 0) {
            result.lost.push_back(seq);
            continue;
        }
        ++result.unique;
        result.duplicates += count - 1;
    }
    return result;
}

// How many seeded schedules each simulation test runs; under QEMU (the cross build's sim
// runner) fewer: the same schedules, seeds 1.., at the emulator's pace.
#if defined(MQTLS_MINITEST)
constexpr std::uint32_t schedule_count = 150;
#else
constexpr std::uint32_t schedule_count = 1500;
#endif

// The seeds to run: 1..count, or only MQTLS_SIM_SEED when it is set (to replay one schedule).
inline std::vector<std::uint32_t> seeds(std::uint32_t count) {
    std::vector<std::uint32_t> result;
    if (const char* one = std::getenv("MQTLS_SIM_SEED")) {
        result.push_back(static_cast<std::uint32_t>(std::strtoul(one, nullptr, 10)));
        return result;
    }
    for (std::uint32_t seed = 1; seed <= count; ++seed) result.push_back(seed);
    return result;
}

// A random fault for connection attempt `connection`; returns whether one was scripted.
inline bool script_fault(World& world, std::size_t connection) {
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<std::size_t> byte(1, 600);
    sim::ConnectionScript& script = world.network.script(connection);
    switch (kind(world.random)) {
        case 0:
            script.refuse = true;
            return true;
        case 1:
            script.unreachable = true;
            return true;
        case 2:
            script.cut_at[0] = byte(world.random);  // often mid-record
            return true;
        case 3:
            script.cut_at[1] = byte(world.random);
            return true;
        case 4:
            script.black_hole_at[0] = byte(world.random);
            return true;
        case 5:
            script.black_hole_from = world.clock.now() + Duration::from_seconds(3);
            return true;
        default:
            return false;
    }
}

}  // namespace mqtls::node::sim_test
