#pragma once
/// @file
/// The server's half of encoding (library mqtls_mqtt_server, target mqtls::mqtt_server): the
/// encoder for every packet, including those only a server sends (CONNACK, SUBACK, UNSUBACK),
/// which the client codec (codec.hpp) refuses with server_side_packet. For brokers, the
/// simulated broker, tests and fuzzing; a device (an MQTT client) never needs it.

#include <cstddef>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt::server {

/// mqtt::encoded_size() for every packet: CONNACK, SUBACK and UNSUBACK are validated and sized
/// here (errors as listed there, plus invalid_return_code and invalid_connack_flags), every
/// other packet exactly as mqtt::encoded_size() does it.
Result<std::size_t> encoded_size(const Packet& packet,
                                 ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

/// mqtt::encode() for every packet, as encoded_size() above.
Result<std::size_t> encode(const Packet& packet, mutable_bytes out,
                           ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

}  // namespace mqtls::mqtt::server
