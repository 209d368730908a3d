// Strict MQTT 5 decoding (OASIS MQTT Version 5.0, section 3). The 3.1.1 rules still apply where
// MQTT 5 keeps them; properties are judged by decode_properties(), reason codes by table 2-6.
// As in 3.1.1, a body must be consumed exactly and each violation has its own Errc.
#include <cstdint>

#include "codec_rules.hpp"
#include "codec_v5.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::mqtt::v5 {
namespace {

using wire::Reader;
using Context = PropertyContext;
using rules::expect_end;
using rules::read_string;

// A property section: its Property Length, then the properties [MQTT-2.2.2-1].
Result<PropertyList> read_properties(Reader& r, Context context) noexcept {
    MQTLS_TRY_ASSIGN(const DecodedProperties decoded, decode_properties(r.rest(), context));
    MQTLS_TRY(r.bytes(decoded.consumed));
    return decoded.list;
}

Result<ReasonCode> read_reason(Reader& r, ReasonPacket packet) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t code, r.u8());
    if (!reason_code_allowed(code, packet)) return Error{Errc::invalid_reason_code, code};
    return static_cast<ReasonCode>(code);
}

// The payload of SUBACK and UNSUBACK: one allowed Reason Code per filter, at least one.
Result<bytes_view> read_codes(Reader& r, ReasonPacket packet) noexcept {
    const bytes_view codes = r.take_rest();
    if (codes.empty()) return Errc::empty_subscription_list;
    for (const std::uint8_t code : codes) {
        if (!reason_code_allowed(code, packet)) return Error{Errc::invalid_reason_code, code};
    }
    return codes;
}

Result<Packet> decode_connack(Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    if ((flags & 0xfe) != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2-1]
    ConnAck a;
    a.session_present = (flags & 0x01) != 0;
    MQTLS_TRY_ASSIGN(a.reason_code, read_reason(r, ReasonPacket::connack));
    // [MQTT-3.2.2-6] a refusal never claims a session.
    if (a.session_present && is_failure(a.reason_code)) return Errc::invalid_connack_flags;
    MQTLS_TRY_ASSIGN(a.properties, read_properties(r, Context::connack));
    MQTLS_TRY(expect_end(r));
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
    if (p.dup && p.qos == QoS::at_most_once) {
        return Errc::invalid_fixed_header_flags;  // [MQTT-3.3.1-2]
    }
    MQTLS_TRY_ASSIGN(p.topic, r.string());
    if (p.qos != QoS::at_most_once) {
        MQTLS_TRY_ASSIGN(p.packet_id, r.u16());
        MQTLS_TRY(rules::check_packet_id(p.packet_id));
    }
    MQTLS_TRY_ASSIGN(p.properties, read_properties(r, Context::publish));
    MQTLS_TRY(rules::check_publish_topic(p.topic, p.properties));
    p.payload = r.take_rest();
    return Packet{p};
}

template <class Ack>
Result<Packet> decode_ack(Reader& r, ReasonPacket packet, Context context) noexcept {
    Ack a;
    MQTLS_TRY_ASSIGN(a.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(a.packet_id));
    // Section 3.4.2.1: no Reason Code means Success; no Property Length means no properties.
    if (r.empty()) return Packet{a};
    MQTLS_TRY_ASSIGN(a.reason_code, read_reason(r, packet));
    if (r.empty()) return Packet{a};
    MQTLS_TRY_ASSIGN(a.properties, read_properties(r, context));
    MQTLS_TRY(expect_end(r));
    return Packet{a};
}

Result<Packet> decode_subscribe(Reader& r) noexcept {
    Subscribe s;
    MQTLS_TRY_ASSIGN(s.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(s.packet_id));
    MQTLS_TRY_ASSIGN(s.properties, read_properties(r, Context::subscribe));
    const bytes_view entries = r.take_rest();
    Reader er(entries);
    std::size_t count = 0;
    while (!er.empty()) {
        MQTLS_TRY_ASSIGN(const std::string_view filter, er.string());
        MQTLS_TRY(validate_topic_filter(filter));
        MQTLS_TRY_ASSIGN(const std::uint8_t options, er.u8());
        MQTLS_TRY(rules::check_subscription_options(options, filter));
        ++count;
    }
    if (count == 0) return Errc::empty_subscription_list;  // [MQTT-3.8.3-2]
    s.subscriptions = SubscriptionList::from_wire(entries, count);
    return Packet{s};
}

Result<Packet> decode_suback(Reader& r) noexcept {
    SubAck a;
    MQTLS_TRY_ASSIGN(a.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(a.packet_id));
    MQTLS_TRY_ASSIGN(a.properties, read_properties(r, Context::suback));
    MQTLS_TRY_ASSIGN(a.return_codes, read_codes(r, ReasonPacket::suback));
    return Packet{a};
}

