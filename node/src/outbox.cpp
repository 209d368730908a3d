#include "mqtls/node/outbox.hpp"

#include <cstring>

#include "mqtls/node/crc32.hpp"

namespace mqtls::node {
namespace {

enum class RecordType : std::uint8_t {
    begin = 1,
    reading = 2,
    state = 3,
    commit = 4,
    inflight = 5,
    release = 6,  // a reading acknowledged out of order (not the oldest)
};

constexpr std::size_t header_bytes = 8;
constexpr std::size_t seq_bytes = 8;
constexpr std::size_t begin_body_bytes = 4 + 8 + 8 + 8;  // epoch, head, next, dropped
constexpr std::size_t state_body_bytes = 8 + 8 + 8;      // head, next, dropped
constexpr std::size_t commit_body_bytes = 4;             // epoch
constexpr std::size_t inflight_body_bytes = 8 + 2;       // seq, packet id
constexpr std::size_t release_body_bytes = 8;            // seq
constexpr std::size_t max_body_bytes = 65'000;
constexpr std::size_t min_record_bytes = begin_body_bytes;  // scratch must hold a BEGIN body
static_assert(outbox_record_overhead == header_bytes + seq_bytes);

void put_u16(std::uint8_t* out, std::uint16_t value) noexcept {
    out[0] = static_cast<std::uint8_t>(value);
    out[1] = static_cast<std::uint8_t>(value >> 8U);
}
void put_u32(std::uint8_t* out, std::uint32_t value) noexcept {
    for (unsigned i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8U * i));
}
void put_u64(std::uint8_t* out, std::uint64_t value) noexcept {
    for (unsigned i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (8U * i));
}
std::uint16_t get_u16(const std::uint8_t* in) noexcept {
    return static_cast<std::uint16_t>(in[0] | (in[1] << 8U));
}
std::uint32_t get_u32(const std::uint8_t* in) noexcept {
    std::uint32_t value = 0;
    for (unsigned i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(in[i]) << (8U * i);
    return value;
}
std::uint64_t get_u64(const std::uint8_t* in) noexcept {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(in[i]) << (8U * i);
    return value;
}

// Fills in a record header for a body made of `first` then `second`.
void make_header(std::uint8_t (&header)[header_bytes], RecordType type, bytes_view first,
                 bytes_view second) noexcept {
    header[0] = static_cast<std::uint8_t>(type);
    header[1] = 0;
    put_u16(header + 2, static_cast<std::uint16_t>(first.size() + second.size()));
    std::uint32_t crc = crc32_update(0, bytes_view(header, 4));
    crc = crc32_update(crc, first);
    crc = crc32_update(crc, second);
    put_u32(header + 4, crc);
}

// Appends one record (body = first + second). On failure the log is cut back to where it was,
// so a failed append leaves no half record behind for later appends to follow.
Result<void> append_record(LogStorage& log, std::size_t& log_size, RecordType type,
                           bytes_view first, bytes_view second = {}) noexcept {
    std::uint8_t header[header_bytes];
    make_header(header, type, first, second);
    Result<void> written = log.append(bytes_view(header, header_bytes));
    if (written && !first.empty()) written = log.append(first);
    if (written && !second.empty()) written = log.append(second);
    if (!written) {
        (void)log.truncate(log_size);
        return written.error();
    }
    log_size += header_bytes + first.size() + second.size();
    return ok();
}

struct Record {
    RecordType type{};
    bytes_view body;
    std::size_t end = 0;  // offset just past the record
};

std::size_t expected_body_bytes(RecordType type) noexcept {
    switch (type) {
        case RecordType::begin:
            return begin_body_bytes;
        case RecordType::state:
            return state_body_bytes;
        case RecordType::commit:
            return commit_body_bytes;
        case RecordType::inflight:
            return inflight_body_bytes;
        case RecordType::release:
            return release_body_bytes;
        case RecordType::reading:
            break;
    }
    return 0;
}

// Reads the record at `offset`; false when there is none that checks out (end of log, torn
// or corrupt record, unknown type).
Result<bool> read_record(LogStorage& log, std::size_t offset, std::size_t log_size,
                         mutable_bytes scratch, Record& record) noexcept {
    if (log_size - offset < header_bytes) return false;
    std::uint8_t header[header_bytes];
    MQTLS_TRY_ASSIGN(const std::size_t got, log.read(offset, mutable_bytes(header, header_bytes)));
    if (got != header_bytes) return false;
    const std::size_t length = get_u16(header + 2);
    const auto type = static_cast<RecordType>(header[0]);
    if (header[1] != 0 || type < RecordType::begin || type > RecordType::release) return false;
    if (length > scratch.size() || log_size - offset - header_bytes < length) return false;
    MQTLS_TRY_ASSIGN(const std::size_t body_got,
                     log.read(offset + header_bytes, mutable_bytes(scratch.data(), length)));
    if (body_got != length) return false;
    std::uint32_t crc = crc32_update(0, bytes_view(header, 4));
    crc = crc32_update(crc, bytes_view(scratch.data(), length));
    if (crc != get_u32(header + 4)) return false;
    if (type == RecordType::reading ? length < seq_bytes : length != expected_body_bytes(type)) {
        return false;
    }
    record.type = type;
    record.body = bytes_view(scratch.data(), length);
    record.end = offset + header_bytes + length;
    return true;
}

// Whether the seqs and counters a record carries are ones an outbox can have written: a
// reading's seq 1..max_sequence, head and next at most one past it.
bool counters_plausible(const Record& record) noexcept {
    const std::uint8_t* body = record.body.data();
    switch (record.type) {
        case RecordType::reading:
        case RecordType::release: {
            const std::uint64_t seq = get_u64(body);
            return seq >= 1 && seq <= max_sequence;
        }
        case RecordType::begin:
            return get_u64(body + 4) <= max_sequence + 1 && get_u64(body + 12) <= max_sequence + 1;
        case RecordType::state:
            return get_u64(body) <= max_sequence + 1 && get_u64(body + 8) <= max_sequence + 1;
        case RecordType::inflight:
        case RecordType::commit:
            return true;
    }
    return false;
}

// Epochs compare in serial-number order (as RFC 1982 does for DNS serials): a compaction
// writes epoch + 1 modulo 2^32 into the other segment, and that copy must win even when the
// old epoch was 0xFFFFFFFF (storage we did not write can hold any value). A plain `>` would
// keep choosing the old segment and lose everything after the wrap.
bool epoch_is_newer(std::uint32_t candidate, std::uint32_t current) noexcept {
    return candidate != current && static_cast<std::uint32_t>(candidate - current) < 0x80000000U;
}

// What pass 1 of recovery learns about a segment.
struct SegmentSummary {
    bool committed = false;
    bool has_data = false;
    std::uint32_t epoch = 0;
};

// Whether `record` ends the segment for pass 1, exactly where replay() stops: a segment
// starts with its BEGIN and ends before a second one, and a record with counters we never
// write ends it too. A COMMIT behind such a record must not count, or recovery would truncate
// a segment it called committed back to an uncommitted one, and the next open would pick the
// other segment.
bool ends_segment(const Record& record, bool begun) noexcept {
    if (begun == (record.type == RecordType::begin)) return true;
    return !counters_plausible(record);
}

Result<SegmentSummary> summarize(LogStorage& log, mutable_bytes scratch) noexcept {
    SegmentSummary summary;
    MQTLS_TRY_ASSIGN(const std::size_t size, log.size());
    summary.has_data = size != 0;
    std::size_t offset = 0;
    Record record;
    bool begun = false;
    // Each turn consumes at least a header: bounded by the log size.
    for (;;) {
        MQTLS_TRY_ASSIGN(const bool found, read_record(log, offset, size, scratch, record));
        if (!found || ends_segment(record, begun)) break;
        offset = record.end;
        const std::uint32_t epoch = get_u32(record.body.data());
        if (record.type == RecordType::begin) {
            begun = true;
            summary.epoch = epoch;
        } else if (record.type == RecordType::commit && epoch == summary.epoch) {
            summary.committed = true;
        }
    }
    return summary;
}

// The highest seq any record that checks out mentions, wherever it is in the log: after
// corruption, the records behind the damage still tell which seqs were used, so a new log can
// continue above them. Only ever used to raise a counter, never to recover data.
Result<std::uint64_t> highest_seq_anywhere(LogStorage& log, mutable_bytes scratch) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t size, log.size());
    std::uint64_t highest = 0;
    Record record;
    // One probe per byte offset at most: bounded by the log size.
    for (std::size_t offset = 0; offset + header_bytes <= size;) {
        MQTLS_TRY_ASSIGN(const bool found, read_record(log, offset, size, scratch, record));
        if (!found) {
            ++offset;
            continue;
        }
        const std::uint8_t* body = record.body.data();
        std::uint64_t seq = 0;
        if (record.type == RecordType::reading) seq = get_u64(body);
        if (record.type == RecordType::state && get_u64(body + 8) > 0) seq = get_u64(body + 8) - 1;
        if (record.type == RecordType::begin && get_u64(body + 12) > 0) {
            seq = get_u64(body + 12) - 1;
        }
        // A seq beyond max_sequence is not one we wrote: it must not push the counter there.
        if (seq > highest && seq <= max_sequence) highest = seq;
        offset = record.end;
    }
    return highest;
}

}  // namespace

