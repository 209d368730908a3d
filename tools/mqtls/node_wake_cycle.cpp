// mqtls node --wake-cycle: one process run is one wake of a battery device from deep sleep (an
// ESP32 wakes through a reset, so nothing survives in RAM). The wake itself (load the sealed TLS
// session, one flight of Finished + CONNECT + readings, await the acknowledgements up to a
// deadline, disconnect, store the session) is the library's node::run_wake_cycle over
// link::Connection, link::TlsChannel and the POSIX port's Platform; this file takes the reading,
// turns the flags into the wake's configuration, prints and writes what the wake reported, and
// exits with a status that says whether everything was delivered. --cycles K --sleep S runs K
// such wakes as child processes.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/platform.hpp"
#include "mqtls/tls/config.hpp"
#include "node_flags.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;

constexpr const char* command_name = "node";
// The driver waits this much longer than a wake's own deadline before it kills the wake.
constexpr std::chrono::seconds child_grace{30};

// The MQTT session's memory for one wake. A wake subscribes to nothing, so rx holds CONNACK and
// acknowledgements only; tx and the resend store hold the window's readings (TelemetryNode's
// max_in_flight, 16 by default, of at most max_cli_reading_bytes each, plus topic and header).
// A fuller window only waits for room (output_full), it never fails.
using WakeSessionStorage =
    mqtt::SessionStorage<4096, std::size_t{32} * 1024, std::size_t{32} * 1024, /*OutgoingMax=*/32,
                         /*IncomingQos2Max=*/16,
                         /*RequestsMax=*/4>;
// Stream reads and decrypted bytes: a whole TLS record (16,413 bytes) per read.
constexpr std::size_t wake_scratch_bytes = std::size_t{17} * 1024;

std::vector<std::string>& saved_command_line() {
    static std::vector<std::string> line;
    return line;
}

std::string described(const Error& error) {
    return std::string(error.message()) + " [" + name(error.code) + "]";
}

bytes_view view_of(const std::string& text) { return as_bytes(text.data(), text.size()); }

// The CONNECT of every wake; views into `options`. run_wake_cycle forces a persistent session
// and no will.
mqtt::Connect connect_packet(const client::ClientOptions& options) {
    mqtt::Connect connect;
    connect.client_id = options.client_id;
    connect.keep_alive_s = options.keep_alive_s;
    if (options.username) connect.username = *options.username;
    if (options.password) connect.password = view_of(*options.password);
    return connect;
}

// One wake's connection: the TLS channel over the device's TCP stream, the session's memory and
// the pump. Heap-allocated once per process (a wake is one process).
struct WakeLink {
    WakeLink(const tls::Config& config, port::posix::Platform& device,
             const link::ConnectionSettings& settings)
        : channel(config),
          storage(std::make_unique<WakeSessionStorage>()),
          scratch(std::make_unique<std::uint8_t[]>(wake_scratch_bytes)),
          connection(channel, device.stream(), device.node().clock, settings,
                     link::ConnectionMemory{storage->memory(),
                                            mutable_bytes(scratch.get(), wake_scratch_bytes),
                                            mutable_bytes(sealed.data(), sealed.size())}) {}

    link::TlsChannel channel;
    std::unique_ptr<WakeSessionStorage> storage;
    std::unique_ptr<std::uint8_t[]> scratch;
    std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
    link::Connection connection;  // after what it refers to, so it goes first
};

}  // namespace

