// Encoding what only a server sends (MQTT 3.1.1 and 5, section 3): CONNACK (3.2), SUBACK (3.9)
// and UNSUBACK (3.11), through the client's Emitter and drivers (encoder.hpp), so sizing and
// writing are one code path here too. Every other packet is the client's body function's, which
// the client library's encoded_size() and encode() use.
#include "mqtls/mqtt/server_encode.hpp"

#include <cstddef>
#include <cstdint>
#include <variant>

#include "codec_rules.hpp"
#include "encoder.hpp"

namespace mqtls::mqtt::server {
namespace {

using detail::Emitter;

#if MQTLS_MQTT5
using detail::check_reason;
using detail::Context;

// What MQTT 3.1.1 cannot carry (see codec_encode.cpp): refused with mqtt5_only before any other
// check.
bool uses_mqtt5(const ConnAck& p) noexcept { return detail::has_mqtt5_fields(p); }
bool uses_mqtt5(const SubAck& p) noexcept { return !p.properties.empty(); }
bool uses_mqtt5(const UnsubAck& p) noexcept {
    return !p.properties.empty() || !p.reason_codes.empty();
}
#endif

// ---- CONNACK (section 3.2) ---------------------------------------------------------------------

Result<void> check_connack(const ConnAck& p, const Emitter& w) noexcept {
#if MQTLS_MQTT5
    if (w.v5()) {
        MQTLS_TRY(check_reason(p.reason_code, ReasonPacket::connack));
        // [MQTT-3.2.2-6] a refusal never claims a session.
        if (p.session_present && is_failure(p.reason_code)) return Errc::invalid_connack_flags;
        return ok();
    }
#else
    static_cast<void>(w);
#endif
    if (static_cast<std::uint8_t>(p.return_code) > 5) return Errc::invalid_return_code;
    // [MQTT-3.2.2-4] a refusal never claims a session.
    if (p.session_present && p.return_code != ConnectReturnCode::accepted) {
        return Errc::invalid_connack_flags;
    }
    return ok();
}

Result<void> emit(const ConnAck& p, Emitter& w) noexcept {
    MQTLS_TRY(check_connack(p, w));
    w.u8(p.session_present ? 1 : 0);
#if MQTLS_MQTT5
    if (w.v5()) {
        w.u8(static_cast<std::uint8_t>(p.reason_code));
        return w.properties(p.properties, Context::connack);
    }
#endif
    w.u8(static_cast<std::uint8_t>(p.return_code));
    return ok();
}

// ---- SUBACK (section 3.9) ----------------------------------------------------------------------

Result<void> check_suback_codes(bytes_view codes, const Emitter& w) noexcept {
    // Each code a granted QoS or 0x80 in 3.1.1 (section 3.9.3), a SUBACK Reason Code in MQTT 5.
#if MQTLS_MQTT5
    if (w.v5()) {
        for (const std::uint8_t code : codes) {
            MQTLS_TRY(check_reason(static_cast<ReasonCode>(code), ReasonPacket::suback));
        }
        return ok();
    }
#else
    static_cast<void>(w);
#endif
    if (codes.size() > max_remaining_length - 2) return Errc::packet_too_large;
    for (const std::uint8_t code : codes) {
        if (!rules::is_valid_suback_code(code)) return Errc::invalid_return_code;
    }
    return ok();
}

Result<void> emit(const SubAck& p, Emitter& w) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    // one code per subscription (MQTT 5: [MQTT-3.8.4-6])
    if (p.return_codes.empty()) return Errc::empty_subscription_list;
    MQTLS_TRY(check_suback_codes(p.return_codes, w));
    w.u16(p.packet_id);
#if MQTLS_MQTT5
    if (w.v5()) MQTLS_TRY(w.properties(p.properties, Context::suback));
#endif
    w.bytes(p.return_codes);
    return ok();
}

// ---- UNSUBACK (section 3.11) -------------------------------------------------------------------

// A 3.1.1 UNSUBACK is its packet identifier alone; MQTT 5 adds a reason code per topic filter.
Result<void> emit(const UnsubAck& p, Emitter& w) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
#if MQTLS_MQTT5
    if (w.v5()) {
        // [MQTT-3.11.3-2] one reason code per topic filter
        if (p.reason_codes.empty()) return Errc::empty_subscription_list;
        for (const std::uint8_t code : p.reason_codes) {
            MQTLS_TRY(check_reason(static_cast<ReasonCode>(code), ReasonPacket::unsuback));
        }
    }
#endif
    w.u16(p.packet_id);
#if MQTLS_MQTT5
    if (w.v5()) {
        MQTLS_TRY(w.properties(p.properties, Context::unsuback));
        w.bytes(p.reason_codes);
    }
#endif
    return ok();
}

template <class P>
Result<void> emit_checked(const P& p, Emitter& w) noexcept {
#if MQTLS_MQTT5
    if (!w.v5() && uses_mqtt5(p)) return Errc::mqtt5_only;
#endif
    return emit(p, w);
}

Result<void> emit_body(const Packet& packet, Emitter& w) noexcept {
    if (const auto* connack = std::get_if<ConnAck>(&packet)) return emit_checked(*connack, w);
    if (const auto* suback = std::get_if<SubAck>(&packet)) return emit_checked(*suback, w);
    if (const auto* unsuback = std::get_if<UnsubAck>(&packet)) return emit_checked(*unsuback, w);
    return detail::emit_client_body(packet, w);
}

}  // namespace

Result<std::size_t> encoded_size(const Packet& packet, ProtocolVersion version) noexcept {
    return detail::encoded_size_with(packet, version, &emit_body);
}

Result<std::size_t> encode(const Packet& packet, mutable_bytes out,
                           ProtocolVersion version) noexcept {
    return detail::encode_with(packet, out, version, &emit_body);
}

}  // namespace mqtls::mqtt::server