Outbox::Outbox(LogStorage& first, LogStorage& second, span<OutboxEntry> index,
               mutable_bytes scratch, const OutboxConfig& config) noexcept
    : segments_{&first, &second}, index_(index), scratch_(scratch), config_(config) {}

std::size_t Outbox::minimum_segment_bytes(const OutboxConfig& config) noexcept {
    // After a compaction (every live reading, each with its in-flight note) the segment must
    // still take one more push with a STATE for drops, and one more note.
    const std::size_t inflight_record = header_bytes + inflight_body_bytes;
    return 2 * header_bytes + begin_body_bytes + commit_body_bytes +
           config.max_records * (outbox_record_overhead + inflight_record) + config.max_live_bytes +
           header_bytes + state_body_bytes + outbox_record_overhead + config.max_record_bytes +
           inflight_record;
}

Result<Outbox> Outbox::open(LogStorage& first, LogStorage& second, span<OutboxEntry> index,
                            mutable_bytes scratch, const OutboxConfig& config) noexcept {
    const std::size_t record_limit = outbox_record_overhead + config.max_record_bytes;
    const std::size_t least_segment = minimum_segment_bytes(config);
    if (config.max_records == 0 || index.size() < config.max_records ||
        config.max_record_bytes < min_record_bytes || config.max_record_bytes > max_body_bytes ||
        scratch.size() < record_limit || config.max_live_bytes < config.max_record_bytes ||
        config.segment_bytes < least_segment || config.segment_bytes > 0xFFFFFFFFU) {
        return Errc::invalid_argument;
    }
    Outbox outbox(first, second, index, scratch, config);
    MQTLS_TRY(outbox.recover());
    return outbox;
}