// What one wake did, printed as a status line and written as JSON (--wake-report).
struct WakeOutcome {
    std::string handshake = "none";  // full | resumed | none (no TLS connection)
    bool session_offered = false;
    bool session_declined = false;
    std::string session_problem;  // why a stored session was not used or not stored
    bool one_flight = false;
    std::size_t restored = 0;  // readings resent under their noted identifiers
    std::size_t delivered = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::size_t pending = 0;
    std::uint64_t dropped = 0;
    std::size_t denied = 0;               // refused by the broker and dropped (--on-denied drop)
    std::size_t expired = 0;              // older than --reading-ttl: released unsent
    std::uint64_t denied_seq = 0;         // the last reading the broker refused
    std::size_t tls_heap_peak = 0;        // mbedTLS heap of the connection and the Config
    std::size_t channel_memory_peak = 0;  // the channel whole: that heap and the record queues
    double connect_ms = -1;               // start of the delivery to CONNACK
    double wake_ms = 0;                   // start of the delivery to the end of the disconnect
    int exit_status = exit_ok;
    std::string error;
    bool permanent = false;  // mqtls::is_permanent(the error): the --cycles driver stops on it
};

class WakeCycle {
public:
    WakeCycle(const NodeFlags& flags, client::ClientOptions options, NodeOutbox& outbox,
              node::TelemetryNode& node, port::posix::Platform& device)
        : flags_(flags),
          options_(std::move(options)),
          outbox_(outbox),
          node_(node),
          device_(device),
          log_(flags.device_id, flags.log, "wake: ") {}

    int run();

private:
    std::optional<int> take_reading();
    std::optional<tls::SessionKey> load_session_key();
    link::ConnectionSettings connection_settings(std::optional<tls::SessionKey> key) const;
    node::WakeConfig wake_config() const;
    int deliver();
    int absorb(const node::WakeReport& report, const WakeLink& link);
    void log_handshake(const node::WakeReport& report) const;
    void log_refused_and_expired(const node::WakeReport& report) const;
    std::string failure_context(const node::WakeReport& report, const Error& error) const;
    int fail(const Error& error, const std::string& context);
    void finish_report(int status);
    void log_done(int status) const;
    void write_report() const;
    std::string where() const { return broker_where(options_); }
    std::string outbox_context() const { return "--outbox " + flags_.outbox.directory; }
    std::string run_id_text() const {
        char text[node::run_id_text_length];
        const auto formatted = node::format_run_id(node_.run_id(), text);
        return formatted ? std::string(*formatted) : std::string();
    }
    [[nodiscard]] Duration deadline() const {
        return Duration::from_millis(std::llround(flags_.wake.deadline_s * 1000.0));
    }

    const NodeFlags& flags_;
    client::ClientOptions options_;
    NodeOutbox& outbox_;
    node::TelemetryNode& node_;
    port::posix::Platform& device_;
    NodeLog log_;
    WakeOutcome report_;
};

int WakeCycle::fail(const Error& error, const std::string& context) {
    report_.error = described(error);
    report_.permanent = mqtls::is_permanent(error);
    return report(command_name, error, context);
}

std::optional<int> WakeCycle::take_reading() {
    // Each wake is a fresh process: with --sensor-seed the seq moves the simulated values on
    // from wake to wake (as a real sensor's would), and they repeat from run to run.
    node::SimulatedSensor sensor(
        simulated_sensor_seed(flags_) ^
        static_cast<std::uint32_t>(node_.outbox().next_sequence() * 2654435761U));
    const std::uint64_t errors_before = node_.sensor_errors();
    auto taken = take_scheduled_reading(node_, flags_, sensor, port::posix::monotonic_now(), log_);
    if (auto failure = log_reading_taken(taken, node_, errors_before, log_)) {
        return fail(*failure, outbox_context());
    }
    return std::nullopt;
}

