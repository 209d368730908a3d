// mqtls node: the seed's telemetry device on Linux. It runs the same node runtime a device runs
// (mqtls::node::TelemetryNode: schedule, reconnect backoff with jitter, readings as JSON) over
// the blocking client, with a simulated sensor, and prints one status line per publish and per
// reconnect attempt.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/tls/session.hpp"
#include "node_flags.hpp"
#include "node_outbox.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;

constexpr const char* command_name = "node";
// Waits are cut into slices this long so that a stop signal is noticed promptly.
constexpr std::int64_t wait_slice_ms = 250;
// The shortest period and backoff base accepted: shorter would only measure the machine.
constexpr double min_seconds = 0.01;
// CONNACK return code 3, "server unavailable": the broker is up but cannot serve us yet.
constexpr std::int32_t connack_server_unavailable = 3;

Duration seconds_to_duration(double seconds) {
    return Duration::from_millis(std::llround(seconds * 1000.0));
}

// Errors that retrying cannot fix: a broker we must not trust, credentials it refuses, files we
// cannot use. The node stops on them instead of hammering the broker.
bool is_permanent(const Error& error) {
    if (error.code == Errc::broker_refused) return error.detail != connack_server_unavailable;
    const int status = exit_code_for(error);
    // exit_refused here: a certificate alert, the broker refusing our client certificate.
    return status == exit_tls || status == exit_refused || status == exit_file ||
           status == exit_usage;
}

int validate(const NodeFlags& flags) {
    if (auto valid = node::validate_device_id(flags.device_id); !valid) {
        return usage_error(command_name, "--device is not a usable device id",
                           "use 1-64 characters of A-Z a-z 0-9 . _ - (it becomes the topic "
                           "level telemetry/<id> and the client id)");
    }
    if (!(flags.interval_s >= min_seconds)) {
        return usage_error(command_name, "--interval must be at least 0.01 seconds",
                           "the seed device publishes every 10 s: --interval 10");
    }
    if (!(flags.retry_base_s >= min_seconds) || !(flags.retry_cap_s >= flags.retry_base_s)) {
        return usage_error(command_name, "--retry-base must be >= 0.01 s and --retry-cap >= it",
                           "e.g. --retry-base 5 --retry-cap 60");
    }
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "--qos must be 0, 1 or 2",
                           "telemetry usually uses 1 (at least once)");
    }
    if (flags.count < 0 || flags.duration_s < 0) {
        return usage_error(command_name, "--count and --duration must not be negative",
                           "0 (the default) means no limit");
    }
    if (flags.sensor != "simulated") {
        return usage_error(command_name, "--sensor must be 'simulated'",
                           "on Linux the node has a simulated sensor only; devices plug in "
                           "their own SensorSource");
    }
    return exit_ok;
}

// One run of the node: the loop that carries out TelemetryNode's steps with a blocking client.
class NodeRunner {
public:
    NodeRunner(const NodeFlags& flags, client::ClientOptions options, node::TelemetryNode node,
               NodeOutbox& outbox)
        : flags_(flags),
          options_(std::move(options)),
          node_(node),
          outbox_(outbox),
          sensor_(flags.sensor_seed != 0 ? flags.sensor_seed : sensor_seed_from(flags.device_id)),
          qos_(static_cast<mqtt::QoS>(flags.qos)),
          where_(flags.connection.host + ":" + std::to_string(flags.connection.port)) {}

    int run();

private:
    std::optional<int> connect(Instant now);
    std::optional<int> take_reading(Instant now);
    std::optional<int> publish_reading();
    std::optional<int> restore_in_flight();
    std::string status_payload(bool online) const;
    std::optional<int> wait_until(Instant at);
    std::optional<int> on_link_down(const Error& error, const char* what);
    std::optional<int> limits_reached(Instant now) const;
    int shut_down(int status);
    void status_line(const char* format, ...) const __attribute__((format(printf, 2, 3)));

