// Files an attacker on the same machine could plant or redirect (issue 12): the node's outbox
// must never write through a link or use a folder or file others control, and the files the
// commands read (--cafile, --key, --pw-file, ...) must be regular files of a bounded size. Each
// case runs the built binary the way the attack did; none needs a broker (port 1 refuses), as
// the damage happened before any network activity.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::exit_file;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_mqtls;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

class CliFileHardening : public mqtls::cli_test::TempDirTest {
protected:
    CliFileHardening() : TempDirTest("mqtls-hardening-") {}

    void set_up_in_directory() override {
        auto pki = mqtls::testing::BrokerPki::generate();
        ASSERT_TRUE(pki);
        std::ofstream(path("ca.crt")) << pki->ca.certificate_pem;
        std::ofstream(path("victim")) << "keep\n";
        ASSERT_EQ(::chmod(path("victim").c_str(), 0600), 0);
        ASSERT_EQ(::mkdir(path("ob").c_str(), 0700), 0);
    }
    std::vector<std::string> node(bool wake) const {
        std::vector<std::string> arguments = {
            "node", "--outbox", path("ob"), "--device",     "d",       "-h", "127.0.0.1",
            "-p",   "1",        "--cafile", path("ca.crt"), "--count", "1",  "--max-attempts",
            "1"};
        if (wake) {
            arguments = {"node",     "--wake-cycle", "--outbox",  path("ob"), "--device",
                         "d",        "-h",           "127.0.0.1", "-p",       "1",
                         "--cafile", path("ca.crt")};
        }
        return arguments;
    }
};

// The reproduction of issue 12, item 1: `victim` held outbox records afterwards.
TEST_F(CliFileHardening, SymlinkedOutboxSegmentIsRefusedAndItsTargetKept) {
    ASSERT_EQ(::symlink(path("victim").c_str(), path("ob/segment-0.log").c_str()), 0);
    for (const bool wake : {true, false}) {
        SCOPED_TRACE(wake ? "--wake-cycle" : "continuous");
        const ProcessResult result = run_mqtls(node(wake));
        EXPECT_EQ(result.exit_code, exit_file) << result.output;
        EXPECT_NE(result.output.find("symbolic or hard link"), std::string::npos) << result.output;
        EXPECT_EQ(read_file(path("victim")), "keep\n");
    }
}

TEST_F(CliFileHardening, OutboxFolderOthersMayWriteIsRefused) {
    ASSERT_EQ(::chmod(path("ob").c_str(), 0777), 0);
    const ProcessResult result = run_mqtls(node(true));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("other users may write into it"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("mode 0777"), std::string::npos) << result.output;
}

TEST_F(CliFileHardening, OutboxOfAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the folder to another user";
    ASSERT_EQ(::chown(path("ob").c_str(), 65534, 65534), 0);  // nobody
    const ProcessResult result = run_mqtls(node(false));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("belongs to another user"), std::string::npos) << result.output;
}

TEST_F(CliFileHardening, OutboxSegmentOthersMayWriteIsRefusedAndLeftAlone) {
    std::ofstream(path("ob/segment-0.log")) << "forged readings";
    ASSERT_EQ(::chmod(path("ob/segment-0.log").c_str(), 0666), 0);
    const ProcessResult result = run_mqtls(node(true));
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("mode 0666"), std::string::npos) << result.output;
    struct stat info {};
    ASSERT_EQ(::stat(path("ob/segment-0.log").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0666U);
    EXPECT_EQ(read_file(path("ob/segment-0.log")), "forged readings");
}

TEST_F(CliFileHardening, SymlinkedSessionKeyCostsResumptionNotTheReading) {
    // The key is not used (and its target not overwritten); the reading waits in the outbox.
    ASSERT_EQ(::symlink(path("victim").c_str(), path("ob/tls-session.key").c_str()), 0);
    const ProcessResult result = run_mqtls(node(true));
    EXPECT_EQ(result.exit_code, 4) << "unreachable broker: " << result.output;
    EXPECT_NE(result.output.find("resumption off"), std::string::npos) << result.output;
    EXPECT_EQ(read_file(path("victim")), "keep\n");
}

TEST_F(CliFileHardening, InputFilesMustBeRegularAndBounded) {
    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
    {
        std::ofstream big(path("big.pem"));
        big << std::string(std::size_t{5} * 1024 * 1024, 'A');
    }
    const std::vector<std::vector<std::string>> cases = {
        {"--cafile", "/dev/zero"},
        {"--cafile", path("fifo")},
        {"--cafile", path("big.pem")},
        {"--cafile", path("ca.crt"), "-u", "u", "--pw-file", path("fifo")},
        {"--cafile", path("ca.crt"), "--cert", path("ca.crt"), "--key", "/dev/zero"},
    };
    for (const auto& extra : cases) {
        std::vector<std::string> arguments = {"pub", "-h", "127.0.0.1", "-p", "1",
                                              "-t",  "t",  "-m",        "m"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto started = std::chrono::steady_clock::now();
        const ProcessResult result = run_mqtls(arguments, 10s);
        EXPECT_FALSE(result.timed_out) << "a FIFO or device must not block";
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
        EXPECT_EQ(result.exit_code, exit_file) << extra[1] << "\n" << result.output;
        EXPECT_TRUE(result.output.find("not a regular file") != std::string::npos ||
                    result.output.find("larger than mqtls accepts") != std::string::npos)
            << result.output;
    }
}

TEST_F(CliFileHardening, SecretsOthersCanReadAreWarnedAbout) {
    std::ofstream(path("pw")) << "pw-S3cr3t-value\n";
    ASSERT_EQ(::chmod(path("pw").c_str(), 0644), 0);
    const ProcessResult result =
        run_mqtls({"pub", "-h", "127.0.0.1", "-p", "1", "-t", "t", "-m", "m", "--cafile",
                   path("ca.crt"), "-u", "u", "--pw-file", path("pw")});
    EXPECT_NE(result.output.find("--pw-file " + path("pw") + " can be read by other users"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("pw-S3cr3t-value"), std::string::npos) << result.output;
    ASSERT_EQ(::chmod(path("pw").c_str(), 0600), 0);
    const ProcessResult private_file =
        run_mqtls({"pub", "-h", "127.0.0.1", "-p", "1", "-t", "t", "-m", "m", "--cafile",
                   path("ca.crt"), "-u", "u", "--pw-file", path("pw")});
    EXPECT_EQ(private_file.output.find("can be read by other users"), std::string::npos)
        << private_file.output;
}

}  // namespace
