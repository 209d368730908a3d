// The retained log storage across simulated resets: a second storage built over the same bytes
// sees exactly what the first one synced, a reset at every byte of a commit leaves the old or
// the new length, and garbage, blank and corrupt regions are told apart. Portable: runs on the
// host and under QEMU (static regions, no heap).
#include "mqtls/node/retained_log_storage.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "mqtls_test.hpp"
#include "retained_power_cut.hpp"

namespace mqtls::node::test {
namespace {

using mqtls::test::PowerCutHook;
using mqtls::test::PowerSupply;
using mqtls::test::Tear;

// Placed in RTC memory as it is, so it must stay plain bytes.
static_assert(std::is_trivial_v<RetainedLogRegion<64>>);
static_assert(std::is_standard_layout_v<RetainedLogRegion<64>>);
static_assert(sizeof(RetainedLogRegion<64>) == retained_log_overhead + 64);

bytes_view text(const char* value) {
    return {reinterpret_cast<const std::uint8_t*>(value), std::strlen(value)};
}

// The log's whole contents equal `expected`.
bool holds(RetainedLogStorage& log, const char* expected) {
    const Result<std::size_t> size = log.size();
    if (!size || *size != std::strlen(expected)) return false;
    std::uint8_t buffer[64] = {};
    const Result<std::size_t> got = log.read(0, mutable_bytes(buffer, sizeof buffer));
    return got && *got == *size && equal_bytes(bytes_view(buffer, *got), text(expected));
}

TEST(RetainedLogStorage, ASecondStorageOverTheSameBytesRecoversWhatWasSynced) {
    static RetainedLogRegion<64> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    {
        RetainedLogStorage log(region);
        EXPECT_EQ(log.contents(), RetainedContents::blank);
        EXPECT_EQ(log.capacity(), 64U);
        ASSERT_TRUE(log.append(text("reading-1|")).has_value());
        ASSERT_TRUE(log.append(text("reading-2|")).has_value());
        ASSERT_TRUE(log.sync().has_value());
    }
    RetainedLogStorage after_reset(region);  // the first one is gone: a reset
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);
    EXPECT_TRUE(holds(after_reset, "reading-1|reading-2|"));
    // And it goes on from there.
    ASSERT_TRUE(after_reset.append(text("3")).has_value());
    ASSERT_TRUE(after_reset.sync().has_value());
    RetainedLogStorage second_reset(region);
    EXPECT_TRUE(holds(second_reset, "reading-1|reading-2|3"));
    EXPECT_EQ(second_reset.sequence(), 2U);
}

TEST(RetainedLogStorage, AppendsAfterTheLastSyncAreLostOnReset) {
    static RetainedLogRegion<64> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    {
        RetainedLogStorage log(region);
        ASSERT_TRUE(log.append(text("synced")).has_value());
        ASSERT_TRUE(log.sync().has_value());
        ASSERT_TRUE(log.append(text("-not-synced")).has_value());
        EXPECT_TRUE(holds(log, "synced-not-synced"));
    }
    RetainedLogStorage after_reset(region);
    EXPECT_TRUE(holds(after_reset, "synced"));
}

// The outbox truncates a segment to 0 before it compacts into it. If that truncation were only
// noted in RAM, a reset after the new appends would show the old synced length over new bytes.
TEST(RetainedLogStorage, ATruncationBelowTheSyncedLengthIsCommittedBeforeAppendsOverwrite) {
    static RetainedLogRegion<64> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    {
        RetainedLogStorage log(region);
        ASSERT_TRUE(log.append(text("abcdef")).has_value());
        ASSERT_TRUE(log.sync().has_value());
        ASSERT_TRUE(log.truncate(2).has_value());
        ASSERT_TRUE(log.append(text("XY")).has_value());  // over the removed "cd", not synced
    }
    RetainedLogStorage after_reset(region);
    EXPECT_TRUE(holds(after_reset, "ab"));  // never "abXYef"
    // A truncation of unsynced bytes only is not a store at all.
    const std::uint32_t sequence = after_reset.sequence();
    ASSERT_TRUE(after_reset.append(text("cd")).has_value());
    ASSERT_TRUE(after_reset.truncate(3).has_value());
    EXPECT_EQ(after_reset.sequence(), sequence);
    EXPECT_FALSE(after_reset.truncate(4).has_value());
}

TEST(RetainedLogStorage, ABlankRegionStartsEmptyAndAGarbageOneSaysItWasDiscarded) {
    static RetainedLogRegion<32> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    RetainedLogStorage blank(region);
    EXPECT_EQ(blank.contents(), RetainedContents::blank);
    EXPECT_EQ(*blank.size(), 0U);

    for (std::size_t i = 0; i < sizeof region.bytes; ++i) {
        region.bytes[i] = static_cast<std::uint8_t>(i * 37U + 11U);
    }
    RetainedLogStorage garbage(region);
    EXPECT_EQ(garbage.contents(), RetainedContents::discarded);
    EXPECT_EQ(*garbage.size(), 0U);
    // The first sync gives it a valid header, so the next reset recovers (an empty log).
    ASSERT_TRUE(garbage.sync().has_value());
    RetainedLogStorage after_reset(region);
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);
    EXPECT_EQ(*after_reset.size(), 0U);
}

