#include "mqtls/port/posix/clock.hpp"

#include <gtest/gtest.h>
#include <time.h>

namespace mqtls::port::posix {
namespace {

TEST(Clock, MonotonicNeverDecreases) {
    Instant previous = monotonic_now();
    for (int i = 0; i < 10'000; ++i) {
        const Instant now = monotonic_now();
        ASSERT_GE(now, previous);
        previous = now;
    }
}

TEST(Clock, MonotonicAdvancesAtLeastAsMuchAsWeSleep) {
    const Instant before = monotonic_now();
    const timespec pause{0, 20'000'000};
    ASSERT_EQ(::nanosleep(&pause, nullptr), 0);
    const Duration slept = monotonic_now() - before;
    EXPECT_GE(slept, Duration::from_millis(20));
    EXPECT_LT(slept, Duration::from_seconds(5));
}

TEST(Clock, WallClockIsUnixSeconds) {
    // 2024-01-01T00:00:00Z: this code did not exist before, so an earlier reading is a wrong
    // clock, and a reading in milliseconds would be far beyond the upper bound (year 2100).
    constexpr std::int64_t k2024 = 1'704'067'200;
    constexpr std::int64_t k2100 = 4'102'444'800;
    const std::int64_t now = wall_clock_seconds();
    EXPECT_GE(now, k2024);
    EXPECT_LT(now, k2100);
    // time() may read a coarser clock, a tick behind CLOCK_REALTIME, so allow one second.
    const auto reference = static_cast<std::int64_t>(::time(nullptr));
    EXPECT_LE(now - reference, 1);
    EXPECT_LE(reference - now, 1);
}

TEST(Clock, SystemWallClockIsInjectable) {
    const WallClockFn clock = system_wall_clock;
    const std::int64_t a = clock();
    const std::int64_t b = wall_clock_seconds();
    EXPECT_LE(a, b);
    EXPECT_LE(b - a, 5);

    const WallClockFn fixed = [] { return std::int64_t{1'700'000'000}; };
    EXPECT_EQ(fixed(), 1'700'000'000);
}

}  // namespace
}  // namespace mqtls::port::posix
