// A telemetry device on the library, without the mqtls command: node::NodeRunner takes a
// simulated reading every half second, keeps it in an outbox on disk and publishes it at QoS 1
// over verified TLS (client::DeviceLink on port::posix::Platform's TCP stream), reconnecting
// with backoff when the link drops. Once COUNT readings are acknowledged it says goodbye (the
// retained "offline", DISCONNECT). A reading taken but not acknowledged when the program ends
// stays in OUTBOX_DIR and goes out at the next run. An ESP32 application runs the same
// NodeRunner over its own node::Platform and stream.
//
//   device_loop HOST CA_FILE DEVICE_ID OUTBOX_DIR COUNT
//
// Readings go to telemetry/DEVICE_ID, the retained status to status/DEVICE_ID. From the
// environment, all optional: MQTLS_PORT (default 8883), MQTLS_USERNAME, MQTLS_PASSWORD (read
// only from the environment, so that it never shows in `ps`).
// Exit status: 0 COUNT readings acknowledged, 1 failed (the reason and a hint on stderr),
// 2 usage, 3 file.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mqtls/client/client.hpp"
#include "mqtls/client/device_link.hpp"
#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/outbox_set.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/port/posix/platform.hpp"

namespace {

using mqtls::Duration;
using mqtls::Instant;
namespace node = mqtls::node;

const char* environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

int fail(const char* step, const mqtls::Error& error) {
    std::fprintf(stderr, "device_loop: %s: %s\n  hint: %s\n", step, error.message(), error.hint());
    return 1;
}

// Fills options from argv and the environment; returns an exit status on failure.
std::optional<int> configure(char** argv, mqtls::client::ClientOptions& options) {
    options.host = argv[1];
    std::ifstream file(argv[2], std::ios::binary);
    std::ostringstream roots;
    if (file) roots << file.rdbuf();
    if (!file || roots.str().empty()) {
        std::fprintf(stderr,
                     "device_loop: cannot read CA_FILE, or it is empty\n"
                     "  hint: check the path and that it is a readable PEM file\n");
        return 3;
    }
    options.trusted_roots_pem = roots.str();
    if (const char* port = environment("MQTLS_PORT")) {
        char* end = nullptr;
        const long number = std::strtol(port, &end, 10);
        if (*end != '\0' || number < 1 || number > 65535) {
            std::fprintf(stderr,
                         "device_loop: MQTLS_PORT is not a port number\n"
                         "  hint: use 1..65535, e.g. 8883\n");
            return 2;
        }
        options.port = static_cast<std::uint16_t>(number);
    }
    options.client_id = argv[3];
    if (const char* username = environment("MQTLS_USERNAME")) options.username = username;
    if (const char* password = environment("MQTLS_PASSWORD")) options.password = password;
    return std::nullopt;
}

// What one event means to this program: printed; an exit status when it ends the run.
std::optional<int> handle(const node::NodeEvent& event) {
    switch (event.type) {
        case node::NodeEventType::connected:
            std::printf("connected over %s, %s, verified name %.*s%s\n", event.channel.protocol,
                        event.channel.cipher_suite,
                        static_cast<int>(event.channel.verified_name.size()),
                        event.channel.verified_name.data(), event.resumed ? ", resumed" : "");
            break;
        case node::NodeEventType::acknowledged:
            std::printf("acknowledged seq=%llu: %.*s\n", static_cast<unsigned long long>(event.seq),
                        static_cast<int>(event.payload.size()),
                        reinterpret_cast<const char*>(event.payload.data()));
            break;
        case node::NodeEventType::link_down:
            std::printf("link down (%s); next attempt in %lld ms\n",
                        event.error ? event.error->message() : "closed",
                        static_cast<long long>(event.retry_delay.millis()));
            break;
        case node::NodeEventType::stopped:
            // Before COUNT: the runner met an error that retrying cannot fix (node::should_stop).
            if (event.error) return fail("stopped", *event.error);
            break;
        default:
            break;
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr,
                     "usage: device_loop HOST CA_FILE DEVICE_ID OUTBOX_DIR COUNT\n"
                     "  (see the top of device_loop.cpp for the environment)\n");
        return 2;
    }
    const long count = std::strtol(argv[5], nullptr, 10);
    if (count < 1 || count > 100000) {
        std::fprintf(stderr, "device_loop: COUNT must be 1..100000\n");
        return 2;
    }
    mqtls::client::ClientOptions options;
    if (auto status = configure(argv, options)) return *status;

