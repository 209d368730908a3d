// ReconnectBackoff: exponential backoff with full jitter, driven by caller-supplied randomness.
#include <cstdint>
#include <limits>

#include "mqtls/node/backoff.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

constexpr std::uint32_t lowest_random = 0;
constexpr std::uint32_t highest_random = 0xFFFFFFFFU;

ReconnectBackoffConfig one_second_to_five_minutes(std::uint32_t max_attempts = 0) {
    ReconnectBackoffConfig config;
    config.base = Duration::from_seconds(1);
    config.cap = Duration::from_seconds(300);
    config.max_attempts = max_attempts;
    return config;
}

TEST(ReconnectBackoff, DefaultsMatchTheSeedClientsFiveSecondRetry) {
    const ReconnectBackoffConfig config;
    EXPECT_EQ(config.base.millis(), 5'000);
    EXPECT_EQ(config.cap.millis(), 300'000);
    EXPECT_EQ(config.max_attempts, 0U);
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(config);
    ASSERT_TRUE(backoff.has_value());
    const Result<Duration> first = backoff->next_delay(highest_random);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->millis(), 5'000);
}

TEST(ReconnectBackoff, RejectsInvalidConfigs) {
    ReconnectBackoffConfig zero_base = one_second_to_five_minutes();
    zero_base.base = Duration::from_millis(0);
    const Result<ReconnectBackoff> zero = ReconnectBackoff::create(zero_base);
    ASSERT_FALSE(zero.has_value());
    EXPECT_EQ(zero.error().code, Errc::invalid_argument);

    ReconnectBackoffConfig negative_base = one_second_to_five_minutes();
    negative_base.base = Duration::from_millis(-5);
    negative_base.cap = Duration::from_millis(-1);
    const Result<ReconnectBackoff> negative = ReconnectBackoff::create(negative_base);
    ASSERT_FALSE(negative.has_value());
    EXPECT_EQ(negative.error().code, Errc::invalid_argument);

    ReconnectBackoffConfig cap_below_base = one_second_to_five_minutes();
    cap_below_base.cap = Duration::from_millis(999);
    const Result<ReconnectBackoff> below = ReconnectBackoff::create(cap_below_base);
    ASSERT_FALSE(below.has_value());
    EXPECT_EQ(below.error().code, Errc::invalid_argument);

    ReconnectBackoffConfig cap_equal_to_base = one_second_to_five_minutes();
    cap_equal_to_base.cap = cap_equal_to_base.base;
    EXPECT_TRUE(ReconnectBackoff::create(cap_equal_to_base).has_value());
}

TEST(ReconnectBackoff, DelaysSpanZeroToTheDoublingBoundUpToTheCap) {
    Result<ReconnectBackoff> low = ReconnectBackoff::create(one_second_to_five_minutes());
    Result<ReconnectBackoff> high = ReconnectBackoff::create(one_second_to_five_minutes());
    ASSERT_TRUE(low.has_value());
    ASSERT_TRUE(high.has_value());
    std::int64_t expected_bound_ms = 1'000;  // min(cap, base * 2^attempt)
    for (std::uint32_t attempt = 0; attempt <= 40; ++attempt) {
        ASSERT_EQ(low->attempt(), attempt);
        const Result<Duration> shortest = low->next_delay(lowest_random);
        const Result<Duration> longest = high->next_delay(highest_random);
        ASSERT_TRUE(shortest.has_value());
        ASSERT_TRUE(longest.has_value());
        EXPECT_EQ(shortest->millis(), 0) << "attempt " << attempt;
        EXPECT_EQ(longest->millis(), expected_bound_ms) << "attempt " << attempt;
        expected_bound_ms = expected_bound_ms * 2 < 300'000 ? expected_bound_ms * 2 : 300'000;
    }
    EXPECT_EQ(low->attempt(), 41U);
    EXPECT_EQ(expected_bound_ms, 300'000);  // the cap was reached long before attempt 40
}

TEST(ReconnectBackoff, ReachesTheCapAtTheFirstDoublingAboveIt) {
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(one_second_to_five_minutes());
    ASSERT_TRUE(backoff.has_value());
    const std::int64_t expected_ms[] = {1'000,  2'000,   4'000,   8'000,   16'000, 32'000,
                                        64'000, 128'000, 256'000, 300'000, 300'000};
    for (const std::int64_t expected : expected_ms) {
        const Result<Duration> delay = backoff->next_delay(highest_random);
        ASSERT_TRUE(delay.has_value());
        EXPECT_EQ(delay->millis(), expected);
    }
}

TEST(ReconnectBackoff, RandomValueSelectsProportionallyWithinTheBound) {
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(one_second_to_five_minutes());
    ASSERT_TRUE(backoff.has_value());
    // Attempt 0 draws from the 1001 values 0..1000 ms: half-way is floor(1001 / 2).
    const Result<Duration> half = backoff->next_delay(0x80000000U);
    ASSERT_TRUE(half.has_value());
    EXPECT_EQ(half->millis(), 500);
    // Attempt 1 draws from 0..2000 ms; a quarter of the random range is floor(2001 / 4).
    const Result<Duration> quarter = backoff->next_delay(0x40000000U);
    ASSERT_TRUE(quarter.has_value());
    EXPECT_EQ(quarter->millis(), 500);
}

TEST(ReconnectBackoff, HugeCapAndManyAttemptsNeverOverflow) {
    ReconnectBackoffConfig config;
    config.base = Duration::from_millis(1);
    config.cap = Duration::from_millis(std::numeric_limits<std::int64_t>::max());
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(config);
    ASSERT_TRUE(backoff.has_value());
    std::int64_t previous_ms = 0;
    for (std::uint32_t attempt = 0; attempt < 200; ++attempt) {
        const Result<Duration> delay = backoff->next_delay(highest_random);
        ASSERT_TRUE(delay.has_value());
        EXPECT_GE(delay->millis(), previous_ms) << "attempt " << attempt;
        previous_ms = delay->millis();
    }
    // At the cap of 2^63 - 1 ms, the highest random value selects (2^32 - 1) / 2^32 of 2^63.
    EXPECT_EQ(previous_ms,
              std::numeric_limits<std::int64_t>::max() - ((std::int64_t{1} << 31) - 1));
}

TEST(ReconnectBackoff, ResetStartsOverFromTheBase) {
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(one_second_to_five_minutes());
    ASSERT_TRUE(backoff.has_value());
    for (int attempt = 0; attempt < 5; ++attempt) {
        ASSERT_TRUE(backoff->next_delay(highest_random).has_value());
    }
    EXPECT_EQ(backoff->attempt(), 5U);
    backoff->reset();
    EXPECT_EQ(backoff->attempt(), 0U);
    const Result<Duration> delay = backoff->next_delay(highest_random);
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(delay->millis(), 1'000);
}

TEST(ReconnectBackoff, GivesUpWithClosedAfterMaxAttempts) {
    Result<ReconnectBackoff> backoff = ReconnectBackoff::create(one_second_to_five_minutes(3));
    ASSERT_TRUE(backoff.has_value());
    for (int attempt = 0; attempt < 3; ++attempt) {
        ASSERT_TRUE(backoff->next_delay(highest_random).has_value());
    }
    const Result<Duration> exhausted = backoff->next_delay(highest_random);
    ASSERT_FALSE(exhausted.has_value());
    EXPECT_EQ(exhausted.error().code, Errc::closed);
    EXPECT_EQ(backoff->attempt(), 3U);  // giving up does not count as another attempt
    EXPECT_FALSE(backoff->next_delay(lowest_random).has_value());

    backoff->reset();
    const Result<Duration> after_reset = backoff->next_delay(highest_random);
    ASSERT_TRUE(after_reset.has_value());
    EXPECT_EQ(after_reset->millis(), 1'000);
}

}  // namespace
}  // namespace mqtls::node::test
