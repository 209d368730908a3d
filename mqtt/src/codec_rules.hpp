#pragma once
// Rules shared by the encoder and the decoder, so that what we send and what we accept are
// checked by the same code.

#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "wire.hpp"

namespace mqtls::mqtt::rules {

inline constexpr std::string_view protocol_name = "MQTT";
inline constexpr std::uint8_t protocol_level = 4;  // MQTT 3.1.1

// CONNECT flag bits, MQTT 3.1.1 section 3.1.2.3.
inline constexpr std::uint8_t connect_reserved = 0x01;
inline constexpr std::uint8_t connect_clean_session = 0x02;
inline constexpr std::uint8_t connect_will = 0x04;
inline constexpr std::uint8_t connect_will_qos_shift = 3;
inline constexpr std::uint8_t connect_will_qos_mask = 0x18;
inline constexpr std::uint8_t connect_will_retain = 0x20;
inline constexpr std::uint8_t connect_password = 0x40;
inline constexpr std::uint8_t connect_username = 0x80;

// PUBLISH fixed-header flag bits, section 3.3.1.
inline constexpr std::uint8_t publish_retain = 0x01;
inline constexpr std::uint8_t publish_qos_shift = 1;
inline constexpr std::uint8_t publish_qos_mask = 0x06;
inline constexpr std::uint8_t publish_dup = 0x08;

/// The CONNECT flags byte of `p` (the same bits in MQTT 3.1.1 and 5, section 3.1.2.3).
inline std::uint8_t connect_flags(const Connect& p) noexcept {
    std::uint8_t flags = 0;
    if (p.clean_session) flags |= rules::connect_clean_session;
    if (p.will) {
        flags |= rules::connect_will;
        flags |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.will->qos)
                                           << rules::connect_will_qos_shift);
        if (p.will->retain) flags |= rules::connect_will_retain;
    }
    if (p.username) flags |= rules::connect_username;
    if (p.password) flags |= rules::connect_password;
    return flags;
}

/// A CONNECT flags byte taken apart, after the checks MQTT 3.1.1 and 5 share: the reserved bit
/// [MQTT-3.1.2-3], Will QoS and Will Retain only with a Will [MQTT-3.1.2-11/13/15] and a Will QoS
/// below 3 [MQTT-3.1.2-14] (MQTT 5: [MQTT-3.1.2-12]).
struct ConnectFlagBits {
    bool clean = false;
    bool will = false;
    std::uint8_t will_qos = 0;
    bool will_retain = false;
    bool username = false;
    bool password = false;
};
inline Result<ConnectFlagBits> parse_connect_flags(std::uint8_t flags) noexcept {
    ConnectFlagBits bits;
    bits.clean = (flags & connect_clean_session) != 0;
    bits.will = (flags & connect_will) != 0;
    bits.will_qos =
        static_cast<std::uint8_t>((flags & connect_will_qos_mask) >> connect_will_qos_shift);
    bits.will_retain = (flags & connect_will_retain) != 0;
    bits.username = (flags & connect_username) != 0;
    bits.password = (flags & connect_password) != 0;
    if ((flags & connect_reserved) != 0) return Errc::invalid_connect_flags;
    if (!bits.will && (bits.will_qos != 0 || bits.will_retain)) return Errc::invalid_connect_flags;
    if (bits.will_qos > 2) return Errc::invalid_qos;
    return bits;
}

/// The flag bits that every packet type other than PUBLISH must carry (section 2.2.2).
constexpr std::uint8_t required_flags(PacketType type) noexcept {
    switch (type) {
        case PacketType::pubrel:
        case PacketType::subscribe:
        case PacketType::unsubscribe:
            return 0x02;
        default:
            return 0x00;
    }
}

/// An MQTT UTF-8 string field: valid text that fits the 16-bit length prefix.
Result<void> check_string(std::string_view text) noexcept;
/// A binary field: fits the 16-bit length prefix.
Result<void> check_binary_length(std::size_t size) noexcept;

inline Result<void> check_packet_id(PacketId id) noexcept {
    if (id == 0) return Errc::zero_packet_id;  // [MQTT-2.3.1-1]
    return ok();
}

inline Result<void> check_qos(std::uint8_t qos) noexcept {
    if (qos > 2) return Errc::invalid_qos;
    return ok();
}

/// A UTF-8 string field, its text checked [MQTT-1.5.3-1] (MQTT 5: [MQTT-1.5.4-1]).
inline Result<std::string_view> read_string(wire::Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::string_view text, r.string());
    MQTLS_TRY(validate_utf8(text));
    return text;
}

/// A body must be consumed exactly: bytes left over mean the remaining length lied.
inline Result<void> expect_end(const wire::Reader& r) noexcept {
    if (!r.empty()) return Errc::length_mismatch;
    return ok();
}

/// A SUBACK return code: a granted QoS or the failure code 0x80 (section 3.9.3).
constexpr bool is_valid_suback_code(std::uint8_t code) noexcept {
    return code <= 2 || code == suback_failure;
}

#if MQTLS_MQTT5
// ---- MQTT 5 -----------------------------------------------------------------------------------

/// A PUBLISH topic in MQTT 5: a valid topic name, or empty when a Topic Alias property stands for
/// it (section 3.3.2.1; the session checks that the alias is known).
Result<void> check_publish_topic(std::string_view topic, const PropertyList& properties) noexcept;

/// Authentication Data only together with an Authentication Method (sections 3.1.2.11.10 and
/// 3.15.2.2.3: a Protocol Error otherwise).
Result<void> check_authentication(const PropertyList& properties) noexcept;

// Subscription Options bits, MQTT 5 section 3.8.3.1.
inline constexpr std::uint8_t subscription_qos_mask = 0x03;
inline constexpr std::uint8_t subscription_no_local = 0x04;
inline constexpr std::uint8_t subscription_retain_as_published = 0x08;
inline constexpr std::uint8_t subscription_retain_handling_shift = 4;
inline constexpr std::uint8_t subscription_retain_handling_mask = 0x30;
inline constexpr std::uint8_t subscription_reserved = 0xc0;

/// The options byte of `s`.
constexpr std::uint8_t subscription_options(const Subscription& s) noexcept {
    auto options = static_cast<std::uint8_t>(s.qos);
    if (s.no_local) options |= subscription_no_local;
    if (s.retain_as_published) options |= subscription_retain_as_published;
    options |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(s.retain_handling)
                                         << subscription_retain_handling_shift);
    return options;
}

/// An options byte the specification allows for `filter`: reserved bits 0 [MQTT-3.8.3-5], QoS
/// 0..2, Retain Handling 0..2 (3 is a Protocol Error), and no No Local on a Shared Subscription
/// [MQTT-3.8.3-4].
Result<void> check_subscription_options(std::uint8_t options, std::string_view filter) noexcept;
#endif

}  // namespace mqtls::mqtt::rules