// The live readings, then every in-flight note, so that the new segment stands alone and each
// reading keeps its packet identifier (MQTT-4.4.0-1).
Result<void> Outbox::copy_live_records(LogStorage& log, std::size_t& size) noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
        const OutboxEntry& live = entry(i);
        MQTLS_TRY_ASSIGN(const std::size_t got,
                         active().read(live.offset, mutable_bytes(scratch_.data(), live.length)));
        if (got != live.length) return Errc::file_read_failed;
        std::uint8_t seq[seq_bytes];
        put_u64(seq, live.seq);
        MQTLS_TRY(append_record(log, size, RecordType::reading, bytes_view(seq, seq_bytes),
                                bytes_view(scratch_.data(), live.length)));
    }
    return copy_in_flight_notes(log, size);
}

Result<void> Outbox::copy_in_flight_notes(LogStorage& log, std::size_t& size) noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
        if (entry(i).packet_id == 0) continue;
        MQTLS_TRY(append_inflight(log, size, entry(i).seq, entry(i).packet_id));
    }
    return ok();
}

void Outbox::move_index_to_new_segment() noexcept {
    std::size_t offset = header_bytes + begin_body_bytes;
    for (std::size_t i = 0; i < count_; ++i) {
        OutboxEntry& live = entry(i);
        live.offset = static_cast<std::uint32_t>(offset + outbox_record_overhead);
        offset += outbox_record_overhead + live.length;
    }
}

