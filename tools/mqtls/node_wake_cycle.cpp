// mqtls node --wake-cycle: one process run is one wake of a battery device from deep sleep (an
// ESP32 wakes through a reset, so nothing survives in RAM): load the sealed TLS session, the
// outbox and the sequence number; take a reading; connect (resuming the TLS session, and with
// the client's Finished, CONNECT and the readings in one flight); wait for the
// acknowledgements up to a deadline; disconnect; store the session; exit with a status that
// says whether everything was delivered. --cycles K --sleep S runs K such wakes as child
// processes.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/file_session_store.hpp"
#include "node_flags.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {

class WakeCycle;
// Not in the anonymous namespace, and never inlined: benchmarks count the instructions of
// exactly this function (valgrind --toggle-collect='mqtls::cli::deliver_wake_cycle*').
__attribute__((noinline)) int deliver_wake_cycle(WakeCycle& wake);

namespace {

using std::chrono::milliseconds;

constexpr const char* command_name = "node";
// Readings that go out together in one flight (the rest follow, one at a time, in the same
// wake); bounds the size of the flight and of the session's buffers.
constexpr std::size_t max_readings_per_flight = 32;
// The driver waits this much longer than a wake's own deadline before it kills the wake.
constexpr std::chrono::seconds child_grace{30};

std::vector<std::string>& saved_command_line() {
    static std::vector<std::string> line;
    return line;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

}  // namespace

// What one wake did, printed as a status line and written as JSON (--wake-report).
struct WakeReport {
    std::string handshake = "none";  // full | resumed | none (no TLS connection)
    bool session_offered = false;
    bool session_declined = false;
    std::string session_problem;  // why a stored session was not used or not stored
    bool one_flight = false;
    std::size_t delivered = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::size_t pending = 0;
    std::uint64_t dropped = 0;
    std::size_t tls_heap_peak = 0;
    double connect_ms = -1;  // start of the wake to CONNACK
    double wake_ms = 0;      // start of the wake to the end of the disconnect
    int exit_status = exit_ok;
    std::string error;
    bool permanent = false;  // mqtls::is_permanent(the error): the --cycles driver stops on it
};

class WakeCycle {
public:
    WakeCycle(const NodeFlags& flags, client::ClientOptions options, NodeOutbox& outbox,
              node::TelemetryNode& node)
        : flags_(flags),
          options_(std::move(options)),
          outbox_(outbox),
          node_(node),
          log_(flags.device_id, flags.log, "wake: "),
          qos_(static_cast<mqtt::QoS>(flags.qos)) {}

    int run();

private:
    friend int deliver_wake_cycle(WakeCycle& wake);

    struct Sent {
        std::uint64_t seq;
        mqtt::PacketId packet_id;
    };

    std::optional<int> take_reading();
    void open_session_store();
    std::optional<int> restore_in_flight();
    std::optional<int> connect();
    std::optional<int> queue_readings(std::size_t count);
    std::optional<int> await_acknowledgements();
    std::optional<int> fail(const Error& error, const std::string& context);
    Duration time_left() const;
    void note_tls();
    void finish_report(int status);
    void write_report() const;
    std::string outbox_context() const { return "--outbox " + flags_.outbox.directory; }
    std::string run_id_text() const {
        char text[node::run_id_text_length];
        const auto formatted = node::format_run_id(node_.run_id(), text);
        return formatted ? std::string(*formatted) : std::string();
    }

