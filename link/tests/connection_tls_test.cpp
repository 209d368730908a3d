// link::Connection with the real channel (link::TlsChannel over tls::Engine) against the
// scripted broker behind an mbedTLS server engine, over the simulated network: a verified
// handshake, resumption and the one flight through the pump, with Engine-allocated queues and
// with small caller-owned ones (a device's).

#include <gtest/gtest.h>

#include <vector>

#include "mqtls/link/tls_channel.hpp"
#include "sim_fixture.hpp"
#include "tls_server.hpp"

namespace mqtls::link::testing {
namespace {

using sim::Direction;

// What a test changes in the client's settings and the two TLS Configs.
struct TlsSimOptions {
    std::string_view host = "broker.test";
    std::string_view verify_name;
    std::vector<std::string_view> client_alpn;
    std::vector<std::string_view> server_alpn;  // the server requires one of these
};

struct TlsSim {
    explicit TlsSim(std::size_t queue_size, std::string_view host = "broker.test")
        : TlsSim(queue_size, TlsSimOptions{host, {}, {}, {}}) {}
    TlsSim(std::size_t queue_size, const TlsSimOptions& options)
        : incoming(queue_size), outgoing(queue_size) {
        tls::ConfigOptions client_options = client_config_options();
        client_options.alpn_protocols = options.client_alpn;
        EXPECT_TRUE(client_config.setup(client_options));
        tls::ConfigOptions server_options = server_config_options();
        server_options.alpn_protocols = options.server_alpn;
        server_options.alpn_required = !options.server_alpn.empty();
        EXPECT_TRUE(server_config.setup(server_options));
        if (queue_size > 0) {
            channel.emplace(client_config,
                            tls::EngineBuffers{bytes_of(incoming), bytes_of(outgoing)});
        } else {
            channel.emplace(client_config);
        }
        settings = SimConnection::make_settings(&store, Duration::from_seconds(10));
        settings.host = options.host;
        settings.verify_name = options.verify_name;
        connection.emplace(*channel, network.client(), clock.monotonic(), settings, memory());
    }

    ConnectionMemory memory() {
        return ConnectionMemory{storage.memory(), mutable_bytes(scratch.data(), scratch.size()),
                                mutable_bytes(sealed.data(), sealed.size())};
    }

    Result<void> connect(bool hold, bool publish_in_flight) {
        mqtt::Connect c;
        c.client_id = "tls-device";
        c.keep_alive_s = 60;
        MQTLS_TRY(connection->start(c, clock.now() + Duration::from_seconds(10), hold));
        if (publish_in_flight) {
            mqtt::Publish p;
            p.topic = "t/tls";
            p.payload = text("reading");
            p.qos = mqtt::QoS::at_least_once;
            MQTLS_TRY(connection->publish(p));
        }
        MQTLS_TRY(connection->finish_connect(clock.now() + Duration::from_seconds(10)));
        const Instant deadline = clock.now() + Duration::from_seconds(10);
        auto settled = [this] {
            while (connection->poll_event()) {
            }
            return connection->in_flight_count() == 0 && connection->pending_output_size() == 0;
        };
        return connection->pump_until_true(deadline, settled);
    }

    sim::VirtualClock clock;
    sim::Network network{clock};
    tls::Config client_config;
    tls::Config server_config;
    TlsServer server{server_config};
    sim::Broker broker{network, server};
    std::vector<std::uint8_t> incoming;
    std::vector<std::uint8_t> outgoing;
    std::optional<TlsChannel> channel;
    mqtt::SessionStorage<4096, 4096, 8192, 16, 16, 4> storage;
    std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(2048);
    std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
    tls::RamSessionStore store;
    ConnectionSettings settings;
    std::optional<Connection> connection;
};

class LinkTls : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LinkTls, VerifiedHandshakeThenResumedOneFlight) {
    TlsSim sim(GetParam());
    ASSERT_TRUE(sim.connect(false, true));
    const ChannelInfo info = sim.connection->channel_info();
    EXPECT_STREQ(info.protocol, "TLSv1.2");
    EXPECT_EQ(info.verified_name, "broker.test");
    EXPECT_GE(info.peer_chain_length, 1U);
    EXPECT_FALSE(info.resumed);
    ASSERT_EQ(sim.broker.publishes().size(), 1U);
    EXPECT_EQ(sim.connection->resumption().saved, 1U);
    ASSERT_TRUE(sim.connection->disconnect(sim.clock.now() + Duration::from_seconds(5)));
    EXPECT_EQ(sim.broker.disconnects(), 1U);

