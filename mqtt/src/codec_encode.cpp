// Encoding: every packet is validated and sized by `body_size`, then written by `write_body`,
// so encoded_size() and encode() cannot disagree.
#include <cstdint>
#include <type_traits>
#include <variant>

#include "codec_rules.hpp"
#include "codec_v5.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "wire.hpp"

namespace mqtls::mqtt {
namespace {

using wire::Writer;

constexpr std::uint32_t string_field(std::string_view text) noexcept {
    return 2 + static_cast<std::uint32_t>(text.size());
}

std::uint8_t type_bits(PacketType type) noexcept {
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) << 4);
}

// ---- CONNECT ---------------------------------------------------------------------------------

Result<std::uint32_t> body_size(const Connect& p) noexcept {
    // [MQTT-3.1.3-7] a broker-assigned identifier only exists for a clean session.
    if (p.client_id.empty() && !p.clean_session) return Errc::invalid_connect_flags;
    if (p.password && !p.username) return Errc::invalid_connect_flags;  // [MQTT-3.1.2-22]
    MQTLS_TRY(rules::check_string(p.client_id));
    std::uint32_t size = string_field(rules::protocol_name) + 1 + 1 + 2;
    size += string_field(p.client_id);
    if (p.will) {
        MQTLS_TRY(validate_topic_name(p.will->topic));
        MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.will->qos)));
        MQTLS_TRY(rules::check_binary_length(p.will->payload.size()));
        size +=
            string_field(p.will->topic) + 2 + static_cast<std::uint32_t>(p.will->payload.size());
    }
    if (p.username) {
        MQTLS_TRY(rules::check_string(*p.username));
        size += string_field(*p.username);
    }
    if (p.password) {
        MQTLS_TRY(rules::check_binary_length(p.password->size()));
        size += 2 + static_cast<std::uint32_t>(p.password->size());
    }
    return size;
}

std::uint8_t first_byte(const Connect&) noexcept { return type_bits(PacketType::connect); }

Result<void> write_body(const Connect& p, Writer& w) noexcept {
    MQTLS_TRY(w.string(rules::protocol_name));
    MQTLS_TRY(w.u8(rules::protocol_level));
    MQTLS_TRY(w.u8(rules::connect_flags(p)));
    MQTLS_TRY(w.u16(p.keep_alive_s));
    MQTLS_TRY(w.string(p.client_id));
    if (p.will) {
        MQTLS_TRY(w.string(p.will->topic));
        MQTLS_TRY(w.binary(p.will->payload));
    }
    if (p.username) MQTLS_TRY(w.string(*p.username));
    if (p.password) MQTLS_TRY(w.binary(*p.password));
    return ok();
}

// ---- CONNACK ---------------------------------------------------------------------------------

Result<std::uint32_t> body_size(const ConnAck& p) noexcept {
    if (static_cast<std::uint8_t>(p.return_code) > 5) return Errc::invalid_return_code;
    // [MQTT-3.2.2-4] a refusal never claims a session.
    if (p.session_present && p.return_code != ConnectReturnCode::accepted) {
        return Errc::invalid_connack_flags;
    }
    return std::uint32_t{2};
}
std::uint8_t first_byte(const ConnAck&) noexcept { return type_bits(PacketType::connack); }
Result<void> write_body(const ConnAck& p, Writer& w) noexcept {
    MQTLS_TRY(w.u8(p.session_present ? 1 : 0));
    return w.u8(static_cast<std::uint8_t>(p.return_code));
}

// ---- PUBLISH ---------------------------------------------------------------------------------

Result<std::uint32_t> publish_header_body_size(const Publish& p) noexcept {
    MQTLS_TRY(validate_topic_name(p.topic));
    MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.qos)));
    if (p.qos == QoS::at_most_once) {
        if (p.dup) return Errc::invalid_fixed_header_flags;  // [MQTT-3.3.1-2]
        return string_field(p.topic);
    }
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    return string_field(p.topic) + 2;
}

