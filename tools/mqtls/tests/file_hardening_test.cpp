// Files an attacker on the same machine could plant or redirect (issue 12): the node's outbox
// must never write through a link or use a folder or file others control, and the files the
// commands read (--cafile, --key, --pw-file, ...) must be regular files of a bounded size. Each
// case runs the built binary the way the attack did; none needs a broker (port 1 refuses), as
// the damage happened before any network activity.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"

namespace {

using mqtls::testing::ProcessResult;
using mqtls::testing::TempDir;
using namespace std::chrono_literals;

constexpr int exit_file = 3;

ProcessResult run(std::vector<std::string> arguments, std::chrono::milliseconds timeout = 20s) {
    arguments.insert(arguments.begin(), MQTLS_CLI_PATH);
    auto result = mqtls::testing::run_process(arguments, timeout);
    EXPECT_TRUE(result);
    return result ? *result : ProcessResult{};
}

std::string read(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

class CliFileHardening : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = TempDir::create("mqtls-hardening-");
        ASSERT_TRUE(dir);
        dir_.emplace(std::move(*dir));
        auto pki = mqtls::testing::BrokerPki::generate();
        ASSERT_TRUE(pki);
        std::ofstream(file("ca.crt")) << pki->ca.certificate_pem;
        std::ofstream(file("victim")) << "keep\n";
        ASSERT_EQ(::chmod(file("victim").c_str(), 0600), 0);
        ASSERT_EQ(::mkdir(file("ob").c_str(), 0700), 0);
    }
    std::string file(const std::string& name) const { return dir_->file(name); }
    std::vector<std::string> node(bool wake) const {
        std::vector<std::string> arguments = {
            "node", "--outbox", file("ob"), "--device",     "d",       "-h", "127.0.0.1",
            "-p",   "1",        "--cafile", file("ca.crt"), "--count", "1",  "--max-attempts",
            "1"};
        if (wake) {
            arguments = {"node",     "--wake-cycle", "--outbox",  file("ob"), "--device",
                         "d",        "-h",           "127.0.0.1", "-p",       "1",
                         "--cafile", file("ca.crt")};
        }
        return arguments;
    }

    std::optional<TempDir> dir_;
};

// The reproduction of issue 12, item 1: `victim` held outbox records afterwards.
TEST_F(CliFileHardening, SymlinkedOutboxSegmentIsRefusedAndItsTargetKept) {
    ASSERT_EQ(::symlink(file("victim").c_str(), file("ob/segment-0.log").c_str()), 0);
    for (const bool wake : {true, false}) {
        SCOPED_TRACE(wake ? "--wake-cycle" : "continuous");
        const ProcessResult result = run(node(wake));
        EXPECT_EQ(result.exit_code, exit_file) << result.output;
        EXPECT_NE(result.output.find("symbolic or hard link"), std::string::npos) << result.output;
        EXPECT_EQ(read(file("victim")), "keep\n");
    }
}

TEST_F(CliFileHardening, OutboxFolderOthersMayWriteIsRefused) {
    ASSERT_EQ(::chmod(file("ob").c_str(), 0777), 0);
    const ProcessResult result = run(node(true));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("other users may write into it"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("mode 0777"), std::string::npos) << result.output;
}

TEST_F(CliFileHardening, OutboxOfAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the folder to another user";
    ASSERT_EQ(::chown(file("ob").c_str(), 65534, 65534), 0);  // nobody
    const ProcessResult result = run(node(false));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("belongs to another user"), std::string::npos) << result.output;
}

TEST_F(CliFileHardening, OutboxSegmentOthersMayWriteIsRefusedAndLeftAlone) {
    std::ofstream(file("ob/segment-0.log")) << "forged readings";
    ASSERT_EQ(::chmod(file("ob/segment-0.log").c_str(), 0666), 0);
    const ProcessResult result = run(node(true));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("mode 0666"), std::string::npos) << result.output;
    struct stat info {};
    ASSERT_EQ(::stat(file("ob/segment-0.log").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0666U);
    EXPECT_EQ(read(file("ob/segment-0.log")), "forged readings");
}

TEST_F(CliFileHardening, SymlinkedSessionKeyCostsResumptionNotTheReading) {
    // The key is not used (and its target not overwritten); the reading waits in the outbox.
    ASSERT_EQ(::symlink(file("victim").c_str(), file("ob/tls-session.key").c_str()), 0);
    const ProcessResult result = run(node(true));
    EXPECT_EQ(result.exit_code, 4) << "unreachable broker: " << result.output;
    EXPECT_NE(result.output.find("resumption off"), std::string::npos) << result.output;
    EXPECT_EQ(read(file("victim")), "keep\n");
}

TEST_F(CliFileHardening, InputFilesMustBeRegularAndBounded) {
    ASSERT_EQ(::mkfifo(file("fifo").c_str(), 0600), 0);
    {
        std::ofstream big(file("big.pem"));
        big << std::string(std::size_t{5} * 1024 * 1024, 'A');
    }
    const std::vector<std::vector<std::string>> cases = {
        {"--cafile", "/dev/zero"},
        {"--cafile", file("fifo")},
        {"--cafile", file("big.pem")},
        {"--cafile", file("ca.crt"), "-u", "u", "--pw-file", file("fifo")},
        {"--cafile", file("ca.crt"), "--cert", file("ca.crt"), "--key", "/dev/zero"},
    };
    for (const auto& extra : cases) {
        std::vector<std::string> arguments = {"pub", "-h", "127.0.0.1", "-p", "1",
                                              "-t",  "t",  "-m",        "m"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto started = std::chrono::steady_clock::now();
        const ProcessResult result = run(arguments, 10s);
        EXPECT_FALSE(result.timed_out) << "a FIFO or device must not block";
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
        EXPECT_EQ(result.exit_code, exit_file) << extra[1] << "\n" << result.output;
        EXPECT_TRUE(result.output.find("not a regular file") != std::string::npos ||
                    result.output.find("larger than mqtls accepts") != std::string::npos)
            << result.output;
    }
}

TEST_F(CliFileHardening, SecretsOthersCanReadAreWarnedAbout) {
    std::ofstream(file("pw")) << "pw-S3cr3t-value\n";
    ASSERT_EQ(::chmod(file("pw").c_str(), 0644), 0);
    const ProcessResult result =
        run({"pub", "-h", "127.0.0.1", "-p", "1", "-t", "t", "-m", "m", "--cafile", file("ca.crt"),
             "-u", "u", "--pw-file", file("pw")});
    EXPECT_NE(result.output.find("--pw-file " + file("pw") + " can be read by other users"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("pw-S3cr3t-value"), std::string::npos) << result.output;
    ASSERT_EQ(::chmod(file("pw").c_str(), 0600), 0);
    const ProcessResult private_file =
        run({"pub", "-h", "127.0.0.1", "-p", "1", "-t", "t", "-m", "m", "--cafile", file("ca.crt"),
             "-u", "u", "--pw-file", file("pw")});
    EXPECT_EQ(private_file.output.find("can be read by other users"), std::string::npos)
        << private_file.output;
}

}  // namespace
