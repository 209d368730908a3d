// Encoding, MQTT 3.1.1 and (built with MQTLS_MQTT5) MQTT 5 (OASIS MQTT Version 5.0, section 3):
// one emit() per packet validates the packet and puts its body through an Emitter, which first
// only counts (encoded_size(), and encode() before it writes) and then writes. Sizing and writing
// are thus the same code and cannot disagree, and each packet's rules exist once in the image.
// The version is a run-time flag of the Emitter: MQTT 5 adds properties (checked by
// properties.cpp), reason codes (table 2-6) and subscription options to the 3.1.1 fields, which
// both versions check by the same rules.
// This is the client's half: the packets a client sends (and PINGRESP, whose body is empty). The
// packets only a server sends (CONNACK, SUBACK, UNSUBACK) are server/encode.cpp's, in the
// mqtls_mqtt_server library, which a device never links; encoded_size() and encode() refuse them.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <variant>

#include "codec_rules.hpp"
#include "encoder.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::mqtt {
namespace detail {

// Out of line, like bytes(): three objects use the Emitter, and one copy serves them.
void Emitter::u8(std::uint8_t value) noexcept {
    if (out_ != nullptr) out_[used_] = value;
    advance(1);
}

void Emitter::bytes(bytes_view data) noexcept {
    if (out_ != nullptr) {
        for (std::size_t i = 0; i < data.size(); ++i) out_[used_ + i] = data[i];
    }
    advance(data.size());
}

void Emitter::string(std::string_view text) noexcept { binary(as_bytes(text.data(), text.size())); }

void Emitter::remaining_length(std::uint32_t value) noexcept {
    do {
        auto byte = static_cast<std::uint8_t>(value & 0x7f);
        value >>= 7;
        if (value != 0) byte |= 0x80;
        u8(byte);
    } while (value != 0);
}

#if MQTLS_MQTT5
Result<void> check_reason(ReasonCode code, ReasonPacket packet) noexcept {
    if (!reason_code_allowed(static_cast<std::uint8_t>(code), packet)) {
        return Error{Errc::invalid_reason_code, static_cast<std::int32_t>(code)};
    }
    return ok();
}
#endif

}  // namespace detail

namespace {

using detail::Emitter;

#if MQTLS_MQTT5
using detail::check_reason;
using detail::Context;
using detail::has_mqtt5_fields;

// ---- what 3.1.1 cannot carry -------------------------------------------------------------------
// Whether `p` sets anything MQTT 3.1.1 cannot carry (properties, a reason code other than
// success, subscription options, AUTH); a 3.1.1 packet that does is refused (mqtt5_only) before
// any other check, never sent without them. (The server's packets: server/encode.cpp.)

bool uses_mqtt5(const Connect& p) noexcept {
    // A Password without a User Name is MQTT 5 too, but 3.1.1's own rule [MQTT-3.1.2-22]
    // names that fault better (invalid_connect_flags).
    return !p.properties.empty() || (p.will && !p.will->properties.empty());
}
bool uses_mqtt5(const Publish& p) noexcept { return !p.properties.empty(); }
// PUBACK, PUBREC, PUBREL, PUBCOMP: a reason code other than Success or properties, which
// emit_ack() checks first.
bool uses_mqtt5(const PubAck&) noexcept { return false; }
bool uses_mqtt5(const PubRec&) noexcept { return false; }
bool uses_mqtt5(const PubRel&) noexcept { return false; }
bool uses_mqtt5(const PubComp&) noexcept { return false; }
bool uses_mqtt5(const Subscribe& p) noexcept {
    if (!p.properties.empty()) return true;
    for (const Subscription s : p.subscriptions) {
        if ((rules::subscription_options(s) & ~rules::subscription_qos_mask) != 0) return true;
    }
    return false;
}
bool uses_mqtt5(const Unsubscribe& p) noexcept { return !p.properties.empty(); }
bool uses_mqtt5(const PingReq&) noexcept { return false; }
bool uses_mqtt5(const PingResp&) noexcept { return false; }
bool uses_mqtt5(const Disconnect& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const Auth&) noexcept { return true; }  // type 15 is reserved in 3.1.1
#endif

// ---- CONNECT (section 3.1) ---------------------------------------------------------------------

Result<void> emit(const Connect& p, Emitter& w) noexcept {
    // MQTT 5 lets an empty Client Identifier come with Clean Start 0 (the broker assigns one,
    // [MQTT-3.1.3-6]) and a Password without a User Name (section 3.1.2.9); 3.1.1 does not.
    if (!w.v5()) {
        // [MQTT-3.1.3-7] a broker-assigned identifier only exists for a clean session.
        if (p.client_id.empty() && !p.clean_session) return Errc::invalid_connect_flags;
        if (p.password && !p.username) return Errc::invalid_connect_flags;  // [MQTT-3.1.2-22]
    }
    MQTLS_TRY(rules::check_string(p.client_id));
#if MQTLS_MQTT5
    if (w.v5()) MQTLS_TRY(rules::check_authentication(p.properties));
#endif
    w.string(rules::protocol_name);
    w.u8(w.v5() ? static_cast<std::uint8_t>(ProtocolVersion::v5) : rules::protocol_level);
    w.u8(rules::connect_flags(p));
    w.u16(p.keep_alive_s);
#if MQTLS_MQTT5
    if (w.v5()) MQTLS_TRY(w.properties(p.properties, Context::connect));
#endif
    w.string(p.client_id);
    if (p.will) {
        MQTLS_TRY(validate_topic_name(p.will->topic));
        MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.will->qos)));
        MQTLS_TRY(rules::check_binary_length(p.will->payload.size()));
