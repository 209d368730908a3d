#pragma once
// A link::Connection over the simulation: virtual clock, in-memory network with scripted
// faults, the test-only loopback channel and the scripted broker; sized like a small device.

#include <array>
#include <string_view>
#include <vector>

#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/sim/broker.hpp"
#include "mqtls/sim/loopback_channel.hpp"
#include "mqtls/sim/network.hpp"
#include "mqtls/sim/virtual_clock.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::link::testing {

inline tls::SessionKey test_key() {
    tls::SessionKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i)
        key.bytes[i] = static_cast<std::uint8_t>(i + 1);
    return key;
}

inline bytes_view text(std::string_view s) {
    return bytes_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

inline mutable_bytes bytes_of(std::vector<std::uint8_t>& v) {
    return mutable_bytes(v.data(), v.size());
}

struct SimConnection {
    explicit SimConnection(Duration operation_timeout = Duration::from_seconds(10))
        : settings(make_settings(&store, operation_timeout)),
          connection(channel, network.client(), clock.monotonic(), settings, memory()) {}

    static ConnectionSettings make_settings(tls::SessionStore* store, Duration operation_timeout) {
        ConnectionSettings s;
        s.host = "broker.sim";
        s.port = 8883;
        s.session_store = store;
        s.session_key = test_key();
        s.operation_timeout = operation_timeout;
        return s;
    }

    ConnectionMemory memory() {
        return ConnectionMemory{storage.memory(), mutable_bytes(scratch.data(), scratch.size()),
                                mutable_bytes(sealed.data(), sealed.size())};
    }

    mqtt::Connect connect_packet(bool clean_session = true, std::uint16_t keep_alive_s = 60) const {
        mqtt::Connect c;
        c.client_id = "sim-device";
        c.clean_session = clean_session;
        c.keep_alive_s = keep_alive_s;
        return c;
    }

    Instant in(Duration d) const { return clock.now() + d; }

    Result<void> connect(bool clean_session = true, std::uint16_t keep_alive_s = 60) {
        MQTLS_TRY(connection.start(connect_packet(clean_session, keep_alive_s),
                                   in(Duration::from_seconds(10)), false));
        MQTLS_TRY(connection.finish_connect(in(Duration::from_seconds(10))));
        collect_events();
        return ok();
    }

    void collect_events() {
        while (auto event = connection.poll_event()) events.push_back(*event);
    }

    // Waits until nothing is in flight and all output left; collects the events meanwhile.
    Result<void> settle(Duration timeout = Duration::from_seconds(10)) {
        const Instant deadline = in(timeout);
        for (int round = 0; round < 10'000; ++round) {
            collect_events();
            if (connection.in_flight_count() == 0 && connection.pending_output_size() == 0)
                return ok();
            if (clock.now() >= deadline) return Errc::io_timed_out;
            MQTLS_TRY(connection.service(deadline));
        }
        return Errc::io_timed_out;
    }

    sim::VirtualClock clock;
    sim::Network network{clock};
    sim::LoopbackServer server;
    sim::Broker broker{network, server};
    std::vector<std::uint8_t> channel_in = std::vector<std::uint8_t>(4096);
    std::vector<std::uint8_t> channel_out = std::vector<std::uint8_t>(4096);
    sim::LoopbackChannel channel{bytes_of(channel_in), bytes_of(channel_out)};
    mqtt::SessionStorage<4096, 4096, 8192, 16, 16, 4> storage;
    std::array<std::uint8_t, 2048> scratch{};
    std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
    tls::RamSessionStore store;
    ConnectionSettings settings;
    Connection connection;
    std::vector<mqtt::Event> events;
};

}  // namespace mqtls::link::testing
