#pragma once
// Rules shared by the encoder and the decoder, so that what we send and what we accept are
// checked by the same code.

#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/mqtt/packets.hpp"

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

/// A SUBACK return code: a granted QoS or the failure code 0x80 (section 3.9.3).
constexpr bool is_valid_suback_code(std::uint8_t code) noexcept {
    return code <= 2 || code == suback_failure;
}

}  // namespace mqtls::mqtt::rules
