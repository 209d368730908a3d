#pragma once
/// @file
/// Small POSIX helpers for host integration tests: a temporary directory that removes itself, and
/// running a program (mosquitto_pub, mosquitto_passwd, ...) with a time limit while collecting its
/// output. Host-only (Linux): fork/exec, std::string, std::filesystem.
///
/// Note on the namespace: inside `namespace mqtls`, the name `testing` means mqtls::testing, not
/// GoogleTest's ::testing. Write `::testing::Test` there (the gtest macros already do).

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::testing {

/// Owns a file descriptor (a socket, usually) and closes it on scope exit.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

/// A fresh directory made with mkdtemp(3) (mode 0700), removed with everything in it when the
/// object is destroyed. Move-only. A test that crashes leaves the directory behind (the name
/// starts with the prefix, so it is easy to find under /tmp).
class TempDir {
public:
    /// Makes `<parent>/<prefix>XXXXXX`. Errors: invalid_argument (prefix contains '/'),
    /// file_write_failed (detail: the errno of mkdtemp).
    static Result<TempDir> create(const std::string& prefix = "mqtls-test-",
                                  const std::string& parent = "/tmp");

    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    /// The absolute path, without a trailing slash; empty once moved from.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// path() + "/" + name.
    [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    explicit TempDir(std::string path) noexcept : path_(std::move(path)) {}
    void remove() noexcept;

    std::string path_;
};

/// How a program run by run_process() ended.
struct ProcessResult {
    /// The exit status (0..255) when the program exited, -1 when it was killed by a signal or
    /// timed out, 127 when it could not be executed (not found).
    int exit_code = -1;
    /// The signal that ended it (0 when it exited). SIGKILL when it timed out.
    int signal = 0;
    /// True when it ran past the time limit and was killed with SIGKILL.
    bool timed_out = false;
    /// Its standard output and standard error, interleaved as written, at most 1 MiB.
    std::string output;

    /// True when the program exited with status 0.
    [[nodiscard]] bool succeeded() const noexcept { return exit_code == 0 && !timed_out; }
};

/// Runs argv[0] (looked up in PATH) with the arguments argv[1..], standard input /dev/null,
/// standard output and error collected, and no other file descriptors inherited. Waits for it
/// at most `timeout`; then kills it with SIGKILL and reaps it, so no process or zombie remains.
/// Errors: invalid_argument (argv empty), socket_error (pipe or fork failed; detail: the errno).
Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// True while `pid` names a process that exists and is not a zombie (reads /proc/<pid>/stat).
/// For tests that check a process is gone.
bool process_alive(pid_t pid);

}  // namespace mqtls::testing
