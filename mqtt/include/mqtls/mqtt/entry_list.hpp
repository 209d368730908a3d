#pragma once
/// @file
/// EntryList: a list that is either the caller's array (to encode) or the validated wire bytes of
/// a decoded packet, so that a decoded packet needs no storage per entry. SUBSCRIBE entries,
/// UNSUBSCRIBE filters and MQTT 5 properties are such lists.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/assert.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::mqtt {

/// Iteration yields `Item` values either way. A wire-backed list reads each entry with
/// `read_wire_entry(wire, offset, Item&, next)`, found by argument-dependent lookup beside `Item`
/// (the overload for a bare filter, std::string_view, is in `detail`).
template <class Item>
class EntryList {
public:
    /// The most wire bytes a list can cover (its byte count plus one is kept in 32 bits). The
    /// decoder's lists lie inside one packet body or property section, so they have at most
    /// 268,435,455 bytes: the largest Remaining Length (MQTT 3.1.1 section 2.2.3, MQTT 5 section
    /// 2.1.4) and variable byte integer (MQTT 5 section 1.5.5).
    static constexpr std::size_t max_wire_size = UINT32_MAX - 1;

    constexpr EntryList() noexcept = default;
    /// Entries from the caller's array (which must outlive the list).
    constexpr EntryList(span<const Item> items) noexcept  // NOLINT(google-explicit-constructor)
        : data_(items.data()), count_(narrow(items.size(), UINT32_MAX)) {}
    /// Entries from wire bytes already validated by the decoder: at most max_wire_size bytes, and
    /// no more entries than bytes (each entry takes at least one).
    static EntryList from_wire(bytes_view wire, std::size_t count) noexcept {
        EntryList list;
        list.data_ = wire.data();
        list.wire_size_ = narrow(wire.size(), max_wire_size) + 1U;
        list.count_ = narrow(count, wire.size());
        return list;
    }

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }

    class iterator {
    public:
        Item operator*() const noexcept;
        iterator& operator++() noexcept;
        bool operator==(const iterator& o) const noexcept { return index_ == o.index_; }
        bool operator!=(const iterator& o) const noexcept { return index_ != o.index_; }

    private:
        friend class EntryList;
        iterator(const EntryList* list, std::size_t index, std::size_t offset) noexcept
            : list_(list), index_(index), offset_(offset) {}
        const EntryList* list_;
        std::size_t index_;
        std::size_t offset_;  // into the wire bytes, for wire-backed lists
    };
    [[nodiscard]] iterator begin() const noexcept { return iterator(this, 0, 0); }
    [[nodiscard]] iterator end() const noexcept { return iterator(this, count_, 0); }

private:
    // A size narrowed to 32 bits, `value <= max` being the caller's precondition. On a 32-bit
    // target no check is needed to keep it from wrapping: no object, so no array or wire buffer,
    // exceeds PTRDIFF_MAX (2^31 - 1) bytes (and the decoder's lists stay below 2^28). A 64-bit
    // host, where a larger value could wrap, checks the precondition (and so do the host tests).
    static constexpr std::uint32_t narrow(std::size_t value, std::size_t max) noexcept {
        if constexpr (sizeof(std::size_t) > sizeof(std::uint32_t)) {
            MQTLS_ASSERT(value <= max);
        } else {
            static_cast<void>(max);
        }
        return static_cast<std::uint32_t>(value);
    }
    [[nodiscard]] bool from_wire() const noexcept { return wire_size_ != 0; }
    [[nodiscard]] span<const Item> items() const noexcept {
        return {static_cast<const Item*>(data_), count_};
    }
    [[nodiscard]] bytes_view wire() const noexcept {
        return {static_cast<const std::uint8_t*>(data_), wire_size_ - 1U};
    }

    // 12 bytes on a 32-bit target (a pointer, two 32-bit words), where the packets embed several
    // lists and copy them inline. One pointer serves both kinds: the caller's Item array, or the
    // wire bytes. wire_size_ is the wire byte count plus one, and 0 for an array, so a default
    // (all-zero) list is an empty array. count_ is the number of entries either way.
    const void* data_ = nullptr;
    std::uint32_t wire_size_ = 0;
    std::uint32_t count_ = 0;
};

static_assert(sizeof(void*) != 4 || sizeof(EntryList<std::string_view>) == 12,
              "EntryList is a pointer and two 32-bit words on a 32-bit target");

namespace detail {
// Wire entries were validated by the decoder, so these reads need no checks beyond the asserts
// inside span. Layout: 2-byte big-endian length, then the text.
inline std::string_view wire_filter_at(bytes_view wire, std::size_t offset) noexcept {
    const std::size_t length = (std::size_t{wire[offset]} << 8) | wire[offset + 1];
    const auto text = wire.subspan(offset + 2, length);
    return {reinterpret_cast<const char*>(text.data()), text.size()};
}
inline void read_wire_entry(bytes_view wire, std::size_t offset, std::string_view& out,
                            std::size_t& next) noexcept {
    out = wire_filter_at(wire, offset);
    next = offset + 2 + out.size();
}
}  // namespace detail

template <class Item>
Item EntryList<Item>::iterator::operator*() const noexcept {
    if (!list_->from_wire()) return list_->items()[index_];
    // Unqualified, so that an item type declared elsewhere brings its own read_wire_entry.
    using detail::read_wire_entry;
    Item item{};
    std::size_t next = 0;
    read_wire_entry(list_->wire(), offset_, item, next);
    return item;
}

template <class Item>
typename EntryList<Item>::iterator& EntryList<Item>::iterator::operator++() noexcept {
    if (list_->from_wire()) {
        using detail::read_wire_entry;
        Item item{};
        read_wire_entry(list_->wire(), offset_, item, offset_);
    }
    ++index_;
    return *this;
}

}  // namespace mqtls::mqtt
