#pragma once
/// @file
/// The 14 MQTT 3.1.1 control packets as plain structs of views. A decoded packet points into the
/// bytes it was decoded from (valid as long as they are); a packet to encode points into the
/// caller's memory. Nothing here owns or allocates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "mqtls/core/span.hpp"

namespace mqtls::mqtt {

/// Control packet types, MQTT 3.1.1 section 2.2.1.
enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

/// Human name of a packet type ("PUBLISH"), for logs.
const char* packet_type_name(PacketType type) noexcept;

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

/// CONNACK return codes, MQTT 3.1.1 table 3.1.
enum class ConnectReturnCode : std::uint8_t {
    accepted = 0,
    unacceptable_protocol_version = 1,
    identifier_rejected = 2,
    server_unavailable = 3,
    bad_username_or_password = 4,
    not_authorized = 5,
};

/// Human text for a CONNACK return code.
const char* connect_return_code_message(ConnectReturnCode code) noexcept;

/// A SUBACK return code byte that reports a refused subscription.
inline constexpr std::uint8_t suback_failure = 0x80;

using PacketId = std::uint16_t;

/// The smallest and largest MQTT remaining length (four 7-bit groups).
inline constexpr std::uint32_t max_remaining_length = 268'435'455;

struct Will {
    std::string_view topic;
    bytes_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
};

struct Connect {
    std::string_view client_id;
    bool clean_session = true;
    std::uint16_t keep_alive_s = 0;
    std::optional<Will> will;
    std::optional<std::string_view> username;
    /// Binary data; only allowed together with a username [MQTT-3.1.2-22].
    std::optional<bytes_view> password;
};

struct ConnAck {
    bool session_present = false;
    ConnectReturnCode return_code = ConnectReturnCode::accepted;
};

struct Publish {
    std::string_view topic;
    bytes_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    /// Present on the wire only for QoS 1 and 2, where it must be non-zero.
    PacketId packet_id = 0;
};

struct PubAck {
    PacketId packet_id = 0;
};
struct PubRec {
    PacketId packet_id = 0;
};
struct PubRel {
    PacketId packet_id = 0;
};
struct PubComp {
    PacketId packet_id = 0;
};

struct Subscription {
    std::string_view filter;
    QoS qos = QoS::at_most_once;
};

/// A list of SUBSCRIBE/UNSUBSCRIBE entries that is either the caller's array (to encode) or the
/// validated wire bytes of a decoded packet; iteration yields `Item` values either way.
/// `Item` is `Subscription` or `std::string_view` (a filter).
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

using SubscriptionList = EntryList<Subscription>;
using FilterList = EntryList<std::string_view>;

struct Subscribe {
    PacketId packet_id = 0;
    SubscriptionList subscriptions;
};

struct SubAck {
    PacketId packet_id = 0;
    /// One byte per requested filter: the granted QoS (0..2) or `suback_failure` (0x80).
    bytes_view return_codes;
};

struct Unsubscribe {
    PacketId packet_id = 0;
    FilterList filters;
};

struct UnsubAck {
    PacketId packet_id = 0;
};
struct PingReq {};
struct PingResp {};
struct Disconnect {};

/// Any control packet. The alternatives are in packet-type order, so
/// `packet.index() + 1` is the PacketType value.
using Packet = std::variant<Connect, ConnAck, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe,
                            SubAck, Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect>;

/// The type of a packet held in the variant.
inline PacketType packet_type(const Packet& packet) noexcept {
    return static_cast<PacketType>(packet.index() + 1);
}

// Value equality (views compared by content), used by round-trip tests and fuzz invariants.
#define MQTLS_MQTT_DECLARE_EQUALITY(Type)                   \
    bool operator==(const Type& a, const Type& b) noexcept; \
    inline bool operator!=(const Type& a, const Type& b) noexcept { return !(a == b); }
MQTLS_MQTT_DECLARE_EQUALITY(Will)
MQTLS_MQTT_DECLARE_EQUALITY(Connect)
MQTLS_MQTT_DECLARE_EQUALITY(ConnAck)
MQTLS_MQTT_DECLARE_EQUALITY(Publish)
MQTLS_MQTT_DECLARE_EQUALITY(PubAck)
MQTLS_MQTT_DECLARE_EQUALITY(PubRec)
MQTLS_MQTT_DECLARE_EQUALITY(PubRel)
MQTLS_MQTT_DECLARE_EQUALITY(PubComp)
MQTLS_MQTT_DECLARE_EQUALITY(Subscription)
MQTLS_MQTT_DECLARE_EQUALITY(Subscribe)
MQTLS_MQTT_DECLARE_EQUALITY(SubAck)
MQTLS_MQTT_DECLARE_EQUALITY(Unsubscribe)
MQTLS_MQTT_DECLARE_EQUALITY(UnsubAck)
MQTLS_MQTT_DECLARE_EQUALITY(PingReq)
MQTLS_MQTT_DECLARE_EQUALITY(PingResp)
MQTLS_MQTT_DECLARE_EQUALITY(Disconnect)
#undef MQTLS_MQTT_DECLARE_EQUALITY

namespace detail {
// Wire entries were validated by the decoder, so these reads need no checks beyond the asserts
// inside span. Layout: 2-byte big-endian length, the filter, then (SUBSCRIBE only) a QoS byte.
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
inline void read_wire_entry(bytes_view wire, std::size_t offset, Subscription& out,
                            std::size_t& next) noexcept {
    out.filter = wire_filter_at(wire, offset);
    const std::size_t qos_at = offset + 2 + out.filter.size();
    out.qos = static_cast<QoS>(wire[qos_at]);
    next = qos_at + 1;
}
}  // namespace detail

template <class Item>
Item EntryList<Item>::iterator::operator*() const noexcept {
    if (!list_->from_wire_) return list_->items_[index_];
    // Unqualified, so that a list type declared elsewhere (PropertyList) brings its own
    // read_wire_entry by argument-dependent lookup.
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
