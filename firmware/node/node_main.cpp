// The node firmware: the continuous telemetry node of a mains-powered device. It boots, takes
// a reading every `period` seconds of emulated time and hands the rest to the library's
// node::NodeRunner (connect with the retained "offline" will, restore readings left in flight,
// publish through the window, await acknowledgements, keep the link alive, reconnect with
// backoff). After `readings` readings were acknowledged it says goodbye (retained "offline",
// DISCONNECT), reports and exits. One line per event on the console; docs/firmware.md.
#include <cstdio>
#include <new>

#include "device.hpp"
#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"

namespace {

using namespace mqtls;
namespace host = port::baremetal::semihosting;

// Never destroyed (the firmware ends by exiting QEMU): no atexit registration needed.
alignas(firmware::Device) unsigned char device_storage[sizeof(firmware::Device)];
firmware::Device& device = *new (device_storage) firmware::Device();

// How long one step may wait: short enough to notice a due reading on time.
constexpr Duration step_length = Duration::from_millis(250);

struct Totals {
    std::uint64_t taken = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t link_downs = 0;
    bool resumed_once = false;
    std::optional<Error> error;
};

void show(const node::NodeEvent& event, Totals& totals) {
    switch (event.type) {
        case node::NodeEventType::reading_taken:
            if (event.error) {
                firmware::Device::print_error("the reading could not be stored", *event.error);
            } else {
                ++totals.taken;
            }
            break;
        case node::NodeEventType::connected:
            if (event.resumed) totals.resumed_once = true;
            std::printf("mqtls node: connected (%s, %s, attempt %u)\n",
                        event.resumed ? "resumed" : "full handshake", event.channel.protocol,
                        static_cast<unsigned>(event.attempt));
            break;
        case node::NodeEventType::acknowledged:
            ++totals.acknowledged;
            std::printf("mqtls node: reading %llu acknowledged\n",
                        static_cast<unsigned long long>(event.seq));
            break;
        case node::NodeEventType::link_down:
            ++totals.link_downs;
            if (event.error) firmware::Device::print_error("the link is down", *event.error);
            std::printf("mqtls node: next connect in %lld ms\n",
                        static_cast<long long>(event.retry_delay.millis()));
            break;
        case node::NodeEventType::denied:
            if (event.error)
                firmware::Device::print_error("the broker refused a reading", *event.error);
            break;
        case node::NodeEventType::expired:
            std::printf("mqtls node: reading %llu expired unsent\n",
                        static_cast<unsigned long long>(event.seq));
            break;
        case node::NodeEventType::stopped:
            totals.error = event.error;
            break;
        case node::NodeEventType::reading_due:
        case node::NodeEventType::restored:
        case node::NodeEventType::published:
            break;
    }
}

void report(const node::NodeRunner& runner, const Totals& totals, std::size_t pending, int status) {
    firmware::Report line;
    line.add("firmware", "node");
    line.add("device", device.provisioning().device_id);
    line.add("taken", totals.taken);
    line.add("acknowledged", totals.acknowledged);
    line.add("reconnects", runner.reconnects());
    line.add("link_downs", totals.link_downs);
    line.add_bool("resumed_once", totals.resumed_once);
    line.add("pending", pending);
    if (totals.error) line.add("error", name(totals.error->code));
    line.add("exit_status", static_cast<std::uint64_t>(status));
    device.add_measurements(line);
    line.print();
}

}  // namespace

int main() {
    device.boot();
    device.connect_setup();
    const firmware::Provisioning& provisioning = device.provisioning();
    node::TelemetryNode& telemetry = device.telemetry();
    const node::Platform& platform = device.platform().node();

    // The outbox is in retained memory: the broker keeps the session (clean_session false), so
    // a reading in flight at a reset goes out again under the identifier it knows (MQTT 3.1.1
    // 4.4).
    const node::NodeRunnerConfig config = device.stack().runner_config(provisioning.qos);

    node::SimulatedSensor sensor(static_cast<std::uint32_t>(telemetry.outbox().next_sequence()));
    node::NodeRunner runner(telemetry, device.connection(), platform, config, &sensor);
    Totals totals;
    const Instant started = platform.clock.now();
    telemetry.start(started);
    // Bounded in emulated time: the readings' schedule, then the deadline for each connect.
    const Instant give_up =
        started + Duration::from_millis(provisioning.period.millis() * provisioning.readings +
                                        provisioning.deadline.millis() * 4);
    while (!runner.stopped()) {
        const Instant now = platform.clock.now();
        if (!runner.stopping() &&
            (totals.acknowledged >= provisioning.readings || now >= give_up)) {
            runner.request_stop(now + provisioning.deadline);
        }
        runner.step(now + step_length);
        while (auto event = runner.poll_event()) show(*event, totals);
    }
    if (auto synced = telemetry.outbox().sync(); !synced) {
        firmware::Device::print_error("the outbox could not be committed", synced.error());
    }
    const std::size_t pending = telemetry.outbox().size();
    int status = firmware::exit_delivered;
    if (totals.error && is_permanent(*totals.error)) {
        status = firmware::exit_permanent;
    } else if (pending != 0 || totals.acknowledged < provisioning.readings) {
        status = firmware::exit_pending;
    }
    report(runner, totals, pending, status);
    host::exit(status);
}
