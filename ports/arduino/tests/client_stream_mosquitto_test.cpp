// The Arduino transport under the whole device, against a real Mosquitto: ClientStream over an
// Arduino-Client-shaped TCP client (blocking write, available/read, connected, stop, as
// WiFiClient behaves), with node::DeviceStack's TLS verifying the broker on top. What only a
// board can show (WiFiClient itself) is not here; everything above it is the same code.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

#include "mqtls/node/device_stack.hpp"
#include "mqtls/node/retained_log_storage.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/port/arduino/client_stream.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::port::arduino {
namespace {

void real_pause(std::uint32_t ms) {
    const Instant until = posix::monotonic_now() + Duration::from_millis(ms);
    while (posix::monotonic_now() < until) {
    }
}

// Arduino's Client semantics over a loopback TCP connection: write() blocks until it queued
// everything (or fails with 0), available() says what can be read without blocking.
class TcpArduinoClient {
public:
    int connect(const char* host, std::uint16_t port) {
        auto connected = posix::TcpStream::connect(host, port, Duration::from_seconds(5));
        if (!connected) return 0;
        stream_ = std::move(*connected);
        open_ = true;
        eof_ = false;
        return 1;
    }
    std::size_t write(const std::uint8_t* bytes, std::size_t size) {
        std::size_t sent = 0;
        for (int round = 0; round < 10'000 && sent < size; ++round) {
            auto n = stream_.send_some(bytes_view(bytes + sent, size - sent));
            if (!n) return 0;
            sent += *n;
            if (*n == 0) (void)stream_.wait(false, true, Duration::from_millis(100));
        }
        return sent;
    }
    int available() {
        fill();
        return static_cast<int>(buffer_.size());
    }
    int read(std::uint8_t* out, std::size_t size) {
        std::size_t n = 0;
        for (; n < size && !buffer_.empty(); ++n) {
            out[n] = buffer_.front();
            buffer_.pop_front();
        }
        return static_cast<int>(n);
    }
    std::uint8_t connected() {
        fill();
        return (open_ && !eof_) || !buffer_.empty() ? 1 : 0;
    }
    void stop() {
        stream_.close();
        open_ = false;
        buffer_.clear();
    }

private:
    void fill() {
        if (!open_ || eof_) return;
        std::uint8_t chunk[512];
        auto n = stream_.receive_some(mutable_bytes(chunk, sizeof chunk));
        if (!n) {
            eof_ = true;
            return;
        }
        buffer_.insert(buffer_.end(), chunk, chunk + *n);
    }

    posix::TcpStream stream_;
    std::deque<std::uint8_t> buffer_;
    bool open_ = false;
    bool eof_ = false;
};

class FixedKey final : public node::SessionKeySource {
public:
    Result<bool> load(tls::SessionKey& key) noexcept override {
        for (std::uint8_t& byte : key.bytes) byte = 0x5A;
        return true;
    }
};

TEST(ArduinoClientStreamMosquitto, TheDeviceStackDeliversAndResumesOverAnArduinoClient) {
    testing::BrokerOptions options;
    options.users = {{"dev-1", "arduino-password"}};
    auto broker = testing::MosquittoBroker::start(options);
    ASSERT_TRUE(broker) << name(broker.error().code);

    TcpArduinoClient client;
    ClientStream<TcpArduinoClient> stream(client, posix::monotonic_clock(), &real_pause);
    tls::RamSessionStore sessions;
    FixedKey key;
    auto segments = std::make_unique<node::RetainedLogRegion<4096>[]>(2);
    node::RetainedLogStorage first(segments[0]);
    node::RetainedLogStorage second(segments[1]);
    node::Platform platform;
    platform.stream = &stream;
    platform.clock = posix::monotonic_clock();
    platform.wall_clock =
        tls::WallClock{[](void*) { return posix::wall_clock_seconds(); }, nullptr};
    platform.entropy = tls::EntropySource{&posix::getrandom_entropy, nullptr};
    platform.sessions = &sessions;
    platform.session_key = &key;
    platform.outbox_segments[0] = &first;
    platform.outbox_segments[1] = &second;

    node::DeviceSettings settings;
    settings.host = testing::MosquittoBroker::host();
    settings.port = (*broker)->tls_port();
    settings.device_id = "dev-1";
    settings.username = "dev-1";
    settings.password = "arduino-password";
    settings.ca_pem = (*broker)->ca_pem();
    settings.outbox_segment_bytes = 4096;

    for (const node::WakeHandshake expected :
         {node::WakeHandshake::full, node::WakeHandshake::resumed}) {
        auto storage = std::make_unique<node::DeviceStackStorage<>>();
        node::DeviceStack stack(platform, storage->memory());
        ASSERT_TRUE(stack.begin(settings));
        node::SimulatedSensor sensor(7);
        const Instant now = platform.clock.now();
        stack.telemetry().start(now);
        ASSERT_TRUE(stack.telemetry().take_reading(sensor, now, posix::wall_clock_milliseconds()));
        const node::WakeReport report = node::run_wake_cycle(
            stack.telemetry(), stack.connection(), platform,
            stack.wake_config(mqtt::QoS::at_least_once, Duration::from_seconds(10)));
        ASSERT_FALSE(report.error) << name(report.error->code) << "\n" << (*broker)->log();
        EXPECT_EQ(report.delivered, 1U);
        EXPECT_EQ(report.handshake, expected);
        EXPECT_EQ(report.channel.verified_name, "127.0.0.1");
    }
    const std::string log = (*broker)->log();
    EXPECT_NE(log.find("New client connected from 127.0.0.1"), std::string::npos) << log;
    EXPECT_NE(log.find(" as dev-1 "), std::string::npos) << log;
}

}  // namespace
}  // namespace mqtls::port::arduino
