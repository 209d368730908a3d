#include "mqtls/core/time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace mqtls {
namespace {

constexpr std::int64_t max_ms = std::numeric_limits<std::int64_t>::max();

TEST(Duration, DefaultIsZero) { EXPECT_EQ(Duration().millis(), 0); }

TEST(Duration, FromSecondsIsThousandMillis) {
    EXPECT_EQ(Duration::from_seconds(3).millis(), 3000);
    EXPECT_EQ(Duration::from_seconds(-2).millis(), -2000);
    EXPECT_EQ(Duration::from_seconds(65535).millis(), 65'535'000);  // the largest MQTT keep-alive
    EXPECT_EQ(Duration::from_seconds(1), Duration::from_millis(1000));
}

TEST(Duration, Arithmetic) {
    const auto a = Duration::from_millis(1500);
    const auto b = Duration::from_millis(400);
    EXPECT_EQ((a + b).millis(), 1900);
    EXPECT_EQ((a - b).millis(), 1100);
    EXPECT_EQ((b - a).millis(), -1100);
}

TEST(Duration, Comparisons) {
    const auto small = Duration::from_millis(1);
    const auto large = Duration::from_millis(2);
    EXPECT_TRUE(small < large);
    EXPECT_TRUE(small <= large);
    EXPECT_TRUE(small <= small);
    EXPECT_TRUE(large > small);
    EXPECT_TRUE(large >= small);
    EXPECT_TRUE(large >= large);
    EXPECT_TRUE(small != large);
    EXPECT_FALSE(small == large);
    EXPECT_FALSE(large < small);
    EXPECT_FALSE(small > large);
}

TEST(Instant, DefaultIsEpoch) {
    EXPECT_EQ(Instant().millis(), 0);
    EXPECT_FALSE(Instant().is_never());
}

TEST(Instant, AddAndSubtract) {
    const auto start = Instant::from_millis(10'000);
    const auto later = start + Duration::from_seconds(5);
    EXPECT_EQ(later.millis(), 15'000);
    EXPECT_EQ((later - start).millis(), 5000);
    EXPECT_EQ((start - later).millis(), -5000);
    EXPECT_EQ((start + Duration::from_millis(-250)).millis(), 9750);
}

TEST(Instant, Comparisons) {
    const auto early = Instant::from_millis(5);
    const auto late = Instant::from_millis(6);
    EXPECT_TRUE(early < late);
    EXPECT_TRUE(early <= late);
    EXPECT_TRUE(late > early);
    EXPECT_TRUE(late >= early);
    EXPECT_TRUE(early != late);
    EXPECT_TRUE(early == Instant::from_millis(5));
    EXPECT_FALSE(late < early);
    EXPECT_TRUE(late < Instant::never());
}

TEST(Instant, NeverIsTheLargestInstant) {
    EXPECT_TRUE(Instant::never().is_never());
    EXPECT_EQ(Instant::never().millis(), max_ms);
    EXPECT_FALSE(Instant::from_millis(max_ms - 1).is_never());
}

TEST(Instant, NeverPlusAnythingStaysNever) {
    EXPECT_TRUE((Instant::never() + Duration::from_millis(1)).is_never());
    EXPECT_TRUE((Instant::never() + Duration()).is_never());
    // "No deadline" must not turn into a real deadline because someone subtracted a margin.
    EXPECT_TRUE((Instant::never() + Duration::from_millis(-1000)).is_never());
}

TEST(Instant, AdditionSaturatesInsteadOfWrappingIntoThePast) {
    const auto near_end = Instant::from_millis(max_ms - 10);
    EXPECT_TRUE((near_end + Duration::from_millis(11)).is_never());
    EXPECT_TRUE((near_end + Duration::from_millis(max_ms)).is_never());
    EXPECT_TRUE((Instant::from_millis(1) + Duration::from_millis(max_ms)).is_never());
    // Exactly reaching the end is representable and equals never().
    EXPECT_TRUE((near_end + Duration::from_millis(10)).is_never());
    // One short of the end is an ordinary instant.
    EXPECT_EQ((near_end + Duration::from_millis(9)).millis(), max_ms - 1);
    // A saturated result must never compare earlier than where it started.
    EXPECT_GT(near_end + Duration::from_millis(1000), near_end);
}

TEST(Instant, NegativeDurationNearTheEndIsExact) {
    const auto near_end = Instant::from_millis(max_ms - 10);
    EXPECT_EQ((near_end + Duration::from_millis(-5)).millis(), max_ms - 15);
}

TEST(Instant, EarliestPicksTheSmaller) {
    const auto a = Instant::from_millis(100);
    const auto b = Instant::from_millis(50);
    EXPECT_EQ(earliest(a, b), b);
    EXPECT_EQ(earliest(b, a), b);
    EXPECT_EQ(earliest(a, Instant::never()), a);
    EXPECT_TRUE(earliest(Instant::never(), Instant::never()).is_never());
}

TEST(Instant, UsableInConstantExpressions) {
    constexpr auto deadline = Instant::from_millis(1000) + Duration::from_seconds(60);
    static_assert(deadline.millis() == 61'000);
    static_assert((Instant::never() + Duration::from_seconds(1)).is_never());
    static_assert(earliest(deadline, Instant::never()) == deadline);
    EXPECT_EQ(deadline.millis(), 61'000);
}

}  // namespace
}  // namespace mqtls
