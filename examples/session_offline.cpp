// The sans-I/O MQTT session with no network at all: what firmware does around its own socket.
// The session encodes CONNECT and a QoS 1 PUBLISH into its buffer (publishing before CONNACK is
// allowed, MQTT 3.1.1 section 3.1.4, so both leave in one flight); we print the bytes a
// transport would send, then feed in the broker's CONNACK and PUBACK and print the events.
//
//   session_offline            prints the packets in hex and the events; exit 0 when the
//                              session ends connected with nothing left in flight
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "mqtls/mqtt.hpp"
#include "mqtls/version.hpp"

namespace {

using namespace mqtls;

int fail(const char* step, Error error) {
    std::fprintf(stderr, "session_offline: %s: %s\n  hint: %s\n", step, error.message(),
                 error.hint());
    return 1;
}

// One line per packet: its fixed header names what the session wrote. (The client's decode()
// refuses what only a server receives, CONNECT and SUBSCRIBE among them; the fixed header is
// enough to split and name them.)
bool print_packets(bytes_view output) {
    while (!output.empty()) {
        auto header = mqtt::decode_fixed_header(output, mqtt::DecodeLimits{});
        if (!header) return fail("splitting our own output", header.error()) == 0;
        const std::size_t size = header->packet_size();
        if (size > output.size()) return fail("splitting our own output", Errc::need_more) == 0;
        std::printf("%-8s %2zu bytes:", mqtt::packet_type_name(header->type), size);
        for (const std::uint8_t byte : output.first(size)) std::printf(" %02x", byte);
        std::printf("\n");
        output = output.subspan(size);
    }
    return true;
}

void print_event(const mqtt::Event& event) {
    if (const auto* connected = std::get_if<mqtt::Connected>(&event)) {
        std::printf("event    connected (session present: %s)\n",
                    connected->session_present ? "yes" : "no");
    } else if (const auto* acked = std::get_if<mqtt::PublishAcked>(&event)) {
        std::printf("event    packet %u acknowledged: the broker owns the reading\n",
                    static_cast<unsigned>(acked->packet_id));
    } else {
        std::printf("event    (index %zu)\n", event.index());
    }
}

}  // namespace

int main() {
    // All the memory the session will ever use; it allocates nothing.
    static mqtt::SessionStorage<> storage;
    mqtt::Session session(mqtt::SessionConfig{}, storage.memory());
    // The caller's clock (milliseconds since boot, say); fixed here, as nothing waits.
    const Instant now = Instant::from_millis(0);

    std::printf("mqtls %s\n", MQTLS_VERSION_STRING);

    mqtt::Connect connect;
    connect.client_id = "sensor-17";
    connect.keep_alive_s = 60;
    if (auto started = session.start_connect(connect, now); !started) {
        return fail("start_connect", started.error());
    }

    constexpr std::string_view json = R"({"t":21.5})";
    mqtt::Publish reading;
    reading.topic = "telemetry/sensor-17";
    reading.payload = as_bytes(json.data(), json.size());
    reading.qos = mqtt::QoS::at_least_once;
    auto packet_id = session.publish(reading, now);
    if (!packet_id) return fail("publish", packet_id.error());

    // Here a device would write these bytes to its TLS engine.
    if (!print_packets(session.pending_output())) return 1;
    session.consume_output(session.pending_output().size());

    // What the broker answers: CONNACK "accepted" (MQTT 3.1.1 section 3.2), then PUBACK with the
    // packet identifier of the reading (section 3.4).
    const std::uint8_t from_broker[] = {0x20,
                                        0x02,
                                        0x00,
                                        0x00,
                                        0x40,
                                        0x02,
                                        static_cast<std::uint8_t>(*packet_id >> 8),
                                        static_cast<std::uint8_t>(*packet_id & 0xff)};
    bytes_view input = from_broker;
    while (!input.empty()) {
        auto used = session.receive(input, now);
        if (!used) return fail("receive", used.error());
        input = input.subspan(*used);
        while (auto event = session.poll_event()) print_event(*event);
    }

    const bool done =
        session.state() == mqtt::SessionState::connected && session.inflight_count() == 0;
    std::printf("session  %s, %zu message(s) in flight\n", done ? "connected" : "NOT connected",
                session.inflight_count());
    return done ? 0 : 1;
}
