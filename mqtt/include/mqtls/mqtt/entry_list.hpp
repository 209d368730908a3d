#pragma once
/// @file
/// EntryList: a list that is either the caller's array (to encode) or the validated wire bytes of
/// a decoded packet, so that a decoded packet needs no storage per entry. SUBSCRIBE entries,
/// UNSUBSCRIBE filters and MQTT 5 properties are such lists.

#include <cstddef>
#include <string_view>

#include "mqtls/core/span.hpp"

namespace mqtls::mqtt {

/// Iteration yields `Item` values either way. A wire-backed list reads each entry with
/// `read_wire_entry(wire, offset, Item&, next)`, found by argument-dependent lookup beside `Item`
/// (the overload for a bare filter, std::string_view, is in `detail`).
template <class Item>
class EntryList {
public:
    constexpr EntryList() noexcept = default;
    /// Entries from the caller's array (which must outlive the list).
    constexpr EntryList(span<const Item> items) noexcept  // NOLINT(google-explicit-constructor)
        : items_(items), count_(items.size()) {}
    /// Entries from wire bytes already validated by the decoder.
    static EntryList from_wire(bytes_view wire, std::size_t count) noexcept {
        EntryList list;
        list.wire_ = wire;
        list.count_ = count;
        list.from_wire_ = true;
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
        std::size_t offset_;  // into wire_, for wire-backed lists
    };
    [[nodiscard]] iterator begin() const noexcept { return iterator(this, 0, 0); }
    [[nodiscard]] iterator end() const noexcept { return iterator(this, count_, 0); }

private:
    span<const Item> items_;
    bytes_view wire_;
    std::size_t count_ = 0;
    bool from_wire_ = false;
};

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
    if (!list_->from_wire_) return list_->items_[index_];
    // Unqualified, so that an item type declared elsewhere brings its own read_wire_entry.
    using detail::read_wire_entry;
    Item item{};
    std::size_t next = 0;
    read_wire_entry(list_->wire_, offset_, item, next);
    return item;
}

template <class Item>
typename EntryList<Item>::iterator& EntryList<Item>::iterator::operator++() noexcept {
    if (list_->from_wire_) {
        using detail::read_wire_entry;
        Item item{};
        read_wire_entry(list_->wire_, offset_, item, offset_);
    }
    ++index_;
    return *this;
}

}  // namespace mqtls::mqtt
