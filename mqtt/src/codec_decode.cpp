// Strict decoding, MQTT 3.1.1 and (built with MQTLS_MQTT5) MQTT 5 (OASIS MQTT Version 5.0,
// section 3). The fixed header is checked first (type, length form, size limit), then the flag
// bits, then the body with a bounded Reader; a body must be consumed exactly and each violation
// has its own Errc. One function per packet decodes both versions: MQTT 5 adds properties (judged
// by decode_properties()), reason codes (table 2-6) and subscription options to the 3.1.1 fields,
// which both versions check by the same rules. The version is a run-time flag, `v5`, false in a
// build without MQTT 5, where the compiler drops the MQTT 5 branches.
//
// This is the client's half: the packets only a server receives (CONNECT, SUBSCRIBE,
// UNSUBSCRIBE) are decoded by server/decode.cpp, in the library mqtls_mqtt_server, which a device
// never links; decode() refuses them with server_side_packet.
#include <cstdint>

#include "codec_decode.hpp"
#include "codec_rules.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "wire.hpp"

namespace mqtls::mqtt {

#if MQTLS_MQTT5
Result<PropertyList> decoding::read_properties(wire::Reader& r, PropertyContext context) noexcept {
    MQTLS_TRY_ASSIGN(const DecodedProperties decoded, decode_properties(r.rest(), context));
    MQTLS_TRY(r.bytes(decoded.consumed));
    return decoded.list;
}
#endif

namespace {

using wire::Reader;
#if MQTLS_MQTT5
using Context = PropertyContext;
#endif

using decoding::is_v5;
using rules::expect_end;
#if MQTLS_MQTT5
using decoding::read_properties;

Result<ReasonCode> read_reason(Reader& r, ReasonPacket packet) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t code, r.u8());
    if (!reason_code_allowed(code, packet)) return Error{Errc::invalid_reason_code, code};
    return static_cast<ReasonCode>(code);
}
#endif

// ---- CONNACK (section 3.2) ---------------------------------------------------------------------

Result<void> decode_connack(Reader& r, [[maybe_unused]] bool v5, Packet& out) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    ConnAck& a = out.emplace<ConnAck>();
    a.session_present = (flags & 0x01) != 0;
#if MQTLS_MQTT5
    if (v5) {
        if ((flags & 0xfe) != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2-1]
        MQTLS_TRY_ASSIGN(a.reason_code, read_reason(r, ReasonPacket::connack));
        // [MQTT-3.2.2-6] a refusal never claims a session.
        if (a.session_present && is_failure(a.reason_code)) return Errc::invalid_connack_flags;
        MQTLS_TRY_ASSIGN(a.properties, read_properties(r, Context::connack));
        return expect_end(r);
    }
#endif
    MQTLS_TRY_ASSIGN(const std::uint8_t code, r.u8());
    MQTLS_TRY(expect_end(r));
    if ((flags & 0xfe) != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2.1] reserved bits
    if (code > 5) return Error{Errc::invalid_return_code, code};
    a.return_code = static_cast<ConnectReturnCode>(code);
    if (a.session_present && code != 0) return Errc::invalid_connack_flags;  // [MQTT-3.2.2-4]
    return ok();
}

// ---- PUBLISH (section 3.3) ---------------------------------------------------------------------

Result<void> decode_publish(std::uint8_t flags, Reader& r, bool v5, Packet& out) noexcept {
    Publish& p = out.emplace<Publish>();
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
    // MQTT 5 judges the topic after the properties, where a Topic Alias may stand for it.
    if (!v5) MQTLS_TRY(validate_topic_name(p.topic));
    if (p.qos != QoS::at_most_once) {
        MQTLS_TRY_ASSIGN(p.packet_id, r.u16());
        MQTLS_TRY(rules::check_packet_id(p.packet_id));
    }
#if MQTLS_MQTT5
    if (v5) {
        MQTLS_TRY_ASSIGN(p.properties, read_properties(r, Context::publish));
        MQTLS_TRY(rules::check_publish_topic(p.topic, p.properties));
    }
#endif
    p.payload = r.take_rest();
    return ok();
}

// ---- acknowledgements and the other short packets ----------------------------------------------

// Where read_ack() puts what it reads: fields of the alternative the Packet now holds.
struct AckFields {
    PacketId* packet_id = nullptr;  ///< null: the packet has none (PINGREQ, DISCONNECT, AUTH...)
#if MQTLS_MQTT5
    ReasonCode* reason_code = nullptr;
    PropertyList* properties = nullptr;
#endif
};

template <class Ack>
AckFields fields_of(Ack& a) noexcept {
    AckFields f;
    f.packet_id = &a.packet_id;
#if MQTLS_MQTT5
    f.reason_code = &a.reason_code;
    f.properties = &a.properties;
#endif
    return f;
}