    const NodeFlags& flags_;
    client::ClientOptions options_;
    node::TelemetryNode node_;
    NodeOutbox& outbox_;
    node::SimulatedSensor sensor_;
    mqtt::QoS qos_;
    std::string where_;
    client::Client client_;
    // Reconnects resume the TLS session of the last connection (kept in RAM, sealed under a key
    // of this run): a lost link costs one round trip and no public-key operations.
    tls::RamSessionStore session_store_;
    Instant started_ = port::posix::monotonic_now();
    long acknowledged_ = 0;
    long taken_ = 0;
    long reconnects_ = 0;
    std::uint64_t last_published_seq_ = 0;
    std::uint32_t connect_attempt_ = 0;
};

void NodeRunner::status_line(const char* format, ...) const {
    va_list arguments;
    va_start(arguments, format);
    print_node_status(node_.device_id(), "", format, arguments);
    va_end(arguments);
}

std::optional<int> NodeRunner::limits_reached(Instant now) const {
    if (stop_requested() != 0) return exit_ok;
    if (flags_.count > 0 && acknowledged_ >= flags_.count) return exit_ok;
    if (flags_.duration_s > 0 && now - started_ >= seconds_to_duration(flags_.duration_s)) {
        return exit_ok;
    }
    return std::nullopt;
}

std::optional<int> NodeRunner::on_link_down(const Error& error, const char* what) {
    if (is_permanent(error)) {
        std::string context = file_context_for(error, flags_.connection);
        if (context.empty()) {
            context = exit_code_for(error) == exit_tls
                          ? where_ + ", CA from --cafile " + flags_.connection.ca_file
                          : where_;
        }
        return report(command_name, error, context);
    }
    std::uint32_t random = 0;
    if (auto filled = port::posix::fill_random(
            mutable_bytes(reinterpret_cast<std::uint8_t*>(&random), sizeof random));
        !filled) {
        return report(command_name, filled.error(), "random backoff jitter");
    }
    auto delay = node_.on_disconnected(port::posix::monotonic_now(), random);
    if (!delay) {
        status_line("giving up after %u failed reconnect attempts; last error: %s (%s)",
                    flags_.max_attempts, error.message(), where_.c_str());
        return exit_code_for(error);
    }
    ++reconnects_;
    status_line("%s: %s [%s]; reconnect attempt %u in %lld ms (backoff bound %lld ms)", what,
                error.message(), name(error.code), node_.reconnect_attempt(),
                static_cast<long long>(delay->millis()),
                static_cast<long long>(node_.last_backoff_bound().millis()));
    return std::nullopt;
}

std::string NodeRunner::status_payload(bool online) const {
    char buffer[160];
    auto status = node_.compose_status(online, buffer);
    return status ? std::string(*status) : std::string(online ? "online" : "offline");
}

std::optional<int> NodeRunner::connect(Instant /*now*/) {
    ++connect_attempt_;
    // The will carries the counters as they are now; the broker publishes it if we vanish.
    options_.will = client::WillOptions{std::string(node_.status_topic()), status_payload(false),
                                        mqtt::QoS::at_least_once, true};
    auto connected = client_.connect(options_);
    if (!connected) {
        client_.drop_connection();
        return on_link_down(connected.error(),
                            connect_attempt_ == 1 ? "connect failed" : "reconnect failed");
    }
    const tls::ConnectionInfo info = client_.tls_info();
    status_line("connected to %s over %s, %s, verified name %.*s%s", where_.c_str(), info.protocol,
                info.cipher_suite, static_cast<int>(info.verified_name.size()),
                info.verified_name.data(), info.resumed ? ", TLS session resumed" : "");
    // The retained "online" replaces the "offline" will of an earlier, vanished connection, and
    // tells the collector how many readings the outbox dropped so far (and how many wait).
    auto online =
        client_.publish(node_.status_topic(), status_payload(true), mqtt::QoS::at_least_once, true);
    if (!online) return on_link_down(online.error(), "connection lost");
    node_.on_connected(port::posix::monotonic_now());
    return std::nullopt;
}

