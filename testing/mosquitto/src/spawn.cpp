// The raw-PID interface of the tests (spawn.hpp) over the shared host::Process: a child is
// started by host::Process::spawn() and released to the caller, who reaps it by its PID.
#include "mqtls/testing/spawn.hpp"

#include <csignal>
#include <thread>

#include "mqtls/host/process.hpp"

namespace mqtls::testing {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(10);

}  // namespace

std::string find_program(const std::string& program) { return host::find_program(program); }

Result<pid_t> spawn(const std::vector<std::string>& argv, int output_fd, bool die_with_parent) {
    if (output_fd < 0) return Errc::invalid_argument;
    host::SpawnOptions options;
    options.argv = argv;
    options.input = host::StreamOptions::null();
    options.output = host::StreamOptions::to_fd(output_fd);
    options.error = host::StreamOptions::to_fd(output_fd);
    options.death_signal = die_with_parent ? SIGTERM : 0;
    MQTLS_TRY_ASSIGN(host::Process child, host::Process::spawn(options));
    return child.release();
}

std::optional<int> try_reap(pid_t pid) {
    const auto status = host::try_reap(pid);
    if (!status) return std::nullopt;
    return status->wait_status;
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto rounds = timeout / poll_interval + 2;
    for (long long round = 0; round < rounds; ++round) {
        if (auto status = try_reap(pid)) return status;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(poll_interval);
    }
    return std::nullopt;
}

int kill_and_reap(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    return host::reap(pid).wait_status;
}

int status_code(int wait_status) noexcept {
    return host::ExitStatus{wait_status}.code_or_minus_signal();
}

}  // namespace mqtls::testing