    // The device: TCP, clocks, entropy and the outbox's two log segments as files.
    mqtls::port::posix::Platform device;
    if (auto opened = device.open_outbox_segments(argv[4]); !opened) {
        return fail("opening OUTBOX_DIR", opened.error());
    }
    node::OutboxConfig bounds;
    bounds.max_records = 256;
    bounds.max_record_bytes = 256;
    bounds.max_live_bytes = bounds.max_records * bounds.max_record_bytes;
    const node::OutboxConfig outbox_config = node::OutboxSet::sized(bounds);
    std::vector<node::OutboxEntry> index(node::OutboxSet::index_entries(outbox_config));
    std::vector<std::uint8_t> scratch(node::OutboxSet::scratch_bytes(outbox_config));
    mqtls::port::posix::OutboxSegments& segments = *device.outbox_segments();
    auto outbox = node::OutboxSet::open(
        segments.segment(0), segments.segment(1),
        node::OutboxSetMemory{mqtls::span<node::OutboxEntry>(index.data(), index.size()),
                              mqtls::mutable_bytes(scratch.data(), scratch.size())},
        outbox_config);
    if (!outbox) return fail("opening the outbox", outbox.error());

    node::TelemetryNodeConfig node_config;
    node_config.publish_period = Duration::from_millis(500);
    auto telemetry = node::TelemetryNode::create(options.client_id, node_config, outbox->outbox());
    if (!telemetry) return fail("DEVICE_ID", telemetry.error());

    // The verified TLS connection over the device's stream.
    mqtls::client::DeviceLink link(options, device.stream(), device.node().clock);
    if (auto ready = link.set_up(); !ready) return fail("TLS set-up", ready.error());

    node::NodeRunnerConfig config;
    config.client_id = options.client_id;
    if (options.username) config.username = *options.username;
    if (options.password) {
        config.password = mqtls::as_bytes(options.password->data(), options.password->size());
    }
    config.clean_session = false;  // a persistent outbox: the broker keeps the session too
    node::SimulatedSensor sensor(42);
    node::NodeRunner runner(*telemetry, link.connection(), device.node(), config, &sensor);

    const mqtls::MonotonicClock clock = device.node().clock;
    telemetry->start(clock.now());
    // Bounded: the readings' schedule plus a minute for connecting and reconnecting.
    const Instant give_up = clock.now() + Duration::from_seconds(60 + count);
    while (runner.acknowledged() < static_cast<std::uint64_t>(count) && !runner.stopped() &&
           clock.now() < give_up) {
        runner.step(clock.now() + Duration::from_millis(250));
        if (auto event = runner.poll_event()) {
            if (auto status = handle(*event)) return *status;
        }
    }
    if (runner.acknowledged() < static_cast<std::uint64_t>(count)) {
        std::fprintf(stderr,
                     "device_loop: %llu of %ld readings acknowledged in time\n"
                     "  hint: is the broker up at HOST and MQTLS_PORT? the rest stay in "
                     "OUTBOX_DIR for the next run\n",
                     static_cast<unsigned long long>(runner.acknowledged()), count);
        return 1;
    }

    // The goodbye, step by step so that every acknowledgement is still printed.
    runner.request_stop(clock.now() + Duration::from_seconds(10));
    for (int turn = 0; turn < 10000 && !runner.stopped(); ++turn) {
        runner.step(clock.now() + Duration::from_millis(250));
        if (auto event = runner.poll_event()) (void)handle(*event);
    }
    std::printf("stopped: %llu reading(s) acknowledged, %zu left in the outbox\n",
                static_cast<unsigned long long>(runner.acknowledged()), telemetry->outbox().size());
    return 0;
}