std::optional<int> NodeRunner::take_reading(Instant now) {
    auto taken = node_.take_reading(sensor_, now, wall_clock_ms());
    const ReadingTaken outcome = describe_reading_taken(taken, node_.outbox());
    if (!outcome.status_line.empty()) status_line("%s", outcome.status_line.c_str());
    if (outcome.storage_failure) {
        return report(command_name, *outcome.storage_failure,
                      outbox_.persistent() ? "--outbox " + flags_.outbox.directory : "outbox");
    }
    if (!taken) return std::nullopt;
    ++taken_;
    if (!node_.connected()) {
        status_line("took seq=%llu while disconnected; %zu reading(s) wait in the outbox",
                    static_cast<unsigned long long>(taken->seq), node_.outbox().size());
    }
    return std::nullopt;
}

std::optional<int> NodeRunner::publish_reading() {
    std::uint8_t buffer[node::max_reading_bytes];
    auto reading = node_.reading_to_publish(mutable_bytes(buffer, sizeof buffer));
    if (!reading) return report(command_name, reading.error(), "reading the outbox");
    const std::string_view payload(reinterpret_cast<const char*>(reading->payload.data()),
                                   reading->payload.size());
    const auto lost = [&](const Error& error) {
        status_line(
            "seq=%llu not acknowledged; it stays in the outbox and goes out again after "
            "reconnecting",
            static_cast<unsigned long long>(reading->seq));
        client_.drop_connection();
        return on_link_down(error, "connection lost");
    };
    const mqtt::PacketId noted = node_.outbox().in_flight_packet_id();
    const bool resent = noted != 0 && client_.in_flight(noted);
    if (qos_ == mqtt::QoS::at_most_once) {
        auto published = client_.publish(node_.telemetry_topic(), payload, qos_);
        if (!published) return lost(published.error());
    } else {
        mqtt::PacketId id = noted;
        if (!resent) {
            // A new transmission: note its identifier in the outbox before it leaves (the
            // session sends queued bytes only when we wait below).
            auto queued = client_.publish_queued(node_.telemetry_topic(), payload, qos_);
            if (!queued) return lost(queued.error());
            id = *queued;
            if (auto noted_now = node_.on_reading_sent(reading->seq, id); !noted_now) {
                return report(
                    command_name, noted_now.error(),
                    outbox_.persistent() ? "--outbox " + flags_.outbox.directory : "outbox");
            }
        }
        // A resent reading went out again (DUP, same identifier) when the session connected.
        auto acknowledged = client_.await_acknowledgement(id, options_.operation_timeout);
        if (!acknowledged) return lost(acknowledged.error());
    }
    if (auto released = node_.on_reading_acknowledged(reading->seq); !released) {
        return report(command_name, released.error(), "releasing an acknowledged reading");
    }
    ++acknowledged_;
    const bool repeated = resent || reading->seq <= last_published_seq_;
    last_published_seq_ = reading->seq;
    status_line("published seq=%llu qos=%d%s to %.*s (%zu bytes, %zu pending): %.*s",
                static_cast<unsigned long long>(reading->seq), flags_.qos,
                repeated ? " (resent)" : "", static_cast<int>(node_.telemetry_topic().size()),
                node_.telemetry_topic().data(), payload.size(), node_.outbox().size(),
                static_cast<int>(payload.size()), payload.data());
    return std::nullopt;
}