Result<std::uint32_t> body_size(const Publish& p) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t header, publish_header_body_size(p));
    if (p.payload.size() > max_remaining_length - header) return Errc::packet_too_large;
    return header + static_cast<std::uint32_t>(p.payload.size());
}

std::uint8_t first_byte(const Publish& p) noexcept {
    auto byte =
        static_cast<std::uint8_t>(type_bits(PacketType::publish) |
                                  (static_cast<std::uint8_t>(p.qos) << rules::publish_qos_shift));
    if (p.dup) byte |= rules::publish_dup;
    if (p.retain) byte |= rules::publish_retain;
    return byte;
}

Result<void> write_publish_header_fields(const Publish& p, Writer& w) noexcept {
    MQTLS_TRY(w.string(p.topic));
    if (p.qos != QoS::at_most_once) MQTLS_TRY(w.u16(p.packet_id));
    return ok();
}

Result<void> write_body(const Publish& p, Writer& w) noexcept {
    MQTLS_TRY(write_publish_header_fields(p, w));
    return w.bytes(p.payload);
}

// ---- acknowledgements carrying only a packet identifier ----------------------------------------

template <class Ack>
constexpr PacketType ack_type() noexcept {
    if constexpr (std::is_same_v<Ack, PubAck>) return PacketType::puback;
    if constexpr (std::is_same_v<Ack, PubRec>) return PacketType::pubrec;
    if constexpr (std::is_same_v<Ack, PubRel>) return PacketType::pubrel;
    if constexpr (std::is_same_v<Ack, PubComp>) return PacketType::pubcomp;
    return PacketType::unsuback;
}

template <class Ack>
using IfIdOnly = std::enable_if_t<std::is_same_v<Ack, PubAck> || std::is_same_v<Ack, PubRec> ||
                                      std::is_same_v<Ack, PubRel> || std::is_same_v<Ack, PubComp> ||
                                      std::is_same_v<Ack, UnsubAck>,
                                  int>;

template <class Ack, IfIdOnly<Ack> = 0>
Result<std::uint32_t> body_size(const Ack& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    return std::uint32_t{2};
}
template <class Ack, IfIdOnly<Ack> = 0>
std::uint8_t first_byte(const Ack&) noexcept {
    return static_cast<std::uint8_t>(type_bits(ack_type<Ack>()) |
                                     rules::required_flags(ack_type<Ack>()));
}
template <class Ack, IfIdOnly<Ack> = 0>
Result<void> write_body(const Ack& p, Writer& w) noexcept {
    return w.u16(p.packet_id);
}

// ---- SUBSCRIBE / SUBACK / UNSUBSCRIBE ----------------------------------------------------------

Result<std::uint32_t> body_size(const Subscribe& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.subscriptions.empty()) return Errc::empty_subscription_list;  // [MQTT-3.8.3-3]
    std::uint32_t size = 2;
    for (const Subscription s : p.subscriptions) {
        MQTLS_TRY(validate_topic_filter(s.filter));
        MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(s.qos)));
        size += string_field(s.filter) + 1;
        if (size > max_remaining_length) return Errc::packet_too_large;
    }
    return size;
}
std::uint8_t first_byte(const Subscribe&) noexcept {
    return static_cast<std::uint8_t>(type_bits(PacketType::subscribe) | 0x02);
}
Result<void> write_body(const Subscribe& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    for (const Subscription s : p.subscriptions) {
        MQTLS_TRY(w.string(s.filter));
        MQTLS_TRY(w.u8(static_cast<std::uint8_t>(s.qos)));
    }
    return ok();
}

