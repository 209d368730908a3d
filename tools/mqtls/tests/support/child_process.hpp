#pragma once
/// @file
/// A program that runs beside the test until the test stops it by its PID: `mqtls broker`, a
/// `mqtls sub` that waits for signals, a collector. (For a program that ends by itself and whose
/// result is all that matters, BackgroundRun in programs.hpp is simpler.)
///
///     ChildProcess broker(mqtls({"broker", "--pki", pki, "--port", port_text}), output_file);
///     ASSERT_TRUE(broker.wait_listening(port)) << broker.output();
///     broker.terminate();
///     EXPECT_EQ(broker.wait_exit(10s), 0);
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mqtls::cli_test {

class ChildProcess {
public:
    /// How long wait_listening() and wait_for_output() wait unless told otherwise.
    static constexpr std::chrono::milliseconds default_wait{10000};
    /// How long the destructor gives the program after SIGTERM before SIGKILL.
    static constexpr std::chrono::milliseconds stop_grace{5000};

    /// Starts argv[0] (looked up in PATH; not through a shell) with standard output and error
    /// written to `output_path` (created 0600 or truncated), standard input read from
    /// `input_path`, and `environment` ("NAME=value" entries) added to the test's own. Fails the
    /// test (non-fatally) when it cannot be started; the object then behaves as a program that
    /// exited with status -1. A program that cannot be executed exits with status 127.
    ChildProcess(const std::vector<std::string>& argv, std::string output_path,
                 const std::vector<std::string>& environment = {},
                 const std::string& input_path = "/dev/null");
    /// Stops it if it still runs: SIGTERM (so `mqtls broker` stops its Mosquitto too), up to
    /// stop_grace, then SIGKILL; always reaped.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&&) = delete;
    ChildProcess& operator=(ChildProcess&&) = delete;

    /// Its PID while it runs; -1 once it has exited and been reaped.
    [[nodiscard]] pid_t pid() const { return pid_; }
    /// Whether it still runs (reaps it when it has exited).
    bool running() { return !exited(); }
    /// What it wrote so far.
    [[nodiscard]] std::string output() const;

    /// Whether its output contains `text` within `limit`; false at once when it exits without.
    bool wait_for_output(const std::string& text, std::chrono::milliseconds limit = default_wait);
    /// Whether 127.0.0.1:`port` accepts connections within `limit` while it runs; false at once
    /// when it exits.
    bool wait_listening(std::uint16_t port, std::chrono::milliseconds limit = default_wait);
    /// Its exit status (128 + the signal when a signal ended it) once it has exited within
    /// `limit`; nullopt while it still runs.
    std::optional<int> wait_exit(std::chrono::milliseconds limit);

    /// Sends signal `number` while it runs.
    void signal(int number) const;
    /// signal(SIGTERM).
    void terminate() const;

private:
    bool exited();

    std::string output_path_;
    pid_t pid_ = -1;
    int status_ = -1;
};

}  // namespace mqtls::cli_test
