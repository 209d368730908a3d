#include "child_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>

namespace mqtls::cli {
namespace {

// How often stop() looks whether the child has gone.
constexpr std::chrono::milliseconds reap_poll{10};

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

LineReader::LineReader(LineReader&& other) noexcept
    : fd_(other.fd_), partial_(std::move(other.partial_)) {
    other.fd_ = -1;
}

LineReader& LineReader::operator=(LineReader&& other) noexcept {
    if (this != &other) {
        close_fd(fd_);
        fd_ = other.fd_;
        partial_ = std::move(other.partial_);
        other.fd_ = -1;
    }
    return *this;
}

LineReader::~LineReader() { close_fd(fd_); }

void LineReader::read_available(std::vector<std::string>& lines) {
    if (fd_ < 0) return;
    char buffer[4096];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (got <= 0) {
        if (!partial_.empty()) lines.push_back(std::move(partial_));
        partial_.clear();
        close_fd(fd_);
        return;
    }
    partial_.append(buffer, static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t newline = partial_.find('\n'); newline != std::string::npos;
         newline = partial_.find('\n', start)) {
        lines.emplace_back(partial_, start, newline - start);
        start = newline + 1;
    }
    partial_.erase(0, start);
}

std::optional<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv, int& error) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        error = errno;
        return std::nullopt;
    }
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        error = errno;
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return std::nullopt;
    }
    std::vector<char*> arguments;
    arguments.reserve(argv.size() + 1);
    for (const std::string& argument : argv)
        arguments.push_back(const_cast<char*>(argument.c_str()));
    arguments.push_back(nullptr);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = errno;
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
        return std::nullopt;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(1);  // the demo died before the line above
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execv(arguments[0], arguments.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    return ChildProcess(pid, out_pipe[0], err_pipe[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_),
      reaped_(other.reaped_),
      exit_status_(other.exit_status_),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {
    other.pid_ = -1;  // the moved-from object must not kill the child in its destructor
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = other.pid_;
        reaped_ = other.reaped_;
        exit_status_ = other.exit_status_;
        out_ = std::move(other.out_);
        err_ = std::move(other.err_);
        other.pid_ = -1;
    }
    return *this;
}

void ChildProcess::kill_and_reap() noexcept {
    if (pid_ >= 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
    }
}

bool ChildProcess::exited() {
    if (reaped_ || pid_ < 0) return true;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done != pid_) return false;
    reaped_ = true;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
}

bool ChildProcess::stop(std::chrono::milliseconds grace) {
    if (exited()) return true;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (exited()) return true;
        std::this_thread::sleep_for(reap_poll);
    }
    kill_and_reap();
    exit_status_ = 128 + SIGKILL;
    return false;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

}  // namespace mqtls::cli
