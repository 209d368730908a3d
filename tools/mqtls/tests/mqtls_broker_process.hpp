#pragma once
// `mqtls broker` run in the background by a CLI test, on a loopback port the kernel picked,
// and stopped by its PID. (pki_broker_test.cpp has its own copy of this runner from before.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/process.hpp"

namespace mqtls::cli_testing {

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

/// A port that 127.0.0.1 can bind right now, chosen by the kernel.
inline std::uint16_t free_port() {
    const testing::FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = loopback(0);
    EXPECT_EQ(::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    return ntohs(address.sin_port);
}

inline bool accepts_tcp(std::uint16_t port) {
    const testing::FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in address = loopback(port);
    return ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
           0;
}

/// `mqtls broker <arguments>` with its output in `output_path`; killed (SIGKILL) and reaped on
/// destruction unless it has exited.
class MqtlsBrokerProcess {
public:
    MqtlsBrokerProcess(const std::vector<std::string>& arguments, const std::string& output_path) {
        const int output =
            ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(output, STDOUT_FILENO);
            ::dup2(output, STDERR_FILENO);
            std::vector<char*> argv{const_cast<char*>(MQTLS_CLI_PATH)};
            for (const auto& argument : arguments) {
                argv.push_back(const_cast<char*>(argument.c_str()));
            }
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(output);
    }
    MqtlsBrokerProcess(const MqtlsBrokerProcess&) = delete;
    MqtlsBrokerProcess& operator=(const MqtlsBrokerProcess&) = delete;
    MqtlsBrokerProcess(MqtlsBrokerProcess&&) = delete;
    MqtlsBrokerProcess& operator=(MqtlsBrokerProcess&&) = delete;
    ~MqtlsBrokerProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    /// Whether it listens on `port` within ten seconds (false at once when it exited).
    bool wait_listening(std::uint16_t port) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (exited()) return false;
            if (accepts_tcp(port)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    /// Its exit status once it has exited, waiting at most `limit`; nullopt if still running.
    std::optional<int> wait_exit(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        do {
            if (exited()) return status_;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } while (std::chrono::steady_clock::now() < deadline);
        return std::nullopt;
    }

    void terminate() const {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
    }

private:
    bool exited() {
        if (pid_ <= 0) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid_ = -1;
            return true;
        }
        return false;
    }

    pid_t pid_ = -1;
    int status_ = -1;
};

}  // namespace mqtls::cli_testing
