// The Arduino library's ClientStream, over a scripted stand-in for an Arduino Client (the
// methods of Arduino's Client class that ClientStream calls, with their Arduino meanings), held
// to the link::ByteStream contract. What runs above it (link::Connection, the TLS engine that
// verifies the broker, node::DeviceStack) is the same code the other tests cover.
#include "mqtls/port/arduino/client_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace mqtls::port::arduino {
namespace {

// Virtual time: pause() moves it, as delay() lets real time pass on a board.
struct VirtualTime {
    static std::int64_t& ms() {
        static std::int64_t now = 0;
        return now;
    }
    static Instant now(void*) { return Instant::from_millis(ms()); }
    static void pause(std::uint32_t milliseconds) { ms() += milliseconds; }
};

MonotonicClock virtual_clock() { return MonotonicClock{&VirtualTime::now, nullptr}; }

// Arduino's Client, as far as ClientStream uses it: connect() returns 1 on success; write()
// returns what it took (0 on failure); available() what can be read; read() what it read or
// -1; connected() whether the peer is there or bytes remain to read; stop() closes.
class ScriptedClient {
public:
    int connect_result = 1;
    std::size_t write_limit = SIZE_MAX;  // most bytes one write() takes
    bool peer_open = true;
    std::deque<std::uint8_t> to_device;
    std::vector<std::uint8_t> from_device;
    std::string last_host;
    std::uint16_t last_port = 0;
    int stops = 0;

    int connect(const char* host, std::uint16_t port) {
        last_host = host;
        last_port = port;
        return connect_result;
    }
    std::size_t write(const std::uint8_t* bytes, std::size_t size) {
        if (!peer_open) return 0;
        const std::size_t taken = std::min(size, write_limit);
        from_device.insert(from_device.end(), bytes, bytes + taken);
        return taken;
    }
    int available() { return static_cast<int>(to_device.size()); }
    int read(std::uint8_t* out, std::size_t size) {
        std::size_t n = 0;
        for (; n < size && !to_device.empty(); ++n) {
            out[n] = to_device.front();
            to_device.pop_front();
        }
        return static_cast<int>(n);
    }
    std::uint8_t connected() { return peer_open || !to_device.empty() ? 1 : 0; }
    void stop() {
        ++stops;
        peer_open = false;
    }
};

// The ESP32 core's client also takes a connect timeout.
class TimedClient : public ScriptedClient {
public:
    std::int32_t last_timeout_ms = -1;
    int connect(const char* host, std::uint16_t port, std::int32_t timeout_ms) {
        last_timeout_ms = timeout_ms;
        return ScriptedClient::connect(host, port);
    }
};

constexpr Duration second = Duration::from_seconds(1);

TEST(ArduinoClientStream, OpensWithANulTerminatedHostAndItsTimeoutWhereTheClientTakesOne) {
    TimedClient client;
    ClientStream<TimedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    ASSERT_TRUE(stream.open(std::string_view("broker.example.com:junk", 18), 8883, second));
    EXPECT_EQ(client.last_host, "broker.example.com");
    EXPECT_EQ(client.last_port, 8883);
    EXPECT_EQ(client.last_timeout_ms, 1000);
    EXPECT_TRUE(stream.is_open());
}

TEST(ArduinoClientStream, AFailedConnectIsConnectFailedWithTheClientsAnswer) {
    ScriptedClient client;
    client.connect_result = -1;  // e.g. WiFiClient's "host not found"
    ClientStream<ScriptedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    auto opened = stream.open("broker", 8883, second);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error(), (Error{Errc::connect_failed, -1}));
    EXPECT_FALSE(stream.is_open());
    EXPECT_EQ(stream.open("", 8883, second).error().code, Errc::invalid_argument);
    EXPECT_EQ(stream.open("b", 0, second).error().code, Errc::invalid_argument);
    EXPECT_EQ(stream.open(std::string(254, 'a'), 8883, second).error().code,
              Errc::invalid_argument);
}

