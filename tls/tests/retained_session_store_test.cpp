// The retained session store across simulated resets: a second store over the same bytes loads
// what the first saved, a reset at every byte of a save (or an erase) leaves the old session or
// the new one, whole, and garbage or corrupt regions yield nothing rather than a mix. Portable:
// runs on the host and under QEMU (static regions, no heap, no mbedTLS).
#include "mqtls/tls/retained_session_store.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "mqtls_test.hpp"
#include "retained_power_cut.hpp"

namespace mqtls::tls::test {
namespace {

using mqtls::test::PowerCutHook;
using mqtls::test::PowerSupply;
using mqtls::test::Tear;

constexpr std::size_t blob_capacity = 200;
using Region = RetainedSessionRegion<blob_capacity>;

// Placed in RTC memory as it is, so it must stay plain bytes.
static_assert(std::is_trivial_v<Region>);
static_assert(sizeof(Region) == 2 * (retained_session_header_bytes + blob_capacity));

// A stand-in for a sealed blob: `size` bytes derived from `seed`.
struct Blob {
    std::uint8_t bytes[blob_capacity] = {};
    std::size_t size = 0;
    Blob(std::uint8_t seed, std::size_t length) : size(length) {
        for (std::size_t i = 0; i < length; ++i) {
            bytes[i] = static_cast<std::uint8_t>(seed + i * 13U);
        }
    }
    [[nodiscard]] bytes_view view() const { return {bytes, size}; }
};

// What load() returns: 0 = nothing, 1 = `first`, 2 = `second`, -1 = anything else (a mix, or
// an error).
int loaded(RetainedSessionStore& store, const Blob& first, const Blob& second) {
    std::uint8_t out[blob_capacity] = {};
    const Result<std::size_t> got = store.load(mutable_bytes(out, sizeof out));
    if (!got) return -1;
    if (*got == 0) return 0;
    if (equal_bytes(bytes_view(out, *got), first.view())) return 1;
    if (equal_bytes(bytes_view(out, *got), second.view())) return 2;
    return -1;
}

// True when `needle` occurs anywhere in `haystack`.
bool contains(bytes_view haystack, bytes_view needle) {
    for (std::size_t at = 0; at + needle.size() <= haystack.size(); ++at) {
        if (equal_bytes(haystack.subspan(at, needle.size()), needle)) return true;
    }
    return false;
}

TEST(RetainedSessionStore, ASecondStoreOverTheSameBytesLoadsWhatTheFirstSaved) {
    static Region region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    const Blob first(1, 120);
    const Blob second(2, 90);
    {
        RetainedSessionStore store(region);
        EXPECT_EQ(store.contents(), RetainedContents::blank);
        EXPECT_EQ(store.capacity(), blob_capacity);
        EXPECT_EQ(loaded(store, first, second), 0);
        ASSERT_TRUE(store.save(first.view()).has_value());
    }
    RetainedSessionStore after_reset(region);
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);
    EXPECT_EQ(loaded(after_reset, first, second), 1);
    ASSERT_TRUE(after_reset.save(second.view()).has_value());
    RetainedSessionStore second_reset(region);
    EXPECT_EQ(loaded(second_reset, first, second), 2);
    EXPECT_EQ(second_reset.generation(), 2U);
}

TEST(RetainedSessionStore, EraseForgetsTheSessionAndWipesItsBytes) {
    static Region region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    const Blob first(3, 150);
    const Blob second(4, 150);
    RetainedSessionStore store(region);
    ASSERT_TRUE(store.save(first.view()).has_value());
    ASSERT_TRUE(store.save(second.view()).has_value());
    ASSERT_TRUE(store.erase().has_value());
    RetainedSessionStore after_reset(region);
    EXPECT_EQ(loaded(after_reset, first, second), 0);
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);  // an erased entry
    // The newest blob is gone from memory, not only from the index (it holds a master secret).
    EXPECT_FALSE(contains(bytes_view(region.bytes), second.view()));
    // Saving again works from there.
    ASSERT_TRUE(after_reset.save(first.view()).has_value());
    EXPECT_EQ(loaded(after_reset, first, second), 1);
}