Result<std::uint32_t> body_size(const SubAck& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.return_codes.empty()) return Errc::empty_subscription_list;
    if (p.return_codes.size() > max_remaining_length - 2) return Errc::packet_too_large;
    for (const std::uint8_t code : p.return_codes) {
        if (!rules::is_valid_suback_code(code)) return Errc::invalid_return_code;
    }
    return 2 + static_cast<std::uint32_t>(p.return_codes.size());
}
std::uint8_t first_byte(const SubAck&) noexcept { return type_bits(PacketType::suback); }
Result<void> write_body(const SubAck& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    return w.bytes(p.return_codes);
}

Result<std::uint32_t> body_size(const Unsubscribe& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.filters.empty()) return Errc::empty_subscription_list;  // [MQTT-3.10.3-2]
    std::uint32_t size = 2;
    for (const std::string_view filter : p.filters) {
        MQTLS_TRY(validate_topic_filter(filter));
        size += string_field(filter);
        if (size > max_remaining_length) return Errc::packet_too_large;
    }
    return size;
}
std::uint8_t first_byte(const Unsubscribe&) noexcept {
    return static_cast<std::uint8_t>(type_bits(PacketType::unsubscribe) | 0x02);
}
Result<void> write_body(const Unsubscribe& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    for (const std::string_view filter : p.filters) MQTLS_TRY(w.string(filter));
    return ok();
}

// ---- packets without a body ------------------------------------------------------------------

template <class Empty>
constexpr PacketType empty_type() noexcept {
    if constexpr (std::is_same_v<Empty, PingReq>) return PacketType::pingreq;
    if constexpr (std::is_same_v<Empty, PingResp>) return PacketType::pingresp;
    return PacketType::disconnect;
}
template <class Empty>
using IfEmpty =
    std::enable_if_t<std::is_same_v<Empty, PingReq> || std::is_same_v<Empty, PingResp> ||
                         std::is_same_v<Empty, Disconnect>,
                     int>;
template <class Empty, IfEmpty<Empty> = 0>
Result<std::uint32_t> body_size(const Empty&) noexcept {
    return std::uint32_t{0};
}
template <class Empty, IfEmpty<Empty> = 0>
std::uint8_t first_byte(const Empty&) noexcept {
    return type_bits(empty_type<Empty>());
}
template <class Empty, IfEmpty<Empty> = 0>
Result<void> write_body(const Empty&, Writer&) noexcept {
    return ok();
}

#if MQTLS_MQTT5
// AUTH has no MQTT 3.1.1 form (type 15 is reserved there).
Result<std::uint32_t> body_size(const Auth&) noexcept { return Errc::mqtt5_only; }
std::uint8_t first_byte(const Auth&) noexcept { return type_bits(PacketType::auth); }
Result<void> write_body(const Auth&, Writer&) noexcept { return Errc::mqtt5_only; }
#endif

// ---- generic ---------------------------------------------------------------------------------

// The body in `version`'s form. A 3.1.1 packet that sets MQTT 5 fields is refused (mqtt5_only),
// never sent without them.
Result<void> check_version(ProtocolVersion version) noexcept {
    if (version == ProtocolVersion::v3_1_1) return ok();
    if (version != ProtocolVersion::v5) {
        return Error{Errc::unsupported_protocol_level, static_cast<std::int32_t>(version)};
    }
    if (!mqtt5_available) return Errc::mqtt5_unavailable;
    return ok();
}

// `version` has passed check_version(), once per call, in the public functions below.
template <class P>
Result<std::uint32_t> versioned_body_size(const P& p, ProtocolVersion version) noexcept {
#if MQTLS_MQTT5
    if (version == ProtocolVersion::v5) return v5::body_size(p);
    if (v5::uses_mqtt5(p)) return Errc::mqtt5_only;
#else
    static_cast<void>(version);
#endif
    return body_size(p);
}

// Only called after versioned_body_size() accepted `version`.
template <class P>
Result<void> versioned_write_body(const P& p, ProtocolVersion version, Writer& w) noexcept {
#if MQTLS_MQTT5
    if (version == ProtocolVersion::v5) return v5::write_body(p, w);
#endif
    static_cast<void>(version);
    return write_body(p, w);
}

