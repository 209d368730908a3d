// mqtls node: the seed's telemetry device on Linux. It runs the same node runtime a device runs
// (mqtls::node::TelemetryNode: schedule, reconnect backoff with jitter, readings as JSON) over
// the blocking client, with a simulated sensor or readings from outside (--sensor-command,
// --sensor-stdin), and logs one line per publish and per reconnect attempt (node_log.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "mqtls/node/retry_rule.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/tls/session.hpp"
#include "node_flags.hpp"
#include "node_outbox.hpp"
#include "sensor_input.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;

constexpr const char* command_name = "node";
// Waits are cut into slices this long so that a stop signal is noticed promptly.
constexpr std::int64_t wait_slice_ms = 250;
// With --sensor-stdin, how long one wait for input lasts before the link is serviced again
// (the client cannot wait on the socket and standard input at once): a line waits at most
// this long to be taken.
constexpr std::int64_t input_slice_ms = 50;
// The longest --sensor-timeout: the node services nothing while a command runs, and the
// broker drops a client that is silent for 1.5 keepalive intervals (MQTT-3.1.2-24).
constexpr double max_sensor_timeout_s = 60;
// The shortest period and backoff base accepted: shorter would only measure the machine.
constexpr double min_seconds = 0.01;

Duration seconds_to_duration(double seconds) {
    return Duration::from_millis(std::llround(seconds * 1000.0));
}

int validate_timing(const NodeFlags& flags) {
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
    return exit_ok;
}

int validate_sensor(const NodeFlags& flags) {
    if (!flags.sensor.empty() && flags.sensor != "simulated") {
        return usage_error(command_name, "--sensor must be 'simulated'",
                           "for real readings use --sensor-command CMD (one JSON object per "
                           "run) or --sensor-stdin (one JSON object per line)");
    }
    if (!flags.sensor_command.empty() && flags.sensor_stdin) {
        return usage_error(command_name, "--sensor-command and --sensor-stdin exclude each other",
                           "readings come from one source: a command run per reading, or "
                           "lines on standard input");
    }
    if (flags.external_sensor() && (!flags.sensor.empty() || flags.sensor_seed != 0)) {
        return usage_error(command_name,
                           "--sensor and --sensor-seed are for the simulated sensor, not for "
                           "--sensor-command or --sensor-stdin",
                           "drop them, or drop --sensor-command/--sensor-stdin");
    }
    if (!(flags.sensor_timeout_s >= min_seconds) || flags.sensor_timeout_s > max_sensor_timeout_s) {
        return usage_error(command_name, "--sensor-timeout must be 0.01..60 seconds",
                           "how long one run of --sensor-command may take, e.g. 5");
    }
    return exit_ok;
}

// Says what is wrong with a topic template without repeating it (an argument may hold
// anything a user pasted).
int topic_template_error(const char* flag, const Error& error) {
    std::string what;
    const char* hint = "e.g. --topic 'telemetry/{device}' or 'devices/{device}/messages/events/'";
    switch (error.code) {
        case Errc::wildcard_in_topic:
            what = " gives a topic with a wildcard ('+' or '#'), which nobody can publish to";
            hint = "wildcards belong in subscriptions; name the one topic the readings go to";
            break;
        case Errc::empty_topic:
            what = " is empty";
            break;
        case Errc::invalid_argument:
            what = " has a '{' or '}' at byte " + std::to_string(error.detail) +
                   " that is not part of {device}, the only placeholder";
            hint = "write {device} where the device id goes";
            break;
        case Errc::buffer_too_small:
            what = " gives a topic longer than " + std::to_string(node::max_topic_bytes) + " bytes";
            hint = "shorten the template (the device id takes up to 64 bytes)";
            break;
        default:
            what = std::string(" is not a valid topic name: ") + error.message();
            hint = error.hint();
            break;
    }
    return usage_error(command_name, (std::string(flag) + what).c_str(), hint);
}