#if MQTLS_MQTT5
// The Reason Code set (table 2-6) and property context of the MQTT 5 packets read_ack() reads.
ReasonPacket reason_packet_of(PacketType type) noexcept {
    switch (type) {
        case PacketType::puback:
            return ReasonPacket::puback;
        case PacketType::pubrec:
            return ReasonPacket::pubrec;
        case PacketType::pubrel:
            return ReasonPacket::pubrel;
        case PacketType::pubcomp:
            return ReasonPacket::pubcomp;
        case PacketType::auth:
            return ReasonPacket::auth;
        default:
            return ReasonPacket::disconnect;
    }
}
Context context_of(PacketType type) noexcept {
    switch (type) {
        case PacketType::puback:
            return Context::puback;
        case PacketType::pubrec:
            return Context::pubrec;
        case PacketType::pubrel:
            return Context::pubrel;
        case PacketType::pubcomp:
            return Context::pubcomp;
        case PacketType::auth:
            return Context::auth;
        default:
            return Context::disconnect;
    }
}
#endif

// PUBACK, PUBREC, PUBREL, PUBCOMP, 3.1.1's UNSUBACK and the packets with no packet identifier
// whose body is empty in 3.1.1 (PINGREQ, PINGRESP, DISCONNECT) or optional in MQTT 5
// (DISCONNECT, AUTH). One instance for all of them: they differ only in `f` and `type`, which
// are run-time arguments rather than template ones.
[[gnu::noinline]] Result<void> read_ack(Reader& r, bool v5, AckFields f,
                                        [[maybe_unused]] PacketType type) noexcept {
    if (f.packet_id != nullptr) {
        MQTLS_TRY_ASSIGN(*f.packet_id, r.u16());
        // 3.1.1's packets end here, and their length is checked before the identifier.
        if (!v5) MQTLS_TRY(expect_end(r));
        MQTLS_TRY(rules::check_packet_id(*f.packet_id));
    }
#if MQTLS_MQTT5
    if (v5) {
        // Sections 3.4.2.1 and 3.14.2.1: no Reason Code means Success (Normal disconnection); no
        // Property Length means no properties.
        if (r.empty()) return ok();
        MQTLS_TRY_ASSIGN(*f.reason_code, read_reason(r, reason_packet_of(type)));
        // Section 3.15.2.1: only a Remaining Length of 0 may leave out AUTH's Reason Code and
        // Property Length, together.
        const bool auth = type == PacketType::auth;
        if (!auth && r.empty()) return ok();
        MQTLS_TRY_ASSIGN(*f.properties, read_properties(r, context_of(type)));
        if (auth) MQTLS_TRY(rules::check_authentication(*f.properties));
    }
#endif
    return expect_end(r);
}

template <class Ack>
Result<void> decode_ack(Reader& r, bool v5, PacketType type, Packet& out) noexcept {
    return read_ack(r, v5, fields_of(out.emplace<Ack>()), type);
}

// PINGREQ and PINGRESP: empty in both versions (sections 3.12, 3.13).
template <class Empty>
Result<void> decode_empty(Reader& r, Packet& out) noexcept {
    out.emplace<Empty>();
    return read_ack(r, false, AckFields{}, PacketType::pingreq);
}

Result<void> decode_disconnect(Reader& r, bool v5, Packet& out) noexcept {
    AckFields f;
#if MQTLS_MQTT5
    Disconnect& d = out.emplace<Disconnect>();
    f.reason_code = &d.reason_code;
    f.properties = &d.properties;
#else
    out.emplace<Disconnect>();
#endif
    return read_ack(r, v5, f, PacketType::disconnect);
}

// ---- SUBACK, and MQTT 5's UNSUBACK (sections 3.9, 3.11) ----------------------------------------

