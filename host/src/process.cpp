#include "mqtls/host/process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace mqtls::host {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(10);
// waitpid(2) is retried this often on EINTR before a wait gives up for this round.
constexpr int eintr_retries = 100;

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

int take_fd(int& fd) noexcept {
    const int taken = fd;
    fd = -1;
    return taken;
}

// NAME=VALUE strings and the null-terminated pointer array execve(2) wants, made before fork.
class CStringArray {
public:
    explicit CStringArray(std::vector<std::string> strings) : strings_(std::move(strings)) {
        pointers_.reserve(strings_.size() + 1);
        for (std::string& entry : strings_) pointers_.push_back(entry.data());
        pointers_.push_back(nullptr);
    }
    CStringArray(const CStringArray&) = delete;
    CStringArray& operator=(const CStringArray&) = delete;
    [[nodiscard]] char* const* get() const noexcept { return pointers_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> pointers_;
};

// The descriptors of the three standard streams: the child's side (dup2'ed onto 0, 1, 2 in the
// child; -1: inherit, or /dev/null with `null`) and the parent's end of each pipe.
struct Streams {
    std::array<int, 3> child{-1, -1, -1};
    std::array<bool, 3> null{false, false, false};
    std::array<int, 3> parent{-1, -1, -1};
    std::array<bool, 3> child_owned{false, false, false};  // pipe ends the parent must close

    void close_child_ends() noexcept {
        for (std::size_t i = 0; i < 3; ++i) {
            if (child_owned[i]) close_fd(child[i]);
        }
    }
    void close_all() noexcept {
        close_child_ends();
        for (int& fd : parent) close_fd(fd);
    }
};

// Sets up stream `index` (0 in, 1 out, 2 err) as `options` asks. Errors: those of spawn().
Result<void> prepare_stream(std::size_t index, const StreamOptions& options, Streams& streams) {
    switch (options.setup) {
        case StreamSetup::inherit:
            return ok();
        case StreamSetup::null:
            streams.null[index] = true;
            return ok();
        case StreamSetup::fd:
            if (options.fd < 0) return Errc::invalid_argument;
            streams.child[index] = options.fd;
            return ok();
        case StreamSetup::pipe:
            break;
    }
    std::array<int, 2> ends{-1, -1};
    if (::pipe2(ends.data(), O_CLOEXEC) != 0) return Error{Errc::socket_error, errno};
    // The child reads standard input from the read end; it writes output into the write end.
    const bool child_reads = index == 0;
    streams.child[index] = child_reads ? ends[0] : ends[1];
    streams.parent[index] = child_reads ? ends[1] : ends[0];
    streams.child_owned[index] = true;
    return ok();
}

// Async-signal-safe: writes a NUL-terminated text, at most 4 KiB, in a bounded number of rounds.
void write_text(int fd, const char* text) noexcept {
    std::size_t length = ::strnlen(text, 4096);
    for (int round = 0; round < 64 && length > 0; ++round) {
        const ssize_t written = ::write(fd, text, length);
        if (written <= 0) return;
        text += written;
        length -= static_cast<std::size_t>(written);
    }
}

// Closes every descriptor from 3 up, with close_range(2) when the kernel has it.
void close_other_descriptors() noexcept {
#if defined(SYS_close_range)
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    long limit = ::sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = 3; fd < limit; ++fd) ::close(fd);
}

// In the child: puts the stream descriptors onto 0, 1 and 2. Each source is first copied above
// 2, so that one stream's source cannot be overwritten by an earlier dup2 (e.g. error to the
// parent's 1 while output goes into a pipe). False on failure.
bool install_streams(const Streams& streams) noexcept {
    std::array<int, 3> sources{-1, -1, -1};
    for (std::size_t i = 0; i < 3; ++i) {
        int source = streams.child[i];
        if (streams.null[i]) source = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (source < 0 && streams.null[i]) return false;
        if (source >= 0) sources[i] = ::fcntl(source, F_DUPFD_CLOEXEC, 3);
        if (source >= 0 && sources[i] < 0) return false;
    }
    for (int target = 0; target < 3; ++target) {
        const int source = sources[static_cast<std::size_t>(target)];
        if (source >= 0 && ::dup2(source, target) < 0) return false;  // dup2 clears CLOEXEC
    }
    return true;
}

