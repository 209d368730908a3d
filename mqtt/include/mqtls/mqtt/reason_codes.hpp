#pragma once
/// @file
/// MQTT 5 Reason Codes (OASIS MQTT Version 5.0, section 2.4, table 2-6): one byte, below 0x80 a
/// success, 0x80 and above a failure; which packets may carry which code, and their names.

#include <cstdint>

namespace mqtls::mqtt {

/// The packets that carry a Reason Code (section 2.4).
enum class ReasonPacket : std::uint8_t {
    connack,
    puback,
    pubrec,
    pubrel,
    pubcomp,
    suback,
    unsuback,
    disconnect,
    auth,
};

/// Reason Code values of table 2-6. 0x00 has three names, by packet.
enum class ReasonCode : std::uint8_t {
    success = 0x00,               ///< CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH
    normal_disconnection = 0x00,  ///< DISCONNECT
    granted_qos_0 = 0x00,         ///< SUBACK
    granted_qos_1 = 0x01,
    granted_qos_2 = 0x02,
    disconnect_with_will_message = 0x04,
    no_matching_subscribers = 0x10,
    no_subscription_existed = 0x11,
    continue_authentication = 0x18,
    re_authenticate = 0x19,
    unspecified_error = 0x80,
    malformed_packet = 0x81,
    protocol_error = 0x82,
    implementation_specific_error = 0x83,
    unsupported_protocol_version = 0x84,
    client_identifier_not_valid = 0x85,
    bad_user_name_or_password = 0x86,
    not_authorized = 0x87,
    server_unavailable = 0x88,
    server_busy = 0x89,
    banned = 0x8a,
    server_shutting_down = 0x8b,
    bad_authentication_method = 0x8c,
    keep_alive_timeout = 0x8d,
    session_taken_over = 0x8e,
    topic_filter_invalid = 0x8f,
    topic_name_invalid = 0x90,
    packet_identifier_in_use = 0x91,
    packet_identifier_not_found = 0x92,
    receive_maximum_exceeded = 0x93,
    topic_alias_invalid = 0x94,
    packet_too_large = 0x95,
    message_rate_too_high = 0x96,
    quota_exceeded = 0x97,
    administrative_action = 0x98,
    payload_format_invalid = 0x99,
    retain_not_supported = 0x9a,
    qos_not_supported = 0x9b,
    use_another_server = 0x9c,
    server_moved = 0x9d,
    shared_subscriptions_not_supported = 0x9e,
    connection_rate_exceeded = 0x9f,
    maximum_connect_time = 0xa0,
    subscription_identifiers_not_supported = 0xa1,
    wildcard_subscriptions_not_supported = 0xa2,
};

/// Section 2.4: "Reason Code values of 0x80 or greater indicate failure".
constexpr bool is_failure(std::uint8_t code) noexcept { return code >= 0x80; }
constexpr bool is_failure(ReasonCode code) noexcept {
    return is_failure(static_cast<std::uint8_t>(code));
}

/// Whether table 2-6 lets `packet` carry `code`.
bool reason_code_allowed(std::uint8_t code, ReasonPacket packet) noexcept;

/// The specification's name of `code` in `packet` ("Not authorized", "Normal disconnection");
/// "unknown reason code" when table 2-6 does not give it to that packet. "" without
/// MQTLS_ERROR_TEXT (device builds keep the numbers only, as for error texts).
const char* reason_code_name(std::uint8_t code, ReasonPacket packet) noexcept;

}  // namespace mqtls::mqtt