TEST(RetainedSessionStore, CapacityComesFromTheRegion) {
    static std::uint8_t odd[2 * (retained_session_header_bytes + 33) + 1] = {};
    RetainedSessionStore store{mutable_bytes(odd, sizeof odd)};
    EXPECT_EQ(store.capacity(), 33U);
    const Blob fits(5, 33);
    const Blob too_big(6, 34);
    ASSERT_TRUE(store.save(fits.view()).has_value());
    const Result<void> refused = store.save(too_big.view());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::message_too_large);
    EXPECT_EQ(loaded(store, fits, too_big), 1);  // the refused save changed nothing
    std::uint8_t small_out[32];
    const Result<std::size_t> short_buffer = store.load(mutable_bytes(small_out, sizeof small_out));
    ASSERT_FALSE(short_buffer.has_value());
    EXPECT_EQ(short_buffer.error().code, Errc::message_too_large);

    std::uint8_t tiny[2 * retained_session_header_bytes - 1] = {};
    RetainedSessionStore too_small{mutable_bytes(tiny, sizeof tiny)};
    EXPECT_EQ(too_small.capacity(), 0U);
    EXPECT_FALSE(too_small.save(bytes_view()).has_value());
    EXPECT_FALSE(too_small.erase().has_value());
}

TEST(RetainedSessionStore, AGarbageRegionLoadsNothingAndSaysItWasDiscarded) {
    static Region region;
    for (std::size_t i = 0; i < sizeof region.bytes; ++i) {
        region.bytes[i] = static_cast<std::uint8_t>(i * 29U + 7U);
    }
    RetainedSessionStore store(region);
    EXPECT_EQ(store.contents(), RetainedContents::discarded);
    const Blob blob(7, 64);
    EXPECT_EQ(loaded(store, blob, blob), 0);
    ASSERT_TRUE(store.save(blob.view()).has_value());
    RetainedSessionStore after_reset(region);
    EXPECT_EQ(after_reset.contents(), RetainedContents::recovered);
    EXPECT_EQ(loaded(after_reset, blob, blob), 1);
}

// Would fail without the checksum over the blob: the corrupt blob would be loaded.
TEST(RetainedSessionStore, ACorruptBlobFallsBackToThePreviousSession) {
    static Region region;
    std::memset(region.bytes, 0, sizeof region.bytes);
    const Blob first(8, 100);
    const Blob second(9, 100);
    {
        RetainedSessionStore store(region);
        ASSERT_TRUE(store.save(first.view()).has_value());   // slot 0
        ASSERT_TRUE(store.save(second.view()).has_value());  // slot 1
    }
    const std::size_t slot = sizeof region.bytes / 2;
    region.bytes[slot + retained_session_header_bytes + 50] ^= 0x10U;
    RetainedSessionStore after_reset(region);
    EXPECT_EQ(loaded(after_reset, first, second), 1);
    region.bytes[retained_session_header_bytes + 10] ^= 0x01U;
    RetainedSessionStore neither(region);
    EXPECT_EQ(loaded(neither, first, second), 0);
    EXPECT_EQ(neither.contents(), RetainedContents::discarded);
}

// One save (or erase) cut at every byte it stores. `before` is saved first (unless empty), and
// `saves_before` more saves of it put both slots in use.
struct CutCase {
    const Blob* before;
    const Blob* after;  // nullptr: the cut operation is erase()
    int saves_before;
};

