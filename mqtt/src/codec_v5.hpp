#pragma once
// The MQTT 5 forms of the packets (OASIS MQTT Version 5.0, section 3), for codec_encode.cpp and
// codec_decode.cpp to dispatch to when a connection speaks MQTT 5. Built only with MQTLS_MQTT5.

#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "wire.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt::v5 {

// Remaining length of each packet's MQTT 5 body after validating it, and the writer of that body;
// body_size() and write_body() apply the same rules, so encoded_size() and encode() agree.
#define MQTLS_MQTT_V5_BODY(Type)                             \
    Result<std::uint32_t> body_size(const Type& p) noexcept; \
    Result<void> write_body(const Type& p, wire::Writer& w) noexcept;
MQTLS_MQTT_V5_BODY(Connect)
MQTLS_MQTT_V5_BODY(ConnAck)
MQTLS_MQTT_V5_BODY(Publish)
MQTLS_MQTT_V5_BODY(PubAck)
MQTLS_MQTT_V5_BODY(PubRec)
MQTLS_MQTT_V5_BODY(PubRel)
MQTLS_MQTT_V5_BODY(PubComp)
MQTLS_MQTT_V5_BODY(Subscribe)
MQTLS_MQTT_V5_BODY(SubAck)
MQTLS_MQTT_V5_BODY(Unsubscribe)
MQTLS_MQTT_V5_BODY(UnsubAck)
MQTLS_MQTT_V5_BODY(PingReq)
MQTLS_MQTT_V5_BODY(PingResp)
MQTLS_MQTT_V5_BODY(Disconnect)
MQTLS_MQTT_V5_BODY(Auth)
#undef MQTLS_MQTT_V5_BODY

/// A PUBLISH's topic, packet identifier and properties: its body without the payload.
Result<std::uint32_t> publish_header_body_size(const Publish& p) noexcept;
Result<void> write_publish_header_fields(const Publish& p, wire::Writer& w) noexcept;

/// Whether `p` sets anything MQTT 3.1.1 cannot carry (properties, a reason code other than
/// success, subscription options, UNSUBACK reason codes, AUTH); the 3.1.1 encoder refuses those
/// (mqtt5_only) rather than drop them.
#define MQTLS_MQTT_V5_USES(Type) bool uses_mqtt5(const Type& p) noexcept;
MQTLS_MQTT_V5_USES(Connect)
MQTLS_MQTT_V5_USES(ConnAck)
MQTLS_MQTT_V5_USES(Publish)
MQTLS_MQTT_V5_USES(PubAck)
MQTLS_MQTT_V5_USES(PubRec)
MQTLS_MQTT_V5_USES(PubRel)
MQTLS_MQTT_V5_USES(PubComp)
MQTLS_MQTT_V5_USES(Subscribe)
MQTLS_MQTT_V5_USES(SubAck)
MQTLS_MQTT_V5_USES(Unsubscribe)
MQTLS_MQTT_V5_USES(UnsubAck)
MQTLS_MQTT_V5_USES(PingReq)
MQTLS_MQTT_V5_USES(PingResp)
MQTLS_MQTT_V5_USES(Disconnect)
MQTLS_MQTT_V5_USES(Auth)
#undef MQTLS_MQTT_V5_USES

/// The rest of an MQTT 5 CONNECT after its Protocol Level (section 3.1.2.3 on).
Result<Packet> decode_connect_rest(wire::Reader& r) noexcept;
/// The body of any other packet in its MQTT 5 form; the fixed-header flags are already checked.
Result<Packet> decode_body(const FixedHeader& header, wire::Reader& r) noexcept;

}  // namespace mqtls::mqtt::v5
#endif
