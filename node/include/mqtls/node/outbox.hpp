#pragma once
/// @file
/// The persistent outbox: every reading is kept until the broker has acknowledged it, across
/// disconnects and reboots, within configured bounds, and nothing is dropped without being
/// counted.
///
/// Storage is an append-only log of checksummed records in one of two LogStorage segments:
///
///     segment := BEGIN(epoch, head, next, dropped) READING* INFLIGHT* COMMIT(epoch)
///                (READING | STATE | INFLIGHT | RELEASE)*
///     record  := type u8 | 0 u8 | body length u16 | CRC-32 u32 | body      (little-endian)
///
/// A READING carries its seq and payload; a STATE moves `head` (the oldest seq not yet
/// released), `next` (the seq of the next reading) and `dropped` (readings dropped by policy);
/// an INFLIGHT notes the MQTT packet identifier a reading was sent under (any live reading: a
/// window of readings may be in flight, each noted); a RELEASE removes a reading acknowledged
/// ahead of older ones. Logs written before RELEASE existed (INFLIGHT only for the oldest)
/// recover unchanged; a log with RELEASE records is not readable by those older versions.
/// When the active segment is full, the live readings are copied into the other segment under
/// a new epoch, which counts only once its COMMIT is synced: a crash during the copy leaves the
/// old segment in charge. Recovery scans both segments, takes the committed one with the
/// newer epoch (in serial-number order, so that epoch + 1 wins even across 2^32), replays it up to
/// the first record whose checksum fails (a torn write) and truncates the rest. It never guesses: a
/// record either checks out or it and everything after it are discarded, and only records appended
/// after the last sync can be lost that way.
///
/// Sequence numbers: the outbox assigns them (1, 2, ...), persists them in the log, and never
/// reuses one, even when a reading is dropped, so a collector sees a dropped reading as a gap
/// that matches dropped().
///
/// No heap: the index of live readings and a scratch buffer are the caller's (OutboxMemory).
/// Not thread-safe.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/node/log_storage.hpp"

namespace mqtls::node {

/// What push() does when the outbox is at max_records or max_live_bytes.
enum class OverflowPolicy : std::uint8_t {
    drop_oldest,  ///< make room by dropping the oldest readings (keeps the freshest data)
    drop_newest,  ///< drop the new reading (keeps the history); its seq is still used up
    refuse,       ///< fail with outbox_full; the caller decides (its seq is not used up)
};

/// When appended records are made durable.
enum class SyncPolicy : std::uint8_t {
    every_push,  ///< push() returns only once the reading is durable
    manual,      ///< only sync() (or a compaction) makes records durable: fewer flash writes
};

struct OutboxConfig {
    std::size_t max_records = 64;  ///< live readings kept at most (<= the index size)
    std::size_t max_live_bytes =
        std::size_t{16} * 1024;          ///< payload bytes of live readings kept at most
    std::size_t max_record_bytes = 512;  ///< largest payload accepted (<= 65000)
    /// A segment grows to at most this many bytes before the live readings are compacted
    /// into the other one; must hold the live bounds with their record headers.
    std::size_t segment_bytes = std::size_t{64} * 1024;
    OverflowPolicy overflow = OverflowPolicy::drop_oldest;
    SyncPolicy sync = SyncPolicy::every_push;
};

/// The highest seq a reading may have: 2^53 - 1, the largest integer a JSON number (an IEEE
/// double) holds exactly, since readings carry their seq in JSON to collectors that may parse
/// it as a double. A log whose records claim more is corrupt; an outbox that used them all
/// refuses more readings (sequence_exhausted) rather than wrap round and reuse seqs.
inline constexpr std::uint64_t max_sequence = (std::uint64_t{1} << 53U) - 1;

/// Bytes a record adds to its payload (header, and the seq of a READING).
inline constexpr std::size_t outbox_record_overhead = 16;

/// Where a live reading is in the active segment (the outbox's index, in caller memory).
struct OutboxEntry {
    std::uint64_t seq = 0;
    std::uint32_t offset = 0;  ///< of the payload
    std::uint32_t length = 0;
    std::uint16_t packet_id = 0;  ///< noted in flight under (0: not sent yet)
};

/// What open() found.
struct OutboxRecovery {
    bool fresh = false;              ///< no committed segment existed: a new log was started
    bool discarded_invalid = false;  ///< ... although storage held data (corruption)
    std::uint8_t segment = 0;        ///< the segment in charge (0 or 1)
    std::uint32_t epoch = 0;
    std::size_t readings = 0;             ///< live readings recovered
    std::size_t torn_bytes = 0;           ///< bytes after the last valid record, truncated
    std::size_t dropped_on_recovery = 0;  ///< live readings beyond the index, dropped and counted
};

/// A reading read back from the outbox; payload points into the caller's buffer.
struct OutboxReading {
    std::uint64_t seq = 0;
    bytes_view payload;
    std::uint16_t packet_id = 0;  ///< the identifier it is in flight under (0: not sent yet)
};

/// Result of push().
struct OutboxPush {
    std::uint64_t seq = 0;      ///< the seq the reading got
    bool stored = false;        ///< false: dropped by drop_newest
    std::uint32_t dropped = 0;  ///< readings this push dropped (oldest ones, or itself)
};

class Outbox {
public:
    /// Recovers (or starts) the log in `first`/`second`. `index` must hold max_records entries
    /// and `scratch` outbox_record_overhead + max_record_bytes bytes; both must outlive the
    /// outbox (see OutboxMemory). Errors: invalid_argument (config), the storage's errors.
    static Result<Outbox> open(LogStorage& first, LogStorage& second, span<OutboxEntry> index,
                               mutable_bytes scratch, const OutboxConfig& config) noexcept;