#if MQTLS_MQTT5
        if (w.v5()) MQTLS_TRY(w.properties(p.will->properties, Context::will));
#endif
        w.string(p.will->topic);
        w.binary(p.will->payload);
    }
    if (p.username) {
        MQTLS_TRY(rules::check_string(*p.username));
        w.string(*p.username);
    }
    if (p.password) {
        MQTLS_TRY(rules::check_binary_length(p.password->size()));
        w.binary(*p.password);
    }
    return ok();
}

// ---- PUBLISH (section 3.3) ---------------------------------------------------------------------

std::uint8_t publish_first_byte(const Publish& p) noexcept {
    auto byte =
        static_cast<std::uint8_t>((static_cast<std::uint8_t>(PacketType::publish) << 4) |
                                  (static_cast<std::uint8_t>(p.qos) << rules::publish_qos_shift));
    if (p.dup) byte |= rules::publish_dup;
    if (p.retain) byte |= rules::publish_retain;
    return byte;
}

Result<void> check_publish_topic(const Publish& p, const Emitter& w) noexcept {
#if MQTLS_MQTT5
    // MQTT 5 also takes an empty topic that a Topic Alias stands for (section 3.3.2.1).
    if (w.v5()) return rules::check_publish_topic(p.topic, p.properties);
#else
    static_cast<void>(w);
#endif
    return validate_topic_name(p.topic);
}

// A PUBLISH's topic, packet identifier and (MQTT 5) properties: its body without the payload.
Result<void> emit_publish_header(const Publish& p, Emitter& w) noexcept {
    MQTLS_TRY(check_publish_topic(p, w));
    MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.qos)));
    if (p.qos == QoS::at_most_once) {
        if (p.dup) return Errc::invalid_fixed_header_flags;  // [MQTT-3.3.1-2]
    } else {
        MQTLS_TRY(rules::check_packet_id(p.packet_id));
    }
    w.string(p.topic);
    if (p.qos != QoS::at_most_once) w.u16(p.packet_id);
#if MQTLS_MQTT5
    if (w.v5()) return w.properties(p.properties, Context::publish);
#endif
    return ok();
}

Result<void> emit(const Publish& p, Emitter& w) noexcept {
    MQTLS_TRY(emit_publish_header(p, w));
    w.bytes(p.payload);  // too large a payload is packet_too_large, found at the body's end
    return ok();
}

// ---- PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4-3.7) ----------------------------------------

// One function for the four, which share their fields but not a type: a template would be four
// copies of it.
#if MQTLS_MQTT5
// Section 3.4.2.1: the Reason Code and Property Length may be left out when the code is Success
// and there are no properties; the Property Length alone when there are no properties. We send
// the shortest form, which is what 3.1.1 peers' size expectations and Mosquitto also use.
Result<void> emit_ack(PacketId packet_id, ReasonCode reason_code, const PropertyList& properties,
                      ReasonPacket packet, Context context, Emitter& w) noexcept {
    // What uses_mqtt5() checks for the other packets, here so that the four share it too.
    if (!w.v5() && (reason_code != ReasonCode::success || !properties.empty())) {
        return Errc::mqtt5_only;
    }
    MQTLS_TRY(rules::check_packet_id(packet_id));
    w.u16(packet_id);
    if (!w.v5()) return ok();
    MQTLS_TRY(check_reason(reason_code, packet));
    if (properties.empty() && reason_code == ReasonCode::success) return ok();
    w.u8(static_cast<std::uint8_t>(reason_code));
    if (properties.empty()) return ok();
    return w.properties(properties, context);
}
#define MQTLS_MQTT_ACK(Type, kind)                                                    \
    Result<void> emit(const Type& p, Emitter& w) noexcept {                           \
        return emit_ack(p.packet_id, p.reason_code, p.properties, ReasonPacket::kind, \
                        Context::kind, w);                                            \
    }