// The remaining length of `packet` after validating it: the one place each packet's rules are
// instantiated, for encoded_size() and encode() alike (the code of a device holds them once).
Result<std::uint32_t> checked_body_size(const Packet& packet, ProtocolVersion version) noexcept {
    MQTLS_TRY(check_version(version));
    MQTLS_TRY_ASSIGN(
        const std::uint32_t body,
        std::visit([version](const auto& p) { return versioned_body_size(p, version); }, packet));
    if (remaining_length_size(body) == 0) return Errc::packet_too_large;
    return body;
}

// Writes a packet checked_body_size() accepted, into room for all of it.
template <class P>
Result<std::size_t> write_packet(const P& p, std::uint32_t body, mutable_bytes out,
                                 ProtocolVersion version) noexcept {
    Writer w(out);
    MQTLS_TRY(w.u8(first_byte(p)));
    MQTLS_TRY(w.remaining_length(body));
    MQTLS_TRY(versioned_write_body(p, version, w));
    return w.written();
}

}  // namespace

std::size_t remaining_length_size(std::uint32_t remaining_length) noexcept {
    if (remaining_length < 128) return 1;
    if (remaining_length < 16'384) return 2;
    if (remaining_length < 2'097'152) return 3;
    if (remaining_length <= max_remaining_length) return 4;
    return 0;
}

Result<std::size_t> encoded_size(const Packet& packet, ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t body, checked_body_size(packet, version));
    return 1 + remaining_length_size(body) + std::size_t{body};
}

Result<std::size_t> encode(const Packet& packet, mutable_bytes out,
                           ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t body, checked_body_size(packet, version));
    if (out.size() < 1 + remaining_length_size(body) + std::size_t{body}) {
        return Errc::buffer_too_small;
    }
    return std::visit(
        [body, out, version](const auto& p) { return write_packet(p, body, out, version); },
        packet);
}

namespace {
// Sizes of a PUBLISH split for scatter-gather: validated once, shared by the two functions below.
struct PublishSplit {
    std::uint32_t remaining_length;
    std::size_t header_size;
};
Result<std::uint32_t> versioned_publish_header_size(const Publish& publish,
                                                    ProtocolVersion version) noexcept {
    MQTLS_TRY(check_version(version));
#if MQTLS_MQTT5
    if (version == ProtocolVersion::v5) return v5::publish_header_body_size(publish);
    if (v5::uses_mqtt5(publish)) return Errc::mqtt5_only;
#endif
    return publish_header_body_size(publish);
}

Result<PublishSplit> split_publish(const Publish& publish, ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t header_fields,
                     versioned_publish_header_size(publish, version));
    if (publish.payload.size() > max_remaining_length - header_fields) {
        return Errc::packet_too_large;
    }
    const auto body = header_fields + static_cast<std::uint32_t>(publish.payload.size());
    return PublishSplit{body, 1 + remaining_length_size(body) + std::size_t{header_fields}};
}
}  // namespace

Result<std::size_t> encoded_publish_header_size(const Publish& publish,
                                                ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const PublishSplit split, split_publish(publish, version));
    return split.header_size;
}

Result<std::size_t> encode_publish_header(const Publish& publish, mutable_bytes out,
                                          ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const PublishSplit split, split_publish(publish, version));
    if (out.size() < split.header_size) return Errc::buffer_too_small;
    Writer w(out);
    MQTLS_TRY(w.u8(first_byte(publish)));
    MQTLS_TRY(w.remaining_length(split.remaining_length));
#if MQTLS_MQTT5
    if (version == ProtocolVersion::v5) {
        MQTLS_TRY(v5::write_publish_header_fields(publish, w));
        return w.written();
    }
#endif
    MQTLS_TRY(write_publish_header_fields(publish, w));
    return w.written();
}

}  // namespace mqtls::mqtt