Result<void> Outbox::start_segment(std::uint8_t segment, std::uint32_t epoch) noexcept {
    LogStorage& log = *segments_[segment];
    MQTLS_TRY(log.truncate(0));
    std::size_t size = 0;
    std::uint8_t begin[begin_body_bytes];
    put_u32(begin, epoch);
    put_u64(begin + 4, head_);
    put_u64(begin + 12, next_);
    put_u64(begin + 20, dropped_);
    MQTLS_TRY(append_record(log, size, RecordType::begin, bytes_view(begin, sizeof begin)));
    MQTLS_TRY(copy_live_records(log, size));
    std::uint8_t commit[commit_body_bytes];
    put_u32(commit, epoch);
    MQTLS_TRY(append_record(log, size, RecordType::commit, bytes_view(commit, sizeof commit)));
    MQTLS_TRY(log.sync());
    // Only now does the new segment count; the index moves over to it.
    move_index_to_new_segment();
    active_ = segment;
    epoch_ = epoch;
    active_size_ = size;
    return ok();
}

Result<void> Outbox::start_fresh(bool storage_had_data) noexcept {
    // Nothing was ever committed: a new log. Sequence numbers still never go backwards.
    recovery_.fresh = true;
    recovery_.discarded_invalid = storage_had_data;
    std::uint64_t highest = 0;
    for (LogStorage* segment : segments_) {
        MQTLS_TRY_ASSIGN(const std::uint64_t seen, highest_seq_anywhere(*segment, scratch_));
        if (seen > highest) highest = seen;
    }
    next_ = highest + 1;
    head_ = next_;
    MQTLS_TRY(start_segment(0, 1));
    recovery_.epoch = epoch_;
    return ok();
}

void Outbox::replay_reading(std::uint64_t seq, std::size_t payload_offset,
                            std::size_t payload_length) noexcept {
    // Released already (a copy older than BEGIN's head), or out of order (never in a log we
    // wrote): not live.
    if (seq < head_ || (count_ > 0 && seq <= entry(count_ - 1).seq)) return;
    if (count_ == config_.max_records) {
        // Written under a larger max_records: keep the newest, count the rest as dropped.
        drop_front();
        ++dropped_;
        ++recovery_.dropped_on_recovery;
    }
    if (count_ == 0) head_ = seq;
    entry(count_) = OutboxEntry{seq, static_cast<std::uint32_t>(payload_offset),
                                static_cast<std::uint32_t>(payload_length), 0};
    ++count_;
    live_bytes_ += payload_length;
    if (seq >= next_) next_ = seq + 1;
}

std::size_t Outbox::position_of(std::uint64_t seq) const noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
        if (entry(i).seq == seq) return i;
    }
    return count_;
}

void Outbox::remove_at(std::size_t position) noexcept {
    if (position == 0) {
        drop_front();
        return;
    }
    live_bytes_ -= entry(position).length;
    for (std::size_t i = position; i + 1 < count_; ++i) entry(i) = entry(i + 1);
    --count_;
}

void Outbox::replay_inflight(std::uint64_t seq, std::uint16_t packet_id) noexcept {
    const std::size_t position = position_of(seq);
    if (position < count_) entry(position).packet_id = packet_id;
}

