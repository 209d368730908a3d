#include "node_continuous.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/device_link.hpp"
#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/retry_rule.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/platform.hpp"
#include "node_log.hpp"
#include "sensor_input.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "node";
// One step of the runner waits at most this long, so that a stop signal and the limits are
// noticed promptly.
constexpr std::int64_t wait_slice_ms = 250;
// With --sensor-stdin, how long one step waits before standard input is read again: a line
// waits at most this long to be taken.
constexpr std::int64_t input_slice_ms = 50;
Duration seconds_to_duration(double seconds) {
    return Duration::from_millis(std::llround(seconds * 1000.0));
}

Duration to_duration(std::chrono::milliseconds ms) { return Duration::from_millis(ms.count()); }

bytes_view text_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// What NodeRunner runs over on Linux: the posix device bundle (TcpStream, clocks, entropy) and
// the TLS connection over its stream.
struct NodeLink {
    explicit NodeLink(const client::ClientOptions& options)
        : connection(options, device.stream(), device.node().clock) {}

    port::posix::Platform device;
    client::DeviceLink connection;
};

node::NodeRunnerConfig runner_config(const NodeFlags& flags, const client::ClientOptions& options,
                                     const NodeOutbox& outbox) {
    node::NodeRunnerConfig config;
    config.qos = static_cast<mqtt::QoS>(flags.qos);
    config.client_id = options.client_id;
    if (options.username) config.username = *options.username;
    if (options.password) config.password = text_bytes(*options.password);
    config.keep_alive_s = options.keep_alive_s;
    // With a persistent outbox the MQTT session persists too, so that a reading in flight at a
    // restart is resent under the identifier the broker already knows.
    config.clean_session = !outbox.persistent();
    config.connect_timeout = to_duration(options.connect_timeout);
    config.ack_timeout = to_duration(options.operation_timeout);
    config.reading_ttl_s = flags.reading_ttl_s;
    config.on_denied = denial_policy(flags);
    config.session_expiry_s = options.session_expiry_s;
    return config;
}

// The shell around node::NodeRunner: readings in, log lines and the exit status out.
class ContinuousNode {
public:
    ContinuousNode(const NodeFlags& flags, const client::ClientOptions& options,
                   node::TelemetryNode& node, NodeOutbox& outbox)
        : flags_(flags),
          node_(node),
          outbox_(outbox),
          log_(flags.device_id, flags.log),
          sensor_(simulated_sensor_seed(flags)),
          link_(options),
          config_(runner_config(flags, options, outbox)),
          runner_(node, link_.connection.connection(), link_.device.node(), config_, nullptr),
          operation_timeout_(to_duration(options.operation_timeout)),
          where_(broker_where(options)) {
        if (flags.sensor_stdin) input_.emplace(STDIN_FILENO);
    }

    int run();

private:
    [[nodiscard]] std::string outbox_context() const {
        return outbox_.persistent() ? "--outbox " + flags_.outbox.directory : "outbox";
    }
    std::optional<int> limits_reached() const;
    std::optional<int> turn();
    std::optional<int> on_event(const node::NodeEvent& event);
    std::optional<int> on_reading_due();
    std::optional<int> take_input_lines();
    void on_connected(const node::NodeEvent& event);
    void on_restored(const node::NodeEvent& event) const;
    void on_acknowledged(const node::NodeEvent& event);
    void on_link_down(const node::NodeEvent& event);
    void on_denied(const node::NodeEvent& event);
    void on_expired(const node::NodeEvent& event) const;
    int on_stopped(const node::NodeEvent& event);
    int report_stop(const Error& error) const;
    void drain_and_say_goodbye();
    void log_start() const;
    int shut_down(int status);

    const NodeFlags& flags_;
    node::TelemetryNode& node_;
    NodeOutbox& outbox_;
    NodeLog log_;
    node::SimulatedSensor sensor_;
    std::optional<LineInput> input_;  // --sensor-stdin
    NodeLink link_;
    node::NodeRunnerConfig config_;
    node::NodeRunner runner_;
    Duration operation_timeout_;
    std::string where_;
    Instant started_ = port::posix::monotonic_now();
    // Readings whose last transmission was a resend (published event), until acknowledged.
    std::set<std::uint64_t> resent_;
    bool was_connected_ = false;
    std::uint64_t kept_denied_seq_ = 0;  // a refused reading kept in the outbox (--on-denied)
    long taken_ = 0;
    std::uint32_t connect_attempts_ = 0;
};

