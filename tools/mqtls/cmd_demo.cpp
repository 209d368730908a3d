// mqtls demo: the whole system in one command, on loopback. It makes a PKI, starts a TLS-only
// Mosquitto with mutual TLS and per-device ACLs on a free port, a subscriber (the collector) and
// a telemetry node, shows what each of them says, checks every reading that arrives, and stops
// everything it started, by PID, on Ctrl-C or after --duration.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker_connection.hpp"
#include "child_process.hpp"
#include "cli_support.hpp"
#include "mqtls/node/device.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* command_name = "demo";
constexpr const char* collector_id = "collector";
// Bounds on each start-up step and on each child's orderly stop.
constexpr milliseconds pki_step_timeout{30'000};
constexpr milliseconds broker_start_timeout{10'000};
constexpr milliseconds subscribe_timeout{15'000};
constexpr milliseconds node_stop_grace{5'000};
constexpr milliseconds child_stop_grace{3'000};
// After the node stops, how long the subscriber may take to print its last messages.
constexpr milliseconds drain_time{700};
constexpr int poll_slice_ms = 100;

struct DemoFlags {
    std::string workdir;
    double duration_s = 0;
    double interval_s = 2;
    int port = 0;
    std::string device_id = "demo-node-1";
};

std::string own_executable() {
    std::error_code error;
    const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string("mqtls") : path.string();
}

// A loopback port nobody listens on right now (the kernel's choice for port 0).
int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
}

// "mqtls node demo-node-1: published ..." → "published ...": the prefix column says who spoke.
std::string_view without_program_prefix(std::string_view line) {
    if (line.substr(0, 6) != "mqtls ") return line;
    const std::size_t colon = line.find(": ");
    return colon == std::string_view::npos ? line : line.substr(colon + 2);
}

// What the collector saw, from the subscriber's "topic payload" lines.
struct DeliveryCheck {
    long readings = 0;
    long malformed = 0;
    long duplicates = 0;
    long gaps = 0;
    std::int64_t last_seq = 0;
    std::optional<double> first_reading_s;

    // Returns a problem to show, or an empty string when the reading is well-formed.
    std::string record(std::string_view payload, double elapsed_s) {
        const nlohmann::json reading = nlohmann::json::parse(payload, nullptr, false);
        if (reading.is_discarded() || !reading.is_object() || !reading.contains("device") ||
            !reading["device"].is_string() || !reading.contains("seq") ||
            !reading["seq"].is_number_unsigned() || !reading.contains("ts") ||
            !reading["ts"].is_number_integer()) {
            ++malformed;
            return "not a reading {device, seq, ts, ...}";
        }
        ++readings;
        if (!first_reading_s) first_reading_s = elapsed_s;
        const auto seq = reading["seq"].get<std::int64_t>();
        if (seq <= last_seq) {
            ++duplicates;
            return "duplicate seq " + std::to_string(seq);
        }
        if (seq != last_seq + 1) gaps += seq - last_seq - 1;
        last_seq = seq;
        return {};
    }
};

class Demo {
public:
    explicit Demo(const DemoFlags& flags) : flags_(flags), program_(own_executable()) {}
    Demo(const Demo&) = delete;
    Demo& operator=(const Demo&) = delete;
    ~Demo();

    int run();

private:
    int prepare_workdir();
    int make_pki();
    int run_to_completion(const std::vector<std::string>& arguments, const char* label);
    static std::vector<std::string> collect_output(ChildProcess& child);
    int start_broker();
    // One try at starting the broker on port_: nullopt when it should be tried on another port.
    std::optional<int> try_start_broker(bool last_attempt);
    void run_until_stopped(std::optional<std::string>& failure);
    int summarise(const std::optional<std::string>& failure) const;
    int start_subscriber();
    int start_node();
    std::optional<ChildProcess> spawn(const std::vector<std::string>& arguments, const char* label);
    std::vector<std::string> tls_flags(const std::string& identity) const;
    // Reads and prints the children's output for up to `wait`; stops early once `until` holds.
    template <class Condition>
    void pump(milliseconds wait, Condition until);
    struct Stream;
    std::vector<Stream> open_streams();
    // Waits up to poll_slice_ms for output and handles the lines that came.
    void pump_once();
    void handle_line(const char* label, bool from_stdout, const std::string& line);
    std::optional<std::string> child_failure();
    void stop_children();
    void print(const char* label, std::string_view text) const;
    [[nodiscard]] double elapsed_s() const {
        return std::chrono::duration<double>(steady_clock::now() - started_).count();
    }
    [[nodiscard]] std::string pki_file(const std::string& name) const {
        return workdir_ + "/pki/" + name;
    }

    const DemoFlags& flags_;
    std::string program_;
    std::string workdir_;
    bool remove_workdir_ = false;
    int port_ = 0;
    steady_clock::time_point started_ = steady_clock::now();
    std::optional<ChildProcess> broker_;
    std::optional<ChildProcess> subscriber_;
    std::optional<ChildProcess> node_;
    bool subscribed_ = false;
    bool broker_ready_ = false;
    DeliveryCheck delivery_;
};

Demo::~Demo() {
    // Also on an early return from run(); a failure here must not escape a destructor (the
    // children's own destructors still kill them).
    try {
        stop_children();
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
    if (remove_workdir_) {
        std::error_code ignored;
        std::filesystem::remove_all(workdir_, ignored);
    }
}

void Demo::print(const char* label, std::string_view text) const {
    std::printf("%7.3f %-6s %.*s\n", elapsed_s(), label, static_cast<int>(text.size()),
                text.data());
    std::fflush(stdout);
}

int Demo::prepare_workdir() {
    if (!flags_.workdir.empty()) {
        workdir_ = std::filesystem::absolute(flags_.workdir).string();
        std::error_code error;
        std::filesystem::create_directories(workdir_, error);
        if (error) {
            return report(command_name, Error{Errc::file_write_failed, error.value()}, workdir_);
        }
        return exit_ok;
    }
    std::string pattern = std::filesystem::temp_directory_path().string() + "/mqtls-demo-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        return report(command_name, Error{Errc::file_write_failed, errno}, pattern);
    }
    workdir_ = pattern;
    remove_workdir_ = true;
    return exit_ok;
}

std::optional<ChildProcess> Demo::spawn(const std::vector<std::string>& arguments,
                                        const char* label) {
    int error = 0;
    auto child = ChildProcess::start(arguments, error);
    if (!child) {
        report(command_name, Error{Errc::socket_error, error}, std::string("starting ") + label);
    }
    return child;
}

// Everything the child prints until it closes its output, at most pki_step_timeout.
std::vector<std::string> Demo::collect_output(ChildProcess& child) {
    const auto deadline = steady_clock::now() + pki_step_timeout;
    std::vector<std::string> lines;
    while ((child.out().open() || child.err().open()) && steady_clock::now() < deadline) {
        std::array<pollfd, 2> fds{pollfd{child.out().fd(), POLLIN, 0},
                                  pollfd{child.err().fd(), POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), poll_slice_ms) <= 0) continue;
        if (fds[0].revents != 0) child.out().read_available(lines);
        if (fds[1].revents != 0) child.err().read_available(lines);
    }
    return lines;
}

int Demo::run_to_completion(const std::vector<std::string>& arguments, const char* label) {
    auto child = spawn(arguments, label);
    if (!child) return exit_failure;
    const std::vector<std::string> lines = collect_output(*child);
    for (const std::string& line : lines) print(label, without_program_prefix(line));
    child->stop(child_stop_grace);
    if (child->exit_status() != 0) {
        std::fprintf(stderr, "mqtls demo: '%s' failed with status %d\n", arguments[1].c_str(),
                     child->exit_status());
        return child->exit_status() > 0 && child->exit_status() < 128 ? child->exit_status()
                                                                      : exit_failure;
    }
    return exit_ok;
}

int Demo::make_pki() {
    const std::string pki = workdir_ + "/pki";
    const std::vector<std::pair<std::string, std::vector<std::string>>> steps = {
        {"ca.crt", {program_, "pki", "init", pki}},
        {"broker.crt",
         {program_, "pki", "server", pki, "--san", "localhost", "--san", "127.0.0.1"}},
        {flags_.device_id + ".crt", {program_, "pki", "device", pki, flags_.device_id}},
        {std::string(collector_id) + ".crt", {program_, "pki", "device", pki, collector_id}},
    };
    for (const auto& [output, arguments] : steps) {
        std::string path = pki;
        path.append("/").append(output);
        if (std::filesystem::exists(path)) {
            print("pki", "reusing " + path);
            continue;
        }
        if (const int status = run_to_completion(arguments, "pki")) return status;
    }
    return exit_ok;
}

std::vector<std::string> Demo::tls_flags(const std::string& identity) const {
    return {"-h",       "localhost",
            "-p",       std::to_string(port_),
            "--cafile", pki_file("ca.crt"),
            "--cert",   pki_file(identity + ".crt"),
            "--key",    pki_file(identity + ".key")};
}

int Demo::start_broker() {
    // A port found free can be taken before Mosquitto binds it; then another one is tried.
    const int attempts = flags_.port != 0 ? 1 : 3;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        port_ = flags_.port != 0 ? flags_.port : free_loopback_port();
        if (port_ <= 0) {
            return report(command_name, Error{Errc::socket_error, errno}, "finding a free port");
        }
        if (const std::optional<int> status = try_start_broker(attempt == attempts)) {
            return *status;
        }
    }
    return exit_failure;
}

std::optional<int> Demo::try_start_broker(bool last_attempt) {
    broker_ = spawn({program_, "broker", "--pki", workdir_ + "/pki", "--port",
                     std::to_string(port_), "--require-certificate", "--acl-devices", "--collector",
                     collector_id, "--workdir", workdir_ + "/broker"},
                    "broker");
    if (!broker_) return exit_failure;
    // Mosquitto says "mosquitto version ... running" once its listener is open.
    broker_ready_ = false;
    pump(broker_start_timeout, [this] { return broker_ready_ || broker_->exited(); });
    if (broker_ready_) return exit_ok;
    if (auto failure = child_failure()) {
        const bool port_taken = broker_->exit_status() == exit_network;
        if (port_taken && !last_attempt) return std::nullopt;
        std::fprintf(stderr, "mqtls demo: %s\n", failure->c_str());
        return port_taken ? exit_network : exit_failure;
    }
    std::fprintf(stderr,
                 "mqtls demo: the broker did not start listening on 127.0.0.1:%d within "
                 "%lld s\n  hint: see the [broker] lines above\n",
                 port_, static_cast<long long>(broker_start_timeout.count() / 1000));
    return exit_timeout;
}

int Demo::start_subscriber() {
    std::vector<std::string> arguments = {program_, "sub"};
    for (std::string& flag : tls_flags(collector_id)) arguments.push_back(std::move(flag));
    for (const char* extra :
         {"-i", "demo-collector", "-t", "telemetry/#", "-t", "status/#", "-q", "1", "-v", "-d"}) {
        arguments.emplace_back(extra);
    }
    subscriber_ = spawn(arguments, "sub");
    if (!subscriber_) return exit_failure;
    pump(subscribe_timeout, [this] { return subscribed_ || subscriber_->exited(); });
    if (auto failure = child_failure()) {
        std::fprintf(stderr, "mqtls demo: %s\n", failure->c_str());
        return exit_failure;
    }
    if (!subscribed_) {
        std::fprintf(stderr, "mqtls demo: the subscriber did not subscribe within %lld s\n",
                     static_cast<long long>(subscribe_timeout.count() / 1000));
        return exit_timeout;
    }
    return exit_ok;
}

int Demo::start_node() {
    std::vector<std::string> arguments = {program_, "node"};
    for (std::string& flag : tls_flags(flags_.device_id)) arguments.push_back(std::move(flag));
    char interval[32];
    std::snprintf(interval, sizeof interval, "%g", flags_.interval_s);
    for (const std::string& extra :
         {std::string("--device"), flags_.device_id, std::string("--interval"),
          std::string(interval), std::string("--retry-base"), std::string("1"),
          // The demo puts its own relative time in front of every line.
          std::string("--no-timestamps")}) {
        arguments.push_back(extra);
    }
    node_ = spawn(arguments, "node");
    return node_ ? exit_ok : exit_failure;
}

void Demo::handle_line(const char* label, bool from_stdout, const std::string& line) {
    const std::string_view text = without_program_prefix(line);
    if (label == std::string_view("sub") && !from_stdout &&
        text.find("subscribed to") != std::string_view::npos) {
        subscribed_ = true;
    }
    if (label == std::string_view("broker") &&
        text.find("mosquitto version") != std::string::npos &&
        text.find(" running") != std::string_view::npos) {
        broker_ready_ = true;
    }
    print(label, text);
    if (label != std::string_view("sub") || !from_stdout) return;
    // "-v" lines: "<topic> <payload>"
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || line.compare(0, 10, "telemetry/") != 0) return;
    const bool first = !delivery_.first_reading_s;
    const std::string problem =
        delivery_.record(std::string_view(line).substr(space + 1), elapsed_s());
    if (!problem.empty()) {
        print("demo", "PROBLEM: " + problem);
    } else if (first) {
        char note[96];
        std::snprintf(note, sizeof note, "first reading delivered %.0f ms after the demo started",
                      *delivery_.first_reading_s * 1000);
        print("demo", note);
    }
}

// One output stream of a child, for poll().
struct Demo::Stream {
    const char* label;
    LineReader* reader;
    bool is_stdout;
};

std::vector<Demo::Stream> Demo::open_streams() {
    std::vector<Stream> streams;
    const std::pair<const char*, std::optional<ChildProcess>*> children[] = {
        {"broker", &broker_}, {"sub", &subscriber_}, {"node", &node_}};
    for (const auto& [label, child] : children) {
        if (!*child) continue;
        if ((*child)->out().open()) streams.push_back({label, &(*child)->out(), true});
        if ((*child)->err().open()) streams.push_back({label, &(*child)->err(), false});
    }
    return streams;
}

void Demo::pump_once() {
    const std::vector<Stream> streams = open_streams();
    if (streams.empty()) {
        ::usleep(poll_slice_ms * 1000);
        return;
    }
    std::vector<pollfd> fds;
    fds.reserve(streams.size());
    for (const Stream& stream : streams) fds.push_back({stream.reader->fd(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), poll_slice_ms) <= 0) return;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        std::vector<std::string> lines;
        streams[i].reader->read_available(lines);
        for (const std::string& line : lines) {
            handle_line(streams[i].label, streams[i].is_stdout, line);
        }
    }
}