void Outbox::replay_state(const std::uint8_t* body) noexcept {
    head_ = get_u64(body);
    // `next` and `dropped` only ever grow in a log we wrote. A STATE that would lower them
    // (storage we did not write) must not: a lower `next` would give a live reading's seq, or
    // a released one's, to a new reading.
    const std::uint64_t next = get_u64(body + 8);
    const std::uint64_t dropped = get_u64(body + 16);
    if (next > next_) next_ = next;
    if (dropped > dropped_) dropped_ = dropped;
    // A STATE moves the head past released (or dropped) readings: they are no longer live.
    while (count_ > 0 && entry(0).seq < head_) drop_front();
}

void Outbox::replay_release(std::uint64_t seq) noexcept {
    // A RELEASE of a reading no longer live (already behind the head) changes nothing.
    if (const std::size_t at = position_of(seq); at < count_) remove_at(at);
}

void Outbox::forget_stale_notes() noexcept {
    // Two live readings noted under one identifier: the session reused it once the older one
    // was acknowledged, whose release was then lost (not synced). Only the newer note is real;
    // the older reading goes out again under a new identifier (a duplicate, never a loss).
    for (std::size_t i = 0; i < count_; ++i) {
        const std::uint16_t id = entry(i).packet_id;
        for (std::size_t later = i + 1; id != 0 && later < count_; ++later) {
            if (entry(later).packet_id == id) entry(i).packet_id = 0;
        }
    }
}

Result<std::size_t> Outbox::replay(LogStorage& log, std::size_t size) noexcept {
    std::size_t offset = 0;
    Record record;
    // Each turn consumes at least a header: bounded by the log size.
    for (;;) {
        MQTLS_TRY_ASSIGN(const bool found, read_record(log, offset, size, scratch_, record));
        if (!found || (record.type == RecordType::begin && offset != 0)) return offset;
        // Counters we never write (beyond max_sequence) end the valid log here, as damage
        // would: trusting them would let the seq wrap round to 0 and repeat.
        if (!counters_plausible(record)) return offset;
        const std::size_t body_offset = offset + header_bytes;
        offset = record.end;
        const std::uint8_t* body = record.body.data();
        switch (record.type) {
            case RecordType::begin:
                epoch_ = get_u32(body);
                head_ = get_u64(body + 4);
                next_ = get_u64(body + 12);
                dropped_ = get_u64(body + 20);
                break;
            case RecordType::reading:
                replay_reading(get_u64(body), body_offset + seq_bytes,
                               record.body.size() - seq_bytes);
                break;
            case RecordType::state:
                replay_state(body);
                break;
            case RecordType::inflight:
                replay_inflight(get_u64(body), get_u16(body + 8));
                break;
            case RecordType::release:
                replay_release(get_u64(body));
                break;
            case RecordType::commit:
                break;
        }
    }
}

Result<void> Outbox::recover() noexcept {
    SegmentSummary summaries[2];
    for (std::uint8_t i = 0; i < 2; ++i) {
        MQTLS_TRY_ASSIGN(summaries[i], summarize(*segments_[i], scratch_));
    }
    const bool first_ok = summaries[0].committed;
    const bool second_ok = summaries[1].committed;
    if (!first_ok && !second_ok) return start_fresh(summaries[0].has_data || summaries[1].has_data);
    const bool second_is_newer =
        !first_ok || (second_ok && epoch_is_newer(summaries[1].epoch, summaries[0].epoch));
    active_ = second_is_newer ? 1 : 0;
    LogStorage& log = active();
    MQTLS_TRY_ASSIGN(const std::size_t size, log.size());
    MQTLS_TRY_ASSIGN(const std::size_t valid_end, replay(log, size));
    if (count_ > 0) head_ = entry(0).seq;
    forget_stale_notes();
    active_size_ = valid_end;
    recovery_.segment = active_;
    recovery_.epoch = epoch_;
    recovery_.readings = count_;
    recovery_.torn_bytes = size - valid_end;
    if (valid_end != size) {
        MQTLS_TRY(log.truncate(valid_end));
        MQTLS_TRY(log.sync());
    }
    if (recovery_.dropped_on_recovery != 0) {
        MQTLS_TRY(ensure_room(header_bytes + state_body_bytes));
        MQTLS_TRY(append_state());
        MQTLS_TRY(log.sync());
    }
    return ok();
}

