// Fuzz target: outbox recovery over arbitrary storage contents. Whatever the two segments
// hold (torn, corrupted, hostile), Outbox::open must succeed without reading out of bounds,
// and what it recovers must be consistent: at most max_records live readings with strictly
// increasing seqs below next_sequence(), each readable and within the size bounds; a second
// recovery of the result finds the same state (recovery is idempotent); and the recovered
// outbox keeps working (push, release, note and release out of order, reopen); no packet
// identifier is noted for two live readings.
//
// Input: u16 little-endian split point, then the bytes; the first (split mod (n + 1)) bytes
// are segment 0, the rest segment 1.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../../mqtt/fuzz/fuzz_check.hpp"
#include "mqtls/node/outbox.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::node;

constexpr std::size_t segment_capacity = 64 * 1024;
constexpr std::size_t max_records = 16;
constexpr std::size_t max_record_bytes = 128;

OutboxConfig fuzz_config() {
    OutboxConfig config = OutboxMemory<max_records, max_record_bytes>::config();
    config.max_live_bytes = 1024;
    config.segment_bytes = 4096;
    return config;
}

struct Snapshot {
    std::size_t size = 0;
    std::uint64_t next = 0;
    std::uint64_t dropped = 0;
    std::uint64_t seqs[max_records] = {};
    std::uint16_t ids[max_records] = {};
};

Snapshot check_consistent(Outbox& outbox) {
    Snapshot snapshot;
    snapshot.size = outbox.size();
    snapshot.next = outbox.next_sequence();
    snapshot.dropped = outbox.dropped();
    MQTLS_FUZZ_CHECK(outbox.size() <= max_records);
    MQTLS_FUZZ_CHECK(outbox.live_bytes() <= fuzz_config().max_live_bytes || outbox.size() > 0);
    std::uint64_t previous = 0;
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < outbox.size(); ++i) {
        std::uint8_t buffer[max_record_bytes];
        const Result<OutboxReading> reading = outbox.peek(i, buffer);
        MQTLS_FUZZ_CHECK(reading.has_value());
        MQTLS_FUZZ_CHECK(reading->seq > previous);
        MQTLS_FUZZ_CHECK(reading->seq < outbox.next_sequence());
        MQTLS_FUZZ_CHECK(reading->payload.size() <= max_record_bytes);
        // No identifier held by two live readings: both would be restored under it, and a
        // QoS 2 identifier reused while in flight.
        for (std::size_t j = 0; reading->packet_id != 0 && j < i; ++j) {
            MQTLS_FUZZ_CHECK(snapshot.ids[j] != reading->packet_id);
        }
        snapshot.ids[i] = reading->packet_id;
        MQTLS_FUZZ_CHECK(reading->packet_id == 0 ||
                         outbox.seq_noted_under(reading->packet_id) == reading->seq);
        previous = reading->seq;
        bytes += reading->payload.size();
        snapshot.seqs[i] = reading->seq;
    }
    MQTLS_FUZZ_CHECK(bytes == outbox.live_bytes());
    return snapshot;
}

// Static: 2 x 64 KiB would be a lot of stack per run.
std::uint8_t first_memory[segment_capacity];
std::uint8_t second_memory[segment_capacity];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    if (size < 2 || size - 2 > segment_capacity) return 0;
    const std::size_t split = (data[0] | (data[1] << 8U)) % (size - 2 + 1);
    RamLogStorage first(mutable_bytes(first_memory, segment_capacity));
    RamLogStorage second(mutable_bytes(second_memory, segment_capacity));
    MQTLS_FUZZ_CHECK(first.append(bytes_view(data + 2, split)).has_value());
    MQTLS_FUZZ_CHECK(second.append(bytes_view(data + 2 + split, size - 2 - split)).has_value());

    static OutboxMemory<max_records, max_record_bytes> memory;
    Snapshot recovered;
    {
        Result<Outbox> outbox =
            Outbox::open(first, second, memory.index, memory.scratch, fuzz_config());
        MQTLS_FUZZ_CHECK(outbox.has_value());
        recovered = check_consistent(*outbox);
    }
    {
        // Recovery wrote what it needed (a truncated tail, a fresh segment): a second one
        // changes nothing.
        Result<Outbox> again =
            Outbox::open(first, second, memory.index, memory.scratch, fuzz_config());
        MQTLS_FUZZ_CHECK(again.has_value());
        const Snapshot second_look = check_consistent(*again);
        MQTLS_FUZZ_CHECK(second_look.size == recovered.size);
        MQTLS_FUZZ_CHECK(second_look.next == recovered.next);
        MQTLS_FUZZ_CHECK(second_look.dropped == recovered.dropped);
        MQTLS_FUZZ_CHECK(std::memcmp(second_look.seqs, recovered.seqs, sizeof recovered.seqs) == 0);
        MQTLS_FUZZ_CHECK(std::memcmp(second_look.ids, recovered.ids, sizeof recovered.ids) == 0);
        MQTLS_FUZZ_CHECK(!again->recovery().fresh || again->size() == 0);
        MQTLS_FUZZ_CHECK(again->recovery().torn_bytes == 0);

        // It keeps working: a push gets the next seq, the oldest can be released.
        const std::uint8_t payload[] = {'{', '}'};
        const Result<OutboxPush> pushed = again->push(bytes_view(payload, sizeof payload));
        MQTLS_FUZZ_CHECK(recovered.next <= max_sequence + 1);
        if (recovered.next > max_sequence) {
            // Every seq used: refused, never wrapped round to 0.
            MQTLS_FUZZ_CHECK(!pushed.has_value() &&
                             pushed.error().code == Errc::sequence_exhausted);
            return 0;
        }
        MQTLS_FUZZ_CHECK(pushed.has_value());
        MQTLS_FUZZ_CHECK(pushed->seq == recovered.next);
        // The new reading goes out and is acknowledged (out of order when older ones wait).
        std::uint16_t free_id = 1;
        while (again->seq_noted_under(free_id) != 0) ++free_id;  // at most max_records turns
        MQTLS_FUZZ_CHECK(again->note_in_flight(pushed->seq, free_id).has_value());
        MQTLS_FUZZ_CHECK(again->seq_noted_under(free_id) == pushed->seq);
        MQTLS_FUZZ_CHECK(again->release(pushed->seq).has_value());
        MQTLS_FUZZ_CHECK(again->seq_noted_under(free_id) == 0);
        if (again->size() > 0) {
            std::uint8_t buffer[max_record_bytes];
            const Result<OutboxReading> oldest = again->peek(0, buffer);
            MQTLS_FUZZ_CHECK(oldest.has_value());
            MQTLS_FUZZ_CHECK(again->release(oldest->seq).has_value());
        }
        MQTLS_FUZZ_CHECK(again->sync().has_value());
    }
    Result<Outbox> last = Outbox::open(first, second, memory.index, memory.scratch, fuzz_config());
    MQTLS_FUZZ_CHECK(last.has_value());
    MQTLS_FUZZ_CHECK(last->next_sequence() == recovered.next + 1);
    check_consistent(*last);
    return 0;
}