    /// The smallest segment_bytes open() accepts for `config` (live bounds plus headers, and
    /// room for one more push after a compaction). Larger segments compact less often.
    static std::size_t minimum_segment_bytes(const OutboxConfig& config) noexcept;

    /// The seq the next push() assigns.
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_; }
    /// Live readings (pushed, not yet released).
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t live_bytes() const noexcept { return live_bytes_; }
    /// Readings dropped by the overflow policy since the log was created (persisted).
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
    [[nodiscard]] const OutboxRecovery& recovery() const noexcept { return recovery_; }

    /// Stores `payload` as reading next_sequence(), applying the overflow policy when full.
    /// With SyncPolicy::every_push the reading is durable when this returns. Errors:
    /// outbox_record_too_large, outbox_full (refuse policy), sequence_exhausted (max_sequence
    /// was used), the storage's errors.
    Result<OutboxPush> push(bytes_view payload) noexcept;

    /// Reads the i-th live reading (0 = oldest) into `buffer` (max_record_bytes suffice).
    Result<OutboxReading> peek(std::size_t position, mutable_bytes buffer) noexcept;

    /// The broker acknowledged reading `seq`, any live one: a window of readings is in flight
    /// and a QoS 1 PUBACK may overtake a QoS 2 PUBCOMP. Errors: invalid_argument (not live).
    /// Not synced by itself: if it is lost in a crash, the reading is sent again (a duplicate,
    /// never a loss).
    Result<void> release(std::uint64_t seq) noexcept;

    /// Records that live reading `seq` went to the broker under MQTT packet identifier
    /// `packet_id` and awaits its acknowledgement, so that after a reboot it can be sent again
    /// under the same identifier with DUP set (mqtt::Session::restore_outgoing, MQTT-4.4.0-1).
    /// Call it before the PUBLISH leaves; synced like a push. A later note for the same seq
    /// replaces the earlier one. Errors: invalid_argument (not live, id 0).
    Result<void> note_in_flight(std::uint64_t seq, std::uint16_t packet_id) noexcept;

    /// The packet identifier the oldest reading is in flight under (note_in_flight(), also as
    /// recovered after a reboot), or 0 when it was not sent yet. peek() gives every reading's.
    [[nodiscard]] std::uint16_t in_flight_packet_id() const noexcept;
    /// The live reading noted in flight under `packet_id`, or 0 when none is.
    [[nodiscard]] std::uint64_t seq_noted_under(std::uint16_t packet_id) const noexcept;

