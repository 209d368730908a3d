// The outbox and its log: push/peek/release, sequence numbers across reopen and compaction,
// the overflow policies, and recovery from torn or corrupted logs. Portable: runs on the host
// and under QEMU (no heap: RAM storages on static buffers).
#include <cstdint>
#include <cstring>

#include "mqtls/node/crc32.hpp"
#include "mqtls/node/log_storage.hpp"
#include "mqtls/node/outbox.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

constexpr std::size_t segment_capacity = 8192;

// Two RAM segments and the outbox memory, reusable across "reboots" (reopen on the same
// segments).
struct Rig {
    std::uint8_t first_memory[segment_capacity] = {};
    std::uint8_t second_memory[segment_capacity] = {};
    RamLogStorage first{mutable_bytes(first_memory, segment_capacity)};
    RamLogStorage second{mutable_bytes(second_memory, segment_capacity)};
    OutboxMemory<8, 64> memory;

    static OutboxConfig small_config() {
        OutboxConfig config = OutboxMemory<8, 64>::config();
        config.max_live_bytes = 256;
        config.segment_bytes = 1024;
        return config;
    }
    Result<Outbox> open(const OutboxConfig& config = small_config()) {
        return Outbox::open(first, second, memory.index, memory.scratch, config);
    }
};

bytes_view text(const char* value) {
    return bytes_view(reinterpret_cast<const std::uint8_t*>(value), std::strlen(value));
}

bool payload_is(const OutboxReading& reading, const char* expected) {
    return equal_bytes(reading.payload, text(expected));
}

TEST(Crc32, MatchesTheStandardCheckValue) {
    EXPECT_EQ(crc32_update(0, text("123456789")), 0xCBF43926U);
    EXPECT_EQ(crc32_update(0, bytes_view()), 0U);
    // Incremental equals one pass.
    EXPECT_EQ(crc32_update(crc32_update(0, text("1234")), text("56789")), 0xCBF43926U);
}

TEST(RamLogStorage, AppendsReadsTruncatesAndRefusesOverflow) {
    std::uint8_t memory[8];
    RamLogStorage log(mutable_bytes(memory, sizeof memory));
    ASSERT_TRUE(log.append(text("abcdef")).has_value());
    const Result<void> overflow = log.append(text("xyz"));
    ASSERT_FALSE(overflow.has_value());
    EXPECT_EQ(overflow.error().code, Errc::storage_full);
    std::uint8_t out[4];
    const Result<std::size_t> got = log.read(4, mutable_bytes(out, sizeof out));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, 2U);  // short at the end
    EXPECT_EQ(out[0], 'e');
    ASSERT_TRUE(log.truncate(2).has_value());
    EXPECT_EQ(*log.size(), 2U);
    EXPECT_FALSE(log.truncate(3).has_value());
}

TEST(Outbox, RejectsConfigsItCannotKeep) {
    static Rig rig;
    OutboxConfig config = Rig::small_config();
    config.max_records = 9;  // more than the index holds
    EXPECT_FALSE(rig.open(config).has_value());
    config = Rig::small_config();
    config.segment_bytes = 300;  // cannot hold the live bounds after a compaction
    const Result<Outbox> tiny = rig.open(config);
    ASSERT_FALSE(tiny.has_value());
    EXPECT_EQ(tiny.error().code, Errc::invalid_argument);
}

TEST(Outbox, StartsFreshPushesPeeksAndReleasesInOrder) {
    static Rig rig;
    Result<Outbox> outbox = rig.open();
    ASSERT_TRUE(outbox.has_value());
    EXPECT_TRUE(outbox->recovery().fresh);
    EXPECT_FALSE(outbox->recovery().discarded_invalid);
    EXPECT_EQ(outbox->next_sequence(), 1U);
    const Result<OutboxPush> first = outbox->push(text("r1"));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->seq, 1U);
    EXPECT_TRUE(first->stored);
    ASSERT_TRUE(outbox->push(text("r2")).has_value());
    EXPECT_EQ(outbox->size(), 2U);
    EXPECT_EQ(outbox->live_bytes(), 4U);
    std::uint8_t buffer[64];
    const Result<OutboxReading> oldest = outbox->peek(0, buffer);
    ASSERT_TRUE(oldest.has_value());
    EXPECT_EQ(oldest->seq, 1U);
    EXPECT_TRUE(payload_is(*oldest, "r1"));
    // Only a live reading can be released.
    const Result<void> not_live = outbox->release(7);
    ASSERT_FALSE(not_live.has_value());
    EXPECT_EQ(not_live.error().code, Errc::invalid_argument);
    ASSERT_TRUE(outbox->release(1).has_value());
    const Result<OutboxReading> next = outbox->peek(0, buffer);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->seq, 2U);
    EXPECT_FALSE(outbox->peek(1, buffer).has_value());
}

