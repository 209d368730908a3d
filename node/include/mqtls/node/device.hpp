#pragma once
/// @file
/// A device's identity on the broker: its id and the topics derived from it. The id becomes an
/// MQTT topic level (telemetry/<id>, status/<id>), a client id and a certificate's common name,
/// so it is restricted to characters that are safe in all three (no '/', '+', '#', spaces or
/// control characters, which would let one device write into another's topics).

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

}  // namespace mqtls::node
