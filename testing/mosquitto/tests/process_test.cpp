// Tests of the process helpers the broker fixture is built on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "mqtls/testing/process.hpp"

namespace mqtls::testing {
namespace {

using std::chrono::milliseconds;

TEST(MosquittoFixtureProcess, CollectsOutputAndExitStatus) {
    auto run = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
    ASSERT_TRUE(run);
    EXPECT_EQ(run->exit_code, 3);
    EXPECT_FALSE(run->timed_out);
    EXPECT_NE(run->output.find("out\n"), std::string::npos);
    EXPECT_NE(run->output.find("err\n"), std::string::npos);
}

TEST(MosquittoFixtureProcess, KillsAProgramThatRunsTooLong) {
    const auto start = std::chrono::steady_clock::now();
    auto run = run_process({"sleep", "10"}, milliseconds(200));
    ASSERT_TRUE(run);
    EXPECT_TRUE(run->timed_out);
    EXPECT_EQ(run->signal, SIGKILL);
    EXPECT_FALSE(run->succeeded());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(MosquittoFixtureProcess, AProgramThatWritesAllTheTimeIsNotCutShort) {
    // About a second and a half of output in many small writes, well inside the time limit.
    const std::string script =
        "end=$(($(date +%s) + 2)); while [ \"$(date +%s)\" -lt \"$end\" ]; do printf .; done";
    auto run = run_process({"sh", "-c", script}, milliseconds(8000));
    ASSERT_TRUE(run);
    EXPECT_FALSE(run->timed_out) << run->output.size() << " bytes";
    EXPECT_EQ(run->exit_code, 0);
    EXPECT_GT(run->output.size(), 100U) << "it wrote in many pieces";
}

TEST(MosquittoFixtureProcess, ReportsAMissingProgramAs127) {
    auto run = run_process({"mqtls-no-such-program-here"}, milliseconds(5000));
    ASSERT_TRUE(run);
    EXPECT_EQ(run->exit_code, 127);
    EXPECT_NE(run->output.find("cannot execute"), std::string::npos);
}

TEST(MosquittoFixtureProcess, RefusesAnEmptyCommand) {
    auto run = run_process({}, milliseconds(100));
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().code, Errc::invalid_argument);
}

TEST(MosquittoFixtureProcess, ProcessAliveSeesOnlyLiveProcesses) {
    EXPECT_TRUE(process_alive(::getpid()));
    EXPECT_FALSE(process_alive(-1));
    EXPECT_FALSE(process_alive(0));
}

TEST(MosquittoFixtureProcess, TempDirIsRemovedWithItsContents) {
    std::string path;
    {
        auto dir = TempDir::create("mqtls-process-test-");
        ASSERT_TRUE(dir);
        path = dir->path();
        EXPECT_EQ(path.rfind("/tmp/mqtls-process-test-", 0), 0U);
        std::filesystem::create_directory(dir->file("sub"));
        std::ofstream(dir->file("sub/file")) << "x";
        TempDir moved = std::move(*dir);
        EXPECT_EQ(moved.path(), path);
        EXPECT_TRUE(std::filesystem::exists(moved.file("sub/file")));
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace mqtls::testing