TEST(Outbox, ReopenRecoversLiveReadingsAndTheSequence) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        for (const char* reading : {"a", "bb", "ccc", "dddd"}) {
            ASSERT_TRUE(outbox->push(text(reading)).has_value());
        }
        ASSERT_TRUE(outbox->release(1).has_value());
        ASSERT_TRUE(outbox->sync().has_value());
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_FALSE(reopened->recovery().fresh);
    EXPECT_EQ(reopened->recovery().torn_bytes, 0U);
    EXPECT_EQ(reopened->size(), 3U);
    EXPECT_EQ(reopened->next_sequence(), 5U);
    std::uint8_t buffer[64];
    const Result<OutboxReading> oldest = reopened->peek(0, buffer);
    ASSERT_TRUE(oldest.has_value());
    EXPECT_EQ(oldest->seq, 2U);
    EXPECT_TRUE(payload_is(*oldest, "bb"));
    const Result<OutboxReading> newest = reopened->peek(2, buffer);
    ASSERT_TRUE(newest.has_value());
    EXPECT_TRUE(payload_is(*newest, "dddd"));
    // Everything released: the numbering still goes on after a reboot.
    for (std::uint64_t seq = 2; seq <= 4; ++seq) ASSERT_TRUE(reopened->release(seq).has_value());
    ASSERT_TRUE(reopened->sync().has_value());
    Result<Outbox> empty = rig.open();
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->empty());
    EXPECT_EQ(empty->next_sequence(), 5U);
}

TEST(Outbox, CompactsIntoTheOtherSegmentAndKeepsEverything) {
    static Rig rig;
    Result<Outbox> outbox = rig.open();
    ASSERT_TRUE(outbox.has_value());
    const std::uint32_t first_epoch = outbox->recovery().epoch;
    // Far more than one 1 KiB segment holds; two readings stay live throughout.
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(outbox->push(text("a reading of some length")).has_value());
        if (outbox->size() > 2) {
            ASSERT_TRUE(outbox->release(outbox->next_sequence() - 3).has_value());
        }
    }
    ASSERT_TRUE(outbox->sync().has_value());
    EXPECT_LE(*rig.first.size(), 1024U);
    EXPECT_LE(*rig.second.size(), 1024U);
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_GT(reopened->recovery().epoch, first_epoch);
    EXPECT_EQ(reopened->size(), 2U);
    EXPECT_EQ(reopened->next_sequence(), 201U);
    std::uint8_t buffer[64];
    const Result<OutboxReading> oldest = reopened->peek(0, buffer);
    ASSERT_TRUE(oldest.has_value());
    EXPECT_EQ(oldest->seq, 199U);
    EXPECT_TRUE(payload_is(*oldest, "a reading of some length"));
}

TEST(Outbox, DropOldestCountsWhatItDrops) {
    static Rig rig;
    Result<Outbox> outbox = rig.open();  // 8 records at most
    ASSERT_TRUE(outbox.has_value());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(outbox->push(text("x")).has_value());
    const Result<OutboxPush> ninth = outbox->push(text("newest"));
    ASSERT_TRUE(ninth.has_value());
    EXPECT_TRUE(ninth->stored);
    EXPECT_EQ(ninth->seq, 9U);
    EXPECT_EQ(ninth->dropped, 1U);
    EXPECT_EQ(outbox->dropped(), 1U);
    std::uint8_t buffer[64];
    EXPECT_EQ(outbox->peek(0, buffer)->seq, 2U);
    // The byte bound too: a reading as large as the live bound displaces everything.
    char large[65] = {};
    std::memset(large, 'L', 64);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox->push(text(large)).has_value());
    EXPECT_LE(outbox->live_bytes(), 256U);
    const std::uint64_t dropped = outbox->dropped();
    EXPECT_GT(dropped, 1U);
    ASSERT_TRUE(outbox->sync().has_value());
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->dropped(), dropped);  // the count survives a reboot
}

