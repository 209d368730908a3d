#pragma once
// The MQTT 5 forms of the packets (OASIS MQTT Version 5.0, section 3), for codec_decode.cpp to
// dispatch to when a connection speaks MQTT 5 (codec_encode.cpp encodes both versions itself).
// Built only with MQTLS_MQTT5.

#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "wire.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt::v5 {

/// The rest of an MQTT 5 CONNECT after its Protocol Level (section 3.1.2.3 on).
Result<Packet> decode_connect_rest(wire::Reader& r) noexcept;
/// The body of any other packet in its MQTT 5 form; the fixed-header flags are already checked.
Result<Packet> decode_body(const FixedHeader& header, wire::Reader& r) noexcept;

}  // namespace mqtls::mqtt::v5
#endif