// Everything the child uses, made before fork().
struct ChildPlan {
    const char* path;
    char* const* argv;
    char* const* envp;
    const char* name;  // argv[0], for the message when it cannot be executed
    const Streams* streams;
    int death_signal;
    bool own_group;
    pid_t parent;
};

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void run_child(const ChildPlan& plan) noexcept {
    if (plan.death_signal != 0) {
        ::prctl(PR_SET_PDEATHSIG, plan.death_signal);
        if (::getppid() != plan.parent) ::_exit(126);  // the parent died before prctl took effect
    }
    if (plan.own_group) ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);
    if (!install_streams(*plan.streams)) ::_exit(126);
    close_other_descriptors();
    if (plan.path[0] != '\0') ::execve(plan.path, plan.argv, plan.envp);
    write_text(STDERR_FILENO, "cannot execute ");
    write_text(STDERR_FILENO, plan.name);
    write_text(STDERR_FILENO, "\n");
    ::_exit(127);
}

std::vector<std::string> parent_environment() {
    std::vector<std::string> entries;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        entries.emplace_back(*entry);
    }
    return entries;
}

bool is_executable_file(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

bool ExitStatus::exited() const noexcept { return WIFEXITED(wait_status); }

int ExitStatus::code() const noexcept { return exited() ? WEXITSTATUS(wait_status) : -1; }

int ExitStatus::signal() const noexcept {
    return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
}

int ExitStatus::shell_status() const noexcept { return exited() ? code() : 128 + signal(); }

int ExitStatus::code_or_minus_signal() const noexcept {
    if (exited()) return code();
    return signal() != 0 ? -signal() : -1;
}

std::string find_program(const std::string& program) {
    if (program.empty()) return {};
    if (program.find('/') != std::string::npos) {
        return is_executable_file(program) ? program : std::string{};
    }
    const char* path_variable = std::getenv("PATH");
    const std::string search = path_variable != nullptr ? path_variable : "/usr/bin:/bin";
    std::size_t begin = 0;
    // Bounded by the number of ':'-separated entries.
    while (begin <= search.size()) {
        std::size_t end = search.find(':', begin);
        if (end == std::string::npos) end = search.size();
        std::string candidate = end > begin ? search.substr(begin, end - begin) : ".";
        candidate.append("/").append(program);
        if (is_executable_file(candidate)) return candidate;
        begin = end + 1;
    }
    return {};
}

std::vector<std::string> environment_with(const std::string& name, const std::string& value) {
    const std::string prefix = name + "=";
    std::vector<std::string> entries;
    for (std::string& entry : parent_environment()) {
        if (entry.compare(0, prefix.size(), prefix) != 0) entries.push_back(std::move(entry));
    }
    entries.push_back(prefix + value);
    return entries;
}

Result<Process> Process::spawn(const SpawnOptions& options) {
    if (options.argv.empty() || options.argv[0].empty()) return Errc::invalid_argument;
    Streams streams;
    const std::array<const StreamOptions*, 3> setups{&options.input, &options.output,
                                                     &options.error};
    for (std::size_t i = 0; i < setups.size(); ++i) {
        if (auto prepared = prepare_stream(i, *setups[i], streams); !prepared) {
            streams.close_all();
            return prepared.error();
        }
    }
    const std::string path = find_program(options.argv[0]);
    const CStringArray argv(options.argv);
    const CStringArray envp(options.environment ? *options.environment : parent_environment());
    const ChildPlan plan{path.c_str(),
                         argv.get(),
                         envp.get(),
                         argv.get()[0],
                         &streams,
                         options.death_signal,
                         options.own_process_group,
                         ::getpid()};

    const pid_t child = ::fork();
    if (child < 0) {
        const int saved = errno;
        streams.close_all();
        return Error{Errc::socket_error, saved};
    }
    if (child == 0) run_child(plan);
    streams.close_child_ends();
    // Also here, so that signal_group() works before the child has run setpgid itself.
    if (options.own_process_group) (void)::setpgid(child, child);
    Process process(child, options.own_process_group);
    process.input_fd_ = streams.parent[0];
    process.output_fd_ = streams.parent[1];
    process.error_fd_ = streams.parent[2];
    return process;
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_),
      own_group_(other.own_group_),
      reaped_(other.reaped_),
      status_(other.status_),
      input_fd_(take_fd(other.input_fd_)),
      output_fd_(take_fd(other.output_fd_)),
      error_fd_(take_fd(other.error_fd_)) {
    other.reaped_ = true;  // the moved-from object must not kill the child in its destructor
}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        if (!reaped_) (void)kill();
        close_all();
        pid_ = other.pid_;
        own_group_ = other.own_group_;
        reaped_ = other.reaped_;
        status_ = other.status_;
        input_fd_ = take_fd(other.input_fd_);
        output_fd_ = take_fd(other.output_fd_);
        error_fd_ = take_fd(other.error_fd_);
        other.reaped_ = true;
    }
    return *this;
}

