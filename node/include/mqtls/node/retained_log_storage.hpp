#pragma once
/// @file
/// A LogStorage in retained memory (RTC slow memory on an ESP32, RTC_DATA_ATTR): the outbox's
/// segments survive deep sleep and resets without flash writes. A second storage built over
/// the same bytes after a reset reopens what the first one synced.
///
///     RTC_DATA_ATTR static node::RetainedLogRegion<3072> segment_a, segment_b;
///     node::RetainedLogStorage first(segment_a), second(segment_b);
///     if (first.contents() == RetainedContents::discarded) ...report it...
///     auto outbox = node::Outbox::open(first, second, memory.index, memory.scratch, config);
///
/// Region layout (little-endian; docs/design.md "Retained stores"):
///
///     header slot 0 (24 bytes) | header slot 1 (24 bytes) | data (capacity bytes)
///     header := magic "MQLG" u32 | version u16 | 0 u16 | capacity u32 | sequence u32
///               | length u32 | CRC-32 u32 of the 20 bytes before it
///
/// The data bytes are stored as they are appended, past the committed length, where a reset
/// makes them invisible. sync() commits the length by writing a header with the next sequence
/// number into the slot that does not hold the newest one, after the data: a reset during that
/// store tears only that slot, its checksum fails, and the other slot (the previous sync)
/// stands. A truncation below the committed length is committed at once, before any later
/// append can overwrite the bytes it removed, so a reset never shows synced length over
/// rewritten data. The data itself is not checksummed here: the outbox's records carry their
/// own CRCs.
///
/// The region is plain bytes (zero-initialised memory is a blank, empty log); the storage is
/// a small view over it and keeps nothing the region does not, except the uncommitted length.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/retained_memory.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/node/log_storage.hpp"

namespace mqtls::node {

/// Bytes of one header slot, and of the two at the start of a region.
inline constexpr std::size_t retained_log_header_bytes = 24;
inline constexpr std::size_t retained_log_overhead = 2 * retained_log_header_bytes;

/// A region for RetainedLogStorage holding `DataBytes` of log, to place in retained memory.
/// A POD: zero-initialised (as RTC_DATA_ATTR and static storage are on the first boot), it is
/// a blank log.
template <std::size_t DataBytes>
struct RetainedLogRegion {
    alignas(4) std::uint8_t bytes[retained_log_overhead + DataBytes];
};

class RetainedLogStorage final : public LogStorage {
public:
    /// Opens the log in `region` (which must outlive the storage): the newest valid header's
    /// length, or an empty log (contents() says whether the region was blank or discarded).
    /// A region smaller than retained_log_overhead has capacity 0 and refuses every write.
    /// `hook` is for simulations that cut the power (RetainedStoreHook); leave it out.
    explicit RetainedLogStorage(mutable_bytes region, RetainedStoreHook* hook = nullptr) noexcept
        : memory_(region, hook), capacity_(capacity_of(region.size())) {
        recover();
    }
    template <std::size_t DataBytes>
    explicit RetainedLogStorage(RetainedLogRegion<DataBytes>& region,
                                RetainedStoreHook* hook = nullptr) noexcept
        : RetainedLogStorage(mutable_bytes(region.bytes), hook) {}

    // The constructor and the overrides are inline (no key function, and no vtable reference
    // in the library): the vtable is emitted where the storage is used, as for RamLogStorage,
    // so RTTI-enabled host code (UBSan's vptr checks) links against this RTTI-free layer.
    Result<std::size_t> size() noexcept override { return used_; }
    Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept override {
        return read_data(offset, out);
    }
    /// Errors: storage_full; file_write_failed when the power failed during the store.
    Result<void> append(bytes_view data) noexcept override { return append_data(data); }
    /// Below the committed length the truncation is committed at once (a header store).
    Result<void> truncate(std::size_t length) noexcept override { return truncate_to(length); }
    /// Commits the current length (one header store; nothing when it is already committed).
    Result<void> sync() noexcept override { return sync_length(); }

    /// Data bytes the region holds at most.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    /// What the constructor found in the region.
    [[nodiscard]] RetainedContents contents() const noexcept { return contents_; }
    /// The sequence number of the newest committed header (0: none yet).
    [[nodiscard]] std::uint32_t sequence() const noexcept { return sequence_; }

private:
    struct Header {
        bool valid = false;
        std::uint32_t sequence = 0;
        std::uint32_t length = 0;
    };

    static std::size_t capacity_of(std::size_t region_size) noexcept;
    [[nodiscard]] Header header_in(std::size_t slot) const noexcept;
    void recover() noexcept;
    Result<void> commit(std::size_t length) noexcept;
    Result<std::size_t> read_data(std::size_t offset, mutable_bytes out) const noexcept;
    Result<void> append_data(bytes_view data) noexcept;
    Result<void> truncate_to(std::size_t length) noexcept;
    Result<void> sync_length() noexcept;

    RetainedMemory memory_;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;       ///< the log's length, committed or not
    std::size_t committed_ = 0;  ///< the length a reset goes back to (<= used_)
    std::uint32_t sequence_ = 0;
    std::size_t newest_slot_ = 1;  ///< so that the first commit goes to slot 0
    bool has_header_ = false;      ///< a valid header exists (after a reset: the state is known)
    RetainedContents contents_ = RetainedContents::blank;
};

}  // namespace mqtls::node
