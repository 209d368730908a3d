#pragma once
/// @file
/// Starting and reaping child processes in tests by PID: the broker fixture, run_process(), and
/// tests that must kill a program they started (fault tests). A thin layer over the shared
/// host::Process (host/process.hpp), which does the fork and exec.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::testing {

/// The path of `program`: itself when it contains '/', else the first executable PATH entry;
/// empty when not found.
std::string find_program(const std::string& program);

/// Forks and executes argv (argv[0] looked up with find_program()) with standard input /dev/null,
/// standard output and error on `output_fd`, the signal mask cleared, and no other descriptors.
/// With `die_with_parent`, the child gets PR_SET_PDEATHSIG = SIGTERM. A program that cannot be
/// executed exits with status 127 after writing a line to `output_fd`.
/// Errors: invalid_argument (argv empty, output_fd negative), socket_error (fork failed; detail:
/// the errno).
Result<pid_t> spawn(const std::vector<std::string>& argv, int output_fd, bool die_with_parent);

/// Waits until `pid` exits or `timeout` passes, polling every 10 ms; the wait status once it has
/// exited (and has been reaped), nothing on timeout.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

/// The wait status if `pid` has exited (reaping it), nothing while it runs.
std::optional<int> try_reap(pid_t pid);

/// Sends SIGKILL and reaps `pid`.
int kill_and_reap(pid_t pid) noexcept;

/// The exit status for WIFEXITED, minus the signal number for WIFSIGNALED.
int status_code(int wait_status) noexcept;

}  // namespace mqtls::testing