    const NodeFlags& flags_;
    client::ClientOptions options_;
    NodeOutbox& outbox_;
    node::TelemetryNode& node_;
    NodeLog log_;
    mqtt::QoS qos_;
    client::Client client_;
    std::optional<port::posix::FileSessionStore> store_;
    std::vector<Sent> sent_;  // in the order they left, which is the order of acknowledgement
    std::size_t restored_ = 0;
    Instant started_ = port::posix::monotonic_now();
    std::chrono::steady_clock::time_point started_clock_ = std::chrono::steady_clock::now();
    WakeReport report_;
};

Duration WakeCycle::time_left() const {
    const Instant deadline =
        started_ + Duration::from_millis(std::llround(flags_.wake.deadline_s * 1000.0));
    const Instant now = port::posix::monotonic_now();
    return deadline > now ? deadline - now : Duration{};
}

std::optional<int> WakeCycle::fail(const Error& error, const std::string& context) {
    report_.error = std::string(error.message()) + " [" + name(error.code) + "]";
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
// replaced (it only cost the stored session); a key that is not private is not used, and this
// wake does a full handshake (fail closed for the secret, not for the delivery).
void WakeCycle::open_session_store() {
    if (flags_.wake.no_resume) return;
    const std::string& path = flags_.wake.session_key_file;
    auto key = port::posix::load_or_create_session_key(path);
    if (!key && key.error().code == Errc::session_key_invalid) {
        log_.event(LogLevel::warning, "session_key_replaced",
                   {{"file", path}, {"bytes", key.error().detail}},
                   "the session key %s was damaged (%d bytes): made a new one; this wake does a "
                   "full TLS handshake",
                   path.c_str(), key.error().detail);
        key = port::posix::replace_session_key(path);
    }
    if (!key) {
        report_.session_problem =
            std::string(key.error().message()) + " [" + name(key.error().code) + "]";
        log_.event(LogLevel::warning, "resumption_off",
                   {{"file", path}, {"error", key.error().message()}, {"hint", key.error().hint()}},
                   "TLS session resumption off for this wake: %s (--session-key %s)\n  hint: %s",
                   key.error().message(), path.c_str(), key.error().hint());
        return;
    }
    store_.emplace(flags_.wake.session_file);
    options_.session_store = &*store_;
    options_.session_key = *key;
}

// Readings in flight when the last wake ended (no acknowledgement before the deadline, or a
// crash) go out again first, with DUP set and the identifiers the broker knows: the sent
// readings are a prefix of the outbox, each noted under its identifier.
std::optional<int> WakeCycle::restore_in_flight() {
    if (qos_ == mqtt::QoS::at_most_once) return std::nullopt;
    std::uint8_t buffer[max_cli_reading_bytes];
    for (std::size_t position = 0; position < node_.outbox().size(); ++position) {
        auto reading = outbox_.outbox().peek(position, mutable_bytes(buffer, sizeof buffer));
        if (!reading) return fail(reading.error(), outbox_context());
        if (reading->packet_id == 0) break;
        const std::string_view payload(reinterpret_cast<const char*>(reading->payload.data()),
                                       reading->payload.size());
        auto restored = client_.restore_publish(node_.telemetry_topic(), payload, qos_, false,
                                                reading->packet_id);
        // The identifier is taken (noted twice): this reading goes out anew instead.
        if (!restored && restored.error().code == Errc::invalid_argument) break;
        if (!restored) return fail(restored.error(), "restoring the readings in flight");
        sent_.push_back(Sent{reading->seq, reading->packet_id});
        ++restored_;
    }
    return std::nullopt;
}

void WakeCycle::note_tls() {
    const tls::ConnectionInfo info = client_.tls_info();
    const client::ResumptionCounters& counts = client_.resumption();
    report_.handshake = info.resumed ? "resumed" : "full";
    report_.session_declined = counts.declined != 0;
    report_.session_offered = info.resumed || counts.declined != 0;
    std::string why;
    if (counts.last_problem) {
        report_.session_problem = std::string(counts.last_problem->message()) + " [" +
                                  name(counts.last_problem->code) + "]";
        why = "; stored session not used: " + report_.session_problem;
    } else if (counts.declined != 0) {
        why =
            "; the broker declined the stored session (restarted, or it expired there; if "
            "it declines every wake, it may not keep a session cache: try --resumption "
            "ticket)";
    } else if (!info.resumed && !flags_.wake.no_resume) {
        why = "; no stored session yet";
    }
    log_.event(LogLevel::info, "handshake",
               {{"handshake", report_.handshake},
                {"broker", options_.host + ":" + std::to_string(options_.port)},
                {"protocol", info.protocol},
                {"cipher_suite", info.cipher_suite},
                {"session_problem", report_.session_problem}},
               "TLS %s handshake with %s:%u, %s, %s%s",
               info.resumed ? "resumed (abbreviated)" : "full", options_.host.c_str(),
               static_cast<unsigned>(options_.port), info.protocol, info.cipher_suite, why.c_str());
}

std::optional<int> WakeCycle::connect() {
    const std::string where = options_.host + ":" + std::to_string(options_.port);
    auto connected =
        report_.one_flight ? client_.start_connect(options_) : client_.connect(options_);
    if (!connected) {
        const std::string context = exit_code_for(connected.error()) == exit_tls
                                        ? where + ", CA from --cafile " + flags_.connection.ca_file
                                        : where;
        return fail(connected.error(), context);
    }
    note_tls();
    if (!report_.one_flight) report_.connect_ms = elapsed_ms(started_clock_);
    return std::nullopt;
}

// Queues up to `count` readings behind those already sent. Before each leaves, its packet
// identifier is noted in the outbox (synced), so a crash cannot leak it.
std::optional<int> WakeCycle::queue_readings(std::size_t count) {
    std::uint8_t buffer[max_cli_reading_bytes];
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t position = sent_.size();
        if (position >= node_.outbox().size()) break;
        auto reading = outbox_.outbox().peek(position, mutable_bytes(buffer, sizeof buffer));
        if (!reading) return fail(reading.error(), outbox_context());
        const std::string_view payload(reinterpret_cast<const char*>(reading->payload.data()),
                                       reading->payload.size());
        auto id = client_.publish_queued(node_.telemetry_topic(), payload, qos_);
        if (!id) return fail(id.error(), options_.host + ":" + std::to_string(options_.port));
        // Every reading of the window is noted (the outbox keeps one note per reading), so a
        // crash mid-window resends each under its own identifier instead of duplicating it.
        if (qos_ != mqtt::QoS::at_most_once) {
            if (auto noted = node_.on_reading_sent(reading->seq, *id); !noted) {
                return fail(noted.error(), outbox_context());
            }
        }
        sent_.push_back(Sent{reading->seq, *id});
    }
    return std::nullopt;
}

// Acknowledgements come in the order the readings left; each releases the oldest reading. At
// QoS 0 there are none: a reading is released once the connection was accepted and its bytes
// were handed to the socket.
std::optional<int> WakeCycle::await_acknowledgements() {
    if (qos_ == mqtt::QoS::at_most_once && !sent_.empty()) {
        auto flushed = client_.flush(milliseconds(std::max<std::int64_t>(time_left().millis(), 1)));
        if (!flushed) {
            return fail(flushed.error(), "the readings were not sent; they stay in the outbox");
        }
    }
    for (const Sent& sent : sent_) {
        if (qos_ != mqtt::QoS::at_most_once) {
            auto acked = client_.await_acknowledgement(
                sent.packet_id, milliseconds(std::max<std::int64_t>(time_left().millis(), 1)));
            if (!acked) {
                const Error error = acked.error().code == Errc::io_timed_out
                                        ? Error{Errc::io_timed_out, 0}
                                        : acked.error();
                return fail(error, "seq " + std::to_string(sent.seq) +
                                       " not acknowledged within --wake-deadline; it stays in "
                                       "the outbox for the next wake");
            }
        }
        if (auto released = outbox_.outbox().release(sent.seq); !released) {
            return fail(released.error(), outbox_context());
        }
        if (report_.delivered == 0) report_.first_seq = sent.seq;
        report_.last_seq = sent.seq;
        ++report_.delivered;
    }
    sent_.clear();
    return std::nullopt;
}

int deliver_wake_cycle(WakeCycle& wake) {
    wake.open_session_store();
    if (auto stop = wake.restore_in_flight()) return *stop;
    // QoS 2 readings go one per flight, each noted before it leaves (exactly once after a
    // crash); QoS 0/1 readings go together.
    const std::size_t per_flight =
        wake.qos_ == mqtt::QoS::exactly_once ? 1 : max_readings_per_flight;
    if (auto stop = wake.connect()) return *stop;
    const std::size_t room = per_flight > wake.restored_ ? per_flight - wake.restored_ : 0;
    if (auto stop = wake.queue_readings(room)) return *stop;
    if (wake.report_.one_flight) {
        // CONNACK is awaited at QoS 0 too (the readings already left with CONNECT): a broker
        // that refuses the connection drops them, and they must stay in the outbox then.
        auto finished = wake.client_.finish_connect();
        if (!finished) {
            return *wake.fail(finished.error(), wake.options_.host + ":" +
                                                    std::to_string(wake.options_.port) +
                                                    "; the readings stay in the outbox");
        }
        wake.report_.connect_ms = elapsed_ms(wake.started_clock_);
    }
    // The rest of the outbox, if it did not fit the first flight, within the deadline.
    for (std::size_t round = 0; round <= wake.flags_.outbox.max_records; ++round) {
        if (auto stop = wake.await_acknowledgements()) return *stop;
        if (wake.node_.outbox().size() == 0) break;
        if (wake.time_left().millis() <= 0) {
            return *wake.fail(Error{Errc::io_timed_out, 0},
                              "--wake-deadline reached with readings left for the next wake");
        }
        if (auto stop = wake.queue_readings(per_flight)) return *stop;
    }
    (void)wake.client_.disconnect();
    return exit_ok;
}

void WakeCycle::finish_report(int status) {
    report_.exit_status = status;
    report_.pending = node_.outbox().size();
    report_.dropped = node_.outbox().dropped();
    report_.tls_heap_peak = client_.tls_heap_peak();
    report_.wake_ms = elapsed_ms(started_clock_);
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
        {"delivered", report_.delivered},
        {"first_seq", report_.first_seq},
        {"last_seq", report_.last_seq},
        {"pending", report_.pending},
        {"dropped", report_.dropped},
        {"tls_heap_peak", report_.tls_heap_peak},
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
        status = deliver_wake_cycle(*this);
    }
    if (auto synced = outbox_.outbox().sync(); !synced && status == exit_ok) {
        status = *fail(synced.error(), outbox_context());
    }
    finish_report(status);
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
                {"exit_status", status}},
               "%s: %zu delivered, %zu pending in the outbox, %llu dropped so far, %llu sensor "
               "error(s), TLS %s, TLS heap peak %zu bytes, exit %d",
               status == exit_ok ? "done" : "ended early", report_.delivered, report_.pending,
               static_cast<unsigned long long>(report_.dropped),
               static_cast<unsigned long long>(node_.sensor_errors()), report_.handshake.c_str(),
               report_.tls_heap_peak, status);
    write_report();
    return status;
}