// After a restart: the oldest reading may have been in flight when the last run ended. The
// session sends it again on connect under the same identifier, with DUP set, so the broker
// (persistent session) knows it for the same message.
std::optional<int> NodeRunner::restore_in_flight() {
    const mqtt::PacketId id = node_.outbox().in_flight_packet_id();
    if (id == 0 || qos_ == mqtt::QoS::at_most_once) return std::nullopt;
    std::uint8_t buffer[node::max_reading_bytes];
    auto reading = node_.outbox().size() != 0
                       ? outbox_.outbox().peek(0, mutable_bytes(buffer, sizeof buffer))
                       : Result<node::OutboxReading>(Errc::invalid_argument);
    if (!reading) return report(command_name, reading.error(), "reading the outbox");
    const std::string_view payload(reinterpret_cast<const char*>(reading->payload.data()),
                                   reading->payload.size());
    if (auto restored = client_.restore_publish(node_.telemetry_topic(), payload, qos_, false, id);
        !restored) {
        return report(command_name, restored.error(), "restoring the reading in flight");
    }
    status_line(
        "seq=%llu was in flight under packet id %u when the last run ended: it goes "
        "out again with DUP set",
        static_cast<unsigned long long>(reading->seq), static_cast<unsigned>(id));
    return std::nullopt;
}

std::optional<int> NodeRunner::wait_until(Instant at) {
    const Instant now = port::posix::monotonic_now();
    const std::int64_t left = std::clamp<std::int64_t>((at - now).millis(), 0, wait_slice_ms);
    if (!node_.connected()) {
        ::usleep(static_cast<useconds_t>(left * 1000));
        return std::nullopt;
    }
    // Connected: keep the link alive (keepalive, acknowledgements) while waiting.
    auto serviced = client_.loop(milliseconds(left));
    if (!serviced) {
        client_.drop_connection();
        return on_link_down(serviced.error(), "connection lost");
    }
    return std::nullopt;
}

int NodeRunner::shut_down(int status) {
    // Deliver what is still waiting before saying goodbye (bounded: one publish per reading,
    // each within the operation timeout); a failure leaves the rest in the outbox.
    for (std::size_t left = node_.outbox().size();
         left > 0 && status == exit_ok && node_.connected() && client_.connected(); --left) {
        if (publish_reading()) break;
    }
    if (client_.connected()) {
        // A clean goodbye: the broker does not fire the will on DISCONNECT, so say it ourselves.
        auto offline = client_.publish(node_.status_topic(), status_payload(false),
                                       mqtt::QoS::at_least_once, true);
        if (offline) (void)client_.disconnect();
    }
    status_line(
        "stopped%s: %ld reading(s) acknowledged, %ld taken, %zu pending in the outbox%s, "
        "%llu dropped, %ld reconnect(s), %u slot(s) missed",
        stop_requested() != 0 ? " on signal" : "", acknowledged_, taken_, node_.outbox().size(),
        node_.outbox().size() != 0 && !outbox_.persistent()
            ? " (in RAM: lost now; use --outbox DIR to keep them)"
            : "",
        static_cast<unsigned long long>(node_.outbox().dropped()), reconnects_,
        node_.missed_slots());
    return status;
}

int NodeRunner::run() {
    if (auto keyed = port::posix::fill_random(options_.session_key.bytes); !keyed) {
        return report(command_name, keyed.error(), "TLS session key");
    }
    options_.session_store = &session_store_;
    status_line("publishing to %.*s every %.3g s at QoS %d via %s (will: %.*s = offline)",
                static_cast<int>(node_.telemetry_topic().size()), node_.telemetry_topic().data(),
                flags_.interval_s, flags_.qos, where_.c_str(),
                static_cast<int>(node_.status_topic().size()), node_.status_topic().data());
    status_line("%s", outbox_.describe().c_str());
    if (auto stop = restore_in_flight()) return *stop;
    node_.start(port::posix::monotonic_now());
    // Bounded per turn: every step is a connect (connect_timeout), a publish
    // (operation_timeout) or a wait of at most wait_slice_ms; the limits end the loop.
    for (;;) {
        const Instant now = port::posix::monotonic_now();
        if (auto done = limits_reached(now)) return shut_down(*done);
        const node::NodeStep step = node_.next_step(now);
        std::optional<int> stop;
        switch (step.action) {
            case node::NodeAction::take_reading:
                stop = take_reading(now);
                break;
            case node::NodeAction::connect:
                stop = connect(now);
                break;
            case node::NodeAction::publish_reading:
                stop = publish_reading();
                break;
            case node::NodeAction::wait:
                stop = wait_until(step.at);
                break;
        }
        if (stop) return shut_down(*stop);
    }
}

