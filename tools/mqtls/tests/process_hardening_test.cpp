// Every mqtls process may hold passwords and private keys, so it leaves no core dump and its
// memory is closed to other processes of the same user (issue 12, item 6). Checked on a real
// `mqtls sub` that waits for a TLS answer from a listener that never answers: its
// /proc/PID/limits shows no core size, and, run as `nobody` (setpriv, root only), its /proc
// files belong to root, which is what the kernel does for a non-dumpable process (proc(5)).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/testing/spawn.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::read_file;
using namespace std::chrono_literals;

// Starts `prefix... mqtls sub ...` against the silent listener; returns its PID.
std::optional<pid_t> start_waiting_sub(const std::vector<std::string>& prefix,
                                       const std::string& ca_file, std::uint16_t port) {
    std::vector<std::string> arguments = prefix;
    const std::vector<std::string> sub = {
        MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1",         "-p", std::to_string(port), "--cafile",
        ca_file,        "-t",  "t",  "--connect-timeout", "8"};
    arguments.insert(arguments.end(), sub.begin(), sub.end());
    auto pid = mqtls::testing::spawn(arguments, STDERR_FILENO, /*die_with_parent=*/true);
    if (!pid) return std::nullopt;
    return *pid;
}

class CliProcessHardening : public mqtls::cli_test::TempDirTest {
protected:
    CliProcessHardening() : TempDirTest("mqtls-hardened-") {}

    void set_up_in_directory() override {
        ASSERT_EQ(::chmod(temp_->path().c_str(), 0755), 0);  // readable for `nobody` below
        auto pki = mqtls::testing::BrokerPki::generate();
        ASSERT_TRUE(pki);
        mqtls::cli_test::write_file(path("ca.crt"), pki->ca.certificate_pem, 0644);
        ASSERT_NE(listener_.port(), 0);
    }
    mqtls::cli_test::SilentListener listener_;
};

// Waits (at most 5 s) until `path` can be read and is not empty.
std::string wait_for_file(const std::string& path) {
    std::string text;
    (void)mqtls::cli_test::eventually(
        [&] {
            text = read_file(path);
            return !text.empty();
        },
        5s, 50ms);
    return text;
}

TEST_F(CliProcessHardening, NoCoreDumps) {
    auto pid = start_waiting_sub({}, path("ca.crt"), listener_.port());
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
                                 path("ca.crt"), listener_.port());
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