TEST(Outbox, DropNewestUsesUpTheSeqSoTheGapMatchesTheCount) {
    static Rig rig;
    OutboxConfig config = Rig::small_config();
    config.overflow = OverflowPolicy::drop_newest;
    Result<Outbox> outbox = rig.open(config);
    ASSERT_TRUE(outbox.has_value());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(outbox->push(text("x")).has_value());
    const Result<OutboxPush> dropped = outbox->push(text("lost"));
    ASSERT_TRUE(dropped.has_value());
    EXPECT_FALSE(dropped->stored);
    EXPECT_EQ(dropped->seq, 9U);
    EXPECT_EQ(outbox->dropped(), 1U);
    ASSERT_TRUE(outbox->release(1).has_value());
    const Result<OutboxPush> kept = outbox->push(text("kept"));
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->seq, 10U);
    ASSERT_TRUE(outbox->sync().has_value());
    Result<Outbox> reopened = rig.open(config);
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->next_sequence(), 11U);
    EXPECT_EQ(reopened->dropped(), 1U);
}

TEST(Outbox, RefuseKeepsTheSeqAndSaysOutboxFull) {
    static Rig rig;
    OutboxConfig config = Rig::small_config();
    config.overflow = OverflowPolicy::refuse;
    Result<Outbox> outbox = rig.open(config);
    ASSERT_TRUE(outbox.has_value());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(outbox->push(text("x")).has_value());
    const Result<OutboxPush> refused = outbox->push(text("no room"));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::outbox_full);
    EXPECT_EQ(outbox->next_sequence(), 9U);
    EXPECT_EQ(outbox->dropped(), 0U);
    char too_large[66] = {};
    std::memset(too_large, 'T', 65);
    const Result<OutboxPush> large = outbox->push(text(too_large));
    ASSERT_FALSE(large.has_value());
    EXPECT_EQ(large.error().code, Errc::outbox_record_too_large);
}

TEST(Outbox, InFlightPacketIdSurvivesReopenAndEndsWithRelease) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        ASSERT_TRUE(outbox->push(text("first")).has_value());
        ASSERT_TRUE(outbox->push(text("second")).has_value());
        EXPECT_EQ(outbox->in_flight_packet_id(), 0U);
        const Result<void> not_live = outbox->note_in_flight(3, 7);
        ASSERT_FALSE(not_live.has_value());
        EXPECT_EQ(not_live.error().code, Errc::invalid_argument);
        EXPECT_FALSE(outbox->note_in_flight(1, 0).has_value());
        ASSERT_TRUE(outbox->note_in_flight(1, 4242).has_value());
        EXPECT_EQ(outbox->in_flight_packet_id(), 4242U);
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->in_flight_packet_id(), 4242U);
    ASSERT_TRUE(reopened->release(1).has_value());
    EXPECT_EQ(reopened->in_flight_packet_id(), 0U);  // the next reading was not sent yet
    ASSERT_TRUE(reopened->sync().has_value());
    Result<Outbox> last = rig.open();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->in_flight_packet_id(), 0U);
    EXPECT_EQ(last->size(), 1U);
}

TEST(Outbox, InFlightNoteIsCopiedByCompaction) {
    static Rig rig;
    Result<Outbox> outbox = rig.open();
    ASSERT_TRUE(outbox.has_value());
    ASSERT_TRUE(outbox->push(text("kept")).has_value());
    const std::uint32_t epoch = outbox->recovery().epoch;
    // Resent under new identifiers many times (reconnects): the notes alone fill the 1 KiB
    // segment, so it compacts, and the latest note must come along.
    for (std::uint16_t id = 1; id <= 100; ++id) {
        ASSERT_TRUE(outbox->note_in_flight(1, id).has_value());
    }
    EXPECT_LE(*rig.first.size(), 1024U);
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_GT(reopened->recovery().epoch, epoch);
    EXPECT_EQ(reopened->in_flight_packet_id(), 100U);
    EXPECT_EQ(reopened->size(), 1U);
}