template <class Condition>
void Demo::pump(milliseconds wait, Condition until) {
    const auto deadline = steady_clock::now() + wait;
    while (steady_clock::now() < deadline && !until()) pump_once();
}

// A child that exited while it should be running, described for the user.
std::optional<std::string> Demo::child_failure() {
    const std::pair<const char*, std::optional<ChildProcess>*> children[] = {
        {"broker", &broker_}, {"subscriber", &subscriber_}, {"node", &node_}};
    for (const auto& [label, child] : children) {
        if (*child && (*child)->exited()) {
            return std::string("the ") + label + " (pid " + std::to_string((*child)->pid()) +
                   ") exited with status " + std::to_string((*child)->exit_status()) +
                   "; see its lines above";
        }
    }
    return std::nullopt;
}

void Demo::stop_children() {
    // Node first (it publishes its retained "offline" and disconnects), then the collector once
    // it has printed what was still on its way, then the broker.
    if (node_) {
        if (!node_->exited())
            print("demo", "stopping node (pid " + std::to_string(node_->pid()) + ")");
        node_->stop(node_stop_grace);
        pump(drain_time, [] { return false; });
    }
    if (subscriber_) {
        if (!subscriber_->exited()) {
            print("demo", "stopping subscriber (pid " + std::to_string(subscriber_->pid()) + ")");
        }
        subscriber_->stop(child_stop_grace);
    }
    if (broker_) {
        if (!broker_->exited()) {
            print("demo", "stopping broker (pid " + std::to_string(broker_->pid()) + ")");
        }
        broker_->stop(child_stop_grace);
        pump(milliseconds(poll_slice_ms), [] { return false; });
    }
    node_.reset();
    subscriber_.reset();
    broker_.reset();
}