int validate_wake_cycle(NodeFlags& flags) {
    const WakeCycleFlags& wake = flags.wake;
    const bool wake_options_given = !wake.session_file.empty() || !wake.session_key_file.empty() ||
                                    wake.no_resume || wake.no_one_flight ||
                                    !wake.report_file.empty() || wake.resumption != "session-id";
    if (!wake.enabled && wake.cycles == 0) {
        if (wake_options_given) {
            return usage_error(command_name,
                               "--session-file, --session-key, --resumption, --no-resume, "
                               "--no-one-flight and --wake-report belong to --wake-cycle",
                               "add --wake-cycle (one wake from deep sleep) or --cycles K");
        }
        return exit_ok;
    }
    if (flags.outbox.directory.empty()) {
        return usage_error(command_name, "--wake-cycle needs --outbox DIR",
                           "a wake from deep sleep keeps nothing in RAM: the outbox, the "
                           "sequence number and the TLS session live in DIR between wakes");
    }
    if (flags.count != 0 || flags.duration_s != 0) {
        return usage_error(command_name, "--count and --duration do not apply to --wake-cycle",
                           "a wake delivers what is pending plus one new reading; use --cycles "
                           "K --sleep S to repeat it");
    }
    if (wake.resumption != "ticket" && wake.resumption != "session-id") {
        return usage_error(command_name, "--resumption must be session-id or ticket",
                           "session-id (default): the fewest bytes, needs the broker's session "
                           "cache; ticket: for broker clusters that share ticket keys");
    }
    if (!(wake.deadline_s >= min_seconds) || wake.deadline_s > 3600) {
        return usage_error(command_name, "--wake-deadline must be 0.01..3600 seconds",
                           "how long one wake may stay awake, e.g. --wake-deadline 10");
    }
    if (!(wake.sleep_s >= 0) || wake.sleep_s > 86400) {
        return usage_error(command_name, "--sleep must be 0..86400 seconds",
                           "the deep sleep between wakes of --cycles, e.g. --sleep 60");
    }
    if (flags.wake.session_file.empty()) {
        flags.wake.session_file = flags.outbox.directory + "/tls-session.sealed";
    }
    if (flags.wake.session_key_file.empty()) {
        flags.wake.session_key_file = flags.outbox.directory + "/tls-session.key";
    }
    return exit_ok;
}

int run_node(NodeFlags& flags) {
    if (const int status = validate(flags); status != exit_ok) return status;
    if (const int status = validate_wake_cycle(flags); status != exit_ok) return status;
    if (flags.wake.cycles > 0) return run_wake_cycles(flags);
    if (flags.connection.client_id.empty()) flags.connection.client_id = flags.device_id;
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    if (flags.wake.enabled) return run_wake_cycle(flags, std::move(options));
    node::TelemetryNodeConfig config;
    config.publish_period = seconds_to_duration(flags.interval_s);
    config.reconnect.base = seconds_to_duration(flags.retry_base_s);
    config.reconnect.cap = seconds_to_duration(flags.retry_cap_s);
    config.reconnect.max_attempts = flags.max_attempts;
    node::OutboxConfig outbox_config;
    std::string problem;
    if (!outbox_config_from_flags(flags.outbox, node::max_reading_bytes, outbox_config, problem)) {
        return usage_error(command_name, problem.c_str(),
                           "see 'mqtls node --help' for the outbox options");
    }
    auto outbox = NodeOutbox::open(flags.outbox, outbox_config);
    if (!outbox) {
        return report(command_name, outbox.error(),
                      flags.outbox.directory.empty() ? std::string("outbox")
                                                     : "--outbox " + flags.outbox.directory);
    }
    // With a persistent outbox the MQTT session persists too, so that a reading in flight at a
    // restart is resent under the identifier the broker already knows.
    options.clean_session = !(*outbox)->persistent();
    auto node = node::TelemetryNode::create(flags.device_id, config, (*outbox)->outbox());
    if (!node) return report(command_name, node.error(), "--device " + flags.device_id);
    install_stop_signal_handlers();
    NodeRunner runner(flags, std::move(options), *node, **outbox);
    return runner.run();
}

}  // namespace

