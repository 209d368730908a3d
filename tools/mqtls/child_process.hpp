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

#include "mqtls/host/process.hpp"

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

/// A child of the demo or of the wake-cycle driver, over the shared host::Process.
class ChildProcess {
public:
    /// Starts `argv[0]` (a path, or a program in PATH) with `argv`. Errors are reported as an
    /// errno in `error`.
    static std::optional<ChildProcess> start(const std::vector<std::string>& argv, int& error);

    [[nodiscard]] pid_t pid() const noexcept { return process_.pid(); }
    LineReader& out() noexcept { return out_; }
    LineReader& err() noexcept { return err_; }

    /// Whether the child has exited (reaping it); its status is then in exit_status().
    bool exited() { return process_.try_wait().has_value(); }
    /// The exit status as a shell reports it: the code, or 128 + signal; -1 while it runs.
    [[nodiscard]] int exit_status() const noexcept {
        return process_.status() ? process_.status()->shell_status() : -1;
    }

    /// Sends SIGTERM, waits up to `grace` for the exit, then SIGKILL. Returns true if the child
    /// stopped within the grace period.
    bool stop(std::chrono::milliseconds grace);

private:
    explicit ChildProcess(host::Process process)
        : process_(std::move(process)),
          out_(process_.release_output_fd()),
          err_(process_.release_error_fd()) {}

    // Declared first: destroyed last, after the readers have closed their ends. Its destructor
    // stops the child if it is still running (SIGKILL): nothing outlives the demo.
    host::Process process_;
    LineReader out_;
    LineReader err_;
};

}  // namespace mqtls::cli
