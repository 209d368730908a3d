// node::DeviceStack, the device assembly every port builds on, over a Platform of the kind a
// device has: retained-memory outbox segments and session store that outlive the stack (a deep
// sleep is a new stack over the same bytes), a key source, and real TLS (mbedTLS client against
// an mbedTLS server in front of the scripted broker) over the simulated network.
#include "mqtls/node/device_stack.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mqtls/node/retained_log_storage.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/sim/broker.hpp"
#include "mqtls/sim/network.hpp"
#include "mqtls/sim/virtual_clock.hpp"
#include "mqtls/tls/retained_session_store.hpp"
#include "tls_server.hpp"

namespace mqtls::node {
namespace {

constexpr std::size_t segment_bytes = 4096;

int random_bytes(void* context, unsigned char* out, std::size_t length, std::size_t* produced) {
    auto& random = *static_cast<std::mt19937*>(context);
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<unsigned char>(random());
    *produced = length;
    return 0;
}

void idle_in_virtual_time(void* context, Instant until) {
    static_cast<sim::VirtualClock*>(context)->advance_to(until);
}

// The device's key source: NVS on an ESP32.
class TestKey final : public SessionKeySource {
public:
    Result<bool> load(tls::SessionKey& key) noexcept override {
        if (failure) return *failure;
        for (std::size_t i = 0; i < key.bytes.size(); ++i) {
            key.bytes[i] = static_cast<std::uint8_t>(3 * i + 1);
        }
        return true;
    }
    std::optional<Error> failure;
};

// What survives a deep sleep (RTC memory) and the world outside the device.
struct World {
    explicit World(std::vector<std::string_view> server_alpn = {}) {
        tls::ConfigOptions options = link::testing::server_config_options();
        options.alpn_protocols = std::move(server_alpn);
        options.alpn_required = !options.alpn_protocols.empty();
        EXPECT_TRUE(server_config.setup(options));
    }
    std::mt19937 random{7};
    sim::VirtualClock clock;
    sim::Network network{clock};
    tls::Config server_config;
    link::testing::TlsServer server{server_config};
    sim::Broker broker{network, server};
    RetainedLogRegion<segment_bytes> segments[2]{};
    tls::RetainedSessionRegion<2048> session_region{};
    TestKey key;
};

// What a boot builds in RAM: the platform's objects over the retained bytes, and the stack.
struct Boot {
    explicit Boot(World& world)
        : sessions(world.session_region),
          first(world.segments[0]),
          second(world.segments[1]),
          stack(platform(world), storage->memory()) {}

    const Platform& platform(World& world) {
        platform_.stream = &world.network.client();
        platform_.clock = world.clock.monotonic();
        platform_.wall_clock = tls::WallClock{&link::testing::real_wall_clock, nullptr};
        platform_.entropy = tls::EntropySource{&random_bytes, &world.random};
        platform_.sessions = &sessions;
        platform_.session_key = &world.key;
        platform_.outbox_segments[0] = &first;
        platform_.outbox_segments[1] = &second;
        platform_.idle_until = &idle_in_virtual_time;
        platform_.idle_context = &world.clock;
        return platform_;
    }

    WakeReport wake(World& world, int readings = 1) {
        SimulatedSensor sensor(static_cast<std::uint32_t>(stack.outbox().outbox().next_sequence()));
        const Instant now = world.clock.now();
        stack.telemetry().start(now);
        for (int i = 0; i < readings; ++i) {
            EXPECT_TRUE(stack.telemetry().take_reading(sensor, now, 1'790'000'000'000));
        }
        return run_wake_cycle(
            stack.telemetry(), stack.connection(), platform_,
            stack.wake_config(mqtt::QoS::at_least_once, Duration::from_seconds(10)));
    }