// A window of readings in flight: each is noted under its own identifier, and every note
// survives a reboot and a compaction, so each goes out again under the identifier the broker
// knows (MQTT-4.4.0-1) instead of as a new message.
TEST(Outbox, EveryReadingOfTheWindowKeepsItsPacketIdAcrossReopenAndCompaction) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        for (const char* reading : {"r1", "r2", "r3", "r4"}) {
            ASSERT_TRUE(outbox->push(text(reading)).has_value());
        }
        ASSERT_TRUE(outbox->note_in_flight(1, 11).has_value());
        ASSERT_TRUE(outbox->note_in_flight(2, 12).has_value());
        ASSERT_TRUE(outbox->note_in_flight(3, 13).has_value());
        EXPECT_EQ(outbox->seq_noted_under(12), 2U);
        EXPECT_EQ(outbox->seq_noted_under(99), 0U);
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    std::uint8_t buffer[64];
    const std::uint16_t expected_ids[] = {11, 12, 13, 0};
    for (std::size_t i = 0; i < 4; ++i) {
        const Result<OutboxReading> reading = reopened->peek(i, buffer);
        ASSERT_TRUE(reading.has_value());
        EXPECT_EQ(reading->packet_id, expected_ids[i]);
    }
    // Notes fill the 1 KiB segment: compactions must carry every note along.
    const std::uint32_t epoch = reopened->recovery().epoch;
    for (std::uint16_t round = 0; round < 80; ++round) {
        ASSERT_TRUE(reopened->note_in_flight(4, static_cast<std::uint16_t>(100 + round)));
    }
    Result<Outbox> compacted = rig.open();
    ASSERT_TRUE(compacted.has_value());
    EXPECT_GT(compacted->recovery().epoch, epoch);
    EXPECT_EQ(compacted->seq_noted_under(11), 1U);
    EXPECT_EQ(compacted->seq_noted_under(13), 3U);
    EXPECT_EQ(compacted->seq_noted_under(179), 4U);
    EXPECT_EQ(compacted->seq_noted_under(100), 0U);  // replaced by the later notes
}

// Acknowledgements in any order within the window (a QoS 1 PUBACK overtakes a QoS 2 PUBCOMP):
// each releases its reading, and the releases survive a reboot.
TEST(Outbox, ReleasesInAnyOrderSurviveReopen) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        for (const char* reading : {"a", "b", "c", "d"}) {
            ASSERT_TRUE(outbox->push(text(reading)).has_value());
        }
        ASSERT_TRUE(outbox->release(3).has_value());
        ASSERT_TRUE(outbox->release(2).has_value());
        EXPECT_FALSE(outbox->release(3).has_value());  // not live any more
        EXPECT_EQ(outbox->size(), 2U);
        EXPECT_EQ(outbox->live_bytes(), 2U);
        ASSERT_TRUE(outbox->sync().has_value());
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    ASSERT_EQ(reopened->size(), 2U);
    std::uint8_t buffer[64];
    const Result<OutboxReading> first = reopened->peek(0, buffer);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->seq, 1U);
    const Result<OutboxReading> second = reopened->peek(1, buffer);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->seq, 4U);
    EXPECT_TRUE(payload_is(*second, "d"));
    ASSERT_TRUE(reopened->release(1).has_value());
    EXPECT_EQ(reopened->next_sequence(), 5U);
}

// An identifier noted for two live readings: the session reused it after the older one was
// acknowledged, and that release was lost. Only the newer note may survive, or two readings
// would be restored under one identifier.
TEST(Outbox, AnIdentifierNotedTwiceBelongsToTheNewerReadingAfterReopen) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        ASSERT_TRUE(outbox->push(text("old")).has_value());
        ASSERT_TRUE(outbox->push(text("new")).has_value());
        ASSERT_TRUE(outbox->note_in_flight(1, 5).has_value());
        ASSERT_TRUE(outbox->note_in_flight(2, 5).has_value());
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->in_flight_packet_id(), 0U);
    EXPECT_EQ(reopened->seq_noted_under(5), 2U);
}