// Runs `op` with the power failing after `landed` bytes; returns what a store loads after the
// reset (see loaded()) and whether the operation reported success.
int cut_once(Region& region, const CutCase& cut, std::size_t landed, Tear tear, bool& finished) {
    std::memset(region.bytes, 0, sizeof region.bytes);
    PowerSupply power;
    PowerCutHook hook(power, mutable_bytes(region.bytes));
    {
        RetainedSessionStore store(region, &hook);
        for (int i = 0; i < cut.saves_before; ++i) (void)store.save(cut.before->view());
        power.cut_after(landed, tear);
        finished = cut.after != nullptr ? store.save(cut.after->view()).has_value()
                                        : store.erase().has_value();
    }
    power.restore();
    RetainedSessionStore after_reset(region);
    const Blob& second = cut.after != nullptr ? *cut.after : *cut.before;
    return loaded(after_reset, *cut.before, second);
}

// How many bytes the uncut operation stores.
std::size_t bytes_stored(Region& region, const CutCase& cut) {
    std::memset(region.bytes, 0, sizeof region.bytes);
    PowerSupply power;
    PowerCutHook hook(power, mutable_bytes(region.bytes));
    RetainedSessionStore store(region, &hook);
    for (int i = 0; i < cut.saves_before; ++i) (void)store.save(cut.before->view());
    const std::size_t start = power.stored;
    if (cut.after != nullptr) {
        (void)store.save(cut.after->view());
    } else {
        (void)store.erase();
    }
    return power.stored - start;
}

// One reset after `landed` of the operation's `total` bytes: never a mix, never an error, and
// the old state or the new one as the tear allows.
void check_cut(Region& region, const CutCase& cut, std::size_t landed, std::size_t total,
               Tear tear) {
    bool finished = false;
    const int got = cut_once(region, cut, landed, tear, finished);
    EXPECT_EQ(finished, landed == total) << landed;
    // The operation counts once its header is whole (a save writes its blob first).
    const bool header_whole =
        cut.after != nullptr ? landed == total : landed >= retained_session_header_bytes;
    const int old_state = cut.saves_before == 0 ? 0 : 1;
    const int new_state = cut.after != nullptr ? 2 : 0;
    EXPECT_TRUE(got == old_state || got == new_state)
        << "saves before " << cut.saves_before << ", landed " << landed;
    // Torn front first, the header's checksum lands last: the old state until the header is
    // whole. Torn back first, the new header can be complete before the store returns (its
    // first fields equal the old header's): the new state, early.
    if (tear != Tear::suffix || header_whole) {
        EXPECT_EQ(got, header_whole ? new_state : old_state)
            << "saves before " << cut.saves_before << ", landed " << landed;
    }
}

// Cuts `cut` at every byte it stores, torn in each way; returns the number of resets.
std::size_t cut_at_every_byte(Region& region, const CutCase& cut) {
    const std::size_t total = bytes_stored(region, cut);
    EXPECT_GT(total, retained_session_header_bytes);
    std::size_t cuts = 0;
    for (const Tear tear : {Tear::prefix, Tear::prefix_garbage, Tear::suffix}) {
        for (std::size_t landed = 0; landed <= total; ++landed) {
            check_cut(region, cut, landed, total, tear);
            ++cuts;
        }
    }
    return cuts;
}

TEST(RetainedSessionStore, AResetAtEveryByteOfASaveOrEraseLeavesTheOldSessionOrTheNewOne) {
    static Region region;
    const Blob old_blob(10, 170);
    const Blob new_blob(11, 130);
    const CutCase cases[] = {
        {&old_blob, &new_blob, 0},  // the first save: nothing or the new one
        {&old_blob, &new_blob, 1},  // over an empty slot
        {&old_blob, &new_blob, 2},  // over the older of two sessions
        {&old_blob, nullptr, 2},    // erase: the old one or nothing
    };
    std::size_t cuts = 0;
    for (const CutCase& cut : cases) cuts += cut_at_every_byte(region, cut);
    EXPECT_GT(cuts, 1000U);
    std::printf("retained session store: %u resets during a save or erase, each whole\n",
                static_cast<unsigned>(cuts));
}

}  // namespace
}  // namespace mqtls::tls::test
