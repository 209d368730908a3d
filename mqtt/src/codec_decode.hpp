#pragma once
// What the client's decode() (codec_decode.cpp) and the server's server::decode()
// (server/decode.cpp, library mqtls_mqtt_server) share: the checks before a body and the bodies of
// the packets a client receives, so both decoders judge those packets by the same code.

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/config.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "wire.hpp"

namespace mqtls::mqtt::decoding {

/// Whether packets read in MQTT 5's form: false in a build without MQTT 5, so that the compiler
/// drops the MQTT 5 branches.
inline bool is_v5(ProtocolVersion version) noexcept {
    return mqtt5_available && version == ProtocolVersion::v5;
}

/// Everything checked before a body, in this order: the version asked for
/// (unsupported_protocol_level, mqtt5_unavailable), the fixed header (decode_fixed_header()),
/// the whole packet present (need_more), the fixed-header flags [MQTT-2.2.2-1/2].
Result<FixedHeader> read_frame(bytes_view in, const DecodeLimits& limits) noexcept;

/// The body of a packet that read_frame() accepted (`r` holds exactly its remaining length) in
/// the form `v5` says, into `out`. CONNECT, SUBSCRIBE and UNSUBSCRIBE, which only a server
/// receives, fail with server_side_packet, their type in the detail.
Result<void> decode_client_body(const FixedHeader& header, wire::Reader& r, bool v5,
                                Packet& out) noexcept;

#if MQTLS_MQTT5
/// A property section: its Property Length, then the properties [MQTT-2.2.2-1].
Result<PropertyList> read_properties(wire::Reader& r, PropertyContext context) noexcept;
#endif

}  // namespace mqtls::mqtt::decoding
