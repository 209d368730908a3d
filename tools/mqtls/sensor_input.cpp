#include "sensor_input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include "stop_signal.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How often the wait for a sensor command looks at the child and the stop signal.
constexpr milliseconds command_poll_slice{20};

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// The environment of the command: ours, and the device it reads for.
std::vector<std::string> command_environment(const std::string& device_id) {
    std::vector<std::string> environment;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::strncmp(*entry, "MQTLS_DEVICE=", 13) != 0) environment.emplace_back(*entry);
    }
    environment.push_back("MQTLS_DEVICE=" + device_id);
    return environment;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_command(const char* const* argv, char* const* envp, int out_fd,
                               pid_t parent) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the node died before the line above
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) ::_exit(126);
    if (::dup2(out_fd, STDOUT_FILENO) < 0) ::_exit(126);
    ::execve(argv[0], const_cast<char* const*>(argv), envp);
    ::_exit(127);
}

// The running command: its process group and the read end of its standard output.
class RunningCommand {
public:
    RunningCommand(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
    RunningCommand(const RunningCommand&) = delete;
    RunningCommand& operator=(const RunningCommand&) = delete;
    ~RunningCommand() {
        kill_group();
        reap();
        close_fd(out_fd_);
    }

    // Whether the shell has exited (not reaped yet, so its pid, which is the process group's
    // id, cannot be reused before kill_group() runs).
    bool leader_exited() {
        if (status_known_) return true;
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
            return false;
        }
        if (info.si_pid != pid_) return false;
        status_known_ = true;
        exited_normally_ = info.si_code == CLD_EXITED;
        status_ = info.si_status;
        return true;
    }

    // Reads what is there; false at the end of the output or once it is too long.
    bool read_output(std::string& output) {
        char buffer[1024];
        const ssize_t got = ::read(out_fd_, buffer, sizeof buffer);
        if (got < 0) return errno == EINTR || errno == EAGAIN;
        if (got == 0) return false;
        output.append(buffer, static_cast<std::size_t>(got));
        return output.size() <= max_external_input_bytes;
    }

    [[nodiscard]] int out_fd() const noexcept { return out_fd_; }
    [[nodiscard]] bool exited_normally() const noexcept { return exited_normally_; }
    [[nodiscard]] int status() const noexcept { return status_; }

    void kill_group() {
        if (!reaped_) (void)::kill(-pid_, SIGKILL);
    }
    void reap() {
        if (reaped_) return;
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
    }

private:
    pid_t pid_;
    int out_fd_;
    bool status_known_ = false;
    bool exited_normally_ = false;
    int status_ = 0;
    bool reaped_ = false;
};

std::string seconds_text(milliseconds duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", static_cast<double>(duration.count()) / 1000.0);
    return text;
}

enum class Waited { finished, output_closed_early, too_much_output, timed_out, stopped };

// One look at the open output: nullopt to go on (output_open says whether it still is), else
// how the wait ended.
std::optional<Waited> read_some_output(RunningCommand& running, std::string& output, bool exited,
                                       milliseconds left, bool& output_open) {
    // Once the shell has exited, drain what is buffered without waiting: a background process it
    // left behind may hold the pipe open forever.
    const int wait_ms = exited ? 0 : static_cast<int>(std::min(left, command_poll_slice).count());
    pollfd poll_fd{running.out_fd(), POLLIN, 0};
    if (::poll(&poll_fd, 1, wait_ms) > 0) {
        if (!running.read_output(output)) {
            if (output.size() > max_external_input_bytes) return Waited::too_much_output;
            output_open = false;
        }
        return std::nullopt;
    }
    if (exited) return Waited::output_closed_early;  // nothing more is coming from the shell
    return std::nullopt;
}