std::optional<int> ContinuousNode::limits_reached() const {
    if (stop_requested() != 0) return exit_ok;
    if (flags_.count > 0 && runner_.acknowledged() >= static_cast<std::uint64_t>(flags_.count)) {
        return exit_ok;
    }
    if (flags_.duration_s > 0 &&
        port::posix::monotonic_now() - started_ >= seconds_to_duration(flags_.duration_s)) {
        return exit_ok;
    }
    // The end of standard input ends the node once what it brought is delivered.
    if (input_ && input_->at_end() && node_.outbox().empty()) return exit_ok;
    return std::nullopt;
}

std::optional<int> ContinuousNode::on_reading_due() {
    const std::uint64_t errors_before = node_.sensor_errors();
    auto taken = take_scheduled_reading(node_, flags_, sensor_, port::posix::monotonic_now(), log_);
    if (auto failure = log_reading_taken(taken, node_, errors_before, log_)) {
        return report(command_name, *failure, outbox_context());
    }
    if (!taken) return std::nullopt;
    ++taken_;
    if (!runner_.connected()) {
        log_.event(LogLevel::info, "taken_offline",
                   {{"seq", taken->seq}, {"pending", node_.outbox().size()}},
                   "took seq=%llu while disconnected; %zu reading(s) wait in the outbox",
                   static_cast<unsigned long long>(taken->seq), node_.outbox().size());
    }
    return std::nullopt;
}