int validate_topics(const NodeFlags& flags) {
    if (flags.no_status && !flags.status_topic.empty()) {
        return usage_error(command_name, "--no-status and --status-topic exclude each other",
                           "--no-status sends no status messages and no will");
    }
    char telemetry[node::max_topic_bytes];
    const auto readings = node::expand_topic_template(flags.topic, flags.device_id, telemetry);
    if (!readings) return topic_template_error("--topic", readings.error());
    const std::string_view status_template = flags.status_topic_template();
    if (status_template.empty()) return exit_ok;
    char status_buffer[node::max_topic_bytes];
    const auto status =
        node::expand_topic_template(status_template, flags.device_id, status_buffer);
    if (!status) return topic_template_error("--status-topic", status.error());
    if (*status == *readings) {
        return usage_error(command_name, "--topic and --status-topic give the same topic",
                           "a collector would take the retained status for a reading: give "
                           "them different topics, or --no-status");
    }
    return exit_ok;
}

int validate(const NodeFlags& flags) {
    if (auto valid = node::validate_device_id(flags.device_id); !valid) {
        return usage_error(command_name, "--device is not a usable device id",
                           "use 1-64 characters of A-Z a-z 0-9 . _ - (it becomes the topic "
                           "level telemetry/<id> and the client id)");
    }
    if (flags.log.format != "text" && flags.log.format != "json") {
        return usage_error(command_name, "--log-format must be text or json",
                           "json writes one object per line: ts, level, event, device, fields");
    }
    for (int (*check)(const NodeFlags&) : {validate_timing, validate_sensor, validate_topics}) {
        if (const int status = check(flags); status != exit_ok) return status;
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
          log_(flags.device_id, flags.log),
          sensor_(simulated_sensor_seed(flags)),
          qos_(static_cast<mqtt::QoS>(flags.qos)),
          where_(flags.connection.host + ":" + std::to_string(flags.connection.port)) {
        if (flags.sensor_stdin) input_.emplace(STDIN_FILENO);
    }

    int run();

private:
    std::optional<int> connect(Instant now);
    std::optional<int> take_reading(Instant now);
    std::optional<int> take_input_lines(std::int64_t wait_ms);
    std::optional<int> publish_reading();
    std::optional<int> restore_in_flight();
    std::string status_payload(bool online) const;
    std::optional<int> wait_until(Instant at);
    std::optional<int> on_link_down(const Error& error, const char* what);
    std::optional<int> limits_reached(Instant now) const;
    void log_start() const;
    int shut_down(int status);

    const NodeFlags& flags_;
    client::ClientOptions options_;
    node::TelemetryNode node_;
    NodeOutbox& outbox_;
    NodeLog log_;
    node::SimulatedSensor sensor_;
    std::optional<LineInput> input_;  // --sensor-stdin
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

std::optional<int> NodeRunner::limits_reached(Instant now) const {
    if (stop_requested() != 0) return exit_ok;
    if (flags_.count > 0 && acknowledged_ >= flags_.count) return exit_ok;
    if (flags_.duration_s > 0 && now - started_ >= seconds_to_duration(flags_.duration_s)) {
        return exit_ok;
    }
    // The end of standard input ends the node once what it brought is delivered.
    if (input_ && input_->at_end() && node_.outbox().empty()) return exit_ok;
    return std::nullopt;
}

std::optional<int> NodeRunner::on_link_down(const Error& error, const char* what) {
    if (mqtls::is_permanent(error)) {  // the library's stop-or-retry rule (core/error.hpp)
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
        log_.event(LogLevel::error, "gave_up",
                   {{"attempts", flags_.max_attempts},
                    {"error", error.message()},
                    {"code", name(error.code)},
                    {"broker", where_}},
                   "giving up after %u failed reconnect attempts; last error: %s (%s)",
                   flags_.max_attempts, error.message(), where_.c_str());
        return exit_code_for(error);
    }
    ++reconnects_;
    log_.event(LogLevel::warning, "link_down",
               {{"what", what},
                {"error", error.message()},
                {"code", name(error.code)},
                {"attempt", node_.reconnect_attempt()},
                {"delay_ms", delay->millis()},
                {"bound_ms", node_.last_backoff_bound().millis()}},
               "%s: %s [%s]; reconnect attempt %u in %lld ms (backoff bound %lld ms)", what,
               error.message(), name(error.code), node_.reconnect_attempt(),
               static_cast<long long>(delay->millis()),
               static_cast<long long>(node_.last_backoff_bound().millis()));
    return std::nullopt;
}

std::string NodeRunner::status_payload(bool online) const {
    char buffer[256];
    auto status = node_.compose_status(online, buffer);
    return status ? std::string(*status) : std::string(online ? "online" : "offline");
}

std::optional<int> NodeRunner::connect(Instant /*now*/) {
    ++connect_attempt_;
    // The will carries the counters as they are now; the broker publishes it if we vanish.
    if (node_.has_status()) {
        options_.will = client::WillOptions{std::string(node_.status_topic()),
                                            status_payload(false), mqtt::QoS::at_least_once, true};
    }
    auto connected = client_.connect(options_);
    if (!connected) {
        client_.drop_connection();
        return on_link_down(connected.error(),
                            connect_attempt_ == 1 ? "connect failed" : "reconnect failed");
    }
    const tls::ConnectionInfo info = client_.tls_info();
    const std::string verified(info.verified_name);
    log_.event(LogLevel::info, "connected",
               {{"broker", where_},
                {"protocol", info.protocol},
                {"cipher_suite", info.cipher_suite},
                {"verified_name", verified},
                {"resumed", info.resumed}},
               "connected to %s over %s, %s, verified name %s%s", where_.c_str(), info.protocol,
               info.cipher_suite, verified.c_str(), info.resumed ? ", TLS session resumed" : "");
    // The retained "online" replaces the "offline" will of an earlier, vanished connection, and
    // tells the collector how many readings the outbox dropped so far (and how many wait).
    if (node_.has_status()) {
        auto online = client_.publish(node_.status_topic(), status_payload(true),
                                      mqtt::QoS::at_least_once, true);
        if (!online) return on_link_down(online.error(), "connection lost");
    }
    node_.on_connected(port::posix::monotonic_now());
    return std::nullopt;
}

std::optional<int> NodeRunner::take_reading(Instant now) {
    const std::uint64_t errors_before = node_.sensor_errors();
    auto taken = take_scheduled_reading(node_, flags_, sensor_, now, log_);
    if (auto failure = log_reading_taken(taken, node_, errors_before, log_)) {
        return report(command_name, *failure,
                      outbox_.persistent() ? "--outbox " + flags_.outbox.directory : "outbox");
    }
    if (!taken) return std::nullopt;
    ++taken_;
    if (!node_.connected()) {
        log_.event(LogLevel::info, "taken_offline",
                   {{"seq", taken->seq}, {"pending", node_.outbox().size()}},
                   "took seq=%llu while disconnected; %zu reading(s) wait in the outbox",
                   static_cast<unsigned long long>(taken->seq), node_.outbox().size());
    }
    return std::nullopt;
}

// --sensor-stdin: every complete line that arrived within `wait_ms` is one reading.
std::optional<int> NodeRunner::take_input_lines(std::int64_t wait_ms) {
    const std::vector<LineInput::Line> lines = input_->read(milliseconds(wait_ms));
    for (const LineInput::Line& line : lines) {
        const std::string source = "standard input line " + std::to_string(line.number);
        ExternalReading reading;
        if (line.too_long) {
            reading.problem = "longer than " + std::to_string(max_external_input_bytes) + " bytes";
        } else {
            reading = parse_external_reading(line.text);
        }
        const Instant now = port::posix::monotonic_now();
        const std::uint64_t errors_before = node_.sensor_errors();
        auto taken = take_external_reading(node_, reading, now, log_, source.c_str());
        if (auto failure = log_reading_taken(taken, node_, errors_before, log_)) {
            return report(command_name, *failure,
                          outbox_.persistent() ? "--outbox " + flags_.outbox.directory : "outbox");
        }
        if (taken) ++taken_;
    }
    if (input_->at_end()) {
        log_.event(LogLevel::info, "input_end",
                   {{"lines", input_->lines()}, {"pending", node_.outbox().size()}},
                   "end of standard input after %ld line(s): %zu reading(s) to deliver, then "
                   "the node stops",
                   input_->lines(), node_.outbox().size());
    }
    return std::nullopt;
}

std::optional<int> NodeRunner::publish_reading() {
    std::uint8_t buffer[max_cli_reading_bytes];
    auto reading = node_.reading_to_publish(mutable_bytes(buffer, sizeof buffer));
    if (!reading) return report(command_name, reading.error(), "reading the outbox");
    const std::string_view payload(reinterpret_cast<const char*>(reading->payload.data()),
                                   reading->payload.size());
    const auto lost = [&](const Error& error) {
        log_.event(LogLevel::warning, "not_acknowledged", {{"seq", reading->seq}},
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
    const std::string topic(node_.telemetry_topic());
    // Our own JSON: it parses; the log carries it as an object, not as a string to parse again.
    log_.event(LogLevel::info, "published",
               {{"seq", reading->seq},
                {"qos", flags_.qos},
                {"resent", repeated},
                {"topic", topic},
                {"bytes", payload.size()},
                {"pending", node_.outbox().size()},
                {"reading", nlohmann::ordered_json::parse(payload, nullptr, false)}},
               "published seq=%llu qos=%d%s to %s (%zu bytes, %zu pending): %.*s",
               static_cast<unsigned long long>(reading->seq), flags_.qos,
               repeated ? " (resent)" : "", topic.c_str(), payload.size(), node_.outbox().size(),
               static_cast<int>(payload.size()), payload.data());
    return std::nullopt;
}

// After a restart: the oldest reading may have been in flight when the last run ended. The
// session sends it again on connect under the same identifier, with DUP set, so the broker
// (persistent session) knows it for the same message.
std::optional<int> NodeRunner::restore_in_flight() {
    const mqtt::PacketId id = node_.outbox().in_flight_packet_id();
    if (id == 0 || qos_ == mqtt::QoS::at_most_once) return std::nullopt;
    std::uint8_t buffer[max_cli_reading_bytes];
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
    log_.event(LogLevel::info, "restored_in_flight",
               {{"seq", reading->seq}, {"packet_id", static_cast<unsigned>(id)}},
               "seq=%llu was in flight under packet id %u when the last run ended: it goes "
               "out again with DUP set",
               static_cast<unsigned long long>(reading->seq), static_cast<unsigned>(id));
    return std::nullopt;
}

std::optional<int> NodeRunner::wait_until(Instant at) {
    const Instant now = port::posix::monotonic_now();
    std::int64_t left = std::clamp<std::int64_t>((at - now).millis(), 0, wait_slice_ms);
    if (input_ && !input_->at_end()) {
        // Standard input is watched while waiting; the link is serviced in between.
        const std::int64_t input_wait = std::min(left, input_slice_ms);
        if (auto stop = take_input_lines(input_wait)) return stop;
        left = node_.connected() ? 1 : 0;
    }
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
        bool said = true;
        if (node_.has_status()) {
            said = client_
                       .publish(node_.status_topic(), status_payload(false),
                                mqtt::QoS::at_least_once, true)
                       .has_value();
        }
        if (said) (void)client_.disconnect();
    }
    const bool lost_in_ram = node_.outbox().size() != 0 && !outbox_.persistent();
    log_.event(
        LogLevel::info, "stopped",
        {{"signal", stop_requested() != 0},
         {"acknowledged", acknowledged_},
         {"taken", taken_},
         {"pending", node_.outbox().size()},
         {"dropped", node_.outbox().dropped()},
         {"sensor_errors", node_.sensor_errors()},
         {"reconnects", reconnects_},
         {"missed_slots", node_.missed_slots()},
         {"exit_status", status}},
        "stopped%s: %ld reading(s) acknowledged, %ld taken, %zu pending in the outbox%s, "
        "%llu dropped, %llu sensor error(s), %ld reconnect(s), %u slot(s) missed",
        stop_requested() != 0 ? " on signal" : "", acknowledged_, taken_, node_.outbox().size(),
        lost_in_ram ? " (in RAM: lost now; use --outbox DIR to keep them)" : "",
        static_cast<unsigned long long>(node_.outbox().dropped()),
        static_cast<unsigned long long>(node_.sensor_errors()), reconnects_, node_.missed_slots());
    return status;
}

void NodeRunner::log_start() const {
    const std::string topic(node_.telemetry_topic());
    const std::string status(node_.status_topic());
    const char* sensor = "simulated";
    const char* source = "the simulated sensor";
    if (!flags_.sensor_command.empty()) {
        sensor = "command";
        source = "--sensor-command";
    } else if (flags_.sensor_stdin) {
        sensor = "stdin";
        source = "standard input";
    }
    char pace[48];
    if (flags_.sensor_stdin) {
        std::snprintf(pace, sizeof pace, "as they come");
    } else {
        std::snprintf(pace, sizeof pace, "every %.3g s", flags_.interval_s);
    }
    const std::string will =
        node_.has_status() ? "will: " + status + " = offline" : "no status messages, no will";
    nlohmann::ordered_json fields = {{"topic", topic},    {"status_topic", nullptr},
                                     {"qos", flags_.qos}, {"broker", where_},
                                     {"sensor", sensor},  {"interval_s", nullptr}};
    if (node_.has_status()) fields["status_topic"] = status;
    if (!flags_.sensor_stdin) fields["interval_s"] = flags_.interval_s;
    log_.event(LogLevel::info, "started", std::move(fields),
               "publishing to %s %s at QoS %d via %s, readings from %s (%s)", topic.c_str(), pace,
               flags_.qos, where_.c_str(), source, will.c_str());
}

int NodeRunner::run() {
    if (auto keyed = port::posix::fill_random(options_.session_key.bytes); !keyed) {
        return report(command_name, keyed.error(), "TLS session key");
    }
    options_.session_store = &session_store_;
    log_start();
    log_outbox_and_run_id(log_, outbox_, node_);
    if (auto stop = restore_in_flight()) return *stop;
    node_.start(port::posix::monotonic_now());
    // Bounded per turn: every step is a connect (connect_timeout), a publish
    // (operation_timeout), a reading (--sensor-timeout) or a wait of at most wait_slice_ms;
    // the limits end the loop.
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
    if (flags.sensor_stdin) {
        return usage_error(command_name, "--sensor-stdin does not apply to --wake-cycle",
                           "a wake takes one reading and exits: use --sensor-command CMD, run "
                           "once per wake");
    }
    if (!flags.status_topic.empty()) {
        return usage_error(command_name, "--status-topic does not apply to --wake-cycle",
                           "a wake sends no status messages and no will (a sleeping device is "
                           "offline by design)");
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
    std::unique_ptr<NodeOutbox> outbox;
    if (const int status = open_node_outbox(flags, outbox); status != exit_ok) return status;
    node::TelemetryNodeConfig config = node_config_from_flags(flags, *outbox);
    config.publish_period = seconds_to_duration(flags.interval_s);
    config.reconnect.base = seconds_to_duration(flags.retry_base_s);
    config.reconnect.cap = seconds_to_duration(flags.retry_cap_s);
    config.reconnect.max_attempts = flags.max_attempts;
    // With a persistent outbox the MQTT session persists too, so that a reading in flight at a
    // restart is resent under the identifier the broker already knows.
    options.clean_session = !outbox->persistent();
    auto node = node::TelemetryNode::create(flags.device_id, config, outbox->outbox());
    if (!node) return report(command_name, node.error(), "--device " + flags.device_id);
    install_stop_signal_handlers();
    NodeRunner runner(flags, std::move(options), *node, *outbox);
    return runner.run();
}

}  // namespace

void register_node_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<NodeFlags>();
    CLI::App* node = app.add_subcommand(
        "node",
        "Run a telemetry device: connect over verified TLS, publish a JSON reading {device, run, "
        "seq, ts, sensor fields} to telemetry/<device> every --interval, keep status/<device> "
        "retained as online/offline (will), and reconnect with exponential backoff and jitter. "
        "One log line per publish and per reconnect attempt on standard output.");
    // The node's will is its status topic, and its topics come from --topic and --device.
    add_broker_connection_flags(*node, flags->connection, {/*will=*/false, /*url=*/false});
    // The shared description names pub's and sub's default; node's is its device id (F16).
    node->get_option("--id")->description("client id (default: the --device id)");
    node->add_option("--device", flags->device_id,
                     "device id: the {device} of the topics (telemetry/<id>, status/<id>) and "
                     "the client id unless -i is given")
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
    node->add_option("--sensor", flags->sensor,
                     "simulated (the default): a simulated climate sensor; see --sensor-command "
                     "and --sensor-stdin for real readings");
    node->add_option("--sensor-seed", flags->sensor_seed,
                     "seed of the simulated sensor, for values that repeat from run to run "
                     "(default: a random seed per run)");
    node->add_option("--sensor-command", flags->sensor_command,
                     "run CMD with /bin/sh -c once per reading (every --interval); its standard "
                     "output is the reading: one JSON object of sensor fields, e.g. "
                     "{\"temperature_c\":21.5}. MQTLS_DEVICE holds the device id")
        ->type_name("CMD");
    node->add_option("--sensor-timeout", flags->sensor_timeout_s,
                     "seconds one run of --sensor-command may take; then it is killed (with "
                     "whatever it started) and counted as a sensor error")
        ->capture_default_str();
    node->add_flag("--sensor-stdin", flags->sensor_stdin,
                   "take readings from standard input: one JSON object of sensor fields per "
                   "line, each published as it arrives (--interval does not apply); at the end "
                   "of the input, deliver what is pending and exit");
    node->add_option("--topic", flags->topic,
                     "where readings go; {device} stands for the device id, e.g. "
                     "'devices/{device}/messages/events/' (Azure IoT Hub)")
        ->capture_default_str();
    node->add_option("--status-topic", flags->status_topic,
                     "where the retained status and the will go (default: status/{device})");
    node->add_flag("--no-status", flags->no_status, "send no status messages and no will");
    node->add_option("--log-format", flags->log.format,
                     "text: one line per event; json: one JSON object per line with ts, level, "
                     "event, device, the event's fields and message")
        ->capture_default_str();
    node->add_flag("--no-timestamps", flags->log.no_timestamps,
                   "text log lines without the leading ISO 8601 UTC time");
    node->add_flag("--quiet", flags->log.quiet, "log warnings and errors only");
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
        "Status: status/<device> is retained JSON {\"status\":\"online\"|\"offline\",\"run\":R,"
        "\"dropped\":N,\"pending\":M,\"next_seq\":S,\"sensor_errors\":E}; the will is the offline "
        "one.\n"
        "Run id: \"run\" (16 hex digits, random) names the run of seq numbers a reading belongs "
        "to. Without --outbox every run starts at seq 1 with a new run id; with --outbox DIR "
        "the id is kept in DIR/run-id as long as the outbox's numbering continues (across "
        "restarts and wakes). Collectors deduplicate by device, run and seq.\n"
        "Readings from outside (--sensor-command, --sensor-stdin) must be one JSON object of at "
        "most 4096 bytes, nested at most 4 levels, without the node's own keys device, run, seq "
        "and ts; anything else is logged as a sensor error, counted (sensor_errors in the "
        "status) and never published.\n"
        "Log: standard output (text or --log-format json); errors that end the node go to "
        "standard error.\n"
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
