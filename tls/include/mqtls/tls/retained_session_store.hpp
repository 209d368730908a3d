#pragma once
/// @file
/// A SessionStore in retained memory (RTC slow memory on an ESP32, RTC_DATA_ATTR): the sealed
/// session survives deep sleep, so the next wake resumes with an abbreviated handshake. A
/// second store built over the same bytes after a reset loads what the first one saved.
///
///     RTC_DATA_ATTR static tls::RetainedSessionRegion<1536> session_region;
///     tls::RetainedSessionStore store(session_region);
///
/// Region layout (little-endian; docs/design.md "Retained stores"): two equal slots, each
///
///     magic "MQSS" u32 | version u16 | 0 u16 | generation u32 | length u32 | CRC-32 u32
///     | blob (length bytes; the slot holds slot_bytes - 20 at most)
///
/// with the CRC over the 16 header bytes before it and the blob. save() writes the blob and
/// then its header into the slot that does not hold the newest session, with the next
/// generation: a reset during the save tears only that slot, its checksum fails, and load()
/// returns the previous session, whole. erase() saves an empty entry the same way and then
/// wipes the other slot, so the erased blob can never come back.
///
/// The store keeps no state of its own (every call reads the region), so it is reset-proof by
/// construction. Header-only (part of mqtls::tls_headers): no mbedTLS needed.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mqtls/core/crc32.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/retained_memory.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::tls {

/// Bytes a slot's header takes.
inline constexpr std::size_t retained_session_header_bytes = 20;

/// Region bytes for sealed sessions of up to `blob_bytes`: two slots (the one being written and
/// the last complete one).
constexpr std::size_t retained_session_region_bytes(std::size_t blob_bytes) noexcept {
    return 2 * (retained_session_header_bytes + blob_bytes);
}

/// A region for RetainedSessionStore holding sealed sessions of up to `BlobBytes`, to place in
/// retained memory. A POD: zero-initialised, it stores nothing.
template <std::size_t BlobBytes = max_sealed_session_size>
struct RetainedSessionRegion {
    alignas(4) std::uint8_t bytes[retained_session_region_bytes(BlobBytes)];
};

class RetainedSessionStore final : public SessionStore {
public:
    /// A store over `region` (which must outlive it); each slot is half the region. `hook` is
    /// for simulations that cut the power (RetainedStoreHook); leave it out.
    explicit RetainedSessionStore(mutable_bytes region, RetainedStoreHook* hook = nullptr) noexcept
        : memory_(region, hook) {}
    template <std::size_t BlobBytes>
    explicit RetainedSessionStore(RetainedSessionRegion<BlobBytes>& region,
                                  RetainedStoreHook* hook = nullptr) noexcept
        : RetainedSessionStore(mutable_bytes(region.bytes), hook) {}

    /// The newest completely saved blob; 0 when none (blank, erased, or discarded: contents()).
    /// Errors: message_too_large (`out` is smaller than the blob).
    Result<std::size_t> load(mutable_bytes out) noexcept override {
        const Slot newest = newest_slot();
        if (!newest.valid) return std::size_t{0};
        if (newest.length > out.size()) return Errc::message_too_large;
        if (newest.length != 0) std::memcpy(out.data(), blob_of(newest).data(), newest.length);
        return std::size_t{newest.length};
    }

    /// All or nothing across a reset. Errors: message_too_large (more than capacity(), or a
    /// region too small for two headers),
    /// file_write_failed when the power failed during the save.
    Result<void> save(bytes_view sealed) noexcept override {
        if (slot_bytes() < retained_session_header_bytes || sealed.size() > capacity()) {
            return Errc::message_too_large;
        }
        return write_entry(sealed);
    }

    /// Saves an empty entry, then wipes the previous blob. Errors: file_write_failed as above.
    Result<void> erase() noexcept override {
        if (slot_bytes() < retained_session_header_bytes) return Errc::message_too_large;
        MQTLS_TRY(write_entry(bytes_view()));
        const Slot newest = newest_slot();
        if (!memory_.zero((newest.index ^ 1U) * slot_bytes(), slot_bytes())) {
            return Errc::file_write_failed;
        }
        return ok();
    }