// Resumption saves energy; a problem with its key must not cost the readings. A damaged key is
// replaced by the port (it only cost the stored session); a key that is not private is not
// used, and this wake does a full handshake (fail closed for the secret, not for the delivery).
std::optional<tls::SessionKey> WakeCycle::load_session_key() {
    if (flags_.wake.no_resume) return std::nullopt;
    device_.use_session_files(flags_.wake.session_file, flags_.wake.session_key_file);
    port::posix::FileSessionKey& source = *device_.session_key();
    const std::string& path = source.path();
    tls::SessionKey key;
    const Result<bool> loaded = source.load(key);
    if (const auto replaced = source.replaced_damaged_key()) {
        log_.event(LogLevel::warning, "session_key_replaced",
                   {{"file", path}, {"bytes", *replaced}},
                   "the session key %s was damaged (%d bytes): made a new one; this wake does a "
                   "full TLS handshake",
                   path.c_str(), *replaced);
    }
    if (loaded && *loaded) return key;
    if (!loaded) {
        const Error& error = loaded.error();
        report_.session_problem = described(error);
        log_.event(LogLevel::warning, "resumption_off",
                   {{"file", path}, {"error", error.message()}, {"hint", error.hint()}},
                   "TLS session resumption off for this wake: %s (--session-key %s)\n  hint: %s",
                   error.message(), path.c_str(), error.hint());
    }
    device_.forget_session_files();
    return std::nullopt;
}

link::ConnectionSettings WakeCycle::connection_settings(std::optional<tls::SessionKey> key) const {
    link::ConnectionSettings settings = client::connection_settings_of(options_);
    if (key) {
        settings.session_store = device_.node().sessions;
        settings.session_key = *key;
    }
    settings.operation_timeout =
        std::min(Duration::from_millis(options_.operation_timeout.count()), deadline());
    return settings;
}

node::WakeConfig WakeCycle::wake_config() const {
    node::WakeConfig config;
    config.qos = static_cast<mqtt::QoS>(flags_.qos);
    config.connect = connect_packet(options_);
    config.deadline = deadline();
    config.one_flight = !flags_.wake.no_one_flight;
    config.reading_ttl_s = flags_.reading_ttl_s;
    config.on_denied = denial_policy(flags_);
    config.session_expiry_s = options_.session_expiry_s;
    return config;
}

void WakeCycle::log_refused_and_expired(const node::WakeReport& report) const {
    if (report.denied != 0) {
        log_.event(LogLevel::warning, "denied",
                   {{"denied", report.denied}, {"last_seq", report.denied_seq}, {"policy", "drop"}},
                   "the broker refused %zu reading(s) (the last seq=%llu): dropped (--on-denied "
                   "drop)",
                   report.denied, static_cast<unsigned long long>(report.denied_seq));
    }
    if (report.expired != 0) {
        log_.event(LogLevel::warning, "expired",
                   {{"expired", report.expired}, {"ttl_s", flags_.reading_ttl_s}},
                   "%zu reading(s) older than --reading-ttl %u s: released unsent", report.expired,
                   flags_.reading_ttl_s);
    }
}

void WakeCycle::log_handshake(const node::WakeReport& report) const {
    std::string why;
    if (report.session_problem) {
        why = "; stored session not used: " + report_.session_problem;
    } else if (report.session_declined) {
        why =
            "; the broker declined the stored session (restarted, or it expired there; if "
            "it declines every wake, it may not keep a session cache: try --resumption "
            "ticket)";
    } else if (!report.channel.resumed && !flags_.wake.no_resume) {
        why = "; no stored session yet";
    }
    const bool resumed = report.handshake == node::WakeHandshake::resumed;
    log_.event(LogLevel::info, "handshake",
               {{"handshake", report_.handshake},
                {"broker", where()},
                {"protocol", report.channel.protocol},
                {"cipher_suite", report.channel.cipher_suite},
                {"session_problem", report_.session_problem}},
               "TLS %s handshake with %s:%u, %s, %s%s", resumed ? "resumed (abbreviated)" : "full",
               options_.host.c_str(), static_cast<unsigned>(options_.port), report.channel.protocol,
               report.channel.cipher_suite, why.c_str());
}

