// Strict decoding. The fixed header is checked first (type, length form, size limit), then the
// flag bits, then the body with a bounded Reader; a body must be consumed exactly.
#include <cstdint>

#include "codec_rules.hpp"
#include "codec_v5.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "wire.hpp"

namespace mqtls::mqtt {
namespace {

using wire::Reader;

using rules::expect_end;
using rules::read_string;

// The rest of a 3.1.1 CONNECT after its Protocol Level.
Result<Packet> decode_connect_rest(Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    MQTLS_TRY_ASSIGN(const rules::ConnectFlagBits bits, rules::parse_connect_flags(flags));
    const bool has_will = bits.will;
    const bool has_username = bits.username;
    const bool has_password = bits.password;
    if (has_password && !has_username) return Errc::invalid_connect_flags;  // [MQTT-3.1.2-22]

    Connect c;
    c.clean_session = bits.clean;
    MQTLS_TRY_ASSIGN(c.keep_alive_s, r.u16());
    MQTLS_TRY_ASSIGN(c.client_id, read_string(r));
    // [MQTT-3.1.3-7]; the same rule the encoder applies, so decode and encode agree.
    if (c.client_id.empty() && !c.clean_session) return Errc::invalid_connect_flags;
    if (has_will) {
        Will will;
        MQTLS_TRY_ASSIGN(will.topic, read_string(r));
        MQTLS_TRY(validate_topic_name(will.topic));
        MQTLS_TRY_ASSIGN(will.payload, r.binary());
        will.qos = static_cast<QoS>(bits.will_qos);
        will.retain = bits.will_retain;
        c.will = will;
    }
    if (has_username) {
        MQTLS_TRY_ASSIGN(c.username, read_string(r));
    }
    if (has_password) {
        MQTLS_TRY_ASSIGN(c.password, r.binary());
    }
    MQTLS_TRY(expect_end(r));
    return Packet{c};
}

// The Protocol Name and Level [MQTT-3.1.2-1], [MQTT-3.1.2-2] decide how the rest reads.
Result<Packet> decode_connect(Reader& r, ProtocolVersion& version) noexcept {
    MQTLS_TRY_ASSIGN(const std::string_view name, r.string());
    if (name != rules::protocol_name) return Errc::invalid_protocol_name;
    MQTLS_TRY_ASSIGN(const std::uint8_t level, r.u8());
    if (level == static_cast<std::uint8_t>(ProtocolVersion::v3_1_1)) {
        version = ProtocolVersion::v3_1_1;
        return decode_connect_rest(r);
    }
#if MQTLS_MQTT5
    if (level == static_cast<std::uint8_t>(ProtocolVersion::v5)) {
        version = ProtocolVersion::v5;
        return v5::decode_connect_rest(r);
    }
#endif
    return Error{Errc::unsupported_protocol_level, level};
}

Result<Packet> decode_connack(Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    MQTLS_TRY_ASSIGN(const std::uint8_t code, r.u8());
    MQTLS_TRY(expect_end(r));
    if ((flags & 0xfe) != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2.1] reserved bits
    if (code > 5) return Error{Errc::invalid_return_code, code};
    ConnAck a;
    a.session_present = (flags & 0x01) != 0;
    a.return_code = static_cast<ConnectReturnCode>(code);
    if (a.session_present && code != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2-4]
    return Packet{a};
}

Result<Packet> decode_publish(std::uint8_t flags, Reader& r) noexcept {
    Publish p;
    const auto qos =
        static_cast<std::uint8_t>((flags & rules::publish_qos_mask) >> rules::publish_qos_shift);
    if (qos > 2) return Errc::invalid_qos;  // [MQTT-3.3.1-4]
    p.qos = static_cast<QoS>(qos);
    p.dup = (flags & rules::publish_dup) != 0;
    p.retain = (flags & rules::publish_retain) != 0;
    if (p.dup && p.qos == QoS::at_most_once)
        return Errc::invalid_fixed_header_flags;  // [MQTT-3.3.1-2]
    MQTLS_TRY_ASSIGN(p.topic, r.string());
    MQTLS_TRY(validate_topic_name(p.topic));
    if (p.qos != QoS::at_most_once) {
        MQTLS_TRY_ASSIGN(p.packet_id, r.u16());
        MQTLS_TRY(rules::check_packet_id(p.packet_id));
    }
    p.payload = r.take_rest();
    return Packet{p};
}

template <class Ack>
Result<Packet> decode_id_only(Reader& r) noexcept {
    Ack a;
    MQTLS_TRY_ASSIGN(a.packet_id, r.u16());
    MQTLS_TRY(expect_end(r));
    MQTLS_TRY(rules::check_packet_id(a.packet_id));
    return Packet{a};
}

Result<Packet> decode_subscribe(Reader& r) noexcept {
    Subscribe s;
    MQTLS_TRY_ASSIGN(s.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(s.packet_id));
    const bytes_view entries = r.take_rest();
    Reader er(entries);
    std::size_t count = 0;
    while (!er.empty()) {
        MQTLS_TRY_ASSIGN(const std::string_view filter, er.string());
        MQTLS_TRY(validate_topic_filter(filter));
        MQTLS_TRY_ASSIGN(const std::uint8_t options, er.u8());
        if ((options & 0xfc) != 0) return Errc::invalid_subscription_options;  // [MQTT-3-8.3-4]
        MQTLS_TRY(rules::check_qos(options));
        ++count;
    }
    if (count == 0) return Errc::empty_subscription_list;  // [MQTT-3.8.3-3]
    s.subscriptions = SubscriptionList::from_wire(entries, count);
    return Packet{s};
}

Result<Packet> decode_suback(Reader& r) noexcept {
    SubAck a;
    MQTLS_TRY_ASSIGN(a.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(a.packet_id));
    a.return_codes = r.take_rest();
    if (a.return_codes.empty()) return Errc::empty_subscription_list;
    for (const std::uint8_t code : a.return_codes) {
        if (!rules::is_valid_suback_code(code)) return Error{Errc::invalid_return_code, code};
    }
    return Packet{a};
}

Result<Packet> decode_unsubscribe(Reader& r) noexcept {
    Unsubscribe u;
    MQTLS_TRY_ASSIGN(u.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(u.packet_id));
    const bytes_view entries = r.take_rest();
    Reader er(entries);
    std::size_t count = 0;
    while (!er.empty()) {
        MQTLS_TRY_ASSIGN(const std::string_view filter, er.string());
        MQTLS_TRY(validate_topic_filter(filter));
        ++count;
    }
    if (count == 0) return Errc::empty_subscription_list;  // [MQTT-3.10.3-2]
    u.filters = FilterList::from_wire(entries, count);
    return Packet{u};
}

template <class Empty>
Result<Packet> decode_empty(const Reader& r) noexcept {
    MQTLS_TRY(expect_end(r));
    return Packet{Empty{}};
}

Result<Packet> decode_body(const FixedHeader& header, Reader& r,
                           ProtocolVersion& version) noexcept {
    // [MQTT-2.2.2-1/2] flags other than PUBLISH's are fixed; anything else is malformed
    // (MQTT 5: [MQTT-2.1.3-1]).
    if (header.type != PacketType::publish && header.flags != rules::required_flags(header.type)) {
        return Error{Errc::invalid_fixed_header_flags, header.flags};
    }
    if (header.type == PacketType::connect) return decode_connect(r, version);
#if MQTLS_MQTT5
    if (version == ProtocolVersion::v5) return v5::decode_body(header, r);
#endif
    switch (header.type) {
        case PacketType::connect:
            break;  // above: a CONNECT's own level decides its form
        case PacketType::connack:
            return decode_connack(r);
        case PacketType::publish:
            return decode_publish(header.flags, r);
        case PacketType::puback:
            return decode_id_only<PubAck>(r);
        case PacketType::pubrec:
            return decode_id_only<PubRec>(r);
        case PacketType::pubrel:
            return decode_id_only<PubRel>(r);
        case PacketType::pubcomp:
            return decode_id_only<PubComp>(r);
        case PacketType::subscribe:
            return decode_subscribe(r);
        case PacketType::suback:
            return decode_suback(r);
        case PacketType::unsubscribe:
            return decode_unsubscribe(r);
        case PacketType::unsuback:
            return decode_id_only<UnsubAck>(r);
        case PacketType::pingreq:
            return decode_empty<PingReq>(r);
        case PacketType::pingresp:
            return decode_empty<PingResp>(r);
        case PacketType::disconnect:
            return decode_empty<Disconnect>(r);
        case PacketType::auth:
            break;  // reserved in 3.1.1; decode_fixed_header() already refused it
    }
    return Errc::invalid_packet_type;
}

// Type 0 is reserved; 15 is reserved in 3.1.1 and AUTH in MQTT 5 (section 2.1.2).
bool is_packet_type(std::uint8_t type, ProtocolVersion version) noexcept {
    if (type == 0) return false;
    return type != 15 || (mqtt5_available && version == ProtocolVersion::v5);
}

}  // namespace

Result<FixedHeader> decode_fixed_header(bytes_view in, const DecodeLimits& limits) noexcept {
    if (in.empty()) return Errc::need_more;
    const std::uint8_t first = in[0];
    const std::uint8_t type = first >> 4;
    if (!is_packet_type(type, limits.protocol)) return Error{Errc::invalid_packet_type, type};

    std::uint32_t length = 0;
    std::size_t i = 1;
    for (;; ++i) {
        if (i == max_fixed_header_size) return Errc::malformed_remaining_length;
        if (i >= in.size()) return Errc::need_more;
        const std::uint8_t byte = in[i];
        length |= static_cast<std::uint32_t>(byte & 0x7f) << (7 * (i - 1));
        if ((byte & 0x80) == 0) {
            // A final group of 0 after other groups means a shorter form existed.
            if (byte == 0 && i > 1) return Errc::overlong_remaining_length;
            break;
        }
    }
    FixedHeader header;
    header.type = static_cast<PacketType>(type);
    header.flags = first & 0x0f;
    header.remaining_length = length;
    header.header_size = i + 1;
    if (header.packet_size() > limits.max_packet_size) {
        return Error{Errc::packet_too_large, static_cast<std::int32_t>(length)};
    }
    return header;
}

Result<Decoded> decode(bytes_view in, const DecodeLimits& limits) noexcept {
    if (limits.protocol != ProtocolVersion::v3_1_1) {
        if (limits.protocol != ProtocolVersion::v5) {
            return Error{Errc::unsupported_protocol_level,
                         static_cast<std::int32_t>(limits.protocol)};
        }
        if (!mqtt5_available) return Errc::mqtt5_unavailable;
    }
    MQTLS_TRY_ASSIGN(const FixedHeader header, decode_fixed_header(in, limits));
    if (in.size() < header.packet_size()) return Errc::need_more;
    Reader r(in.subspan(header.header_size, header.remaining_length));
    ProtocolVersion version = limits.protocol;
    MQTLS_TRY_ASSIGN(Packet packet, decode_body(header, r, version));
    return Decoded{packet, header.packet_size(), version};
}

}  // namespace mqtls::mqtt