    /// The largest blob the region holds.
    [[nodiscard]] std::size_t capacity() const noexcept {
        return slot_bytes() < retained_session_header_bytes
                   ? 0
                   : slot_bytes() - retained_session_header_bytes;
    }

    /// What the region holds: recovered (a valid entry, possibly an erased one), blank (both
    /// headers all zero: never saved) or discarded (garbage, or the very first save was torn:
    /// load() returns nothing; worth reporting).
    [[nodiscard]] RetainedContents contents() const noexcept {
        if (newest_slot().valid) return RetainedContents::recovered;
        // Only the headers tell: a first save torn before its header leaves blob bytes alone.
        const bool never_written = slot_bytes() < retained_session_header_bytes ||
                                   (memory_.all_zero(0, retained_session_header_bytes) &&
                                    memory_.all_zero(slot_bytes(), retained_session_header_bytes));
        return never_written ? RetainedContents::blank : RetainedContents::discarded;
    }

    /// The generation of the newest valid entry (0: none).
    [[nodiscard]] std::uint32_t generation() const noexcept {
        const Slot newest = newest_slot();
        return newest.valid ? newest.generation : 0;
    }

private:
    static constexpr std::uint32_t magic = 0x5353514DU;  // "MQSS" in memory order
    static constexpr std::uint16_t version = 1;
    static constexpr std::size_t magic_at = 0;
    static constexpr std::size_t version_at = 4;
    static constexpr std::size_t generation_at = 8;
    static constexpr std::size_t length_at = 12;
    static constexpr std::size_t crc_at = 16;

    struct Slot {
        bool valid = false;
        std::size_t index = 0;
        std::uint32_t generation = 0;
        std::size_t length = 0;
    };

    [[nodiscard]] std::size_t slot_bytes() const noexcept { return memory_.size() / 2; }

    [[nodiscard]] bytes_view blob_of(const Slot& slot) const noexcept {
        return memory_.bytes(slot.index * slot_bytes() + retained_session_header_bytes,
                             slot.length);
    }

    // The slot's entry if its checksum holds; a torn or garbage slot is rejected whole.
    [[nodiscard]] Slot read_slot(std::size_t index) const noexcept {
        if (slot_bytes() < retained_session_header_bytes) return {};
        const std::uint8_t* field = memory_.bytes(index * slot_bytes(), slot_bytes()).data();
        const std::size_t length = get_le32(field + length_at);
        const bool ours = get_le32(field + magic_at) == magic &&
                          field[version_at] == (version & 0xFFU) &&
                          field[version_at + 1] == (version >> 8U) && field[6] == 0 &&
                          field[7] == 0 && length <= capacity();
        if (!ours) return {};
        Slot slot{true, index, get_le32(field + generation_at), length};
        const std::uint32_t crc =
            crc32_update(crc32_update(0, bytes_view(field, crc_at)), blob_of(slot));
        if (crc != get_le32(field + crc_at)) return {};
        return slot;
    }

    [[nodiscard]] Slot newest_slot() const noexcept {
        const Slot first = read_slot(0);
        const Slot second = read_slot(1);
        if (!first.valid) return second;
        if (second.valid && newer_generation(second.generation, first.generation)) return second;
        return first;
    }

    // The blob, then the header that makes it count, into the slot not holding the newest.
    Result<void> write_entry(bytes_view blob) noexcept {
        const Slot newest = newest_slot();
        const std::size_t index = newest.valid ? newest.index ^ 1U : 0;
        const std::size_t at = index * slot_bytes();
        std::uint8_t header[retained_session_header_bytes] = {};
        put_le32(header + magic_at, magic);
        header[version_at] = static_cast<std::uint8_t>(version & 0xFFU);
        header[version_at + 1] = static_cast<std::uint8_t>(version >> 8U);
        put_le32(header + generation_at, newest.valid ? newest.generation + 1 : 1);
        put_le32(header + length_at, static_cast<std::uint32_t>(blob.size()));
        put_le32(header + crc_at, crc32_update(crc32_update(0, bytes_view(header, crc_at)), blob));
        if (!memory_.store(at + retained_session_header_bytes, blob) ||
            !memory_.store(at, bytes_view(header, sizeof header))) {
            return Errc::file_write_failed;
        }
        return ok();
    }

    RetainedMemory memory_;
};

}  // namespace mqtls::tls