#else
Result<void> emit_ack(PacketId packet_id, Emitter& w) noexcept {
    MQTLS_TRY(rules::check_packet_id(packet_id));
    w.u16(packet_id);
    return ok();
}
#define MQTLS_MQTT_ACK(Type, kind) \
    Result<void> emit(const Type& p, Emitter& w) noexcept { return emit_ack(p.packet_id, w); }
#endif
MQTLS_MQTT_ACK(PubAck, puback)
MQTLS_MQTT_ACK(PubRec, pubrec)
MQTLS_MQTT_ACK(PubRel, pubrel)
MQTLS_MQTT_ACK(PubComp, pubcomp)
#undef MQTLS_MQTT_ACK

// ---- SUBSCRIBE (section 3.8) -------------------------------------------------------------------

// 3.1.1 finds an oversized list as soon as it is too long, MQTT 5 only after checking all of it
// (at the body's end), as the two encoders this one replaced did.
bool oversized_3_1_1(const Emitter& w) noexcept { return !w.v5() && w.oversized(); }

Result<void> emit(const Subscribe& p, Emitter& w) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    // [MQTT-3.8.3-3] (MQTT 5: [MQTT-3.8.3-2])
    if (p.subscriptions.empty()) return Errc::empty_subscription_list;
    w.u16(p.packet_id);
#if MQTLS_MQTT5
    if (w.v5()) MQTLS_TRY(w.properties(p.properties, Context::subscribe));
#endif
    for (const Subscription s : p.subscriptions) {
        MQTLS_TRY(validate_topic_filter(s.filter));
#if MQTLS_MQTT5
        // In 3.1.1 the options byte is the Requested QoS alone (uses_mqtt5() has refused the
        // other bits).
        const std::uint8_t options = rules::subscription_options(s);
        if (w.v5()) {
            MQTLS_TRY(rules::check_subscription_options(options, s.filter));
        } else {
            MQTLS_TRY(rules::check_qos(options));
        }
#else
        const auto options = static_cast<std::uint8_t>(s.qos);
        MQTLS_TRY(rules::check_qos(options));
#endif
        w.string(s.filter);
        w.u8(options);
        if (oversized_3_1_1(w)) return Errc::packet_too_large;
    }
    return ok();
}

// ---- UNSUBSCRIBE (section 3.10) ----------------------------------------------------------------

Result<void> emit(const Unsubscribe& p, Emitter& w) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.filters.empty()) return Errc::empty_subscription_list;  // [MQTT-3.10.3-2]
    w.u16(p.packet_id);
#if MQTLS_MQTT5
    if (w.v5()) MQTLS_TRY(w.properties(p.properties, Context::unsubscribe));
#endif
    for (const std::string_view filter : p.filters) {
        MQTLS_TRY(validate_topic_filter(filter));
        w.string(filter);
        if (oversized_3_1_1(w)) return Errc::packet_too_large;
    }
    return ok();
}

// ---- PINGREQ, PINGRESP, DISCONNECT, AUTH (sections 3.12-3.15) ----------------------------------

Result<void> emit(const PingReq&, Emitter&) noexcept { return ok(); }
Result<void> emit(const PingResp&, Emitter&) noexcept { return ok(); }

#if MQTLS_MQTT5
// DISCONNECT and AUTH: a reason code and properties, both left out for the common case
// (sections 3.14.2.1 and 3.15.2.1: a Remaining Length of 0 means Success, no properties).
// DISCONNECT may also leave out just the Property Length (a Remaining Length of 1); AUTH may not.
enum class PropertyLength : bool { optional, required };

template <class P>
Result<void> emit_reason_only(const P& p, ReasonPacket packet, Context context,
                              PropertyLength property_length, Emitter& w) noexcept {
    MQTLS_TRY(check_reason(p.reason_code, packet));
    if (p.properties.empty() && p.reason_code == ReasonCode::success) return ok();
    w.u8(static_cast<std::uint8_t>(p.reason_code));
    if (p.properties.empty() && property_length == PropertyLength::optional) return ok();
    return w.properties(p.properties, context);
}

Result<void> emit(const Disconnect& p, Emitter& w) noexcept {
    if (!w.v5()) return ok();  // a 3.1.1 DISCONNECT has no body
    return emit_reason_only(p, ReasonPacket::disconnect, Context::disconnect,
                            PropertyLength::optional, w);
}

