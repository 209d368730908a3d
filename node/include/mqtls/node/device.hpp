#pragma once
/// @file
/// A device's identity on the broker: its id and the topics derived from it. The id becomes an
/// MQTT topic level (telemetry/<id>, status/<id>), a client id and a certificate's common name,
/// so it is restricted to characters that are safe in all three (no '/', '+', '#', spaces or
/// control characters, which would let one device write into another's topics). Topics come
/// from templates with a {device} placeholder, so that a device can follow a cloud's topic
/// convention (Azure IoT Hub: devices/{device}/messages/events/; AWS: dt/<app>/{device}/...).

#include <cstddef>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::node {

/// Longest device id; MQTT 3.1.1 brokers need only accept client ids of 23 bytes, but all the
/// usual ones (Mosquitto, EMQX, HiveMQ, VerneMQ) accept far longer ones.
inline constexpr std::size_t max_device_id_length = 64;

/// The retained payloads of status/<id>: "online" once connected, "offline" as the will (the
/// broker publishes it when the device vanishes) and on a clean shutdown.
inline constexpr std::string_view status_online = "online";
inline constexpr std::string_view status_offline = "offline";

/// Succeeds when `id` is 1..max_device_id_length characters of A-Z a-z 0-9 . _ - ; otherwise
/// invalid_device_id.
Result<void> validate_device_id(std::string_view id) noexcept;

/// Writes "<prefix>/<device_id>" into `out` and returns it; buffer_too_small when it does not
/// fit. The caller validates both parts.
Result<std::string_view> compose_topic(std::string_view prefix, std::string_view device_id,
                                       span<char> out) noexcept;

/// Longest topic a node publishes to (after expanding its template). AWS IoT allows 256 bytes,
/// Azure IoT Hub's device-to-cloud topic with a 64-character id needs 89.
inline constexpr std::size_t max_topic_bytes = 192;

/// The placeholder a topic template may hold, any number of times.
inline constexpr std::string_view device_placeholder = "{device}";
/// The topics of a node unless configured otherwise.
inline constexpr std::string_view default_telemetry_topic = "telemetry/{device}";
inline constexpr std::string_view default_status_topic = "status/{device}";

/// Writes `topic_template` with every {device} replaced by `device_id` into `out` and returns
/// it, checked as an MQTT topic name to publish to. Errors: invalid_argument for a '{' or '}'
/// that is not part of {device} (detail: its offset in the template); buffer_too_small when the
/// topic does not fit `out`; and those of mqtt::validate_topic_name: empty_topic, wildcard_in_topic
/// ('+' or '#', which a PUBLISH must not carry [MQTT-3.3.2-2]), malformed_utf8, utf8_surrogate,
/// utf8_null_character [MQTT-1.5.3-1, MQTT-1.5.3-2] (detail: the offset in the topic).
Result<std::string_view> expand_topic_template(std::string_view topic_template,
                                               std::string_view device_id, span<char> out) noexcept;

}  // namespace mqtls::node
