#pragma once
/// @file
/// Running the built `mqtls` (and mosquitto_pub, openssl, sh, ...) the way a user runs it, with a
/// time limit, in the foreground or on a thread of its own.
///
///     const ProcessResult help = run_mqtls({"pub", "--help"});
///     EXPECT_EQ(help.exit_code, 0) << help.output;
///     BackgroundRun subscriber(concat(mqtls_command("sub", broker, user, password), {"-C", "1"}));
///     ...
///     EXPECT_EQ(subscriber.result().exit_code, 0);
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mqtls/testing/process.hpp"

namespace mqtls::cli_test {

using testing::ProcessResult;
using Arguments = std::vector<std::string>;

/// The exit codes README.md documents (tools/mqtls/cli_support.hpp), written out here so that a
/// change of the program's numbers fails the tests instead of moving with them.
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_file = 3;
inline constexpr int exit_network = 4;
inline constexpr int exit_tls = 5;
inline constexpr int exit_refused = 6;
inline constexpr int exit_timeout = 7;

/// How long a program run by a test may take unless the test says otherwise.
inline constexpr std::chrono::milliseconds default_program_timeout{20000};

/// `first` followed by `second`.
Arguments concat(Arguments first, const Arguments& second);
/// The built mqtls binary (MQTLS_CLI_PATH) followed by `arguments`, e.g. mqtls({"pki", "init"}).
Arguments mqtls(Arguments arguments);

/// Runs `arguments` (argv[0] looked up in PATH) with standard input /dev/null, at most `timeout`
/// (then killed). Fails the test (non-fatally) when it could not be started at all, and returns
/// an empty result (exit_code -1) then.
ProcessResult run_program(const Arguments& arguments,
                          std::chrono::milliseconds timeout = default_program_timeout);
/// run_program(mqtls(arguments), timeout).
ProcessResult run_mqtls(Arguments arguments,
                        std::chrono::milliseconds timeout = default_program_timeout);

/// `argument` in single quotes for sh, any single quote inside escaped.
std::string shell_quote(const std::string& argument);
/// "exec 'arg0' 'arg1' ...": `arguments` as one command for sh -c, e.g. to pipe into it.
std::string shell_command(const Arguments& arguments);

/// Where run_redirected() connects a program's standard streams; an empty path keeps the default
/// of run_program(): /dev/null for input, output and error collected in ProcessResult::output.
struct Redirects {
    std::string input;   ///< standard input read from this file
    std::string output;  ///< standard output written to this file (created or truncated)
    std::string error;   ///< standard error written to this file (created or truncated)
};

/// Standard input read from `input_path`.
Redirects input_from(std::string input_path);
/// Standard output, and standard error unless `error_path` is empty, written to files.
Redirects output_to(std::string output_path, std::string error_path = {});
/// Standard error alone written to a file (standard output is collected).
Redirects error_to(std::string error_path);

/// Runs `arguments` through sh with the given redirections, at most `timeout`. The arguments
/// reach the program unchanged (sh passes them on as positional parameters, any byte but NUL).
/// Receivers of large messages write to files: run_process() keeps at most 1 MiB of output.
ProcessResult run_redirected(const Arguments& arguments, const Redirects& redirects,
                             std::chrono::milliseconds timeout = default_program_timeout);

/// A job on a thread of its own, e.g. a subscriber that must be running while the test
/// publishes; result() waits for it to end. The destructor waits too, so a job never outlives
/// the test: every job must end by itself (programs run with a time limit).
template <typename Result>
class BackgroundJob {
public:
    explicit BackgroundJob(std::function<Result()> job)
        : thread_([this, job = std::move(job)] { result_ = job(); }) {}
    ~BackgroundJob() {
        if (thread_.joinable()) thread_.join();
    }
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;
    BackgroundJob(BackgroundJob&&) = delete;
    BackgroundJob& operator=(BackgroundJob&&) = delete;

    /// What the job returned, once it has ended.
    const Result& result() {
        if (thread_.joinable()) thread_.join();
        return result_;
    }

private:
    Result result_{};  // before thread_: the thread writes it
    std::thread thread_;
};

/// A program run in the background by run_program(), or by run_redirected() when its output goes
/// to files; out() and err() read those files (also while it runs).
class BackgroundRun : public BackgroundJob<ProcessResult> {
public:
    explicit BackgroundRun(Arguments arguments,
                           std::chrono::milliseconds timeout = default_program_timeout);
    BackgroundRun(Arguments arguments, Redirects redirects,
                  std::chrono::milliseconds timeout = default_program_timeout);

    /// What it wrote so far to Redirects::output and Redirects::error.
    [[nodiscard]] std::string out() const;
    [[nodiscard]] std::string err() const;

private:
    Redirects redirects_;
};

}  // namespace mqtls::cli_test
