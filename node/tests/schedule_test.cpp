// PublishSchedule: fixed-period due times, anchored to start() so that they never drift.
#include <cstdint>
#include <limits>

#include "mqtls/node/schedule.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

constexpr Duration ten_seconds = Duration::from_seconds(10);

Instant at_ms(std::int64_t ms) { return Instant::from_millis(ms); }

TEST(PublishSchedule, RejectsZeroAndNegativePeriods) {
    const Result<PublishSchedule> zero = PublishSchedule::create(Duration::from_millis(0));
    ASSERT_FALSE(zero.has_value());
    EXPECT_EQ(zero.error().code, Errc::invalid_argument);
    const Result<PublishSchedule> negative = PublishSchedule::create(Duration::from_millis(-1));
    ASSERT_FALSE(negative.has_value());
    EXPECT_EQ(negative.error().code, Errc::invalid_argument);
    EXPECT_TRUE(PublishSchedule::create(Duration::from_millis(1)).has_value());
}

TEST(PublishSchedule, IsIdleUntilStarted) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    EXPECT_TRUE(schedule->next_due().is_never());
    EXPECT_FALSE(schedule->due(at_ms(0)));
    EXPECT_FALSE(schedule->due(Instant::never()));
    EXPECT_EQ(schedule->period().millis(), 10'000);
}

TEST(PublishSchedule, FirstReadingIsDueImmediatelyAtStart) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(1'000));
    EXPECT_EQ(schedule->next_due().millis(), 1'000);
    EXPECT_FALSE(schedule->due(at_ms(999)));
    EXPECT_TRUE(schedule->due(at_ms(1'000)));
    EXPECT_TRUE(schedule->due(at_ms(1'001)));
    EXPECT_EQ(schedule->missed_slots(), 0U);
}

TEST(PublishSchedule, PublishingLatencyDoesNotDriftOverAThousandPeriods) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(5'000));
    for (std::int64_t slot = 0; slot < 1000; ++slot) {
        const std::int64_t due_ms = 5'000 + slot * 10'000;
        ASSERT_EQ(schedule->next_due().millis(), due_ms);
        ASSERT_TRUE(schedule->due(at_ms(due_ms + 37)));
        // Every reading goes out 37 ms late; re-anchoring on `now` would drift 37 s by the end.
        schedule->mark_published(at_ms(due_ms + 37));
        ASSERT_FALSE(schedule->due(at_ms(due_ms + 37)));
    }
    EXPECT_EQ(schedule->next_due().millis(), 10'005'000);
    EXPECT_EQ(schedule->missed_slots(), 0U);
}

TEST(PublishSchedule, LessThanOnePeriodLateSkipsNothing) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(0));
    schedule->mark_published(at_ms(9'999));
    EXPECT_EQ(schedule->next_due().millis(), 10'000);
    EXPECT_EQ(schedule->missed_slots(), 0U);
}

TEST(PublishSchedule, ExactlyOnePeriodLateSkipsOneSlot) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(0));
    schedule->mark_published(at_ms(0));
    // Due at 10 s, published at 20 s: the 10 s slot is lost, the reading fills the 20 s slot.
    schedule->mark_published(at_ms(20'000));
    EXPECT_EQ(schedule->next_due().millis(), 30'000);
    EXPECT_EQ(schedule->missed_slots(), 1U);
}

TEST(PublishSchedule, LatePublishSkipsMissedSlotsAndKeepsThePhase) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(0));
    schedule->mark_published(at_ms(0));
    // Due at 10 s, published at 35 s: the 10 s and 20 s slots are lost, the reading stands for
    // the 30 s slot and the next one stays on the 10 s grid.
    schedule->mark_published(at_ms(35'000));
    EXPECT_EQ(schedule->next_due().millis(), 40'000);
    EXPECT_EQ(schedule->missed_slots(), 2U);
    schedule->mark_published(at_ms(40'000));
    EXPECT_EQ(schedule->next_due().millis(), 50'000);
    EXPECT_EQ(schedule->missed_slots(), 2U);
    schedule->mark_published(at_ms(75'500));
    EXPECT_EQ(schedule->next_due().millis(), 80'000);
    EXPECT_EQ(schedule->missed_slots(), 4U);
}

TEST(PublishSchedule, EarlyPublishAdvancesOnePeriodFromTheDueTime) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(10'000));
    schedule->mark_published(at_ms(4'000));
    EXPECT_EQ(schedule->next_due().millis(), 20'000);
    EXPECT_EQ(schedule->missed_slots(), 0U);
}

TEST(PublishSchedule, MarkPublishedBeforeStartStartsTheSchedule) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->mark_published(at_ms(3'000));
    EXPECT_EQ(schedule->next_due().millis(), 13'000);
    EXPECT_EQ(schedule->missed_slots(), 0U);
}

TEST(PublishSchedule, StartAgainResetsMissedSlots) {
    Result<PublishSchedule> schedule = PublishSchedule::create(ten_seconds);
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(0));
    schedule->mark_published(at_ms(50'000));
    EXPECT_EQ(schedule->missed_slots(), 5U);
    schedule->start(at_ms(60'123));
    EXPECT_EQ(schedule->missed_slots(), 0U);
    EXPECT_EQ(schedule->next_due().millis(), 60'123);
}

TEST(PublishSchedule, MissedSlotsSaturateInsteadOfWrapping) {
    Result<PublishSchedule> schedule = PublishSchedule::create(Duration::from_millis(1));
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(0));
    schedule->mark_published(at_ms(std::int64_t{1} << 40));
    EXPECT_EQ(schedule->missed_slots(), std::numeric_limits<std::uint32_t>::max());
    EXPECT_EQ(schedule->next_due().millis(), (std::int64_t{1} << 40) + 1);
    schedule->mark_published(at_ms(std::int64_t{1} << 41));
    EXPECT_EQ(schedule->missed_slots(), std::numeric_limits<std::uint32_t>::max());
}

TEST(PublishSchedule, HugePeriodSaturatesAtNeverInsteadOfWrapping) {
    Result<PublishSchedule> schedule =
        PublishSchedule::create(Duration::from_millis(std::numeric_limits<std::int64_t>::max()));
    ASSERT_TRUE(schedule.has_value());
    schedule->start(at_ms(1'000));
    schedule->mark_published(at_ms(1'000));
    EXPECT_TRUE(schedule->next_due().is_never());
    EXPECT_FALSE(schedule->due(at_ms(std::numeric_limits<std::int64_t>::max() - 1)));
}

}  // namespace
}  // namespace mqtls::node::test
