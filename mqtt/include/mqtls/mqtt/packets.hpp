#pragma once
/// @file
/// The MQTT control packets as plain structs of views: the 14 of MQTT 3.1.1 and, in a build with
/// MQTT 5 (config.hpp), the fields MQTT 5 adds (properties, reason codes, subscription options)
/// and its AUTH packet. A decoded packet points into the bytes it was decoded from (valid as long
/// as they are); a packet to encode points into the caller's memory. Nothing here owns or
/// allocates. Every MQTT 5 field has a default member initializer, so 3.1.1-style brace
/// initialisation (`PubAck{id}`) stays complete, and warning-free under -Wextra.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/config.hpp"
#include "mqtls/mqtt/entry_list.hpp"
#if MQTLS_MQTT5
#include "mqtls/mqtt/properties.hpp"
#include "mqtls/mqtt/reason_codes.hpp"
#endif

namespace mqtls::mqtt {

/// The protocol version of a connection: its CONNECT's Protocol Level (MQTT 3.1.1 section
/// 3.1.2.2, MQTT 5 section 3.1.2.2).
enum class ProtocolVersion : std::uint8_t { v3_1_1 = 4, v5 = 5 };

/// "MQTT 3.1.1" or "MQTT 5", for logs and errors.
const char* protocol_version_name(ProtocolVersion version) noexcept;

/// Control packet types, MQTT 3.1.1 section 2.2.1 (MQTT 5 section 2.1.2 adds AUTH).
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
    auth = 15,  ///< MQTT 5 only; reserved in MQTT 3.1.1
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
#if MQTLS_MQTT5
    PropertyList properties{};  ///< Will Properties, MQTT 5 section 3.1.3.2
#endif
};

struct Connect {
    std::string_view client_id;
    /// Clean Session in MQTT 3.1.1; Clean Start in MQTT 5 (section 3.1.2.4), where the Session
    /// Expiry Interval property says how long the session outlives the connection.
    bool clean_session = true;
    std::uint16_t keep_alive_s = 0;
    std::optional<Will> will;
    std::optional<std::string_view> username;
    /// Binary data; in MQTT 3.1.1 only allowed together with a username [MQTT-3.1.2-22] (MQTT 5
    /// drops that rule).
    std::optional<bytes_view> password;
#if MQTLS_MQTT5
    PropertyList properties{};
#endif
};

struct ConnAck {
    bool session_present = false;
    /// MQTT 3.1.1's Connect Return Code; an MQTT 5 CONNACK carries `reason_code` instead.
    ConnectReturnCode return_code = ConnectReturnCode::accepted;
#if MQTLS_MQTT5
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
#endif
};

struct Publish {
    std::string_view topic;
    bytes_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    /// Present on the wire only for QoS 1 and 2, where it must be non-zero.
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    /// MQTT 5: an empty topic is allowed when a Topic Alias property names it (section 3.3.2.1).
    PropertyList properties{};
#endif
};

// The QoS 1/2 acknowledgements. In MQTT 5 each carries a Reason Code (0x80 and above: the
// message failed, e.g. 0x87 Not authorized) and properties (sections 3.4-3.7).
struct PubAck {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
#endif
};
struct PubRec {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
#endif
};
struct PubRel {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
#endif
};
struct PubComp {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
#endif
};

/// MQTT 5 Retain Handling (section 3.8.3.1): when the broker sends retained messages.
enum class RetainHandling : std::uint8_t {
    send_on_subscribe = 0,
    send_if_new_subscription = 1,
    do_not_send = 2,
};

struct Subscription {
    std::string_view filter;
    QoS qos = QoS::at_most_once;
#if MQTLS_MQTT5
    // The Subscription Options of MQTT 5 section 3.8.3.1; MQTT 3.1.1 has only the QoS.
    bool no_local = false;
    bool retain_as_published = false;
    RetainHandling retain_handling = RetainHandling::send_on_subscribe;
#endif
};

using SubscriptionList = EntryList<Subscription>;
using FilterList = EntryList<std::string_view>;
// A decoded packet's lists lie inside its body, so they stay within what an EntryList can hold.
static_assert(max_remaining_length <= SubscriptionList::max_wire_size);

struct Subscribe {
    PacketId packet_id = 0;
    SubscriptionList subscriptions;
#if MQTLS_MQTT5
    PropertyList properties{};
#endif
};

struct SubAck {
    PacketId packet_id = 0;
    /// One byte per requested filter: the granted QoS (0..2) or `suback_failure` (0x80); in
    /// MQTT 5 a Reason Code of table 2-6's SUBACK set (e.g. 0x87 Not authorized).
    bytes_view return_codes;
#if MQTLS_MQTT5
    PropertyList properties{};
#endif
};

struct Unsubscribe {
    PacketId packet_id = 0;
    FilterList filters;
#if MQTLS_MQTT5
    PropertyList properties{};
#endif
};

struct UnsubAck {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    /// MQTT 5 only (section 3.11.3): one Reason Code per filter; MQTT 3.1.1 has none.
    bytes_view reason_codes{};
    PropertyList properties{};
#endif
};
struct PingReq {};
struct PingResp {};
struct Disconnect {
#if MQTLS_MQTT5
    /// MQTT 5 section 3.14.2.1; 3.1.1's DISCONNECT is empty.
    ReasonCode reason_code = ReasonCode::normal_disconnection;
    PropertyList properties{};
#endif
};
#if MQTLS_MQTT5
/// MQTT 5 enhanced authentication (section 3.15).
struct Auth {
    ReasonCode reason_code = ReasonCode::success;
    PropertyList properties{};
};
#endif

/// Any control packet. The alternatives are in packet-type order, so
/// `packet.index() + 1` is the PacketType value.
using Packet = std::variant<Connect, ConnAck, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe,
                            SubAck, Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect
#if MQTLS_MQTT5
                            ,
                            Auth
#endif
                            >;

/// The type of a packet held in the variant.
inline PacketType packet_type(const Packet& packet) noexcept {
    return static_cast<PacketType>(packet.index() + 1);
}

// Value equality of packets is test support: mqtls/mqtt/packet_equality.hpp (mqtls_mqtt_equality).

// Reads a SUBSCRIBE entry the decoder validated (what EntryList<Subscription> iterates with):
// the filter, then the options byte (section 3.8.3.1 in MQTT 5; only QoS in 3.1.1, whose decoder
// refused the other bits).
void read_wire_entry(bytes_view wire, std::size_t offset, Subscription& out,
                     std::size_t& next) noexcept;

}  // namespace mqtls::mqtt