// Which flag or phase the error belongs to, for its message: the outbox's storage, the
// connection (with the CA when TLS refused the broker), the CONNACK of the one flight (its
// readings stay in the outbox), or the acknowledgements.
std::string WakeCycle::failure_context(const node::WakeReport& report, const Error& error) const {
    if (error_class(error.code) == ErrorClass::storage) return outbox_context();
    if (report.handshake == node::WakeHandshake::none) {
        if (exit_code_for(error) != exit_tls) return where();
        return where() + ", CA from --cafile " + flags_.connection.ca_file;
    }
    if (report.connect_time.millis() < 0) return where() + "; the readings stay in the outbox";
    if (error.code == Errc::io_timed_out) {
        return "--wake-deadline reached with readings left for the next wake";
    }
    if (error.code == Errc::message_rejected) {
        return where() + "; seq=" + std::to_string(report.denied_seq) +
               " stays in the outbox (--on-denied drop releases refused readings instead)";
    }
    return where() + "; the readings not acknowledged stay in the outbox for the next wake";
}

// The library's report as the CLI's: names, texts, the TLS figures, and the exit status.
int WakeCycle::absorb(const node::WakeReport& report, const WakeLink& link) {
    report_.handshake = node::handshake_name(report.handshake);
    report_.session_offered = report.session_offered;
    report_.session_declined = report.session_declined;
    if (report.session_problem) report_.session_problem = described(*report.session_problem);
    report_.restored = report.restored;
    report_.delivered = report.delivered;
    report_.first_seq = report.first_seq;
    report_.last_seq = report.last_seq;
    report_.denied = report.denied;
    report_.expired = report.expired;
    report_.denied_seq = report.denied_seq;
    report_.channel_memory_peak = report.channel_memory_peak;
    report_.tls_heap_peak = link.channel.tls_heap_peak();
    report_.connect_ms = static_cast<double>(report.connect_time.millis());
    report_.wake_ms = static_cast<double>(report.wake_time.millis());
    if (report.handshake != node::WakeHandshake::none) log_handshake(report);
    log_refused_and_expired(report);
    if (!report.error) return exit_ok;
    return fail(*report.error, failure_context(report, *report.error));
}

int WakeCycle::deliver() {
    const std::optional<tls::SessionKey> key = load_session_key();
    const node::Platform& platform = device_.node();
    auto config = std::make_unique<tls::Config>();
    if (Result<void> set_up = config->setup(
            client::tls_client_options(options_, platform.wall_clock, platform.entropy));
        !set_up) {
        return fail(set_up.error(), where());
    }
    const link::ConnectionSettings settings = connection_settings(key);
    auto link = std::make_unique<WakeLink>(*config, device_, settings);
    if (Result<void> version = link->connection.set_protocol(options_.protocol); !version) {
        return fail(version.error(), where());
    }
    const node::WakeReport report =
        node::run_wake_cycle(node_, link->connection, platform, wake_config());
    const int status = absorb(report, *link);
    report_.tls_heap_peak += config->heap_usage().current;
    return status;
}

void WakeCycle::finish_report(int status) {
    report_.exit_status = status;
    report_.pending = node_.outbox().size();
    report_.dropped = node_.outbox().dropped();
}

void WakeCycle::write_report() const {
    if (flags_.wake.report_file.empty()) return;
    nlohmann::json json = {
        {"device", std::string(node_.device_id())},
        {"run", run_id_text()},
        {"sensor_errors", node_.sensor_errors()},
        {"handshake", report_.handshake},
        {"session_offered", report_.session_offered},
        {"session_declined", report_.session_declined},
        {"session_problem", report_.session_problem},
        {"one_flight", report_.one_flight},
        {"qos", flags_.qos},
        {"restored", report_.restored},
        {"delivered", report_.delivered},
        {"first_seq", report_.first_seq},
        {"last_seq", report_.last_seq},
        {"pending", report_.pending},
        {"dropped", report_.dropped},
        {"denied", report_.denied},
        {"expired", report_.expired},
        {"mqtt", wants_mqtt5(flags_.connection) ? "5" : "3.1.1"},
        {"tls_heap_peak", report_.tls_heap_peak},
        {"channel_memory_peak", report_.channel_memory_peak},
        {"connect_ms", report_.connect_ms},
        {"wake_ms", report_.wake_ms},
        {"exit_status", report_.exit_status},
        {"error", report_.error},
        {"permanent", report_.permanent},
    };
    std::ofstream out(flags_.wake.report_file, std::ios::trunc);
    out << json.dump() << '\n';
    if (!out) {
        std::fprintf(stderr, "mqtls node: the wake report could not be written to %s\n",
                     flags_.wake.report_file.c_str());
    }
}