    tls::RetainedSessionStore sessions;
    RetainedLogStorage first;
    RetainedLogStorage second;
    Platform platform_;
    std::unique_ptr<DeviceStackStorage<>> storage = std::make_unique<DeviceStackStorage<>>();
    DeviceStack stack;
};

DeviceSettings settings_for(std::string_view id = "dev-1") {
    DeviceSettings settings;
    settings.host = "broker.test";
    settings.device_id = id;
    settings.ca_pem = link::testing::test_pki().root.certificate_pem;
    settings.outbox_segment_bytes = segment_bytes;
    return settings;
}

TEST(DeviceStack, WakesDeliverAndASleepResumesTheSessionFromRetainedMemory) {
    World world;
    {
        Boot first(world);
        ASSERT_TRUE(first.stack.begin(settings_for()));
        const WakeReport report = first.wake(world);
        ASSERT_FALSE(report.error) << name(report.error->code);
        EXPECT_EQ(report.delivered, 1U);
        EXPECT_EQ(report.handshake, WakeHandshake::full);
    }
    {
        Boot second(world);  // after the deep sleep: RAM is new, RTC memory kept
        ASSERT_TRUE(second.stack.begin(settings_for()));
        const WakeReport report = second.wake(world);
        ASSERT_FALSE(report.error) << name(report.error->code);
        EXPECT_EQ(report.delivered, 1U);
        EXPECT_EQ(report.handshake, WakeHandshake::resumed);
    }
    ASSERT_EQ(world.broker.publishes().size(), 2U);
    EXPECT_EQ(world.broker.publishes()[0].topic, "telemetry/dev-1");
    EXPECT_NE(world.broker.publishes()[1].payload.find("\"seq\":2"), std::string::npos)
        << world.broker.publishes()[1].payload;
    ASSERT_EQ(world.broker.connects().size(), 2U);
    EXPECT_EQ(world.broker.connects()[0].client_id, "dev-1");
    EXPECT_FALSE(world.broker.connects()[0].clean_session);
    EXPECT_TRUE(world.broker.connects()[1].resumed);
}

TEST(DeviceStack, AReadingKeptThroughAnOutageGoesOutWithTheNextWake) {
    World world;
    world.network.script(0).refuse = true;
    {
        Boot first(world);
        ASSERT_TRUE(first.stack.begin(settings_for()));
        const WakeReport report = first.wake(world);
        ASSERT_TRUE(report.error);
        EXPECT_EQ(report.error->code, Errc::connection_refused);
        EXPECT_EQ(report.pending, 1U);
    }
    Boot second(world);
    ASSERT_TRUE(second.stack.begin(settings_for()));
    const WakeReport report = second.wake(world);
    ASSERT_FALSE(report.error) << name(report.error->code);
    EXPECT_EQ(report.delivered, 2U);
    EXPECT_EQ(report.pending, 0U);
    EXPECT_EQ(world.broker.publishes().size(), 2U);
}

TEST(DeviceStack, AKeyThatCannotBeLoadedTurnsResumptionOffNotDelivery) {
    World world;
    world.key.failure = Error{Errc::session_key_invalid, 0x1102};  // e.g. NVS not initialised
    for (int wake = 0; wake < 2; ++wake) {
        Boot boot(world);
        ASSERT_TRUE(boot.stack.begin(settings_for()));
        ASSERT_TRUE(boot.stack.session_key_problem());
        EXPECT_EQ(boot.stack.session_key_problem()->code, Errc::session_key_invalid);
        EXPECT_EQ(boot.stack.connection_settings().session_store, nullptr);
        const WakeReport report = boot.wake(world);
        ASSERT_FALSE(report.error) << name(report.error->code);
        EXPECT_EQ(report.handshake, WakeHandshake::full);  // every wake: nothing was sealed
    }
    EXPECT_EQ(world.broker.publishes().size(), 2U);
}

TEST(DeviceStack, VerifyNameAndAlpnReachTheHandshake) {
    const std::array<std::string_view, 1> aws = {"x-amzn-mqtt-ca"};
    World world({"x-amzn-mqtt-ca"});
    {
        Boot without(world);
        ASSERT_TRUE(without.stack.begin(settings_for()));
        const WakeReport refused = without.wake(world);
        ASSERT_TRUE(refused.error);
        EXPECT_EQ(refused.error->code, Errc::alpn_refused);
        EXPECT_EQ(refused.pending, 1U);
    }
    Boot with(world);
    DeviceSettings settings = settings_for();
    settings.host = "192.0.2.7";  // through a tunnel: the certificate names broker.test
    settings.verify_name = "broker.test";
    settings.alpn_protocols = span<const std::string_view>(aws.data(), aws.size());
    ASSERT_TRUE(with.stack.begin(settings));
    const WakeReport report = with.wake(world);
    ASSERT_FALSE(report.error) << name(report.error->code);
    EXPECT_EQ(report.delivered, 2U);
    EXPECT_EQ(report.channel.verified_name, "broker.test");
    EXPECT_EQ(report.channel.alpn_protocol, "x-amzn-mqtt-ca");
}

TEST(DeviceStack, SettingsMistakesAreRefusedByTheStepThatNeedsThem) {
    World world;
    {
        Boot boot(world);
        DeviceSettings settings = settings_for("dev/1");  // '/' would reach another's topics
        EXPECT_EQ(boot.stack.begin(settings).error().code, Errc::invalid_device_id);
    }
    {
        Boot boot(world);
        DeviceSettings settings = settings_for();
        settings.outbox_segment_bytes = 0;
        EXPECT_EQ(boot.stack.begin(settings).error().code, Errc::invalid_argument);
    }
    {
        Boot boot(world);
        DeviceSettings settings = settings_for();
        settings.ca_pem = {};
        EXPECT_EQ(boot.stack.begin(settings).error().code, Errc::ca_bundle_invalid);
        EXPECT_FALSE(boot.stack.connection_open());
    }
}

TEST(DeviceStack, TheConnectAndTheRunnerCarryTheDeviceIdentity) {
    World world;
    Boot boot(world);
    DeviceSettings settings = settings_for();
    settings.username = "dev-1-user";
    settings.password = "secret";
    settings.keep_alive_s = 30;
    ASSERT_TRUE(boot.stack.begin(settings));
    const mqtt::Connect connect = boot.stack.connect_packet();
    EXPECT_EQ(connect.client_id, "dev-1");
    EXPECT_EQ(connect.keep_alive_s, 30);
    ASSERT_TRUE(connect.username);
    EXPECT_EQ(*connect.username, "dev-1-user");
    ASSERT_TRUE(connect.password);
    EXPECT_EQ(connect.password->size(), 6U);
    const NodeRunnerConfig runner = boot.stack.runner_config(mqtt::QoS::at_least_once);
    EXPECT_EQ(runner.client_id, "dev-1");
    EXPECT_FALSE(runner.clean_session);  // the outbox survives: so must the broker's session
    EXPECT_EQ(runner.username, "dev-1-user");
}

}  // namespace
}  // namespace mqtls::node