// A packet identifier, (MQTT 5) properties, then one return or reason code per filter, at least
// one. 3.1.1's UNSUBACK has no codes (read_ack()).
Result<void> decode_request_ack(Reader& r, [[maybe_unused]] bool v5, PacketType type,
                                Packet& out) noexcept {
    MQTLS_TRY_ASSIGN(const PacketId packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(packet_id));
    const bool suback = type == PacketType::suback;
#if MQTLS_MQTT5
    PropertyList properties;
    if (v5) {
        MQTLS_TRY_ASSIGN(properties,
                         read_properties(r, suback ? Context::suback : Context::unsuback));
    }
#endif
    const bytes_view codes = r.take_rest();
    if (codes.empty()) return Errc::empty_subscription_list;
    for (const std::uint8_t code : codes) {
#if MQTLS_MQTT5
        if (v5) {
            if (!reason_code_allowed(code,
                                     suback ? ReasonPacket::suback : ReasonPacket::unsuback)) {
                return Error{Errc::invalid_reason_code, code};
            }
            continue;
        }
#endif
        if (!rules::is_valid_suback_code(code)) return Error{Errc::invalid_return_code, code};
    }
    if (suback) {
        SubAck& a = out.emplace<SubAck>();
        a.packet_id = packet_id;
        a.return_codes = codes;
#if MQTLS_MQTT5
        a.properties = properties;
#endif
    } else {
#if MQTLS_MQTT5
        UnsubAck& a = out.emplace<UnsubAck>();
        a.packet_id = packet_id;
        a.reason_codes = codes;
        a.properties = properties;
#endif
    }
    return ok();
}

// Type 0 is reserved; 15 is reserved in 3.1.1 and AUTH in MQTT 5 (section 2.1.2).
bool is_packet_type(std::uint8_t type, ProtocolVersion version) noexcept {
    if (type == 0) return false;
    return type != 15 || is_v5(version);
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

Result<FixedHeader> decoding::read_frame(bytes_view in, const DecodeLimits& limits) noexcept {
    if (limits.protocol != ProtocolVersion::v3_1_1) {
        if (limits.protocol != ProtocolVersion::v5) {
            return Error{Errc::unsupported_protocol_level,
                         static_cast<std::int32_t>(limits.protocol)};
        }
        if (!mqtt5_available) return Errc::mqtt5_unavailable;
    }
    MQTLS_TRY_ASSIGN(const FixedHeader header, decode_fixed_header(in, limits));
    if (in.size() < header.packet_size()) return Errc::need_more;
    // [MQTT-2.2.2-1/2] flags other than PUBLISH's are fixed; anything else is malformed
    // (MQTT 5: [MQTT-2.1.3-1]).
    if (header.type != PacketType::publish && header.flags != rules::required_flags(header.type)) {
        return Error{Errc::invalid_fixed_header_flags, header.flags};
    }
    return header;
}

Result<void> decoding::decode_client_body(const FixedHeader& header, wire::Reader& r, bool v5,
                                          Packet& out) noexcept {
    switch (header.type) {
        case PacketType::connect:
        case PacketType::subscribe:
        case PacketType::unsubscribe:
            // Only a server receives these (3.1.1 section 2.2.1, MQTT 5 2.1.2: direction); a broker
            // that sends one commits a Protocol Error, which the session reports.
            return Error{Errc::server_side_packet, static_cast<std::uint8_t>(header.type)};
        case PacketType::connack:
            return decode_connack(r, v5, out);
        case PacketType::publish:
            return decode_publish(header.flags, r, v5, out);
        case PacketType::puback:
            return decode_ack<PubAck>(r, v5, header.type, out);
        case PacketType::pubrec:
            return decode_ack<PubRec>(r, v5, header.type, out);
        case PacketType::pubrel:
            return decode_ack<PubRel>(r, v5, header.type, out);
        case PacketType::pubcomp:
            return decode_ack<PubComp>(r, v5, header.type, out);
        case PacketType::suback:
            return decode_request_ack(r, v5, header.type, out);
        case PacketType::unsuback:
            if (v5) return decode_request_ack(r, v5, header.type, out);
            return read_ack(r, false, AckFields{&out.emplace<UnsubAck>().packet_id}, header.type);
        case PacketType::pingreq:
            return decode_empty<PingReq>(r, out);
        case PacketType::pingresp:
            return decode_empty<PingResp>(r, out);
        case PacketType::disconnect:
            return decode_disconnect(r, v5, out);
        case PacketType::auth:
#if MQTLS_MQTT5
            // decode_fixed_header() already refused type 15 outside MQTT 5.
            if (v5) {
                Auth& a = out.emplace<Auth>();
                AckFields f;
                f.reason_code = &a.reason_code;
                f.properties = &a.properties;
                return read_ack(r, v5, f, header.type);
            }
#endif
            break;
    }
    return Error{Errc::invalid_packet_type, static_cast<std::uint8_t>(header.type)};
}

Result<Decoded> decode(bytes_view in, const DecodeLimits& limits) noexcept {
    MQTLS_TRY_ASSIGN(const FixedHeader header, decoding::read_frame(in, limits));
    Reader r(in.subspan(header.header_size, header.remaining_length));
    Decoded decoded;
    decoded.version = limits.protocol;
    decoded.consumed = header.packet_size();
    MQTLS_TRY(decoding::decode_client_body(header, r, is_v5(limits.protocol), decoded.packet));
    return decoded;
}

}  // namespace mqtls::mqtt