void WakeCycle::log_done(int status) const {
    if (report_.delivered != 0) {
        log_.event(LogLevel::info, "delivered",
                   {{"first_seq", report_.first_seq},
                    {"last_seq", report_.last_seq},
                    {"delivered", report_.delivered},
                    {"qos", flags_.qos},
                    {"wake_ms", report_.wake_ms},
                    {"pending", report_.pending}},
                   "delivered seq=%llu..%llu (%zu reading(s), QoS %d) in %.1f ms; %zu pending",
                   static_cast<unsigned long long>(report_.first_seq),
                   static_cast<unsigned long long>(report_.last_seq), report_.delivered, flags_.qos,
                   report_.wake_ms, report_.pending);
    }
    log_.event(status == exit_ok ? LogLevel::info : LogLevel::warning, "done",
               {{"delivered", report_.delivered},
                {"pending", report_.pending},
                {"dropped", report_.dropped},
                {"sensor_errors", node_.sensor_errors()},
                {"handshake", report_.handshake},
                {"tls_heap_peak", report_.tls_heap_peak},
                {"channel_memory_peak", report_.channel_memory_peak},
                {"exit_status", status}},
               "%s: %zu delivered, %zu pending in the outbox, %llu dropped so far, %llu sensor "
               "error(s), TLS %s, TLS heap peak %zu bytes (%zu with the record queues), exit %d",
               status == exit_ok ? "done" : "ended early", report_.delivered, report_.pending,
               static_cast<unsigned long long>(report_.dropped),
               static_cast<unsigned long long>(node_.sensor_errors()), report_.handshake.c_str(),
               report_.tls_heap_peak, report_.channel_memory_peak, status);
}

int WakeCycle::run() {
    report_.one_flight = !flags_.wake.no_one_flight;
    log_outbox_and_run_id(log_, outbox_, node_);
    int status = exit_ok;
    if (auto stop = take_reading()) {
        status = *stop;
    } else if (node_.outbox().size() == 0) {
        log_.event(LogLevel::info, "nothing_to_deliver", nlohmann::ordered_json::object(),
                   "nothing to deliver");
    } else {
        status = deliver();
    }
    if (auto synced = outbox_.outbox().sync(); !synced && status == exit_ok) {
        status = fail(synced.error(), outbox_context());
    }
    finish_report(status);
    log_done(status);
    write_report();
    return status;
}

int run_wake_cycle(const NodeFlags& flags, client::ClientOptions options) {
    // The device first: the outbox's segments are its own, and it outlives the outbox.
    auto device = std::make_unique<port::posix::Platform>();
    std::unique_ptr<NodeOutbox> outbox;
    if (const int status = open_node_outbox(flags, *device, outbox); status != exit_ok) {
        return status;
    }
    const node::TelemetryNodeConfig config = node_config_from_flags(flags, *outbox);
    auto node = node::TelemetryNode::create(flags.device_id, config, outbox->outbox());
    if (!node) return report(command_name, node.error(), "--device " + flags.device_id);
    // The MQTT session persists between wakes (run_wake_cycle forces clean_session off), so a
    // reading in flight when a wake ended goes out again under the identifier the broker knows.
    // No will and no status messages: a sleeping device is offline by design.
    options.session_tickets = flags.wake.resumption == "ticket";
    WakeCycle wake(flags, std::move(options), *outbox, *node, *device);
    return wake.run();
}

// ---- the --cycles driver ----------------------------------------------------------------

void remember_command_line(int argc, char** argv) {
    saved_command_line().assign(argv, argv + argc);
}