int run_wake_cycle(const NodeFlags& flags, client::ClientOptions options) {
    std::unique_ptr<NodeOutbox> outbox;
    if (const int status = open_node_outbox(flags, outbox); status != exit_ok) return status;
    const node::TelemetryNodeConfig config = node_config_from_flags(flags, *outbox);
    auto node = node::TelemetryNode::create(flags.device_id, config, outbox->outbox());
    if (!node) return report(command_name, node.error(), "--device " + flags.device_id);
    // The MQTT session persists between wakes, so a reading in flight when a wake ended goes
    // out again under the identifier the broker knows. No will and no status messages: a
    // sleeping device is offline by design, and every byte costs battery.
    options.clean_session = false;
    options.will.reset();
    options.session_tickets = flags.wake.resumption == "ticket";
    const auto deadline = milliseconds(std::llround(flags.wake.deadline_s * 1000.0));
    options.connect_timeout = std::min(options.connect_timeout, deadline);
    options.operation_timeout = std::min(options.operation_timeout, deadline);
    WakeCycle wake(flags, std::move(options), *outbox, *node);
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

// Passes the child's output lines on as they come, until it exits or `limit` passes.
bool follow_child(ChildProcess& child, std::chrono::steady_clock::time_point limit) {
    std::vector<std::string> out;
    std::vector<std::string> err;
    for (int round = 0; round < 1'000'000; ++round) {
        pollfd fds[2] = {{child.out().fd(), POLLIN, 0}, {child.err().fd(), POLLIN, 0}};
        const int ready = ::poll(fds, 2, 100);
        if (ready > 0) {
            if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) child.out().read_available(out);
            if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) child.err().read_available(err);
        }
        for (const std::string& line : out) NodeLog::pass_on(line);
        for (const std::string& line : err) std::fprintf(stderr, "%s\n", line.c_str());
        out.clear();
        err.clear();
        std::fflush(stdout);
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
    std::size_t pending = 0;
    nlohmann::json cycles = nlohmann::json::array();

    void add(std::uint32_t cycle, int status, nlohmann::json wake) {
        ++ran;
        const std::string handshake = wake.value("handshake", std::string("none"));
        if (handshake == "resumed") ++resumed;
        if (handshake == "full") ++full;
        if (status != exit_ok) ++failed;
        delivered += wake.value("delivered", std::size_t{0});
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
               {"pending", tally.pending}},
              "%u wake cycle(s): %u resumed, %u full TLS handshake(s), %u ended early; %zu "
              "reading(s) delivered, %zu pending in the outbox",
              tally.ran, tally.resumed, tally.full, tally.failed, tally.delivered, tally.pending);
    if (!flags.wake.report_file.empty()) {
        const nlohmann::json summary = {{"cycles", tally.cycles},       {"resumed", tally.resumed},
                                        {"full", tally.full},           {"failed", tally.failed},
                                        {"delivered", tally.delivered}, {"pending", tally.pending}};
        std::ofstream out(flags.wake.report_file, std::ios::trunc);
        out << summary.dump() << '\n';
    }
    return status;
}

}  // namespace mqtls::cli