// Collects the output until the shell has exited and the output is drained, or a limit hits.
Waited wait_for(RunningCommand& running, std::string& output, steady_clock::time_point deadline) {
    bool output_open = true;
    for (int round = 0; round < 1'000'000; ++round) {
        if (stop_requested() != 0) return Waited::stopped;
        const auto now = steady_clock::now();
        if (now >= deadline) return Waited::timed_out;
        const bool exited = running.leader_exited();
        if (exited && !output_open) return Waited::finished;
        if (!output_open) {
            // The output closed but the shell runs on: wait for it, in slices.
            ::usleep(static_cast<useconds_t>(command_poll_slice.count() * 1000));
            continue;
        }
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
        if (auto ended = read_some_output(running, output, exited, left, output_open)) {
            return *ended;
        }
    }
    return Waited::timed_out;
}

}  // namespace

ExternalReading run_sensor_command(const std::string& command, const std::string& device_id,
                                   milliseconds timeout) {
    ExternalReading reading;
    const std::vector<std::string> environment = command_environment(device_id);
    std::vector<char*> envp;
    envp.reserve(environment.size() + 1);
    for (const std::string& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};

    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        reading.problem = std::string("could not start it: ") + std::strerror(errno);
        return reading;
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        reading.problem = std::string("could not start it: ") + std::strerror(errno);
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return reading;
    }
    if (pid == 0) exec_command(argv, envp.data(), out_pipe[1], parent);
    ::close(out_pipe[1]);
    (void)::setpgid(pid, pid);  // also here, so that kill_group() works whoever runs first
    RunningCommand running(pid, out_pipe[0]);

    std::string output;
    const Waited waited = wait_for(running, output, steady_clock::now() + timeout);
    switch (waited) {
        case Waited::timed_out:
            reading.problem = "did not finish within " + seconds_text(timeout) +
                              " s (--sensor-timeout) and was killed";
            return reading;
        case Waited::too_much_output:
            reading.problem =
                "printed more than " + std::to_string(max_external_input_bytes) + " bytes";
            return reading;
        case Waited::stopped:
            reading.problem = "stopped: the node is shutting down";
            return reading;
        case Waited::finished:
        case Waited::output_closed_early:
            break;
    }
    if (!running.exited_normally()) {
        reading.problem = "was killed by signal " + std::to_string(running.status());
        return reading;
    }
    if (running.status() != 0) {
        reading.problem = "exited with status " + std::to_string(running.status());
        return reading;
    }
    return parse_external_reading(output);
}

void LineInput::add_line(std::string text, std::vector<Line>& lines) {
    ++lines_;
    if (discarding_) {
        discarding_ = false;
        lines.push_back(Line{{}, true, lines_});
        return;
    }
    if (text.find_first_not_of(" \t\r") == std::string::npos) return;
    lines.push_back(Line{std::move(text), false, lines_});
}

std::vector<LineInput::Line> LineInput::read(milliseconds timeout) {
    std::vector<Line> lines;
    if (at_end_) return lines;
    pollfd poll_fd{fd_, POLLIN, 0};
    const int ready =
        ::poll(&poll_fd, 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
    if (ready <= 0) return lines;
    char buffer[4096];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return lines;
    if (got <= 0) {
        // The end (or an error, which ends the input as well).
        at_end_ = true;
        if (!partial_.empty() || discarding_) add_line(std::move(partial_), lines);
        partial_.clear();
        return lines;
    }
    std::size_t start = 0;
    const std::string_view chunk(buffer, static_cast<std::size_t>(got));
    for (std::size_t newline = chunk.find('\n'); newline != std::string_view::npos;
         newline = chunk.find('\n', start)) {
        if (!discarding_) partial_.append(chunk.substr(start, newline - start));
        if (partial_.size() > max_external_input_bytes) discarding_ = true;
        add_line(std::move(partial_), lines);
        partial_.clear();
        start = newline + 1;
    }
    if (!discarding_) partial_.append(chunk.substr(start));
    // Bounded: a line that never ends is cut off here, not kept growing.
    if (partial_.size() > max_external_input_bytes) {
        discarding_ = true;
        partial_.clear();
    }
    return lines;
}

}  // namespace mqtls::cli