TEST(RetainedLogStorage, ARegionOfAnotherSizeIsDiscarded) {
    static RetainedLogRegion<64> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    {
        RetainedLogStorage log(region);
        ASSERT_TRUE(log.append(text("abc")).has_value());
        ASSERT_TRUE(log.sync().has_value());
    }
    // New firmware with a smaller segment over the same memory: the header's capacity differs.
    RetainedLogStorage smaller(mutable_bytes(region.bytes, sizeof region.bytes - 8));
    EXPECT_EQ(smaller.contents(), RetainedContents::discarded);
    EXPECT_EQ(*smaller.size(), 0U);
}

// Would fail without the header checksum: the corrupted length would be believed.
TEST(RetainedLogStorage, ACorruptNewestHeaderFallsBackToThePreviousSync) {
    static RetainedLogRegion<64> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    {
        RetainedLogStorage log(region);
        ASSERT_TRUE(log.append(text("abc")).has_value());
        ASSERT_TRUE(log.sync().has_value());  // sequence 1, slot 0
        ASSERT_TRUE(log.append(text("def")).has_value());
        ASSERT_TRUE(log.sync().has_value());  // sequence 2, slot 1
    }
    // Slot 1's length field (offset 16 in the slot) claims 4 bytes: magic and all else intact.
    region.bytes[retained_log_header_bytes + 16] = 4;
    RetainedLogStorage after_reset(region);
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);
    EXPECT_TRUE(holds(after_reset, "abc"));
    EXPECT_EQ(after_reset.sequence(), 1U);
    // Both slots corrupt: nothing is trusted.
    region.bytes[0] ^= 0x01U;
    RetainedLogStorage neither(region);
    EXPECT_EQ(neither.contents(), RetainedContents::discarded);
    EXPECT_EQ(*neither.size(), 0U);
}

// Would fail with one header overwritten in place: a torn header would lose the whole log.
TEST(RetainedLogStorage, AResetAtEveryByteOfASyncLeavesTheOldOrTheNewLength) {
    static RetainedLogRegion<64> region;
    std::size_t cuts = 0;
    for (const Tear tear : {Tear::prefix, Tear::prefix_garbage, Tear::suffix}) {
        // Two syncs before, so both slots hold valid headers and the next one overwrites one.
        for (std::size_t landed = 0; landed <= retained_log_header_bytes; ++landed) {
            std::memset(region.bytes, 0, sizeof region.bytes);
            PowerSupply power;
            PowerCutHook hook(power, mutable_bytes(region.bytes));
            {
                RetainedLogStorage log(region, &hook);
                ASSERT_TRUE(log.append(text("one")).has_value());
                ASSERT_TRUE(log.sync().has_value());
                ASSERT_TRUE(log.append(text("two")).has_value());
                ASSERT_TRUE(log.sync().has_value());
                ASSERT_TRUE(log.append(text("three")).has_value());
                power.cut_after(landed, tear);  // during the header store of this sync
                const bool synced = log.sync().has_value();
                EXPECT_EQ(synced, landed == retained_log_header_bytes);
            }
            power.restore();
            RetainedLogStorage after_reset(region, &hook);
            EXPECT_EQ(after_reset.contents(), RetainedContents::recovered) << landed;
            // The old length or the new one. Torn front first (the checksum lands last), the
            // old one until the header is whole; torn back first, the new header may be whole
            // early, since its first fields equal the overwritten header's.
            const bool old_length = holds(after_reset, "onetwo");
            const bool new_length = holds(after_reset, "onetwothree");
            EXPECT_TRUE(old_length || new_length) << landed;
            if (landed == retained_log_header_bytes) {
                EXPECT_TRUE(new_length) << landed;
            } else if (tear != Tear::suffix) {
                EXPECT_TRUE(old_length) << landed;
            }
            ++cuts;
        }
    }
    EXPECT_EQ(cuts, 3 * (retained_log_header_bytes + 1));
    std::printf("retained log: %u resets during a header store, each recovered\n",
                static_cast<unsigned>(cuts));
}

TEST(RetainedLogStorage, RefusesOverflowAndRegionsTooSmallToHoldItsHeaders) {
    static RetainedLogRegion<8> region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    RetainedLogStorage log(region);
    ASSERT_TRUE(log.append(text("abcdef")).has_value());
    const Result<void> overflow = log.append(text("xyz"));
    ASSERT_FALSE(overflow.has_value());
    EXPECT_EQ(overflow.error().code, Errc::storage_full);
    std::uint8_t out[4];
    const Result<std::size_t> got = log.read(4, mutable_bytes(out, sizeof out));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, 2U);  // short at the end
    EXPECT_FALSE(log.read(7, mutable_bytes(out, sizeof out)).has_value());

    std::uint8_t tiny[retained_log_overhead - 1] = {};
    RetainedLogStorage too_small{mutable_bytes(tiny, sizeof tiny)};
    EXPECT_EQ(too_small.capacity(), 0U);
    EXPECT_FALSE(too_small.append(text("a")).has_value());
    EXPECT_FALSE(too_small.sync().has_value());
}

TEST(RetainedMemory, GenerationsCompareAcrossTheWrap) {
    EXPECT_TRUE(newer_generation(2, 1));
    EXPECT_FALSE(newer_generation(1, 2));
    EXPECT_FALSE(newer_generation(7, 7));
    EXPECT_TRUE(newer_generation(0, 0xFFFFFFFFU));
    EXPECT_FALSE(newer_generation(0xFFFFFFFFU, 0));
}

}  // namespace
}  // namespace mqtls::node::test
