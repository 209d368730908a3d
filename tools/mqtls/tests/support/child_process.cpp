#include "child_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include <gtest/gtest.h>

#include "eventually.hpp"
#include "files.hpp"
#include "network.hpp"

namespace mqtls::cli_test {
namespace {

// The test's environment with `overrides` ("NAME=value") replacing or adding entries.
std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string variable(*entry);
        const std::string name = variable.substr(0, variable.find('='));
        bool overridden = false;
        for (const auto& override_entry : overrides) {
            overridden = overridden || override_entry.substr(0, override_entry.find('=')) == name;
        }
        if (!overridden) entries.push_back(variable);
    }
    entries.insert(entries.end(), overrides.begin(), overrides.end());
    return entries;
}

// NULL-terminated pointers into `strings`, for exec (which does not write through them).
std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, std::string output_path,
                           const std::vector<std::string>& environment,
                           const std::string& input_path)
    : output_path_(std::move(output_path)) {
    EXPECT_FALSE(argv.empty()) << "nothing to run";
    if (argv.empty()) return;
    // Everything the child needs is prepared before fork: after it, the child only makes
    // async-signal-safe calls (the test process has other threads).
    std::vector<std::string> arguments = argv;
    std::vector<std::string> variables = environment_with(environment);
    const std::vector<char*> argument_pointers = pointers_to(arguments);
    const std::vector<char*> variable_pointers = pointers_to(variables);
    const int output = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int input = ::open(input_path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(output, 0) << output_path_ << ": " << std::strerror(errno);
    EXPECT_GE(input, 0) << input_path << ": " << std::strerror(errno);
    if (output >= 0 && input >= 0) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(input, STDIN_FILENO);
            ::dup2(output, STDOUT_FILENO);
            ::dup2(output, STDERR_FILENO);
            ::execvpe(argument_pointers[0], argument_pointers.data(), variable_pointers.data());
            ::_exit(127);
        }
        EXPECT_GT(pid_, 0) << "fork failed for " << argv.front();
    }
    if (output >= 0) ::close(output);
    if (input >= 0) ::close(input);
}

ChildProcess::~ChildProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_exit(stop_grace)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string ChildProcess::output() const { return read_file(output_path_); }

bool ChildProcess::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
    const auto has_text = [&] { return output().find(text) != std::string::npos; };
    // Stop waiting once it has exited: nothing more will be written.
    return eventually([&] { return has_text() || exited(); }, limit) && has_text();
}

bool ChildProcess::wait_listening(std::uint16_t port, std::chrono::milliseconds limit) {
    // Something else may hold the port: only a listener while our program runs counts.
    return eventually([&] { return exited() || accepts_tcp(port); }, limit) && !exited();
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds limit) {
    if (eventually([&] { return exited(); }, limit)) return status_;
    return std::nullopt;
}

void ChildProcess::signal(int number) const {
    if (pid_ > 0) ::kill(pid_, number);
}

void ChildProcess::terminate() const { signal(SIGTERM); }

bool ChildProcess::exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return true;
    }
    return false;
}

}  // namespace mqtls::cli_test
