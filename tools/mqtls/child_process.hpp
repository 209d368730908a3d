#pragma once
// Child processes that `mqtls demo` starts and must stop again: each runs in its own process
// group (so a Ctrl-C at the terminal reaches only the demo, which then stops them in order),
// dies with the demo if the demo is killed outright (PR_SET_PDEATHSIG), and has its standard
// output and error on pipes that the demo reads line by line.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mqtls::cli {

/// The output of one child stream, split into lines as bytes arrive.
class LineReader {
public:
    explicit LineReader(int fd) : fd_(fd) {}
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;
    LineReader(LineReader&& other) noexcept;
    LineReader& operator=(LineReader&& other) noexcept;
    ~LineReader();

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] bool open() const noexcept { return fd_ >= 0; }

    /// Reads what is available (call when poll says the fd is readable) and appends each
    /// complete line (without '\n') to `lines`. At end of stream the last partial line is
    /// delivered too and the reader closes.
    void read_available(std::vector<std::string>& lines);

private:
    int fd_ = -1;
    std::string partial_;
};

class ChildProcess {
public:
    /// Starts `argv[0]` (a path) with `argv`. Errors are reported as an errno in `error`.
    static std::optional<ChildProcess> start(const std::vector<std::string>& argv, int& error);

    ChildProcess(ChildProcess&& other) noexcept;
    /// Kills this object's own child first, if it has one still running.
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    /// Stops the child if it is still running (SIGKILL): nothing outlives the demo.
    ~ChildProcess();

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    LineReader& out() noexcept { return out_; }
    LineReader& err() noexcept { return err_; }

    /// Whether the child has exited (reaping it); its status is then in exit_status().
    bool exited();
    /// The exit status as a shell reports it: the code, or 128 + signal.
    [[nodiscard]] int exit_status() const noexcept { return exit_status_; }

    /// Sends SIGTERM, waits up to `grace` for the exit, then SIGKILL. Returns true if the child
    /// stopped within the grace period.
    bool stop(std::chrono::milliseconds grace);

private:
    void kill_and_reap() noexcept;
    ChildProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_(out_fd), err_(err_fd) {}

    pid_t pid_ = -1;
    bool reaped_ = false;
    int exit_status_ = -1;
    LineReader out_;
    LineReader err_;
};

}  // namespace mqtls::cli