int Demo::run() {
    install_stop_signal_handlers();
    if (const int status = prepare_workdir()) return status;
    print("demo", "working folder " + workdir_ +
                      (remove_workdir_ ? " (removed at the end; keep it with --workdir DIR)" : ""));
    if (const int status = make_pki()) return status;
    if (const int status = start_broker()) return status;
    print("demo", "broker on 127.0.0.1:" + std::to_string(port_) +
                      ": TLS only, client certificates required, devices may write only their "
                      "own topics");
    if (const int status = start_subscriber()) return status;
    if (const int status = start_node()) return status;
    const bool bounded = flags_.duration_s > 0;
    print("demo", bounded ? "running for " + std::to_string(std::lround(flags_.duration_s)) + " s"
                          : std::string("running; press Ctrl-C to stop"));
    std::optional<std::string> failure;
    run_until_stopped(failure);
    stop_children();
    return summarise(failure);
}

void Demo::run_until_stopped(std::optional<std::string>& failure) {
    const bool bounded = flags_.duration_s > 0;
    const auto end = steady_clock::now() + milliseconds(std::llround(flags_.duration_s * 1000));
    // Bounded by --duration (or by a stop signal); each turn by poll_slice_ms.
    while (stop_requested() == 0 && (!bounded || steady_clock::now() < end)) {
        pump(milliseconds(poll_slice_ms), [] { return false; });
        failure = child_failure();
        if (failure) return;
    }
}

