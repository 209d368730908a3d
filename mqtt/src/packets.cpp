#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt {

const char* packet_type_name(PacketType type) noexcept {
    switch (type) {
        case PacketType::connect:
            return "CONNECT";
        case PacketType::connack:
            return "CONNACK";
        case PacketType::publish:
            return "PUBLISH";
        case PacketType::puback:
            return "PUBACK";
        case PacketType::pubrec:
            return "PUBREC";
        case PacketType::pubrel:
            return "PUBREL";
        case PacketType::pubcomp:
            return "PUBCOMP";
        case PacketType::subscribe:
            return "SUBSCRIBE";
        case PacketType::suback:
            return "SUBACK";
        case PacketType::unsubscribe:
            return "UNSUBSCRIBE";
        case PacketType::unsuback:
            return "UNSUBACK";
        case PacketType::pingreq:
            return "PINGREQ";
        case PacketType::pingresp:
            return "PINGRESP";
        case PacketType::disconnect:
            return "DISCONNECT";
        case PacketType::auth:
            return "AUTH";
    }
    return "unknown packet type";
}

const char* protocol_version_name(ProtocolVersion version) noexcept {
    switch (version) {
        case ProtocolVersion::v3_1_1:
            return "MQTT 3.1.1";
        case ProtocolVersion::v5:
            return "MQTT 5";
    }
    return "unknown MQTT version";
}

const char* connect_return_code_message(ConnectReturnCode code) noexcept {
    switch (code) {
        case ConnectReturnCode::accepted:
            return "connection accepted";
        case ConnectReturnCode::unacceptable_protocol_version:
            return "the broker does not support MQTT 3.1.1";
        case ConnectReturnCode::identifier_rejected:
            return "the broker rejected the client identifier";
        case ConnectReturnCode::server_unavailable:
            return "the MQTT service is unavailable";
        case ConnectReturnCode::bad_username_or_password:
            return "bad user name or password";
        case ConnectReturnCode::not_authorized:
            return "not authorized to connect";
    }
    return "unknown CONNACK return code";
}

void read_wire_entry(bytes_view wire, std::size_t offset, Subscription& out,
                     std::size_t& next) noexcept {
    out.filter = detail::wire_filter_at(wire, offset);
    const std::size_t options_at = offset + 2 + out.filter.size();
    const std::uint8_t options = wire[options_at];
    out.qos = static_cast<QoS>(options & 0x03);
#if MQTLS_MQTT5
    // Section 3.8.3.1; a 3.1.1 decoder refused every bit above the QoS.
    out.no_local = (options & 0x04) != 0;
    out.retain_as_published = (options & 0x08) != 0;
    out.retain_handling = static_cast<RetainHandling>((options >> 4) & 0x03);
#endif
    next = options_at + 1;
}

}  // namespace mqtls::mqtt
