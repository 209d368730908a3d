// The wake firmware: one QEMU process is one wake of a battery device from deep sleep. It boots,
// recovers the outbox from retained memory, takes this wake's reading, and hands the rest to the
// library's node::run_wake_cycle: resume the sealed TLS session from retained memory (or do a
// full handshake), send Finished + CONNECT + the readings in one flight, await the
// acknowledgements, save the new session, disconnect. Then it reports and "sleeps" (exits).
// docs/firmware.md: the command line, the exit statuses, the report.
#include <cstdio>
#include <new>

#include "device.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "mqtls/port/baremetal/board.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"

namespace {

using namespace mqtls;
namespace host = port::baremetal::semihosting;

// Never destroyed (the firmware ends by exiting QEMU), so no atexit registration is needed: the
// bare-metal C++ runtime has none.
alignas(firmware::Device) unsigned char device_storage[sizeof(firmware::Device)];
firmware::Device& device = *new (device_storage) firmware::Device();

// This wake's reading: the simulated sensor, moved on by the seq so values change from wake to
// wake (a real board reads its sensor here).
void take_reading(node::TelemetryNode& telemetry) {
    node::SimulatedSensor sensor(
        static_cast<std::uint32_t>(telemetry.outbox().next_sequence() * 2654435761U));
    const Instant now = device.platform().node().clock.now();
    telemetry.start(now);
    const std::int64_t wall_ms = port::baremetal::wall_milliseconds();
    if (auto taken = telemetry.take_reading(sensor, now, wall_ms); !taken) {
        firmware::Device::print_error("the reading could not be stored", taken.error());
    }
}

int exit_status_of(const node::WakeReport& report, std::size_t pending) {
    if (report.error && is_permanent(*report.error)) return firmware::exit_permanent;
    return pending == 0 ? firmware::exit_delivered : firmware::exit_pending;
}

void report_wake(const node::WakeReport& report, std::size_t pending, int status) {
    firmware::Report line;
    line.add("firmware", "wake");
    line.add("device", device.provisioning().device_id);
    line.add("handshake", node::handshake_name(report.handshake));
    line.add("protocol", report.channel.protocol);
    line.add("cipher_suite", report.channel.cipher_suite);
    line.add("verified_name", report.channel.verified_name);
    line.add_bool("session_offered", report.session_offered);
    line.add_bool("session_declined", report.session_declined);
    if (report.session_problem) line.add("session_problem", name(report.session_problem->code));
    line.add_bool("one_flight", report.one_flight);
    line.add("restored", report.restored);
    line.add("delivered", report.delivered);
    line.add("first_seq", report.first_seq);
    line.add("last_seq", report.last_seq);
    line.add("pending", pending);
    line.add("dropped", report.dropped);
    line.add("connect_ms", static_cast<std::uint64_t>(report.connect_time.millis() < 0
                                                          ? 0
                                                          : report.connect_time.millis()));
    if (report.error) {
        line.add("error", name(report.error->code));
        line.add("error_detail", static_cast<std::uint64_t>(report.error->detail));
    }
    line.add("exit_status", static_cast<std::uint64_t>(status));
    device.add_measurements(line);
    line.print();
}

}  // namespace

int main() {
    device.boot();
    node::TelemetryNode& telemetry = device.telemetry();
    take_reading(telemetry);
    device.connect_setup();

    const node::WakeConfig config =
        device.stack().wake_config(device.provisioning().qos, device.provisioning().deadline);
    const node::WakeReport report =
        node::run_wake_cycle(telemetry, device.connection(), device.platform().node(), config);
    if (auto synced = telemetry.outbox().sync(); !synced) {
        firmware::Device::print_error("the outbox could not be committed", synced.error());
    }
    if (report.error) firmware::Device::print_error("the wake ended early", *report.error);
    const std::size_t pending = telemetry.outbox().size();
    const int status = exit_status_of(report, pending);
    report_wake(report, pending, status);
    host::exit(status);
}