void Outbox::drop_front() noexcept {
    live_bytes_ -= entry(0).length;
    first_ = (first_ + 1) % index_.size();
    --count_;
}

Result<void> Outbox::compact() noexcept {
    return start_segment(static_cast<std::uint8_t>(1 - active_), epoch_ + 1);
}

Result<void> Outbox::ensure_room(std::size_t bytes) noexcept {
    if (active_size_ + bytes <= config_.segment_bytes) return ok();
    MQTLS_TRY(compact());
    if (active_size_ + bytes > config_.segment_bytes) return Errc::storage_full;
    return ok();
}

Result<void> Outbox::append_state() noexcept {
    std::uint8_t state[state_body_bytes];
    put_u64(state, head_);
    put_u64(state + 8, next_);
    put_u64(state + 16, dropped_);
    return append_record(active(), active_size_, RecordType::state,
                         bytes_view(state, sizeof state));
}

Result<std::uint32_t> Outbox::append_reading(LogStorage& log, std::uint64_t seq,
                                             bytes_view payload) noexcept {
    std::uint8_t seq_field[seq_bytes];
    put_u64(seq_field, seq);
    const std::size_t payload_offset = active_size_ + outbox_record_overhead;
    MQTLS_TRY(append_record(log, active_size_, RecordType::reading,
                            bytes_view(seq_field, seq_bytes), payload));
    return static_cast<std::uint32_t>(payload_offset);
}

bool Outbox::over_capacity(std::size_t payload_bytes) const noexcept {
    return count_ >= config_.max_records || live_bytes_ + payload_bytes > config_.max_live_bytes;
}

Result<void> Outbox::drop_newest() noexcept {
    // The reading is dropped but its seq is used up, so the collector sees a gap that matches
    // dropped(); the STATE makes the used-up seq survive a reset.
    ++next_;
    ++dropped_;
    if (count_ == 0) head_ = next_;
    MQTLS_TRY(ensure_room(header_bytes + state_body_bytes));
    MQTLS_TRY(append_state());
    if (config_.sync == SyncPolicy::every_push) MQTLS_TRY(active().sync());
    return ok();
}

std::uint32_t Outbox::drop_oldest_until_room(std::size_t payload_bytes) noexcept {
    // Only the index changes here: store_reading logs the moved head (a STATE) just before the
    // new reading, in the room it reserves for both.
    std::uint32_t dropped = 0;
    while (count_ > 0 && over_capacity(payload_bytes)) {
        drop_front();
        ++dropped_;
        ++dropped;
    }
    head_ = count_ > 0 ? entry(0).seq : next_;
    return dropped;
}

Result<void> Outbox::store_reading(std::uint64_t seq, bytes_view payload,
                                   bool head_moved) noexcept {
    // One reservation for the STATE and the READING (ensure_room may compact the log).
    const std::size_t state_bytes = head_moved ? header_bytes + state_body_bytes : 0;
    MQTLS_TRY(ensure_room(state_bytes + outbox_record_overhead + payload.size()));
    if (head_moved) MQTLS_TRY(append_state());
    MQTLS_TRY_ASSIGN(const std::uint32_t offset, append_reading(active(), seq, payload));
    entry(count_) = OutboxEntry{seq, offset, static_cast<std::uint32_t>(payload.size()), 0};
    if (count_ == 0) head_ = seq;
    ++count_;
    live_bytes_ += payload.size();
    next_ = seq + 1;
    if (config_.sync == SyncPolicy::every_push) MQTLS_TRY(active().sync());
    return ok();
}