namespace {

// The command line without the driver's own options, so each wake runs once.
std::vector<std::string> wake_command_line() {
    const std::vector<std::string>& line = saved_command_line();
    std::vector<std::string> result;
    result.emplace_back("/proc/self/exe");
    for (std::size_t i = 1; i < line.size(); ++i) {
        const std::string& argument = line[i];
        bool dropped = false;
        for (const char* option : {"--cycles", "--sleep", "--wake-report"}) {
            const std::string name = option;
            if (argument == name) {
                ++i;  // and its value
                dropped = true;
            } else if (argument.rfind(name + "=", 0) == 0) {
                dropped = true;
            }
        }
        if (argument == "--wake-cycle") dropped = true;  // added back once below
        if (!dropped) result.push_back(argument);
    }
    result.emplace_back("--wake-cycle");
    return result;
}

// Waits up to 100 ms for the child's output and passes on the lines that came.
void pass_on_output(ChildProcess& child) {
    std::vector<std::string> out;
    std::vector<std::string> err;
    pollfd fds[2] = {{child.out().fd(), POLLIN, 0}, {child.err().fd(), POLLIN, 0}};
    if (::poll(fds, 2, 100) > 0) {
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) child.out().read_available(out);
        if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) child.err().read_available(err);
    }
    for (const std::string& line : out) NodeLog::pass_on(line);
    for (const std::string& line : err) std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stdout);
}

// Passes the child's output lines on as they come, until it exits or `limit` passes.
bool follow_child(ChildProcess& child, std::chrono::steady_clock::time_point limit) {
    for (int round = 0; round < 1'000'000; ++round) {
        pass_on_output(child);
        if (!child.out().open() && !child.err().open() && child.exited()) return true;
        if (std::chrono::steady_clock::now() >= limit) return false;
        if (stop_requested() != 0) (void)child.stop(milliseconds(2000));
    }
    return false;
}

// Whether a failed wake ends the cycles: the wake's own verdict from the library's rule (its
// report's "permanent"). A wake that failed before it had a report could not open its outbox or
// device, which the next wake would meet again; one that was killed (128 + signal) may recover.
bool ends_cycles(int status, const nlohmann::json& wake) {
    if (status == exit_ok) return false;
    const auto verdict = wake.find("permanent");
    if (verdict != wake.end() && verdict->is_boolean()) return verdict->get<bool>();
    return status < 128;
}

}  // namespace

