#include "mqtls/port/posix/clock.hpp"

#include <ctime>

namespace mqtls::port::posix {

Instant monotonic_now() noexcept {
    timespec now{};
    // Fails only for a clock id the system lacks, and every supported system has this one.
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return Instant::from_millis(static_cast<std::int64_t>(now.tv_sec) * 1000 +
                                static_cast<std::int64_t>(now.tv_nsec) / 1'000'000);
}

namespace {
Instant read_monotonic(void* /*context*/) noexcept { return monotonic_now(); }
}  // namespace

MonotonicClock monotonic_clock() noexcept { return MonotonicClock{&read_monotonic, nullptr}; }

std::int64_t wall_clock_seconds() noexcept {
    timespec now{};
    if (::clock_gettime(CLOCK_REALTIME, &now) != 0) return 0;
    return static_cast<std::int64_t>(now.tv_sec);
}

std::int64_t wall_clock_milliseconds() noexcept {
    timespec now{};
    if (::clock_gettime(CLOCK_REALTIME, &now) != 0) return 0;
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

}  // namespace mqtls::port::posix