int Demo::summarise(const std::optional<std::string>& failure) const {
    const DeliveryCheck& seen = delivery_;
    std::printf(
        "mqtls demo: %ld reading(s) delivered over TLS (last seq %lld), %ld malformed, %ld "
        "duplicate(s), %ld missing; first one %.0f ms after start. All processes stopped.\n",
        seen.readings, static_cast<long long>(seen.last_seq), seen.malformed, seen.duplicates,
        seen.gaps, seen.first_reading_s ? *seen.first_reading_s * 1000 : -1.0);
    if (failure) {
        std::fprintf(stderr, "mqtls demo: %s\n", failure->c_str());
        return exit_failure;
    }
    if (seen.readings == 0 || seen.malformed != 0) {
        std::fprintf(stderr, "mqtls demo: %s\n  hint: see the [node] and [sub] lines above\n",
                     seen.readings == 0 ? "no reading arrived" : "malformed readings arrived");
        return exit_failure;
    }
    return exit_ok;
}

int run_demo(const DemoFlags& flags) {
    if (!(flags.interval_s >= 0.01)) {
        return usage_error(command_name, "--interval must be at least 0.01 seconds",
                           "e.g. --interval 2");
    }
    if (auto valid = node::validate_device_id(flags.device_id); !valid) {
        return usage_error(command_name, "--device is not a usable device id",
                           "use 1-64 characters of A-Z a-z 0-9 . _ -");
    }
    if (flags.duration_s < 0) {
        return usage_error(command_name, "--duration must not be negative",
                           "0 (the default) runs until Ctrl-C");
    }
    Demo demo(flags);
    return demo.run();
}

}  // namespace

