#include "mqtls/testing/spawn.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <thread>

extern char** environ;

namespace mqtls::testing {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(10);

void write_all(int fd, const char* text) noexcept {
    std::size_t length = 0;
    while (text[length] != '\0' && length < 4096) {
        ++length;
    }
    // Bounded: each round writes at least one byte or gives up.
    for (int round = 0; round < 64 && length > 0; ++round) {
        const ssize_t written = ::write(fd, text, length);
        if (written <= 0) {
            return;
        }
        text += written;
        length -= static_cast<std::size_t>(written);
    }
}

// Closes every descriptor from 3 up, with close_range(2) when the kernel has it.
void close_other_descriptors() noexcept {
#if defined(SYS_close_range)
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) {
        return;
    }
#endif
    long limit = ::sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) {
        limit = 65536;
    }
    for (int fd = 3; fd < limit; ++fd) {
        ::close(fd);
    }
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const char* path, char* const* argv, int output_fd,
                             bool die_with_parent, pid_t parent) noexcept {
    if (die_with_parent) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {  // the parent died before prctl took effect
            ::_exit(126);
        }
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);

    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(output_fd, STDOUT_FILENO) < 0 ||
        ::dup2(output_fd, STDERR_FILENO) < 0) {
        ::_exit(126);
    }
    close_other_descriptors();
    if (path[0] != '\0') {
        ::execve(path, argv, environ);
    }
    write_all(STDERR_FILENO, "mqtls::testing: cannot execute ");
    write_all(STDERR_FILENO, argv[0]);
    write_all(STDERR_FILENO, "\n");
    ::_exit(127);
}

}  // namespace

std::string find_program(const std::string& program) {
    if (program.empty()) {
        return {};
    }
    if (program.find('/') != std::string::npos) {
        return program;
    }
    const char* path_variable = std::getenv("PATH");
    const std::string search = path_variable != nullptr ? path_variable : "/usr/bin:/bin";
    std::size_t begin = 0;
    // Bounded by the number of ':'-separated entries.
    while (begin <= search.size()) {
        std::size_t end = search.find(':', begin);
        if (end == std::string::npos) {
            end = search.size();
        }
        std::string candidate = end > begin ? search.substr(begin, end - begin) : ".";
        candidate += '/';
        candidate += program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        begin = end + 1;
    }
    return {};
}

Result<pid_t> spawn(const std::vector<std::string>& argv, int output_fd, bool die_with_parent) {
    if (argv.empty() || argv[0].empty()) {
        return Errc::invalid_argument;
    }
    // Everything the child uses is prepared here: no allocation after fork.
    const std::string path = find_program(argv[0]);
    std::vector<std::string> arguments = argv;
    std::vector<char*> pointers;
    pointers.reserve(arguments.size() + 1);
    for (auto& argument : arguments) {
        pointers.push_back(argument.data());
    }
    pointers.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t child = ::fork();
    if (child < 0) {
        return Error{Errc::socket_error, errno};
    }
    if (child == 0) {
        exec_child(path.c_str(), pointers.data(), output_fd, die_with_parent, parent);
    }
    return child;
}

std::optional<int> try_reap(pid_t pid) {
    int status = 0;
    // Bounded: retries only on EINTR.
    for (int attempt = 0; attempt < 100; ++attempt) {
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) {
            return status;
        }
        if (reaped == 0) {
            return std::nullopt;
        }
        if (errno != EINTR) {
            // ECHILD: already reaped by someone else; report it as gone.
            return 0;
        }
    }
    return std::nullopt;
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto rounds = timeout / poll_interval + 2;
    for (long long round = 0; round < rounds; ++round) {
        if (auto status = try_reap(pid)) {
            return status;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            break;
        }
        std::this_thread::sleep_for(poll_interval);
    }
    return std::nullopt;
}

int kill_and_reap(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    int status = 0;
    // A SIGKILLed child exits at once; retry only on EINTR, a bounded number of times.
    for (int attempt = 0; attempt < 100; ++attempt) {
        const pid_t reaped = ::waitpid(pid, &status, 0);
        if (reaped == pid || errno != EINTR) {
            break;
        }
    }
    return status;
}

int status_code(int wait_status) noexcept {
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    if (WIFSIGNALED(wait_status)) {
        return -WTERMSIG(wait_status);
    }
    return -1;
}

}  // namespace mqtls::testing
