#include "mqtls/testing/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "mqtls/testing/spawn.hpp"

namespace mqtls::testing {

FileDescriptor::~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
}
namespace {

constexpr std::size_t max_output = std::size_t{1024} * 1024;

// Closes a descriptor on scope exit.
class Fd {
public:
    explicit Fd(int fd = -1) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_;
};

// Reads what is available from `fd` into `output` (up to max_output); false at end of file or
// on an error other than EAGAIN/EINTR.
bool read_available(int fd, std::string& output) {
    std::array<char, 4096> buffer{};
    // Bounded: at most 1 MiB plus one buffer per call.
    for (std::size_t round = 0; round < max_output / buffer.size() + 2; ++round) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got > 0) {
            const std::size_t room = max_output - std::min(max_output, output.size());
            output.append(buffer.data(), std::min(room, static_cast<std::size_t>(got)));
            continue;
        }
        if (got == 0) {
            return false;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    return true;
}

}  // namespace

Result<TempDir> TempDir::create(const std::string& prefix, const std::string& parent) {
    if (prefix.find('/') != std::string::npos || parent.empty()) {
        return Errc::invalid_argument;
    }
    std::string pattern = parent + "/" + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        return Error{Errc::file_write_failed, errno};
    }
    return TempDir(std::move(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

TempDir::~TempDir() { remove(); }

void TempDir::remove() noexcept {
    if (!path_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
        path_.clear();
    }
}

namespace {

// Reads the child's output until it has exited and the pipe is drained, or `timeout` passes.
// Returns its wait status, or nullopt if it is still running.
std::optional<int> collect_until_exit(pid_t child, int read_end, std::chrono::milliseconds timeout,
                                      std::string& output) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // After the child exits, a grandchild may still hold the pipe: drain for at most this long.
    constexpr auto drain_limit = std::chrono::milliseconds(500);
    std::optional<int> status;
    std::chrono::steady_clock::time_point exited_at{};
    bool open = true;
    // Bounded by time, not by a count of rounds: a round ends early whenever output arrives, so
    // a program that writes all the time (openssl genpkey's progress dots) used up a round count
    // within a second and was killed as if it had run past `timeout`.
    const auto hard_limit = deadline + drain_limit;
    for (;;) {
        if (open) {
            pollfd entry{read_end, POLLIN, 0};
            ::poll(&entry, 1, 10);
            open = read_available(read_end, output);
        } else if (!status) {
            ::usleep(10 * 1000);
        }
        if (!status) {
            status = try_reap(child);
            if (status) exited_at = std::chrono::steady_clock::now();
        }
        const auto now = std::chrono::steady_clock::now();
        const bool drained = status && (!open || now - exited_at >= drain_limit);
        if (drained || (!status && now >= deadline) || now >= hard_limit) return status;
    }
}

}  // namespace

Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) {
    if (argv.empty()) {
        return Errc::invalid_argument;
    }
    std::array<int, 2> pipe_fds{-1, -1};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
        return Error{Errc::socket_error, errno};
    }
    Fd read_end(pipe_fds[0]);
    Fd write_end(pipe_fds[1]);

    MQTLS_TRY_ASSIGN(const pid_t child, spawn(argv, write_end.get(), true));
    write_end.reset();  // the child holds the only write end now

    ProcessResult result;
    std::optional<int> status = collect_until_exit(child, read_end.get(), timeout, result.output);
    if (!status) {
        result.timed_out = true;
        status = kill_and_reap(child);
        read_available(read_end.get(), result.output);
    }
    const int code = status_code(*status);
    if (code >= 0 && !result.timed_out) {
        result.exit_code = code;
    } else {
        result.exit_code = -1;
        result.signal = code < 0 ? -code : 0;
    }
    return result;
}

bool process_alive(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return false;
    }
    std::string line;
    std::getline(stat, line);
    // "pid (comm) state ...": comm may contain spaces and parentheses, so look after the last ')'.
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) {
        return false;
    }
    const char state = line[close + 2];
    return state != 'Z' && state != 'X';
}

}  // namespace mqtls::testing