// --sensor-stdin: every complete line that arrived since the last look is one reading.
std::optional<int> ContinuousNode::take_input_lines() {
    if (!input_ || input_->at_end()) return std::nullopt;
    const std::vector<LineInput::Line> lines = input_->read(std::chrono::milliseconds(0));
    for (const LineInput::Line& line : lines) {
        const std::string source = "standard input line " + std::to_string(line.number);
        ExternalReading reading;
        if (line.too_long) {
            reading.problem = "longer than " + std::to_string(max_external_input_bytes) + " bytes";
        } else {
            reading = parse_external_reading(line.text);
        }
        const std::uint64_t errors_before = node_.sensor_errors();
        auto taken = take_external_reading(node_, reading, port::posix::monotonic_now(), log_,
                                           source.c_str());
        if (auto failure = log_reading_taken(taken, node_, errors_before, log_)) {
            return report(command_name, *failure, outbox_context());
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

void ContinuousNode::on_connected(const node::NodeEvent& event) {
    const std::string verified(event.channel.verified_name);
    log_.event(LogLevel::info, "connected",
               {{"broker", where_},
                {"protocol", event.channel.protocol},
                {"cipher_suite", event.channel.cipher_suite},
                {"verified_name", verified},
                {"resumed", event.resumed}},
               "connected to %s over %s, %s, verified name %s%s", where_.c_str(),
               event.channel.protocol, event.channel.cipher_suite, verified.c_str(),
               event.resumed ? ", TLS session resumed" : "");
}

void ContinuousNode::on_restored(const node::NodeEvent& event) const {
    log_.event(LogLevel::info, "restored_in_flight",
               {{"seq", event.seq}, {"packet_id", static_cast<unsigned>(event.packet_id)}},
               "seq=%llu was in flight under packet id %u when the last run ended: it goes "
               "out again with DUP set",
               static_cast<unsigned long long>(event.seq), static_cast<unsigned>(event.packet_id));
}

void ContinuousNode::on_acknowledged(const node::NodeEvent& event) {
    // At QoS 0 the runner reports the reading once, as acknowledged, with its resent flag.
    const bool repeated = resent_.erase(event.seq) > 0 || event.resent;
    const std::string_view payload(reinterpret_cast<const char*>(event.payload.data()),
                                   event.payload.size());
    const std::string topic(node_.telemetry_topic());
    // Our own JSON: it parses; the log carries it as an object, not as a string to parse again.
    log_.event(LogLevel::info, "published",
               {{"seq", event.seq},
                {"qos", flags_.qos},
                {"resent", repeated},
                {"topic", topic},
                {"bytes", payload.size()},
                {"pending", node_.outbox().size()},
                {"reading", nlohmann::ordered_json::parse(payload, nullptr, false)}},
               "published seq=%llu qos=%d%s to %s (%zu bytes, %zu pending): %.*s",
               static_cast<unsigned long long>(event.seq), flags_.qos, repeated ? " (resent)" : "",
               topic.c_str(), payload.size(), node_.outbox().size(),
               static_cast<int>(payload.size()), payload.data());
}

void ContinuousNode::on_link_down(const node::NodeEvent& event) {
    const Error error = event.error.value_or(Error{Errc::connection_reset, 0});
    const char* what = "connection lost";
    if (!was_connected_) {
        ++connect_attempts_;
        what = connect_attempts_ == 1 ? "connect failed" : "reconnect failed";
    }
    log_.event(LogLevel::warning, "link_down",
               {{"what", what},
                {"error", error.message()},
                {"code", name(error.code)},
                {"attempt", event.attempt},
                {"delay_ms", event.retry_delay.millis()},
                {"bound_ms", event.backoff_bound.millis()}},
               "%s: %s [%s]; reconnect attempt %u in %lld ms (backoff bound %lld ms)", what,
               error.message(), name(error.code), event.attempt,
               static_cast<long long>(event.retry_delay.millis()),
               static_cast<long long>(event.backoff_bound.millis()));
}

void ContinuousNode::on_denied(const node::NodeEvent& event) {
    const Error refused = event.error.value_or(Error{Errc::message_rejected, 0x80});
    // "the broker refused the message: Not authorized (Reason Code 0x87)"
    const std::string why = describe(refused);
    const unsigned code = refused.detail;
    const auto seq = static_cast<unsigned long long>(event.seq);
    if (event.seq == 0) {
        const std::string status(node_.status_topic());
        log_.event(LogLevel::warning, "status_denied",
                   {{"topic", status}, {"reason_code", code}, {"error", why}},
                   "status message on %s: %s; the readings go on", status.c_str(), why.c_str());
        return;
    }
    if (!event.dropped) {
        kept_denied_seq_ = event.seq;
        log_.event(LogLevel::error, "denied",
                   {{"seq", event.seq},
                    {"reason_code", code},
                    {"error", why},
                    {"policy", "keep"},
                    {"pending", node_.outbox().size()}},
                   "seq=%llu: %s; it stays in the outbox (--on-denied keep) and the node stops",
                   seq, why.c_str());
        return;
    }
    log_.event(LogLevel::warning, "denied",
               {{"seq", event.seq},
                {"reason_code", code},
                {"error", why},
                {"policy", "drop"},
                {"denied", node_.denied()}},
               "seq=%llu: %s; dropped (--on-denied drop), %llu denied so far", seq, why.c_str(),
               static_cast<unsigned long long>(node_.denied()));
}

void ContinuousNode::on_expired(const node::NodeEvent& event) const {
    log_.event(LogLevel::warning, "expired",
               {{"seq", event.seq}, {"ttl_s", flags_.reading_ttl_s}, {"expired", node_.expired()}},
               "seq=%llu is older than --reading-ttl %u s: released unsent, %llu expired so far",
               static_cast<unsigned long long>(event.seq), flags_.reading_ttl_s,
               static_cast<unsigned long long>(node_.expired()));
}

// An error that ends the node: the outbox's storage, or one retrying cannot fix (the library's
// stop-or-retry rule, node::should_stop).
int ContinuousNode::report_stop(const Error& error) const {
    if (error_class(error.code) == ErrorClass::storage) {
        return report(command_name, error, outbox_context());
    }
    std::string context = file_context_for(error, flags_.connection);
    if (error.code == Errc::message_rejected && kept_denied_seq_ != 0) {
        context = where_ + "; seq=" + std::to_string(kept_denied_seq_) +
                  " stays in the outbox (--on-denied drop releases refused readings instead)";
    }
    if (context.empty()) {
        context = exit_code_for(error) == exit_tls
                      ? where_ + ", CA from --cafile " + flags_.connection.ca_file
                      : where_;
    }
    return report(command_name, error, context);
}

int ContinuousNode::on_stopped(const node::NodeEvent& event) {
    if (!event.error) return exit_ok;
    if (!event.gave_up) return report_stop(*event.error);
    const Error& error = *event.error;
    log_.event(LogLevel::error, "gave_up",
               {{"attempts", flags_.max_attempts},
                {"error", error.message()},
                {"code", name(error.code)},
                {"broker", where_}},
               "giving up after %u failed reconnect attempts; last error: %s (%s)",
               flags_.max_attempts, error.message(), where_.c_str());
    return exit_code_for(error);
}

// One NodeEvent as log lines; an exit status when it ends the node.
std::optional<int> ContinuousNode::on_event(const node::NodeEvent& event) {
    switch (event.type) {
        case node::NodeEventType::reading_due:
            return on_reading_due();
        case node::NodeEventType::reading_taken:
            break;  // the runner has no SensorSource here: readings are taken above
        case node::NodeEventType::restored:
            on_restored(event);
            break;
        case node::NodeEventType::connected:
            ++connect_attempts_;
            on_connected(event);
            break;
        case node::NodeEventType::published:
            if (event.resent) resent_.insert(event.seq);
            break;
        case node::NodeEventType::acknowledged:
            on_acknowledged(event);
            break;
        case node::NodeEventType::link_down:
            on_link_down(event);
            break;
        case node::NodeEventType::denied:
            on_denied(event);
            break;
        case node::NodeEventType::expired:
            on_expired(event);
            break;
        case node::NodeEventType::stopped:
            return on_stopped(event);
    }
    return std::nullopt;
}

// One step of the runner and what came of it.
std::optional<int> ContinuousNode::turn() {
    if (auto stop = take_input_lines()) return stop;
    const bool reading_input = input_ && !input_->at_end();
    const Instant until = port::posix::monotonic_now() +
                          Duration::from_millis(reading_input ? input_slice_ms : wait_slice_ms);
    was_connected_ = runner_.connected();
    runner_.step(until);
    if (auto event = runner_.poll_event()) return on_event(*event);
    return std::nullopt;
}

// Delivers what is still waiting before the goodbye, logging each acknowledgement, then the
// retained "offline" and DISCONNECT (node::NodeRunner::request_stop; bounded there by the
// operation timeout and by its turns, and here by a cap on the steps).
void ContinuousNode::drain_and_say_goodbye() {
    runner_.request_stop(port::posix::monotonic_now() + operation_timeout_);
    const std::size_t steps = 4 * node_.outbox().size() + 32;
    for (std::size_t step = 0; step < steps && !runner_.stopped(); ++step) {
        runner_.step(port::posix::monotonic_now() + operation_timeout_);
        if (auto event = runner_.poll_event();
            event && event->type != node::NodeEventType::stopped) {
            (void)on_event(*event);
        }
    }
    if (!runner_.stopped()) runner_.stop(port::posix::monotonic_now());
    (void)runner_.poll_event();
}

int ContinuousNode::shut_down(int status) {
    if (status == exit_ok && !runner_.stopped()) drain_and_say_goodbye();
    if (!runner_.stopped()) runner_.stop(port::posix::monotonic_now());
    const bool lost_in_ram = node_.outbox().size() != 0 && !outbox_.persistent();
    const auto acknowledged = static_cast<unsigned long long>(runner_.acknowledged());
    const auto reconnects = static_cast<unsigned long long>(runner_.reconnects());
    log_.event(
        LogLevel::info, "stopped",
        {{"signal", stop_requested() != 0},
         {"acknowledged", acknowledged},
         {"taken", taken_},
         {"pending", node_.outbox().size()},
         {"dropped", node_.outbox().dropped()},
         {"sensor_errors", node_.sensor_errors()},
         {"denied", node_.denied()},
         {"expired", node_.expired()},
         {"reconnects", reconnects},
         {"missed_slots", node_.missed_slots()},
         {"exit_status", status}},
        "stopped%s: %llu reading(s) acknowledged, %ld taken, %zu pending in the outbox%s, "
        "%llu dropped, %llu denied, %llu expired, %llu sensor error(s), %llu reconnect(s), %u "
        "slot(s) missed",
        stop_requested() != 0 ? " on signal" : "", acknowledged, taken_, node_.outbox().size(),
        lost_in_ram ? " (in RAM: lost now; use --outbox DIR to keep them)" : "",
        static_cast<unsigned long long>(node_.outbox().dropped()),
        static_cast<unsigned long long>(node_.denied()),
        static_cast<unsigned long long>(node_.expired()),
        static_cast<unsigned long long>(node_.sensor_errors()), reconnects, node_.missed_slots());
    return status;
}

void ContinuousNode::log_start() const {
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

int ContinuousNode::run() {
    log_start();
    log_outbox_and_run_id(log_, outbox_, node_);
    if (auto set_up = link_.connection.set_up(); !set_up)
        return shut_down(report_stop(set_up.error()));
    node_.start(port::posix::monotonic_now());
    // Bounded per turn: every step is a connect (connect timeout), a publish, an
    // acknowledgement, a reading (--sensor-timeout) or a wait of at most wait_slice_ms; the
    // limits end the loop.
    for (;;) {
        if (auto done = limits_reached()) return shut_down(*done);
        if (auto stop = turn()) return shut_down(*stop);
        if (runner_.stopped()) return shut_down(exit_ok);
    }
}

}  // namespace

int run_continuous_node(const NodeFlags& flags, const client::ClientOptions& options,
                        node::TelemetryNode& node, NodeOutbox& outbox) {
    install_stop_signal_handlers();
    auto shell = std::make_unique<ContinuousNode>(flags, options, node, outbox);
    return shell->run();
}

}  // namespace mqtls::cli