namespace {

// One wake as a child process; returns its exit status and its report (an empty object if it
// wrote none).
std::pair<int, nlohmann::json> run_one_wake(const NodeFlags& flags, std::uint32_t cycle,
                                            const std::string& directory, const NodeLog& log) {
    const std::string report_path = directory + "/cycle-" + std::to_string(cycle) + ".json";
    std::vector<std::string> argv = wake_command_line();
    argv.insert(argv.end(), {"--cycles", "0", "--wake-report", report_path});
    int error = 0;
    auto child = ChildProcess::start(argv, error);
    if (!child) {
        return {report(command_name, Error{Errc::file_read_failed, error}, "/proc/self/exe"),
                nlohmann::json::object()};
    }
    const auto limit = std::chrono::steady_clock::now() +
                       milliseconds(std::llround(flags.wake.deadline_s * 1000.0)) + child_grace;
    if (!follow_child(*child, limit)) {
        (void)child->stop(milliseconds(2000));
        log.event(LogLevel::warning, "cycle_stopped", {{"cycle", cycle}},
                  "cycle %u did not end in time and was stopped", cycle);
    }
    nlohmann::json wake = nlohmann::json::object();
    std::ifstream in(report_path);
    if (in) wake = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    (void)::unlink(report_path.c_str());
    if (!wake.is_object()) wake = nlohmann::json::object();
    return {child->exit_status(), wake};
}

// The deep sleep between wakes, in slices so a stop signal is noticed.
void sleep_between_wakes(double seconds) {
    const auto wake_at =
        std::chrono::steady_clock::now() + milliseconds(std::llround(seconds * 1000.0));
    for (int slice = 0;
         slice < 10'000'000 && stop_requested() == 0 && std::chrono::steady_clock::now() < wake_at;
         ++slice) {
        ::usleep(20'000);
    }
}

struct CycleTally {
    std::uint32_t ran = 0;
    std::uint32_t resumed = 0;
    std::uint32_t full = 0;
    std::uint32_t failed = 0;
    std::size_t delivered = 0;
    std::size_t denied = 0;
    std::size_t expired = 0;
    std::size_t pending = 0;
    nlohmann::json cycles = nlohmann::json::array();

    void add(std::uint32_t cycle, int status, nlohmann::json wake) {
        ++ran;
        const std::string handshake = wake.value("handshake", std::string("none"));
        if (handshake == "resumed") ++resumed;
        if (handshake == "full") ++full;
        if (status != exit_ok) ++failed;
        delivered += wake.value("delivered", std::size_t{0});
        denied += wake.value("denied", std::size_t{0});
        expired += wake.value("expired", std::size_t{0});
        pending = wake.value("pending", pending);
        wake["cycle"] = cycle;
        wake["exit_status"] = status;
        cycles.push_back(std::move(wake));
    }
};

}  // namespace

int run_wake_cycles(const NodeFlags& flags) {
    install_stop_signal_handlers();
    char directory[] = "/tmp/mqtls-wake-XXXXXX";
    if (::mkdtemp(directory) == nullptr) {
        return report(command_name, Error{Errc::file_write_failed, errno}, "/tmp");
    }
    const NodeLog log(flags.device_id, flags.log);
    CycleTally tally;
    int status = exit_ok;
    for (std::uint32_t cycle = 1; cycle <= flags.wake.cycles && stop_requested() == 0; ++cycle) {
        auto [wake_status, wake] = run_one_wake(flags, cycle, directory, log);
        status = wake_status;
        const std::string handshake = wake.value("handshake", std::string("none"));
        const auto delivered = wake.value("delivered", std::size_t{0});
        const auto pending = wake.value("pending", std::size_t{0});
        log.event(status == exit_ok ? LogLevel::info : LogLevel::warning, "cycle",
                  {{"cycle", cycle},
                   {"cycles", flags.wake.cycles},
                   {"exit_status", status},
                   {"handshake", handshake},
                   {"delivered", delivered},
                   {"pending", pending}},
                  "cycle %u/%u: exit %d, TLS %s, %zu delivered, %zu pending", cycle,
                  flags.wake.cycles, status, handshake.c_str(), delivered, pending);
        tally.add(cycle, status, std::move(wake));
        if (ends_cycles(status, tally.cycles.back())) break;  // retrying cannot fix it
        if (cycle < flags.wake.cycles) sleep_between_wakes(flags.wake.sleep_s);
    }
    (void)::rmdir(directory);
    log.event(LogLevel::info, "cycles_done",
              {{"cycles", tally.ran},
               {"resumed", tally.resumed},
               {"full", tally.full},
               {"failed", tally.failed},
               {"delivered", tally.delivered},
               {"denied", tally.denied},
               {"expired", tally.expired},
               {"pending", tally.pending}},
              "%u wake cycle(s): %u resumed, %u full TLS handshake(s), %u ended early; %zu "
              "reading(s) delivered, %zu denied, %zu expired, %zu pending in the outbox",
              tally.ran, tally.resumed, tally.full, tally.failed, tally.delivered, tally.denied,
              tally.expired, tally.pending);
    if (!flags.wake.report_file.empty()) {
        const nlohmann::json summary = {{"cycles", tally.cycles},       {"resumed", tally.resumed},
                                        {"full", tally.full},           {"failed", tally.failed},
                                        {"delivered", tally.delivered}, {"denied", tally.denied},
                                        {"expired", tally.expired},     {"pending", tally.pending}};
        std::ofstream out(flags.wake.report_file, std::ios::trunc);
        out << summary.dump() << '\n';
    }
    return status;
}

}  // namespace mqtls::cli