Result<void> emit(const Auth& p, Emitter& w) noexcept {
    // Only MQTT 5 gets here: uses_mqtt5() refuses every 3.1.1 AUTH.
    MQTLS_TRY(rules::check_authentication(p.properties));
    return emit_reason_only(p, ReasonPacket::auth, Context::auth, PropertyLength::required, w);
}
#else
Result<void> emit(const Disconnect&, Emitter&) noexcept { return ok(); }
#endif

// ---- generic -----------------------------------------------------------------------------------

Result<void> check_version(ProtocolVersion version) noexcept {
    if (version == ProtocolVersion::v3_1_1) return ok();
    if (version != ProtocolVersion::v5) {
        return Error{Errc::unsupported_protocol_level, static_cast<std::int32_t>(version)};
    }
    if (!mqtt5_available) return Errc::mqtt5_unavailable;
    return ok();
}

// The remaining length of `packet` after validating it in `version`.
Result<std::uint32_t> checked_body_size(const Packet& packet, ProtocolVersion version,
                                        detail::BodyFunction body) noexcept {
    MQTLS_TRY(check_version(version));
    Emitter counter(version);
    MQTLS_TRY(body(packet, counter));
    if (counter.oversized()) return Errc::packet_too_large;
    return static_cast<std::uint32_t>(counter.size());
}

std::uint8_t first_byte(const Packet& packet) noexcept {
    if (const auto* publish = std::get_if<Publish>(&packet)) return publish_first_byte(*publish);
    const PacketType type = packet_type(packet);
    return static_cast<std::uint8_t>((static_cast<std::uint8_t>(type) << 4) |
                                     rules::required_flags(type));
}

std::size_t packet_size(std::uint32_t body) noexcept {
    return 1 + remaining_length_size(body) + std::size_t{body};
}

}  // namespace

namespace detail {

// The one place each client packet's rules are instantiated, for counting and writing alike; the
// server's packets instantiate nothing here.
Result<void> emit_client_body(const Packet& packet, Emitter& w) noexcept {
    return std::visit(
        [&packet, &w](const auto& p) -> Result<void> {
            if constexpr (detail::server_sends_only<std::decay_t<decltype(p)>>) {
                return Error{Errc::server_side_packet,
                             static_cast<std::int32_t>(packet_type(packet))};
            } else {
#if MQTLS_MQTT5
                if (!w.v5() && uses_mqtt5(p)) return Errc::mqtt5_only;
#endif
                return emit(p, w);
            }
        },
        packet);
}

Result<std::size_t> encoded_size_with(const Packet& packet, ProtocolVersion version,
                                      BodyFunction body) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t size, checked_body_size(packet, version, body));
    return packet_size(size);
}

Result<std::size_t> encode_with(const Packet& packet, mutable_bytes out, ProtocolVersion version,
                                BodyFunction body) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t body_size, checked_body_size(packet, version, body));
    const std::size_t size = packet_size(body_size);
    if (out.size() < size) return Errc::buffer_too_small;
    Emitter w(version, out, size);
    w.u8(first_byte(packet));
    w.remaining_length(body_size);
    MQTLS_TRY(body(packet, w));
    return w.size();
}

}  // namespace detail

std::size_t remaining_length_size(std::uint32_t remaining_length) noexcept {
    if (remaining_length < 128) return 1;
    if (remaining_length < 16'384) return 2;
    if (remaining_length < 2'097'152) return 3;
    if (remaining_length <= max_remaining_length) return 4;
    return 0;
}

Result<std::size_t> encoded_size(const Packet& packet, ProtocolVersion version) noexcept {
    return detail::encoded_size_with(packet, version, &detail::emit_client_body);
}

Result<std::size_t> encode(const Packet& packet, mutable_bytes out,
                           ProtocolVersion version) noexcept {
    return detail::encode_with(packet, out, version, &detail::emit_client_body);
}

// A PUBLISH without its payload, for scatter-gather sends: the whole packet's checks and body
// size (so the remaining length counts the payload), then only the bytes before the payload.

Result<std::size_t> encoded_publish_header_size(const Publish& publish,
                                                ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(Packet{publish}, version));
    return size - publish.payload.size();
}

Result<std::size_t> encode_publish_header(const Publish& publish, mutable_bytes out,
                                          ProtocolVersion version) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t body,
                     checked_body_size(Packet{publish}, version, &detail::emit_client_body));
    const std::size_t size = packet_size(body) - publish.payload.size();
    if (out.size() < size) return Errc::buffer_too_small;
    Emitter w(version, out, size);
    w.u8(publish_first_byte(publish));
    w.remaining_length(body);
    MQTLS_TRY(emit_publish_header(publish, w));
    return w.size();
}

}  // namespace mqtls::mqtt