void print_node_status(std::string_view device_id, const char* prefix, const char* format,
                       va_list arguments) {
    std::printf("mqtls node %.*s: %s", static_cast<int>(device_id.size()), device_id.data(),
                prefix);
    std::vprintf(format, arguments);
    std::putchar('\n');
    std::fflush(stdout);
}

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

ReadingTaken describe_reading_taken(const Result<node::OutboxPush>& taken,
                                    const node::Outbox& outbox) {
    ReadingTaken outcome;
    char line[200];
    if (!taken) {
        const Error& error = taken.error();
        if (error.code == Errc::outbox_full) {
            std::snprintf(line, sizeof line,
                          "reading not taken: the outbox is full (%zu pending) and --outbox-full "
                          "is refuse",
                          outbox.size());
        } else if (error_class(error.code) == ErrorClass::node) {
            std::snprintf(line, sizeof line, "reading skipped: %s [%s %d]", error.message(),
                          name(error.code), error.detail);
        } else {
            outcome.storage_failure = error;
            return outcome;
        }
        outcome.status_line = line;
        return outcome;
    }
    if (taken->dropped != 0) {
        std::snprintf(line, sizeof line,
                      "outbox full: dropped %u %s reading(s) (%llu dropped in all, each counted "
                      "in the status and wake reports)",
                      taken->dropped, taken->stored ? "oldest" : "newest",
                      static_cast<unsigned long long>(outbox.dropped()));
        outcome.status_line = line;
    }
    return outcome;
}

std::uint32_t sensor_seed_from(const std::string& device_id) {
    std::uint32_t hash = 2166136261U;
    for (const char character : device_id) {
        hash ^= static_cast<unsigned char>(character);
        hash *= 16777619U;
    }
    return hash;
}

