// The per-connection memory table (docs/design.md, "Memory per connection"): one connection with
// a real verified TLS handshake and a QoS 1 PUBLISH through the pump, for the Linux client's
// default sizes and for a device configuration, measured and printed:
//   build/asan/link/tests/mqtls_link_tls_tests --gtest_filter='LinkMemory*'

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "mqtls/link/tls_channel.hpp"
#include "sim_fixture.hpp"
#include "tls_server.hpp"

namespace mqtls::link::testing {
namespace {

// Session buffers and tables sized by the caller, in vectors.
struct SessionSizes {
    std::size_t rx = 0;
    std::size_t tx = 0;
    std::size_t store = 0;
    std::size_t outgoing = 0;
    std::size_t incoming_qos2 = 0;
    std::size_t requests = 0;
    std::size_t events = 0;
    std::size_t packet_id_bits = 0;
};

struct Profile {
    const char* name = nullptr;
    SessionSizes session;
    std::size_t scratch = 0;
    std::size_t queue = 0;  // each way; 0: the Engine allocates tls::default_queue_capacity
};

// client::Client with its default ClientLimits (client/src/client.cpp, SessionBuffers): 2 MiB
// packets, a window of 1,024, one QoS 2 slot per identifier, a 32 KiB scratch.
constexpr std::size_t mib = std::size_t{1024} * 1024;
const Profile host_default{"host default (client::Client)",
                           {2 * mib, 2 * mib + 64, 2 * mib + std::size_t{1024} * 256, 1024, 65'535,
                            8, 16, mqtt::packet_id_bits_size},
                           std::size_t{32} * 1024,
                           0};
// A device: 4 KiB packets each way, 8 KiB of resend copies, 16 in flight, 1 KiB record queues.
const Profile device{
    "device (4 KiB rx/tx, 16 in flight)", {4096, 4096, 8192, 16, 16, 4, 8, 0}, 2048, 1024};

struct Buffers {
    explicit Buffers(const Profile& p)
        : rx(p.session.rx),
          tx(p.session.tx),
          store(p.session.store),
          outgoing(p.session.outgoing),
          incoming_qos2(p.session.incoming_qos2),
          requests(p.session.requests),
          events(p.session.events),
          packet_id_bits(p.session.packet_id_bits),
          scratch(p.scratch),
          queue_in(p.queue),
          queue_out(p.queue) {}

    mqtt::SessionMemory session() {
        return {bytes_of(rx),
                bytes_of(tx),
                bytes_of(store),
                span<mqtt::detail::OutgoingSlot>(outgoing.data(), outgoing.size()),
                span<mqtt::PacketId>(incoming_qos2.data(), incoming_qos2.size()),
                span<mqtt::detail::PendingRequest>(requests.data(), requests.size()),
                span<mqtt::Event>(events.data(), events.size()),
                bytes_of(packet_id_bits)};
    }

