// host::Process: argv and PATH, environment, the three streams, process groups, waiting with a
// time limit, and that it signals only its own child.
#include "mqtls/host/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string>

namespace mqtls::host {
namespace {

using std::chrono::milliseconds;

// Everything the parent's end of `fd` delivers until end of file (bounded by `limit`).
std::string read_all(int fd, milliseconds limit = milliseconds(5000)) {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd entry{fd, POLLIN, 0};
        if (::poll(&entry, 1, 50) <= 0) continue;
        char buffer[512];
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    return text;
}

SpawnOptions shell(const std::string& script) {
    SpawnOptions options;
    options.argv = {"sh", "-c", script};
    return options;
}

TEST(HostProcess, RunsAProgramFromPathWithItsArgumentsAndExitCode) {
    SpawnOptions options = shell(R"(printf '%s|%s' "$0" "$1"; exit 3)");
    options.argv.emplace_back("first argument");
    options.output = StreamOptions::pipe();
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    EXPECT_GT(child->pid(), 0);
    EXPECT_EQ(read_all(child->output_fd()), "first argument|");
    const ExitStatus status = child->wait();
    EXPECT_TRUE(status.exited());
    EXPECT_EQ(status.code(), 3);
    EXPECT_EQ(status.shell_status(), 3);
    EXPECT_EQ(child->pid(), -1);  // reaped: the PID is no longer ours
    EXPECT_FALSE(child->send_signal(SIGTERM));
}

TEST(HostProcess, SeparatesOutputAndErrorAndFeedsInput) {
    SpawnOptions options = shell("read line; echo \"out:$line\"; echo err >&2");
    options.input = StreamOptions::pipe();
    options.output = StreamOptions::pipe();
    options.error = StreamOptions::pipe();
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    ASSERT_EQ(::write(child->input_fd(), "hello\n", 6), 6);
    child->close_input();
    EXPECT_EQ(child->input_fd(), -1);
    EXPECT_EQ(read_all(child->output_fd()), "out:hello\n");
    EXPECT_EQ(read_all(child->error_fd()), "err\n");
    EXPECT_EQ(child->wait().code(), 0);
}

TEST(HostProcess, NullInputAndOneDescriptorForBothOutputs) {
    int ends[2];
    ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
    SpawnOptions options = shell("cat; echo out; echo err >&2");
    options.input = StreamOptions::null();
    options.output = StreamOptions::to_fd(ends[1]);
    options.error = StreamOptions::to_fd(ends[1]);
    auto child = Process::spawn(options);
    ::close(ends[1]);
    ASSERT_TRUE(child);
    EXPECT_EQ(read_all(ends[0]), "out\nerr\n");  // cat read /dev/null: nothing, at once
    ::close(ends[0]);
    EXPECT_EQ(child->wait().code(), 0);
}

TEST(HostProcess, ErrorMayGoWhereTheParentsOutputGoesWhileOutputIsAPipe) {
    // The error stream's source (the parent's descriptor 1 at fork time) must not be replaced
    // by the output pipe, which is put onto 1 first.
    int ends[2];
    ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
    const int saved_stdout = ::dup(STDOUT_FILENO);
    ASSERT_EQ(::dup2(ends[1], STDOUT_FILENO), STDOUT_FILENO);
    ::close(ends[1]);
    SpawnOptions options = shell("echo to-pipe; echo to-parent-stdout >&2");
    options.output = StreamOptions::pipe();
    options.error = StreamOptions::to_fd(STDOUT_FILENO);
    auto child = Process::spawn(options);
    ::dup2(saved_stdout, STDOUT_FILENO);  // the child holds the only write end now
    ::close(saved_stdout);
    ASSERT_TRUE(child);
    EXPECT_EQ(read_all(child->output_fd()), "to-pipe\n");
    EXPECT_EQ(read_all(ends[0]), "to-parent-stdout\n");
    ::close(ends[0]);
    EXPECT_EQ(child->wait().code(), 0);
}

TEST(HostProcess, EnvironmentIsInheritedOrReplaced) {
    ::setenv("MQTLS_HOST_TEST_INHERITED", "yes", 1);
    SpawnOptions inherited = shell("printf '%s' \"$MQTLS_HOST_TEST_INHERITED\"");
    inherited.output = StreamOptions::pipe();
    auto first = Process::spawn(inherited);
    ASSERT_TRUE(first);
    EXPECT_EQ(read_all(first->output_fd()), "yes");
    (void)first->wait();

    SpawnOptions replaced = inherited;
    replaced.argv = {"/bin/sh", "-c", R"(printf '%s,%s' "$MQTLS_HOST_TEST_INHERITED" "$ONLY")"};
    replaced.environment = std::vector<std::string>{"ONLY=this"};
    auto second = Process::spawn(replaced);
    ASSERT_TRUE(second);
    EXPECT_EQ(read_all(second->output_fd()), ",this");
    (void)second->wait();

    const auto with = environment_with("MQTLS_HOST_TEST_INHERITED", "replaced");
    int found = 0;
    for (const std::string& entry : with) {
        if (entry.rfind("MQTLS_HOST_TEST_INHERITED=", 0) == 0) {
            ++found;
            EXPECT_EQ(entry, "MQTLS_HOST_TEST_INHERITED=replaced");
        }
    }
    EXPECT_EQ(found, 1);
    ::unsetenv("MQTLS_HOST_TEST_INHERITED");
}

TEST(HostProcess, ClosesTheParentsOtherDescriptors) {
    int ends[2];
    ASSERT_EQ(::pipe(ends), 0);  // without close-on-exec: the child must still not hold it
    SpawnOptions options = shell("ls /proc/self/fd | wc -l");
    options.output = StreamOptions::pipe();
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    // 0, 1, 2 and the descriptor ls opens to read the directory.
    EXPECT_EQ(std::atoi(read_all(child->output_fd()).c_str()), 4);
    (void)child->wait();
    ::close(ends[0]);
    ::close(ends[1]);
}

TEST(HostProcess, AProgramThatCannotRunExits127WithAMessage) {
    SpawnOptions options;
    options.argv = {"mqtls-no-such-program-here"};
    options.error = StreamOptions::pipe();
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    EXPECT_EQ(read_all(child->error_fd()), "cannot execute mqtls-no-such-program-here\n");
    EXPECT_EQ(child->wait().code(), 127);
    EXPECT_EQ(find_program("mqtls-no-such-program-here"), "");
    EXPECT_NE(find_program("sh"), "");
    EXPECT_EQ(find_program("/etc/passwd"), "");  // not executable
}

TEST(HostProcess, RefusesBadOptions) {
    EXPECT_EQ(Process::spawn(SpawnOptions{}).error().code, Errc::invalid_argument);
    SpawnOptions no_fd = shell("true");
    no_fd.output = StreamOptions{StreamSetup::fd, -1};
    EXPECT_EQ(Process::spawn(no_fd).error().code, Errc::invalid_argument);
}

TEST(HostProcess, WaitForGivesUpAtItsLimitAndStopEscalates) {
    // The child ignores SIGTERM: stop() must fall back to SIGKILL after the grace period.
    SpawnOptions options = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
    options.output = StreamOptions::pipe();
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    char ready[6] = {};
    ASSERT_EQ(::read(child->output_fd(), ready, sizeof ready), 6);  // the trap is set
    const auto before = std::chrono::steady_clock::now();
    EXPECT_FALSE(child->wait_for(milliseconds(100)));
    EXPECT_GE(std::chrono::steady_clock::now() - before, milliseconds(100));
    const ExitStatus status = child->stop(milliseconds(200));
    EXPECT_FALSE(status.exited());
    EXPECT_EQ(status.signal(), SIGKILL);
    EXPECT_EQ(status.shell_status(), 128 + SIGKILL);
    EXPECT_EQ(status.code_or_minus_signal(), -SIGKILL);
}

TEST(HostProcess, OwnProcessGroupReachesTheChildsChildren) {
    SpawnOptions options = shell("sleep 30 & echo $!; wait");
    options.output = StreamOptions::pipe();
    options.own_process_group = true;
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    EXPECT_EQ(::getpgid(child->pid()), child->pid());
    char line[32] = {};
    ASSERT_GT(::read(child->output_fd(), line, sizeof line - 1), 0);
    const pid_t grandchild = std::atoi(line);
    ASSERT_GT(grandchild, 0);
    EXPECT_EQ(::getpgid(grandchild), child->pid());
    EXPECT_TRUE(child->signal_group(SIGKILL));
    EXPECT_EQ(child->wait().signal(), SIGKILL);
    EXPECT_FALSE(child->signal_group(SIGKILL));  // reaped: the group id may be reused now
}

TEST(HostProcess, DestructorKillsARunningChildAndMoveKeepsOwnership) {
    pid_t pid = -1;
    {
        SpawnOptions options;
        options.argv = {"sleep", "30"};
        auto spawned = Process::spawn(options);
        ASSERT_TRUE(spawned);
        Process owner = std::move(*spawned);
        EXPECT_EQ(spawned->pid(), -1);  // the moved-from object owns nothing
        pid = owner.pid();
        ASSERT_GT(pid, 0);
        EXPECT_FALSE(owner.try_wait());
    }
    // Killed and reaped by the destructor: it is no child of ours any more.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

TEST(HostProcess, ReleasedChildIsReapedByPid) {
    SpawnOptions options = shell("exit 5");
    auto child = Process::spawn(options);
    ASSERT_TRUE(child);
    const pid_t pid = child->release();
    ASSERT_GT(pid, 0);
    EXPECT_EQ(child->pid(), -1);
    EXPECT_FALSE(child->send_signal(SIGKILL));  // no longer ours to signal
    EXPECT_EQ(reap(pid).code(), 5);
}

}  // namespace
}  // namespace mqtls::host