    ASSERT_TRUE(sim.connect(true, true));
    EXPECT_EQ(sim.connection->resumption().resumed, 1U);
    ASSERT_EQ(sim.broker.connects().size(), 2U);
    const sim::ReceivedConnect& second = sim.broker.connects()[1];
    EXPECT_TRUE(second.resumed);
    ASSERT_EQ(sim.broker.publishes().size(), 2U);
    if (GetParam() == 0) {
        // Queues of a whole record: Finished, CONNECT and PUBLISH leave in one write.
        EXPECT_EQ(second.handshake_end_delivery, second.delivery);
        EXPECT_EQ(sim.broker.publishes()[1].delivery, second.delivery);
    }
    EXPECT_GT(sim.connection->memory_usage().channel_peak, sim.channel->queue_bytes());
}

TEST_P(LinkTls, WrongNameIsRefusedBeforeAnyMqtt) {
    TlsSim sim(GetParam(), "other.test");
    auto connected = sim.connect(false, false);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::hostname_mismatch);
    EXPECT_TRUE(sim.broker.connects().empty());
    EXPECT_FALSE(sim.connection->open());
}

TEST_P(LinkTls, ChannelInfoOutlivesTheConnection) {
    // A WakeReport or a NodeEvent keeps the info after the Engine is gone (ASan checks).
    TlsSim sim(GetParam(), TlsSimOptions{"broker.test", {}, {"mqtt"}, {"mqtt"}});
    ASSERT_TRUE(sim.connect(false, false));
    const ChannelInfo info = sim.connection->channel_info();
    ASSERT_TRUE(sim.connection->disconnect(sim.clock.now() + Duration::from_seconds(5)));
    EXPECT_FALSE(sim.connection->open());
    EXPECT_EQ(info.verified_name, "broker.test");
    EXPECT_EQ(info.alpn_protocol, "mqtt");
    EXPECT_STREQ(info.protocol, "TLSv1.2");
}

TEST_P(LinkTls, VerifyNameIsCheckedInsteadOfTheDialedHost) {
    // Reached by an address the certificate does not name (a tunnel, a port forward).
    TlsSim tunnel(GetParam(), TlsSimOptions{"192.0.2.7", "broker.test", {}, {}});
    ASSERT_TRUE(tunnel.connect(false, false));
    EXPECT_EQ(tunnel.connection->channel_info().verified_name, "broker.test");

    // The override is what is verified: dialing the right host under a wrong name fails.
    TlsSim wrong(GetParam(), TlsSimOptions{"broker.test", "other.test", {}, {}});
    auto connected = wrong.connect(false, false);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::hostname_mismatch);
    EXPECT_TRUE(wrong.broker.connects().empty());
}

TEST_P(LinkTls, BrokerRequiringAlpnTakesOnlyClientsOfferingItsProtocol) {
    // AWS IoT Core on port 443: MQTT only under x-amzn-mqtt-ca.
    TlsSim offering(GetParam(),
                    TlsSimOptions{"broker.test", {}, {"x-amzn-mqtt-ca"}, {"x-amzn-mqtt-ca"}});
    ASSERT_TRUE(offering.connect(false, true));
    EXPECT_EQ(offering.connection->channel_info().alpn_protocol, "x-amzn-mqtt-ca");
    EXPECT_EQ(offering.broker.publishes().size(), 1U);

    TlsSim silent(GetParam(), TlsSimOptions{"broker.test", {}, {}, {"x-amzn-mqtt-ca"}});
    auto connected = silent.connect(false, false);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::alpn_refused);
    EXPECT_TRUE(is_permanent(connected.error()));  // the node stops instead of retrying
    EXPECT_TRUE(silent.broker.connects().empty());
    EXPECT_FALSE(silent.connection->open());
}

INSTANTIATE_TEST_SUITE_P(Queues, LinkTls,
                         ::testing::Values(std::size_t{0}, std::size_t{1024}, std::size_t{512}));

}  // namespace
}  // namespace mqtls::link::testing