    std::vector<std::uint8_t> rx, tx, store;
    std::vector<mqtt::detail::OutgoingSlot> outgoing;
    std::vector<mqtt::PacketId> incoming_qos2;
    std::vector<mqtt::detail::PendingRequest> requests;
    std::vector<mqtt::Event> events;
    std::vector<std::uint8_t> packet_id_bits, scratch, queue_in, queue_out;
    std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
};

struct Measured {
    ConnectionMemoryUsage usage;
    std::size_t tls_heap_peak = 0;
    std::size_t queues = 0;
    std::size_t config_heap = 0;
};

Measured measure(const Profile& profile) {
    Measured measured;
    sim::VirtualClock clock;
    sim::Network network(clock);
    tls::Config client_config;
    tls::Config server_config;
    EXPECT_TRUE(client_config.setup(client_config_options()));
    EXPECT_TRUE(server_config.setup(server_config_options()));
    TlsServer server(server_config);
    sim::Broker broker(network, server);
    Buffers buffers(profile);
    std::optional<TlsChannel> channel;
    if (profile.queue > 0) {
        channel.emplace(client_config, tls::EngineBuffers{bytes_of(buffers.queue_in),
                                                          bytes_of(buffers.queue_out)});
    } else {
        channel.emplace(client_config);
    }
    tls::RamSessionStore store;
    ConnectionSettings settings = SimConnection::make_settings(&store, Duration::from_seconds(10));
    settings.host = "broker.test";
    settings.session.limits.max_packet_size = profile.session.rx;
    Connection connection(
        *channel, network.client(), clock.monotonic(), settings,
        ConnectionMemory{buffers.session(), bytes_of(buffers.scratch),
                         mutable_bytes(buffers.sealed.data(), buffers.sealed.size())});
    mqtt::Connect connect;
    connect.client_id = "memory-table";
    EXPECT_TRUE(connection.start(connect, clock.now() + Duration::from_seconds(10), false));
    EXPECT_TRUE(connection.finish_connect(clock.now() + Duration::from_seconds(10)));
    mqtt::Publish reading;
    reading.topic = "t/memory";
    reading.payload = text(R"({"seq":1,"temperature_c":21.5})");
    reading.qos = mqtt::QoS::at_least_once;
    auto id = connection.publish(reading);
    EXPECT_TRUE(id);
    auto acknowledged = [&] {
        while (connection.poll_event()) {
        }
        return id && !connection.in_flight(*id);
    };
    EXPECT_TRUE(connection.pump_until_true(clock.now() + Duration::from_seconds(10), acknowledged));
    EXPECT_EQ(broker.publishes().size(), 1U);
    measured.usage = connection.memory_usage();
    measured.tls_heap_peak = channel->tls_heap_peak();
    measured.queues = channel->queue_bytes();
    measured.config_heap = client_config.heap_usage().current;
    return measured;
}

void print_row(const char* what, std::size_t host, std::size_t dev) {
    std::printf("| %-44s | %12zu | %10zu |\n", what, host, dev);
}

TEST(LinkMemory, PerConnectionTableAddsUp) {
    const Measured host = measure(host_default);
    const Measured dev = measure(device);
    for (const Measured* m : {&host, &dev}) {
        EXPECT_EQ(m->usage.channel_peak, m->tls_heap_peak + m->queues);
        EXPECT_EQ(m->usage.total(), m->usage.session_bytes + m->usage.scratch_bytes +
                                        m->usage.sealed_session_bytes + m->tls_heap_peak +
                                        m->queues);
        EXPECT_GT(m->tls_heap_peak, 10'000U) << "a real mbedTLS handshake ran";
    }
    EXPECT_EQ(host.queues, 2 * tls::default_queue_capacity);
    EXPECT_EQ(dev.queues, 2 * device.queue);
    EXPECT_EQ(dev.usage.scratch_bytes, device.scratch);
    EXPECT_LT(dev.usage.total(), host.usage.total() / 50);

    std::printf(
        "\nPer-connection memory (bytes), measured after a full TLS 1.2 handshake and a "
        "QoS 1 PUBLISH:\n\n");
    std::printf("| %-44s | %12s | %10s |\n", "", "host default", "device");
    std::printf("|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(14, '-').c_str(),
                std::string(12, '-').c_str());
    print_row("MQTT session (rx, tx, resend store, tables)", host.usage.session_bytes,
              dev.usage.session_bytes);
    print_row("pump scratch (stream reads + plaintext)", host.usage.scratch_bytes,
              dev.usage.scratch_bytes);
    print_row("sealed-session buffer", host.usage.sealed_session_bytes,
              dev.usage.sealed_session_bytes);
    print_row("TLS ciphertext queues (2 x capacity)", host.queues, dev.queues);
    print_row("mbedTLS heap peak (this connection)", host.tls_heap_peak, dev.tls_heap_peak);
    print_row("total per connection", host.usage.total(), dev.usage.total());
    print_row("shared: tls::Config heap (CA, own key, DRBG)", host.config_heap, dev.config_heap);
    std::printf("\n");
}

}  // namespace
}  // namespace mqtls::link::testing