void register_node_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<NodeFlags>();
    CLI::App* node = app.add_subcommand(
        "node",
        "Run a telemetry device: connect over verified TLS, publish a JSON reading {device, seq, "
        "ts, sensor values} to telemetry/<device> every --interval, keep status/<device> "
        "retained as online/offline (will), and reconnect with exponential backoff and jitter. "
        "One status line per publish and per reconnect attempt.");
    add_broker_connection_flags(*node, flags->connection);
    node->add_option("--device", flags->device_id,
                     "device id: topic level of telemetry/<id> and status/<id>, and the client "
                     "id unless -i is given")
        ->required();
    node->add_option("--interval", flags->interval_s, "seconds between readings")
        ->capture_default_str();
    node->add_option("-q,--qos", flags->qos, "QoS of the readings: 0, 1 or 2")
        ->capture_default_str();
    node->add_option("--retry-base", flags->retry_base_s,
                     "upper bound of the first reconnect delay in seconds; doubles per failed "
                     "attempt (each delay is drawn uniformly below the bound)")
        ->capture_default_str();
    node->add_option("--retry-cap", flags->retry_cap_s, "largest reconnect delay bound in seconds")
        ->capture_default_str();
    node->add_option("--max-attempts", flags->max_attempts,
                     "give up after this many failed reconnect attempts in a row (0: never)")
        ->capture_default_str();
    node->add_option("-C,--count", flags->count,
                     "stop after this many acknowledged readings (0: no limit)");
    node->add_option("--duration", flags->duration_s, "stop after this many seconds (0: never)");
    node->add_option("--sensor", flags->sensor, "where readings come from: simulated")
        ->capture_default_str();
    node->add_option("--sensor-seed", flags->sensor_seed,
                     "seed of the simulated sensor (default: derived from the device id)");
    node->add_option("--outbox", flags->outbox.directory,
                     "keep every reading in this folder (two log files, created 0700) until the "
                     "broker acknowledges it, across reconnects, restarts and crashes; without "
                     "it the outbox is in RAM (kept across reconnects only)");
    node->add_option("--outbox-records", flags->outbox.max_records,
                     "most unacknowledged readings the outbox keeps")
        ->capture_default_str();
    node->add_option("--outbox-bytes", flags->outbox.max_bytes,
                     "most bytes of unacknowledged readings the outbox keeps")
        ->capture_default_str();
    node->add_option("--outbox-full", flags->outbox.when_full,
                     "when the outbox is full: drop-oldest, drop-newest (the seq is used up, so "
                     "the collector sees the gap) or refuse (no reading is taken); every drop "
                     "is counted and reported in the status message")
        ->capture_default_str();
    node->add_option("--outbox-sync", flags->outbox.sync,
                     "each: every reading is on disk (fdatasync) before the node goes on; none: "
                     "left to the OS (survives a crash of mqtls, not a power loss)")
        ->capture_default_str();
    node->add_flag("--wake-cycle", flags->wake.enabled,
                   "one wake from deep sleep, then exit: load the TLS session, outbox and seq "
                   "from --outbox DIR, take one reading, connect (resuming the TLS session; "
                   "Finished + CONNECT + readings in one flight), deliver what is pending, wait "
                   "for the acknowledgements up to --wake-deadline, disconnect, save. Exit 0 "
                   "when everything was delivered (7: deadline, 4: network; the rest stays in "
                   "the outbox). No will or status messages in this mode");
    node->add_option("--session-file", flags->wake.session_file,
                     "sealed TLS session kept between wakes (mode 0600; default "
                     "DIR/tls-session.sealed)");
    node->add_option("--session-key", flags->wake.session_key_file,
                     "32-byte key that seals the session, made on first use (mode 0600; "
                     "default DIR/tls-session.key)");
    node->add_option("--resumption", flags->wake.resumption,
                     "how the TLS session is resumed: session-id (32 bytes in the ClientHello, "
                     "from the broker's session cache, which Mosquitto keeps) or ticket (RFC "
                     "5077: about 180 bytes more per wake, 600 with a client certificate, but "
                     "the broker keeps no state; for clusters that share ticket keys)")
        ->capture_default_str();
    node->add_flag("--no-resume", flags->wake.no_resume,
                   "never store or offer a TLS session: a full handshake every wake");
    node->add_flag("--no-one-flight", flags->wake.no_one_flight,
                   "conventional order: finish the handshake, CONNECT, wait for CONNACK, then "
                   "publish");
    node->add_option("--wake-deadline", flags->wake.deadline_s,
                     "seconds one wake may take from start to the last acknowledgement")
        ->capture_default_str();
    node->add_option("--wake-report", flags->wake.report_file,
                     "write a JSON summary of the wake (or of all --cycles) to this file");
    node->add_option("--cycles", flags->wake.cycles,
                     "run this many wake cycles, each as its own process (as a reset from deep "
                     "sleep), with --sleep seconds between them; implies --wake-cycle");
    node->add_option("--sleep", flags->wake.sleep_s, "seconds of deep sleep between --cycles")
        ->capture_default_str();
    node->footer(
        "Status: status/<device> is retained JSON {\"status\":\"online\"|\"offline\",\"dropped\":N,"
        "\"pending\":M,\"next_seq\":S}; the will is the offline one.\n"
        "Stops cleanly on SIGINT/SIGTERM, --count or --duration: publishes the retained "
        "'offline', disconnects, prints a summary, exit status 0. Readings still in the outbox "
        "stay there for the next run (with --outbox).\n"
        "Stops at once with the mqtls exit status on errors that retrying cannot fix: the "
        "broker's certificate is not trusted (5), the broker refuses the credentials (6), "
        "unusable files (3). Network errors are retried with backoff (exit 4 only after "
        "--max-attempts).");
    node->callback([flags, &exit_status] { exit_status = run_node(*flags); });
}

}  // namespace mqtls::cli