void register_demo_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<DemoFlags>();
    CLI::App* demo = app.add_subcommand(
        "demo",
        "The whole system on loopback, in one command: a PKI (ECDSA P-256 root CA, broker and "
        "device certificates), a TLS-only Mosquitto with mutual TLS and per-device ACLs on a "
        "free port, a telemetry node with a simulated sensor, and a subscriber that shows the "
        "readings arriving (each checked as JSON). Ctrl-C or --duration stops everything.");
    demo->add_option("--duration", flags->duration_s, "stop after this many seconds (0: Ctrl-C)");
    demo->add_option("--interval", flags->interval_s, "seconds between the node's readings")
        ->capture_default_str();
    demo->add_option("--workdir", flags->workdir,
                     "keep the PKI, broker configuration and logs in this folder (reused next "
                     "time); default: a temporary folder removed at the end");
    demo->add_option("--port", flags->port, "broker TLS port on 127.0.0.1 (default: a free one)")
        ->check(CLI::Range(1, 65535));
    demo->add_option("--device", flags->device_id, "the node's device id")->capture_default_str();
    demo->footer(
        "Exit status 0 when readings arrived and all were well-formed; 1 otherwise, or when a "
        "part stopped early (its status and output are shown); 4 when the port is taken.");
    demo->callback([flags, &exit_status] { exit_status = run_demo(*flags); });
}

}  // namespace mqtls::cli
