#pragma once
/// @file
/// Child processes on a Linux host: the one fork/exec of mqtls (the CLI's broker, demo and wake
/// cycles, the Mosquitto test fixture and the tests' run_process()). Everything the child needs
/// is prepared before fork(), so that between fork and exec the child makes async-signal-safe
/// calls only. A Process signals and reaps only the child it started, and only until it has
/// reaped it: after that the PID may belong to someone else.
///
///     host::SpawnOptions options;
///     options.argv = {"mosquitto", "-c", config_path};
///     options.output = host::StreamOptions::pipe();
///     options.death_signal = SIGTERM;
///     auto child = host::Process::spawn(options);
///     if (!child) ...;                       // invalid_argument, socket_error (errno)
///     ... poll(child->output_fd()) ...
///     const host::ExitStatus status = child->stop(std::chrono::seconds(3));

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::host {

/// How one standard stream of the child is set up.
enum class StreamSetup : std::uint8_t {
    inherit,  ///< the parent's own descriptor
    null,     ///< /dev/null
    pipe,     ///< a new pipe; the parent's end is Process::input_fd(), output_fd(), error_fd()
    fd,       ///< the descriptor StreamOptions::fd (the parent keeps and closes its own copy)
};

struct StreamOptions {
    StreamSetup setup = StreamSetup::inherit;
    int fd = -1;  ///< with StreamSetup::fd only

    static StreamOptions inherit() noexcept { return {StreamSetup::inherit, -1}; }
    static StreamOptions null() noexcept { return {StreamSetup::null, -1}; }
    static StreamOptions pipe() noexcept { return {StreamSetup::pipe, -1}; }
    static StreamOptions to_fd(int descriptor) noexcept { return {StreamSetup::fd, descriptor}; }
};

/// What to start, and how. The child always starts with an empty signal mask, SIGPIPE at its
/// default action, and no descriptors but 0, 1 and 2 (the others are closed, so a pipe or
/// socket of the parent can neither leak nor be held open by it). Signals the parent catches are
/// reset to their default by exec; ignored ones stay ignored.
struct SpawnOptions {
    /// argv[0] names the program: a path when it contains '/', else the first executable entry
    /// of PATH (find_program()). A program that cannot be executed writes "cannot execute
    /// <argv[0]>" to its standard error and exits with status 127.
    std::vector<std::string> argv;
    /// The child's whole environment as NAME=VALUE entries; nothing: the parent's (environ).
    std::optional<std::vector<std::string>> environment;
    StreamOptions input;
    StreamOptions output;
    StreamOptions error;
    /// The child leads its own process group (set in the child and in the parent, so that
    /// signal_group() works whichever runs first): a Ctrl-C at the terminal then reaches only
    /// the parent, which stops the child in its own time.
    bool own_process_group = false;
    /// The signal the child gets when the parent thread that spawned it dies (PR_SET_PDEATHSIG;
    /// spawn from a thread that outlives the child); 0: none. A child whose parent died before
    /// the signal was armed exits at once with status 126.
    int death_signal = 0;
};

/// How a child ended, from waitpid(2).
struct ExitStatus {
    int wait_status = 0;

    [[nodiscard]] bool exited() const noexcept;
    /// The exit code when it exited, -1 when a signal ended it.
    [[nodiscard]] int code() const noexcept;
    /// The signal that ended it, 0 when it exited.
    [[nodiscard]] int signal() const noexcept;
    /// As a shell reports it: the exit code, or 128 + the signal.
    [[nodiscard]] int shell_status() const noexcept;
    /// The exit code, or minus the signal.
    [[nodiscard]] int code_or_minus_signal() const noexcept;
};

/// The path `program` names: itself when it contains '/' and is executable, else the first
/// executable PATH entry (PATH unset: /usr/bin:/bin; an empty entry: the current directory);
/// empty when there is none.
std::string find_program(const std::string& program);

/// The parent's environment without any entry for `name`, plus "name=value".
std::vector<std::string> environment_with(const std::string& name, const std::string& value);

/// A started child. Move-only; destroying a Process whose child still runs kills it (SIGKILL)
/// and reaps it, so that nothing outlives its owner unattended.
class Process {
public:
    /// Starts a child. Errors: invalid_argument (argv or argv[0] empty, StreamSetup::fd without
    /// a descriptor); socket_error (pipe(2) or fork(2) failed; detail: the errno).
    static Result<Process> spawn(const SpawnOptions& options);

    Process(Process&& other) noexcept;
    /// Kills and reaps this object's own child first, if it still runs.
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    /// The child's PID until it has been reaped or released, then -1.
    [[nodiscard]] pid_t pid() const noexcept { return reaped_ ? -1 : pid_; }
    /// The parent's end of each StreamSetup::pipe stream (-1 otherwise), owned by this object
    /// (close-on-exec) until released.
    [[nodiscard]] int input_fd() const noexcept { return input_fd_; }
    [[nodiscard]] int output_fd() const noexcept { return output_fd_; }
    [[nodiscard]] int error_fd() const noexcept { return error_fd_; }
    /// Hands a pipe end over to the caller, who must close it.
    [[nodiscard]] int release_input_fd() noexcept;
    [[nodiscard]] int release_output_fd() noexcept;
    [[nodiscard]] int release_error_fd() noexcept;
    /// Closes the parent's end of the input pipe (the child reads end of file).
    void close_input() noexcept;

    /// How the child ended, once it has been reaped.
    [[nodiscard]] const std::optional<ExitStatus>& status() const noexcept { return status_; }
    /// Reaps the child if it has exited; its status then, nothing while it runs.
    std::optional<ExitStatus> try_wait() noexcept;
    /// Waits up to `timeout` (looking every 10 ms); nothing when the child still runs then.
    std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout) noexcept;
    /// Waits for the child to exit, however long that takes (EINTR is retried).
    ExitStatus wait() noexcept;

    /// Sends `signal_number` to the child. False (nothing sent) once it has been reaped.
    bool send_signal(int signal_number) noexcept;
    /// Sends `signal_number` to the child's process group (own_process_group only), and so to
    /// its own children as well. False when there is no such group or the child was reaped.
    bool signal_group(int signal_number) noexcept;
    /// SIGTERM, up to `grace` for the child to exit, then SIGKILL; always reaps it.
    ExitStatus stop(std::chrono::milliseconds grace) noexcept;
    /// SIGKILL and reap (at once, if it has already exited).
    ExitStatus kill() noexcept;

    /// Gives up the child without signalling it: the caller must reap the returned PID
    /// (try_reap(), reap()). The pipe ends stay with this object. -1 if already reaped.
    pid_t release() noexcept;

private:
    Process(pid_t pid, bool own_group) noexcept : pid_(pid), own_group_(own_group) {}
    void close_all() noexcept;

    pid_t pid_ = -1;
    bool own_group_ = false;
    bool reaped_ = false;
    std::optional<ExitStatus> status_;
    int input_fd_ = -1;
    int output_fd_ = -1;
    int error_fd_ = -1;
};

/// For a child given up with Process::release(): its status if it has exited (reaping it),
/// nothing while it runs. A PID that is not (or no longer) our child reads as exited (status 0).
std::optional<ExitStatus> try_reap(pid_t pid) noexcept;
/// Waits for such a child to exit and reaps it (EINTR is retried).
ExitStatus reap(pid_t pid) noexcept;

}  // namespace mqtls::host
