#include "mqtls/node/retained_log_storage.hpp"

#include <cstring>

#include "mqtls/core/crc32.hpp"

namespace mqtls::node {
namespace {

constexpr std::uint32_t log_magic = 0x474C514DU;  // "MQLG" in memory order
constexpr std::uint16_t log_version = 1;
// Field offsets inside a header slot.
constexpr std::size_t magic_at = 0;
constexpr std::size_t version_at = 4;
constexpr std::size_t capacity_at = 8;
constexpr std::size_t sequence_at = 12;
constexpr std::size_t length_at = 16;
constexpr std::size_t crc_at = 20;
static_assert(crc_at + 4 == retained_log_header_bytes);

void encode_header(std::uint8_t (&out)[retained_log_header_bytes], std::size_t capacity,
                   std::uint32_t sequence, std::size_t length) noexcept {
    std::memset(out, 0, sizeof out);
    put_le32(out + magic_at, log_magic);
    out[version_at] = static_cast<std::uint8_t>(log_version & 0xFFU);
    out[version_at + 1] = static_cast<std::uint8_t>(log_version >> 8U);
    put_le32(out + capacity_at, static_cast<std::uint32_t>(capacity));
    put_le32(out + sequence_at, sequence);
    put_le32(out + length_at, static_cast<std::uint32_t>(length));
    put_le32(out + crc_at, crc32_update(0, bytes_view(out, crc_at)));
}

}  // namespace

std::size_t RetainedLogStorage::capacity_of(std::size_t region_size) noexcept {
    if (region_size < retained_log_overhead) return 0;
    const std::size_t data = region_size - retained_log_overhead;
    // The header stores the capacity and length as u32.
    return data > 0xFFFFFFFFU ? std::size_t{0xFFFFFFFFU} : data;
}

RetainedLogStorage::Header RetainedLogStorage::header_in(std::size_t slot) const noexcept {
    if (memory_.size() < retained_log_overhead) return {};
    const bytes_view bytes =
        memory_.bytes(slot * retained_log_header_bytes, retained_log_header_bytes);
    const std::uint8_t* field = bytes.data();
    // The checksum first: a torn or garbage slot is rejected as a whole, whatever its fields.
    if (get_le32(field + crc_at) != crc32_update(0, bytes.first(crc_at))) return {};
    const bool ours = get_le32(field + magic_at) == log_magic &&
                      field[version_at] == (log_version & 0xFFU) &&
                      field[version_at + 1] == (log_version >> 8U) && field[6] == 0 &&
                      field[7] == 0 && get_le32(field + capacity_at) == capacity_;
    const std::uint32_t length = get_le32(field + length_at);
    if (!ours || length > capacity_) return {};
    return Header{true, get_le32(field + sequence_at), length};
}

void RetainedLogStorage::recover() noexcept {
    const Header slots[2] = {header_in(0), header_in(1)};
    std::size_t newest = 0;
    if (!slots[0].valid ||
        (slots[1].valid && newer_generation(slots[1].sequence, slots[0].sequence))) {
        newest = 1;
    }
    if (!slots[newest].valid) {
        // Only the headers tell: data bytes past a length never committed are not contents.
        const bool never_written =
            memory_.size() < retained_log_overhead || memory_.all_zero(0, retained_log_overhead);
        contents_ = never_written ? RetainedContents::blank : RetainedContents::discarded;
        return;  // empty; the first commit goes to slot 0 over whatever is there
    }
    contents_ = RetainedContents::recovered;
    has_header_ = true;
    newest_slot_ = newest;
    sequence_ = slots[newest].sequence;
    committed_ = used_ = slots[newest].length;
}

Result<void> RetainedLogStorage::commit(std::size_t length) noexcept {
    if (memory_.size() < retained_log_overhead) return Errc::storage_full;
    const std::size_t slot = newest_slot_ ^ 1U;
    const std::uint32_t sequence = sequence_ + 1;
    std::uint8_t header[retained_log_header_bytes];
    encode_header(header, capacity_, sequence, length);
    // The data this header covers was stored by append(); RetainedMemory orders the stores.
    if (!memory_.store(slot * retained_log_header_bytes, bytes_view(header, sizeof header))) {
        return Errc::file_write_failed;
    }
    newest_slot_ = slot;
    sequence_ = sequence;
    committed_ = length;
    has_header_ = true;
    return ok();
}

Result<std::size_t> RetainedLogStorage::read_data(std::size_t offset,
                                                  mutable_bytes out) const noexcept {
    if (offset > used_) return Errc::invalid_argument;
    const std::size_t count = out.size() < used_ - offset ? out.size() : used_ - offset;
    if (count != 0) {
        std::memcpy(out.data(), memory_.bytes(retained_log_overhead + offset, count).data(), count);
    }
    return count;
}

Result<void> RetainedLogStorage::append_data(bytes_view data) noexcept {
    if (data.size() > capacity_ - used_) return Errc::storage_full;
    // Past the committed length (used_ >= committed_): a reset before the next commit hides
    // these bytes, whatever part of them landed.
    if (!memory_.store(retained_log_overhead + used_, data)) return Errc::file_write_failed;
    used_ += data.size();
    return ok();
}

Result<void> RetainedLogStorage::truncate_to(std::size_t length) noexcept {
    if (length > used_) return Errc::invalid_argument;
    // Appends after this overwrite the bytes it removes: commit the shorter length first, or
    // a reset could show the old length over new bytes (LogStorage: never reordered).
    if (length < committed_) MQTLS_TRY(commit(length));
    used_ = length;
    return ok();
}

Result<void> RetainedLogStorage::sync_length() noexcept {
    // A discarded region gets a valid header at the first sync, so the next reset recovers.
    if (used_ == committed_ && has_header_) return ok();
    return commit(used_);
}

}  // namespace mqtls::node