Result<Packet> decode_unsubscribe(Reader& r) noexcept {
    Unsubscribe u;
    MQTLS_TRY_ASSIGN(u.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(u.packet_id));
    MQTLS_TRY_ASSIGN(u.properties, read_properties(r, Context::unsubscribe));
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

Result<Packet> decode_unsuback(Reader& r) noexcept {
    UnsubAck a;
    MQTLS_TRY_ASSIGN(a.packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(a.packet_id));
    MQTLS_TRY_ASSIGN(a.properties, read_properties(r, Context::unsuback));
    MQTLS_TRY_ASSIGN(a.reason_codes, read_codes(r, ReasonPacket::unsuback));
    return Packet{a};
}

template <class Empty>
Result<Packet> decode_empty(const Reader& r) noexcept {
    MQTLS_TRY(expect_end(r));
    return Packet{Empty{}};
}

Result<Packet> decode_disconnect(Reader& r) noexcept {
    Disconnect d;
    // Section 3.14.2.1: an empty body is Normal disconnection; a Remaining Length below 2 has no
    // Property Length.
    if (r.empty()) return Packet{d};
    MQTLS_TRY_ASSIGN(d.reason_code, read_reason(r, ReasonPacket::disconnect));
    if (r.empty()) return Packet{d};
    MQTLS_TRY_ASSIGN(d.properties, read_properties(r, Context::disconnect));
    MQTLS_TRY(expect_end(r));
    return Packet{d};
}

Result<Packet> decode_auth(Reader& r) noexcept {
    Auth a;
    // Section 3.15.2.1: only a Remaining Length of 0 may leave out the Reason Code and the
    // Property Length, together.
    if (r.empty()) return Packet{a};
    MQTLS_TRY_ASSIGN(a.reason_code, read_reason(r, ReasonPacket::auth));
    MQTLS_TRY_ASSIGN(a.properties, read_properties(r, Context::auth));
    MQTLS_TRY(rules::check_authentication(a.properties));
    MQTLS_TRY(expect_end(r));
    return Packet{a};
}

}  // namespace

Result<Packet> decode_connect_rest(Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    MQTLS_TRY_ASSIGN(const rules::ConnectFlagBits bits, rules::parse_connect_flags(flags));
    Connect c;
    c.clean_session = bits.clean;
    MQTLS_TRY_ASSIGN(c.keep_alive_s, r.u16());
    MQTLS_TRY_ASSIGN(c.properties, read_properties(r, Context::connect));
    MQTLS_TRY(rules::check_authentication(c.properties));
    MQTLS_TRY_ASSIGN(c.client_id, read_string(r));
    if (bits.will) {
        Will will;
        MQTLS_TRY_ASSIGN(will.properties, read_properties(r, Context::will));
        MQTLS_TRY_ASSIGN(will.topic, read_string(r));
        MQTLS_TRY(validate_topic_name(will.topic));
        MQTLS_TRY_ASSIGN(will.payload, r.binary());
        will.qos = static_cast<QoS>(bits.will_qos);
        will.retain = bits.will_retain;
        c.will = will;
    }
    if (bits.username) {
        MQTLS_TRY_ASSIGN(c.username, read_string(r));
    }
    if (bits.password) {
        MQTLS_TRY_ASSIGN(c.password, r.binary());
    }
    MQTLS_TRY(expect_end(r));
    return Packet{c};
}

Result<Packet> decode_body(const FixedHeader& header, Reader& r) noexcept {
    switch (header.type) {
        case PacketType::connack:
            return decode_connack(r);
        case PacketType::publish:
            return decode_publish(header.flags, r);
        case PacketType::puback:
            return decode_ack<PubAck>(r, ReasonPacket::puback, Context::puback);
        case PacketType::pubrec:
            return decode_ack<PubRec>(r, ReasonPacket::pubrec, Context::pubrec);
        case PacketType::pubrel:
            return decode_ack<PubRel>(r, ReasonPacket::pubrel, Context::pubrel);
        case PacketType::pubcomp:
            return decode_ack<PubComp>(r, ReasonPacket::pubcomp, Context::pubcomp);
        case PacketType::subscribe:
            return decode_subscribe(r);
        case PacketType::suback:
            return decode_suback(r);
        case PacketType::unsubscribe:
            return decode_unsubscribe(r);
        case PacketType::unsuback:
            return decode_unsuback(r);
        case PacketType::pingreq:
            return decode_empty<PingReq>(r);
        case PacketType::pingresp:
            return decode_empty<PingResp>(r);
        case PacketType::disconnect:
            return decode_disconnect(r);
        case PacketType::auth:
            return decode_auth(r);
        case PacketType::connect:
            break;  // codec_decode.cpp decodes CONNECT by its own level
    }
    return Error{Errc::invalid_packet_type, static_cast<std::uint8_t>(header.type)};
}

}  // namespace mqtls::mqtt::v5