TEST(Outbox, TornLastRecordIsDiscardedAtEveryCutPoint) {
    static Rig rig;
    std::size_t intact_size = 0;
    std::size_t full_size = 0;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        ASSERT_TRUE(outbox->push(text("kept-1")).has_value());
        ASSERT_TRUE(outbox->push(text("kept-2")).has_value());
        intact_size = *rig.first.size();
        ASSERT_TRUE(outbox->push(text("torn-3")).has_value());
        full_size = *rig.first.size();
    }
    static std::uint8_t saved[segment_capacity];
    std::memcpy(saved, rig.first_memory, full_size);
    for (std::size_t cut = intact_size; cut < full_size; ++cut) {
        ASSERT_TRUE(rig.first.truncate(0).has_value());
        ASSERT_TRUE(rig.first.append(bytes_view(saved, cut)).has_value());
        Result<Outbox> reopened = rig.open();
        ASSERT_TRUE(reopened.has_value());
        EXPECT_EQ(reopened->size(), 2U);
        EXPECT_EQ(reopened->recovery().torn_bytes, cut - intact_size);
        EXPECT_EQ(reopened->next_sequence(), 3U);
        EXPECT_EQ(*rig.first.size(), intact_size);  // the torn bytes are gone from the log
    }
}

TEST(Outbox, CorruptedRecordEndsTheLogThereNeverReturnsGarbage) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        for (const char* reading : {"one", "two", "three"}) {
            ASSERT_TRUE(outbox->push(text(reading)).has_value());
        }
    }
    const std::size_t size = *rig.first.size();
    // Flip a byte in the last record's payload: that record (only) is lost.
    rig.first_memory[size - 2] ^= 0x40U;
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->size(), 2U);
    std::uint8_t buffer[64];
    EXPECT_TRUE(payload_is(*reopened->peek(1, buffer), "two"));
    EXPECT_GT(reopened->recovery().torn_bytes, 0U);
}

TEST(Outbox, CorruptionOfEveryCommittedSegmentStartsFreshWithoutReusingSeqs) {
    static Rig rig;
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(outbox->push(text("r")).has_value());
    }
    rig.first_memory[2] ^= 0xFFU;  // the BEGIN record's length: nothing checks out any more
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_TRUE(reopened->recovery().fresh);
    EXPECT_TRUE(reopened->recovery().discarded_invalid);
    // The readings' own records still check out and tell the highest seq used.
    EXPECT_EQ(reopened->next_sequence(), 6U);
}

// Writes records in the log format (outbox.hpp) straight into a segment, for logs the outbox
// itself would not write.
class LogForger {
public:
    explicit LogForger(RamLogStorage& log) : log_(log) {}

    void begin(std::uint32_t epoch, std::uint64_t head, std::uint64_t next) {
        std::uint8_t body[28] = {};
        put(body, epoch, 4);
        put(body + 4, head, 8);
        put(body + 12, next, 8);
        record(1, body, sizeof body);
    }
    void reading(std::uint64_t seq, bytes_view payload) {
        std::uint8_t body[64] = {};
        put(body, seq, 8);
        std::memcpy(body + 8, payload.data(), payload.size());
        record(2, body, 8 + payload.size());
    }
    void state(std::uint64_t head, std::uint64_t next) {
        std::uint8_t body[24] = {};
        put(body, head, 8);
        put(body + 8, next, 8);
        record(3, body, sizeof body);
    }
    void commit(std::uint32_t epoch) {
        std::uint8_t body[4] = {};
        put(body, epoch, 4);
        record(4, body, sizeof body);
    }

private:
    static void put(std::uint8_t* out, std::uint64_t value, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(value >> (8U * i));
    }
    void record(std::uint8_t type, const std::uint8_t* body, std::size_t length) {
        std::uint8_t header[8] = {type, 0, static_cast<std::uint8_t>(length),
                                  static_cast<std::uint8_t>(length >> 8U)};
        std::uint32_t crc = crc32_update(0, bytes_view(header, 4));
        crc = crc32_update(crc, bytes_view(body, length));
        put(header + 4, crc, 4);
        ASSERT_TRUE(log_.append(bytes_view(header, sizeof header)).has_value());
        ASSERT_TRUE(log_.append(bytes_view(body, length)).has_value());
    }
    RamLogStorage& log_;
};