TEST(ArduinoClientStream, PartialWritesAndReadsMoveEveryByteOnce) {
    ScriptedClient client;
    client.write_limit = 7;
    ClientStream<ScriptedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    ASSERT_TRUE(stream.open("broker", 8883, second));
    std::vector<std::uint8_t> data(50);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i);
    std::size_t sent = 0;
    for (int round = 0; round < 100 && sent < data.size(); ++round) {
        auto n = stream.send_some(bytes_view(data.data() + sent, data.size() - sent));
        ASSERT_TRUE(n);
        EXPECT_LE(*n, 7U);
        sent += *n;
    }
    EXPECT_EQ(client.from_device, data);

    client.to_device.assign(data.begin(), data.end());
    std::vector<std::uint8_t> received(64);
    auto n = stream.receive_some(mutable_bytes(received.data(), 10));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 10U);
    n = stream.receive_some(mutable_bytes(received.data() + 10, 54));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 40U);
    received.resize(50);
    EXPECT_EQ(received, data);
    // Nothing there yet: 0, not an error.
    n = stream.receive_some(mutable_bytes(received.data(), 4));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0U);
}

TEST(ArduinoClientStream, ThePeersCloseComesAfterItsLastBytes) {
    ScriptedClient client;
    ClientStream<ScriptedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    ASSERT_TRUE(stream.open("broker", 8883, second));
    client.to_device = {1, 2, 3};
    client.peer_open = false;
    auto ready = stream.wait(true, false, second);
    ASSERT_TRUE(ready);
    EXPECT_TRUE(ready->readable);
    std::uint8_t buffer[8];
    auto n = stream.receive_some(mutable_bytes(buffer, sizeof buffer));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3U);
    auto after = stream.receive_some(mutable_bytes(buffer, sizeof buffer));
    ASSERT_FALSE(after);
    EXPECT_TRUE(link::is_end_of_stream(after.error()));
    EXPECT_EQ(stream.send_some(bytes_view(buffer, 1)).error().code, Errc::connection_reset);
}

TEST(ArduinoClientStream, WaitPollsUntilItsTimeoutInTheClocksTime) {
    ScriptedClient client;
    ClientStream<ScriptedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    ASSERT_TRUE(stream.open("broker", 8883, second));
    const std::int64_t started = VirtualTime::ms();
    auto idle = stream.wait(true, false, Duration::from_millis(250));
    ASSERT_FALSE(idle);
    EXPECT_EQ(idle.error().code, Errc::io_timed_out);
    EXPECT_GE(VirtualTime::ms() - started, 250);
    EXPECT_LE(VirtualTime::ms() - started, 252);
    auto writable = stream.wait(true, true, second);
    ASSERT_TRUE(writable);
    EXPECT_TRUE(writable->writable);
    EXPECT_FALSE(writable->readable);
    EXPECT_EQ(stream.wait(false, false, second).error().code, Errc::invalid_argument);
    // A timeout of 0 looks once.
    EXPECT_EQ(stream.wait(true, false, Duration{}).error().code, Errc::io_timed_out);
}

TEST(ArduinoClientStream, CloseStopsTheClientOnceAndAClosedStreamRefusesEverything) {
    ScriptedClient client;
    ClientStream<ScriptedClient> stream(client, virtual_clock(), &VirtualTime::pause);
    ASSERT_TRUE(stream.open("broker", 8883, second));
    stream.close();
    stream.close();
    EXPECT_EQ(client.stops, 1);
    std::uint8_t byte = 0;
    EXPECT_EQ(stream.send_some(bytes_view(&byte, 1)).error().code, Errc::not_connected);
    EXPECT_EQ(stream.receive_some(mutable_bytes(&byte, 1)).error().code, Errc::not_connected);
    EXPECT_EQ(stream.wait(true, true, second).error().code, Errc::not_connected);
    client.peer_open = true;
    EXPECT_TRUE(stream.open("broker", 8883, second));  // reconnects reuse the stream
}

}  // namespace
}  // namespace mqtls::port::arduino
