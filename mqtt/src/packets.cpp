#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt {
namespace {

bool same_bytes(bytes_view a, bytes_view b) noexcept { return equal_bytes(a, b); }

template <class T>
bool same_optional(const std::optional<T>& a, const std::optional<T>& b) noexcept {
    if (a.has_value() != b.has_value()) return false;
    return !a.has_value() || *a == *b;
}
bool same_optional(const std::optional<bytes_view>& a,
                   const std::optional<bytes_view>& b) noexcept {
    if (a.has_value() != b.has_value()) return false;
    return !a.has_value() || same_bytes(*a, *b);
}

template <class Item>
bool same_entries(const EntryList<Item>& a, const EntryList<Item>& b) noexcept {
    if (a.size() != b.size()) return false;
    auto ib = b.begin();
    for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
        if (!(*ia == *ib)) return false;
    }
    return true;
}

}  // namespace

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
    }
    return "unknown packet type";
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

bool operator==(const Will& a, const Will& b) noexcept {
    return a.topic == b.topic && same_bytes(a.payload, b.payload) && a.qos == b.qos &&
           a.retain == b.retain;
}
bool operator==(const Connect& a, const Connect& b) noexcept {
    return a.client_id == b.client_id && a.clean_session == b.clean_session &&
           a.keep_alive_s == b.keep_alive_s && same_optional(a.will, b.will) &&
           same_optional(a.username, b.username) && same_optional(a.password, b.password);
}
bool operator==(const ConnAck& a, const ConnAck& b) noexcept {
    return a.session_present == b.session_present && a.return_code == b.return_code;
}
bool operator==(const Publish& a, const Publish& b) noexcept {
    // The packet identifier is only part of a QoS 1/2 packet.
    const bool ids_equal = a.qos == QoS::at_most_once || a.packet_id == b.packet_id;
    return a.topic == b.topic && same_bytes(a.payload, b.payload) && a.qos == b.qos &&
           a.retain == b.retain && a.dup == b.dup && ids_equal;
}
bool operator==(const PubAck& a, const PubAck& b) noexcept { return a.packet_id == b.packet_id; }
bool operator==(const PubRec& a, const PubRec& b) noexcept { return a.packet_id == b.packet_id; }
bool operator==(const PubRel& a, const PubRel& b) noexcept { return a.packet_id == b.packet_id; }
bool operator==(const PubComp& a, const PubComp& b) noexcept { return a.packet_id == b.packet_id; }
bool operator==(const Subscription& a, const Subscription& b) noexcept {
    return a.filter == b.filter && a.qos == b.qos;
}
bool operator==(const Subscribe& a, const Subscribe& b) noexcept {
    return a.packet_id == b.packet_id && same_entries(a.subscriptions, b.subscriptions);
}
bool operator==(const SubAck& a, const SubAck& b) noexcept {
    return a.packet_id == b.packet_id && same_bytes(a.return_codes, b.return_codes);
}
bool operator==(const Unsubscribe& a, const Unsubscribe& b) noexcept {
    return a.packet_id == b.packet_id && same_entries(a.filters, b.filters);
}
bool operator==(const UnsubAck& a, const UnsubAck& b) noexcept {
    return a.packet_id == b.packet_id;
}
bool operator==(const PingReq&, const PingReq&) noexcept { return true; }
bool operator==(const PingResp&, const PingResp&) noexcept { return true; }
bool operator==(const Disconnect&, const Disconnect&) noexcept { return true; }

}  // namespace mqtls::mqtt