    /// Makes everything so far durable.
    Result<void> sync() noexcept;

private:
    Outbox(LogStorage& first, LogStorage& second, span<OutboxEntry> index, mutable_bytes scratch,
           const OutboxConfig& config) noexcept;

    Result<void> recover() noexcept;
    Result<void> start_fresh(bool storage_had_data) noexcept;
    // Rebuilds the state from `log`; returns where its last valid record ends.
    Result<std::size_t> replay(LogStorage& log, std::size_t size) noexcept;
    void replay_reading(std::uint64_t seq, std::size_t payload_offset,
                        std::size_t payload_length) noexcept;
    void replay_state(const std::uint8_t* body) noexcept;
    void replay_release(std::uint64_t seq) noexcept;
    Result<void> start_segment(std::uint8_t segment, std::uint32_t epoch) noexcept;
    Result<void> copy_live_records(LogStorage& log, std::size_t& size) noexcept;
    Result<void> copy_in_flight_notes(LogStorage& log, std::size_t& size) noexcept;
    void move_index_to_new_segment() noexcept;
    Result<void> compact() noexcept;
    Result<void> ensure_room(std::size_t bytes) noexcept;
    Result<void> append_state() noexcept;
    Result<std::uint32_t> append_reading(LogStorage& log, std::uint64_t seq,
                                         bytes_view payload) noexcept;
    void drop_front() noexcept;
    // Whether a reading of `payload_bytes` would exceed max_records or max_live_bytes.
    [[nodiscard]] bool over_capacity(std::size_t payload_bytes) const noexcept;
    // The overflow policies (OverflowPolicy) and the store of an accepted reading, parts of push.
    Result<void> drop_newest() noexcept;
    std::uint32_t drop_oldest_until_room(std::size_t payload_bytes) noexcept;
    Result<void> store_reading(std::uint64_t seq, bytes_view payload, bool head_moved) noexcept;
    // Where live reading `seq` is in the index; size() when it is not live.
    [[nodiscard]] std::size_t position_of(std::uint64_t seq) const noexcept;
    void remove_at(std::size_t position) noexcept;
    void replay_inflight(std::uint64_t seq, std::uint16_t packet_id) noexcept;
    void forget_stale_notes() noexcept;
    static Result<void> append_inflight(LogStorage& log, std::size_t& log_size, std::uint64_t seq,
                                        std::uint16_t packet_id) noexcept;
    [[nodiscard]] LogStorage& active() noexcept { return *segments_[active_]; }
    OutboxEntry& entry(std::size_t position) noexcept {
        return index_[(first_ + position) % index_.size()];
    }
    [[nodiscard]] const OutboxEntry& entry(std::size_t position) const noexcept {
        return index_[(first_ + position) % index_.size()];
    }

    LogStorage* segments_[2];
    span<OutboxEntry> index_;
    mutable_bytes scratch_;
    OutboxConfig config_;
    OutboxRecovery recovery_;
    std::uint8_t active_ = 0;
    std::uint32_t epoch_ = 0;
    std::size_t active_size_ = 0;
    std::size_t first_ = 0;
    std::size_t count_ = 0;
    std::size_t live_bytes_ = 0;
    std::uint64_t head_ = 1;  ///< oldest seq not released (== next_ when empty)
    std::uint64_t next_ = 1;
    std::uint64_t dropped_ = 0;
};

/// The memory an Outbox works in, sized at compile time (like mqtt::SessionStorage).
template <std::size_t MaxRecords = 64, std::size_t MaxRecordBytes = 512>
struct OutboxMemory {
    OutboxEntry index[MaxRecords] = {};
    std::uint8_t scratch[outbox_record_overhead + MaxRecordBytes] = {};

    /// A config whose record bounds match this memory.
    static OutboxConfig config() noexcept {
        OutboxConfig config;
        config.max_records = MaxRecords;
        config.max_record_bytes = MaxRecordBytes;
        return config;
    }
};

}  // namespace mqtls::node
