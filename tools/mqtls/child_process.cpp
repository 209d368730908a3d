#include "child_process.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace mqtls::cli {
namespace {

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

LineReader::LineReader(LineReader&& other) noexcept
    : fd_(other.fd_), partial_(std::move(other.partial_)) {
    other.fd_ = -1;
}

LineReader& LineReader::operator=(LineReader&& other) noexcept {
    if (this != &other) {
        close_fd(fd_);
        fd_ = other.fd_;
        partial_ = std::move(other.partial_);
        other.fd_ = -1;
    }
    return *this;
}

LineReader::~LineReader() { close_fd(fd_); }

void LineReader::read_available(std::vector<std::string>& lines) {
    if (fd_ < 0) return;
    char buffer[4096];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (got <= 0) {
        if (!partial_.empty()) lines.push_back(std::move(partial_));
        partial_.clear();
        close_fd(fd_);
        return;
    }
    partial_.append(buffer, static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t newline = partial_.find('\n'); newline != std::string::npos;
         newline = partial_.find('\n', start)) {
        lines.emplace_back(partial_, start, newline - start);
        start = newline + 1;
    }
    partial_.erase(0, start);
}

std::optional<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv, int& error) {
    host::SpawnOptions options;
    options.argv = argv;
    options.output = host::StreamOptions::pipe();
    options.error = host::StreamOptions::pipe();
    options.own_process_group = true;
    options.death_signal = SIGTERM;
    auto process = host::Process::spawn(options);
    if (!process) {
        error = process.error().detail != 0 ? process.error().detail : EINVAL;
        return std::nullopt;
    }
    return ChildProcess(std::move(*process));
}

bool ChildProcess::stop(std::chrono::milliseconds grace) {
    if (exited()) return true;
    (void)process_.send_signal(SIGTERM);
    if (process_.wait_for(grace)) return true;
    (void)process_.kill();
    return false;
}

}  // namespace mqtls::cli