Process::~Process() {
    if (!reaped_) (void)kill();
    close_all();
}

void Process::close_all() noexcept {
    close_fd(input_fd_);
    close_fd(output_fd_);
    close_fd(error_fd_);
}

int Process::release_input_fd() noexcept { return take_fd(input_fd_); }
int Process::release_output_fd() noexcept { return take_fd(output_fd_); }
int Process::release_error_fd() noexcept { return take_fd(error_fd_); }
void Process::close_input() noexcept { close_fd(input_fd_); }

std::optional<ExitStatus> Process::try_wait() noexcept {
    if (reaped_) return status_;
    auto status = try_reap(pid_);
    if (status) {
        reaped_ = true;
        status_ = status;
    }
    return status;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto rounds = timeout / poll_interval + 2;
    for (long long round = 0; round < rounds; ++round) {
        if (auto status = try_wait()) return status;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(poll_interval);
    }
    return std::nullopt;
}

ExitStatus Process::wait() noexcept {
    if (!reaped_) {
        status_ = reap(pid_);
        reaped_ = true;
    }
    return status_.value_or(ExitStatus{});
}

bool Process::send_signal(int signal_number) noexcept {
    return !reaped_ && pid_ > 0 && ::kill(pid_, signal_number) == 0;
}

bool Process::signal_group(int signal_number) noexcept {
    // An unreaped leader keeps its PID, and so the group's id, from being reused.
    return own_group_ && !reaped_ && pid_ > 0 && ::kill(-pid_, signal_number) == 0;
}

ExitStatus Process::stop(std::chrono::milliseconds grace) noexcept {
    if (auto status = try_wait()) return *status;
    (void)send_signal(SIGTERM);
    if (auto status = wait_for(grace)) return *status;
    return kill();
}

ExitStatus Process::kill() noexcept {
    if (!reaped_ && !try_wait()) (void)::kill(pid_, SIGKILL);
    return wait();
}

pid_t Process::release() noexcept {
    if (reaped_) return -1;
    reaped_ = true;  // no longer ours to signal or reap
    return pid_;
}

std::optional<ExitStatus> try_reap(pid_t pid) noexcept {
    int status = 0;
    for (int attempt = 0; attempt < eintr_retries; ++attempt) {
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) return ExitStatus{status};
        if (reaped == 0) return std::nullopt;
        // ECHILD: not our child (any more); report it as gone.
        if (errno != EINTR) return ExitStatus{0};
    }
    return std::nullopt;
}

ExitStatus reap(pid_t pid) noexcept {
    int status = 0;
    // Bounded only by the child: this is the blocking wait. EINTR (a signal we forward) retries.
    for (;;) {
        const pid_t reaped = ::waitpid(pid, &status, 0);
        if (reaped == pid) return ExitStatus{status};
        if (reaped < 0 && errno != EINTR) return ExitStatus{0};
    }
}

}  // namespace mqtls::host
