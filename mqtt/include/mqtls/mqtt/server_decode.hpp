#pragma once
/// @file
/// The server's half of decoding (library mqtls_mqtt_server, target mqtls::mqtt_server): the
/// packets only a server receives, CONNECT, SUBSCRIBE and UNSUBSCRIBE, which the client's
/// mqtt::decode() refuses with server_side_packet. For brokers (the simulated one in
/// testing/sim), tests and fuzzing; a device, being an MQTT client, never needs it.

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/codec.hpp"

namespace mqtls::mqtt::server {

/// Decodes the packet at the start of `in`, of any type: CONNECT (whose own Protocol Level, 4 or
/// with MQTT 5 built in 5, decides its form and Decoded::version), SUBSCRIBE and UNSUBSCRIBE
/// here, every other type by the rules of mqtt::decode(), with the same results and errors.
Result<Decoded> decode(bytes_view in, const DecodeLimits& limits) noexcept;

}  // namespace mqtls::mqtt::server
