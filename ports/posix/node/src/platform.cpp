#include "mqtls/port/posix/platform.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"

namespace mqtls::port::posix {
namespace {

std::int64_t wall_clock(void* /*context*/) noexcept { return wall_clock_seconds(); }
std::int64_t wall_clock_ms(void* /*context*/) noexcept { return wall_clock_milliseconds(); }

// Nothing to service: sleep until `until`. A signal (a stop request) ends the sleep early,
// since nanosleep is never restarted after a handler ran (signal(7)), so the caller's loop
// sees the stop at once.
void idle_until(void* /*context*/, Instant until) noexcept {
    const Duration left = until - monotonic_now();
    if (left.millis() <= 0) return;
    timespec sleep{};
    sleep.tv_sec = static_cast<std::time_t>(left.millis() / 1000);
    sleep.tv_nsec = static_cast<long>(left.millis() % 1000) * 1'000'000L;
    (void)::nanosleep(&sleep, nullptr);
}

}  // namespace

Result<bool> FileSessionKey::load(tls::SessionKey& key) noexcept {
    replaced_bytes_.reset();
    Result<tls::SessionKey> loaded = load_or_create_session_key(path_);
    if (!loaded && loaded.error().code == Errc::session_key_invalid) {
        replaced_bytes_ = loaded.error().detail;
        loaded = replace_session_key(path_);
    }
    if (!loaded) return loaded.error();
    key = *loaded;
    return true;
}

Result<OutboxSegments> OutboxSegments::open_files(const std::string& directory) noexcept {
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        return Error{Errc::file_write_failed, errno};
    }
    OutboxSegments segments;
    for (int i = 0; i < 2; ++i) {
        Result<FileLogStorage> file =
            FileLogStorage::open(directory + "/segment-" + std::to_string(i) + ".log");
        if (!file) return file.error();
        segments.files_[i].emplace(std::move(*file));
    }
    return segments;
}

OutboxSegments OutboxSegments::in_ram(std::size_t segment_bytes) {
    OutboxSegments segments;
    for (int i = 0; i < 2; ++i) {
        segments.memory_[i] = std::make_unique<std::uint8_t[]>(segment_bytes);
        segments.ram_[i].emplace(mutable_bytes(segments.memory_[i].get(), segment_bytes));
    }
    return segments;
}

node::LogStorage& OutboxSegments::segment(int index) noexcept {
    if (files_[index]) return *files_[index];
    return *ram_[index];
}

Platform::Platform() noexcept {
    platform_.stream = &stream_;
    platform_.clock = monotonic_clock();
    platform_.wall_clock = tls::WallClock{&wall_clock, nullptr};
    platform_.wall_clock_ms = &wall_clock_ms;
    platform_.entropy = tls::EntropySource{&getrandom_entropy, nullptr};
    platform_.idle_until = &idle_until;
}

Result<void> Platform::open_outbox_segments(const std::string& directory) noexcept {
    // The old files close (and unlock) before the new ones open: reopening one folder works.
    segments_.reset();
    point_at_segments();
    Result<OutboxSegments> opened = OutboxSegments::open_files(directory);
    if (!opened) return opened.error();
    segments_.emplace(std::move(*opened));
    point_at_segments();
    return ok();
}

void Platform::use_ram_outbox_segments(std::size_t segment_bytes) {
    segments_.reset();
    segments_.emplace(OutboxSegments::in_ram(segment_bytes));
    point_at_segments();
}

void Platform::use_session_files(const std::string& session_file, const std::string& key_file) {
    store_ = std::make_unique<FileSessionStore>(session_file);
    key_ = std::make_unique<FileSessionKey>(key_file);
    platform_.sessions = store_.get();
    platform_.session_key = key_.get();
}

void Platform::forget_session_files() noexcept {
    platform_.sessions = nullptr;
    platform_.session_key = nullptr;
    store_.reset();
    key_.reset();
}

void Platform::point_at_segments() noexcept {
    for (int i = 0; i < 2; ++i) {
        platform_.outbox_segments[i] = segments_ ? &segments_->segment(i) : nullptr;
    }
}

}  // namespace mqtls::port::posix