// Found by the outbox_recovery fuzz target: a compaction from epoch 0xFFFFFFFF writes epoch 0,
// and recovery compared epochs with `>`, so it went back to the old segment and forgot every
// reading and release after the compaction.
TEST(Outbox, ACompactionPastTheLastEpochStillWins) {
    static Rig rig;
    LogForger log(rig.first);
    log.begin(0xFFFFFFFFU, 1, 3);
    log.reading(1, text("one"));
    log.reading(2, text("two"));
    log.commit(0xFFFFFFFFU);
    // Filler STATEs (32 bytes each) until the 1024-byte segment has no room for a push.
    while (*rig.first.size() + 32 <= Rig::small_config().segment_bytes &&
           !MQTLS_TEST_HAS_FATAL_FAILURE()) {
        log.state(1, 3);
    }
    {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        ASSERT_EQ(outbox->recovery().epoch, 0xFFFFFFFFU);
        const Result<OutboxPush> pushed = outbox->push(text("three"));
        ASSERT_TRUE(pushed.has_value());
        EXPECT_EQ(pushed->seq, 3U);
        ASSERT_TRUE(outbox->release(1).has_value());
        ASSERT_TRUE(outbox->sync().has_value());
    }
    Result<Outbox> reopened = rig.open();
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->recovery().segment, 1U);
    EXPECT_EQ(reopened->recovery().epoch, 0U);
    EXPECT_EQ(reopened->next_sequence(), 4U);
    ASSERT_EQ(reopened->size(), 2U);
    std::uint8_t buffer[64];
    EXPECT_TRUE(payload_is(*reopened->peek(0, buffer), "two"));
    EXPECT_TRUE(payload_is(*reopened->peek(1, buffer), "three"));
}

// Found by the outbox_recovery fuzz target: replay stops at a record whose counters no outbox
// writes, but the segment still counted as committed through the COMMIT behind it; recovery
// then truncated it to an uncommitted one, and the next open took the other segment instead.
// Two opens must agree.
TEST(Outbox, ACommitBehindARefusedRecordDoesNotCount) {
    static Rig rig;
    LogForger first(rig.first);
    first.begin(5, 1, 1);
    first.reading(std::uint64_t{1} << 60U, text("x"));  // beyond max_sequence
    first.commit(5);
    LogForger second(rig.second);
    second.begin(3, 1, 7);
    second.commit(3);
    for (int open = 0; open < 2; ++open) {
        Result<Outbox> outbox = rig.open();
        ASSERT_TRUE(outbox.has_value());
        EXPECT_EQ(outbox->recovery().segment, 1U) << "open " << open;
        EXPECT_EQ(outbox->next_sequence(), 7U) << "open " << open;
    }
}

// Found by the outbox_recovery fuzz target: a STATE lowered `next` below a live reading's seq,
// so the next push reused it.
TEST(Outbox, AStateNeverLowersTheSequence) {
    static Rig rig;
    LogForger log(rig.first);
    log.begin(1, 1, 1);
    log.commit(1);
    log.reading(1, text("one"));
    log.reading(2, text("two"));
    log.reading(3, text("three"));
    log.state(1, 3);  // next = 3 while reading 3 is live: never written by an outbox
    Result<Outbox> outbox = rig.open();
    ASSERT_TRUE(outbox.has_value());
    EXPECT_EQ(outbox->size(), 3U);
    EXPECT_EQ(outbox->next_sequence(), 4U);
    const Result<OutboxPush> pushed = outbox->push(text("four"));
    ASSERT_TRUE(pushed.has_value());
    EXPECT_EQ(pushed->seq, 4U);
}

}  // namespace
}  // namespace mqtls::node::test
