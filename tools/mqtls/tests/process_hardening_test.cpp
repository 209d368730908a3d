// Every mqtls process may hold passwords and private keys, so it leaves no core dump and its
// memory is closed to other processes of the same user (issue 12, item 6). Checked on a real
// `mqtls sub` that waits for a TLS answer from a listener that never answers: its
// /proc/PID/limits shows no core size, and, run as `nobody` (setpriv, root only), its /proc
// files belong to root, which is what the kernel does for a non-dumpable process (proc(5)).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/testing/spawn.hpp"

namespace {

using namespace std::chrono_literals;

// A TCP listener that accepts connections into its backlog and never says a word.
class SilentListener {
public:
    SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            return;
        }
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() {
        if (fd_ >= 0) ::close(fd_);
    }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    [[nodiscard]] int port() const { return port_; }

private:
    int fd_;
    int port_ = 0;
};

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// Starts `prefix... mqtls sub ...` against the silent listener; returns its PID.
std::optional<pid_t> start_waiting_sub(const std::vector<std::string>& prefix,
                                       const std::string& ca_file, int port) {
    std::vector<std::string> arguments = prefix;
    const std::vector<std::string> sub = {
        MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1",         "-p", std::to_string(port), "--cafile",
        ca_file,        "-t",  "t",  "--connect-timeout", "8"};
    arguments.insert(arguments.end(), sub.begin(), sub.end());
    auto pid = mqtls::testing::spawn(arguments, STDERR_FILENO, /*die_with_parent=*/true);
    if (!pid) return std::nullopt;
    return *pid;
}

class CliProcessHardening : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = mqtls::testing::TempDir::create("mqtls-hardened-");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        ASSERT_EQ(::chmod(dir_->path().c_str(), 0755), 0);  // readable for `nobody` below
        auto pki = mqtls::testing::BrokerPki::generate();
        ASSERT_TRUE(pki);
        std::ofstream(dir_->file("ca.crt")) << pki->ca.certificate_pem;
        ASSERT_EQ(::chmod(dir_->file("ca.crt").c_str(), 0644), 0);
        ASSERT_NE(listener_.port(), 0);
    }
    std::optional<mqtls::testing::TempDir> dir_;
    SilentListener listener_;
};

// Waits (at most 5 s) until `path` can be read and is not empty.
std::string wait_for_file(const std::string& path) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string text = read_file(path);
        if (!text.empty()) return text;
        std::this_thread::sleep_for(50ms);
    }
    return {};
}

TEST_F(CliProcessHardening, NoCoreDumps) {
    auto pid = start_waiting_sub({}, dir_->file("ca.crt"), listener_.port());
    ASSERT_TRUE(pid);
    std::this_thread::sleep_for(300ms);  // past main()'s first line
    const std::string limits = wait_for_file("/proc/" + std::to_string(*pid) + "/limits");
    (void)mqtls::testing::kill_and_reap(*pid);
    std::istringstream lines(limits);
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
        if (line.rfind("Max core file size", 0) != 0) continue;
        found = true;
        std::istringstream fields(line.substr(std::string("Max core file size").size()));
        std::string soft;
        std::string hard;
        fields >> soft >> hard;
        EXPECT_EQ(soft, "0") << line;
        EXPECT_EQ(hard, "0") << line;
    }
    EXPECT_TRUE(found) << limits;
}

TEST_F(CliProcessHardening, MemoryIsClosedToProcessesOfTheSameUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run mqtls as another user";
    if (mqtls::testing::find_program("setpriv").empty()) GTEST_SKIP() << "no setpriv";
    auto pid = start_waiting_sub({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"},
                                 dir_->file("ca.crt"), listener_.port());
    ASSERT_TRUE(pid);
    std::this_thread::sleep_for(500ms);
    struct stat status {};
    struct stat mem {};
    const std::string proc = "/proc/" + std::to_string(*pid);
    const bool stated = ::stat((proc + "/status").c_str(), &status) == 0 &&
                        ::stat((proc + "/mem").c_str(), &mem) == 0;
    const std::string status_text = read_file(proc + "/status");
    (void)mqtls::testing::kill_and_reap(*pid);
    ASSERT_TRUE(stated);
    ASSERT_NE(status_text.find("Uid:\t65534"), std::string::npos)
        << "it runs as nobody: " << status_text.substr(0, 400);
    // A dumpable process of nobody would own its /proc/PID/mem; a non-dumpable one does not.
    EXPECT_EQ(mem.st_uid, 0U);
}

}  // namespace