Result<OutboxPush> Outbox::push(bytes_view payload) noexcept {
    if (payload.size() > config_.max_record_bytes) return Errc::outbox_record_too_large;
    if (next_ > max_sequence) return Errc::sequence_exhausted;
    OutboxPush result;
    result.seq = next_;
    if (over_capacity(payload.size())) {
        switch (config_.overflow) {
            case OverflowPolicy::refuse:
                return Errc::outbox_full;
            case OverflowPolicy::drop_newest:
                MQTLS_TRY(drop_newest());
                result.dropped = 1;
                return result;
            case OverflowPolicy::drop_oldest:
                result.dropped = drop_oldest_until_room(payload.size());
                break;
        }
    }
    MQTLS_TRY(store_reading(result.seq, payload, result.dropped != 0));
    result.stored = true;
    return result;
}

Result<OutboxReading> Outbox::peek(std::size_t position, mutable_bytes buffer) noexcept {
    if (position >= count_) return Errc::invalid_argument;
    const OutboxEntry& live = entry(position);
    if (buffer.size() < live.length) return Errc::buffer_too_small;
    MQTLS_TRY_ASSIGN(const std::size_t got,
                     active().read(live.offset, mutable_bytes(buffer.data(), live.length)));
    if (got != live.length) return Errc::file_read_failed;
    return OutboxReading{live.seq, bytes_view(buffer.data(), live.length), live.packet_id};
}

Result<void> Outbox::release(std::uint64_t seq) noexcept {
    const std::size_t position = position_of(seq);
    if (position == count_) return Errc::invalid_argument;
    if (position == 0) {
        // The oldest: the head moves (a STATE, as logs always recorded it).
        drop_front();
        head_ = count_ > 0 ? entry(0).seq : next_;
        MQTLS_TRY(ensure_room(header_bytes + state_body_bytes));
        return append_state();
    }
    // Acknowledged ahead of an older one (QoS 1 and 2 readings complete in different numbers
    // of round trips): a RELEASE record, replayed by seq.
    MQTLS_TRY(ensure_room(header_bytes + release_body_bytes));
    std::uint8_t body[release_body_bytes];
    put_u64(body, seq);
    MQTLS_TRY(
        append_record(active(), active_size_, RecordType::release, bytes_view(body, sizeof body)));
    remove_at(position_of(seq));  // a compaction in ensure_room() keeps the order, not places
    return ok();
}

Result<void> Outbox::append_inflight(LogStorage& log, std::size_t& log_size, std::uint64_t seq,
                                     std::uint16_t packet_id) noexcept {
    std::uint8_t inflight[inflight_body_bytes];
    put_u64(inflight, seq);
    put_u16(inflight + 8, packet_id);
    return append_record(log, log_size, RecordType::inflight,
                         bytes_view(inflight, sizeof inflight));
}

Result<void> Outbox::note_in_flight(std::uint64_t seq, std::uint16_t packet_id) noexcept {
    if (packet_id == 0 || position_of(seq) == count_) return Errc::invalid_argument;
    MQTLS_TRY(ensure_room(header_bytes + inflight_body_bytes));
    MQTLS_TRY(append_inflight(active(), active_size_, seq, packet_id));
    entry(position_of(seq)).packet_id = packet_id;
    if (config_.sync == SyncPolicy::every_push) MQTLS_TRY(active().sync());
    return ok();
}

std::uint16_t Outbox::in_flight_packet_id() const noexcept {
    return count_ == 0 ? 0 : entry(0).packet_id;
}

std::uint64_t Outbox::seq_noted_under(std::uint16_t packet_id) const noexcept {
    for (std::size_t i = 0; packet_id != 0 && i < count_; ++i) {
        if (entry(i).packet_id == packet_id) return entry(i).seq;
    }
    return 0;
}

Result<void> Outbox::sync() noexcept { return active().sync(); }

}  // namespace mqtls::node
