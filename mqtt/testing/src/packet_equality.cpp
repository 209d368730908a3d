// Value equality of the packet structs (mqtls/mqtt/packet_equality.hpp): test support, kept out of
// libmqtls_mqtt.
#include "mqtls/mqtt/packet_equality.hpp"

#include <cstring>
#include <optional>

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

// The MQTT 5 fields of a packet compare equal, or there are none (a 3.1.1-only build).
#if MQTLS_MQTT5
#define MQTLS_SAME_PROPERTIES(a, b) same_entries((a).properties, (b).properties)
#define MQTLS_SAME_REASON(a, b) ((a).reason_code == (b).reason_code)
#else
#define MQTLS_SAME_PROPERTIES(a, b) true
#define MQTLS_SAME_REASON(a, b) true
#endif

bool operator==(const Will& a, const Will& b) noexcept {
    return a.topic == b.topic && same_bytes(a.payload, b.payload) && a.qos == b.qos &&
           a.retain == b.retain && MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const Connect& a, const Connect& b) noexcept {
    return a.client_id == b.client_id && a.clean_session == b.clean_session &&
           a.keep_alive_s == b.keep_alive_s && same_optional(a.will, b.will) &&
           same_optional(a.username, b.username) && same_optional(a.password, b.password) &&
           MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const ConnAck& a, const ConnAck& b) noexcept {
    return a.session_present == b.session_present && a.return_code == b.return_code &&
           MQTLS_SAME_REASON(a, b) && MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const Publish& a, const Publish& b) noexcept {
    // The packet identifier is only part of a QoS 1/2 packet.
    const bool ids_equal = a.qos == QoS::at_most_once || a.packet_id == b.packet_id;
    return a.topic == b.topic && same_bytes(a.payload, b.payload) && a.qos == b.qos &&
           a.retain == b.retain && a.dup == b.dup && ids_equal && MQTLS_SAME_PROPERTIES(a, b);
}

namespace {
template <class Ack>
bool same_ack(const Ack& a, const Ack& b) noexcept {
    return a.packet_id == b.packet_id && MQTLS_SAME_REASON(a, b) && MQTLS_SAME_PROPERTIES(a, b);
}
}  // namespace

bool operator==(const PubAck& a, const PubAck& b) noexcept { return same_ack(a, b); }
bool operator==(const PubRec& a, const PubRec& b) noexcept { return same_ack(a, b); }
bool operator==(const PubRel& a, const PubRel& b) noexcept { return same_ack(a, b); }
bool operator==(const PubComp& a, const PubComp& b) noexcept { return same_ack(a, b); }
bool operator==(const Subscription& a, const Subscription& b) noexcept {
#if MQTLS_MQTT5
    if (a.no_local != b.no_local || a.retain_as_published != b.retain_as_published ||
        a.retain_handling != b.retain_handling) {
        return false;
    }
#endif
    return a.filter == b.filter && a.qos == b.qos;
}
bool operator==(const Subscribe& a, const Subscribe& b) noexcept {
    return a.packet_id == b.packet_id && same_entries(a.subscriptions, b.subscriptions) &&
           MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const SubAck& a, const SubAck& b) noexcept {
    return a.packet_id == b.packet_id && same_bytes(a.return_codes, b.return_codes) &&
           MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const Unsubscribe& a, const Unsubscribe& b) noexcept {
    return a.packet_id == b.packet_id && same_entries(a.filters, b.filters) &&
           MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const UnsubAck& a, const UnsubAck& b) noexcept {
#if MQTLS_MQTT5
    if (!same_bytes(a.reason_codes, b.reason_codes)) return false;
#endif
    return a.packet_id == b.packet_id && MQTLS_SAME_PROPERTIES(a, b);
}
bool operator==(const PingReq&, const PingReq&) noexcept { return true; }
bool operator==(const PingResp&, const PingResp&) noexcept { return true; }
bool operator==([[maybe_unused]] const Disconnect& a,
                [[maybe_unused]] const Disconnect& b) noexcept {
    return MQTLS_SAME_REASON(a, b) && MQTLS_SAME_PROPERTIES(a, b);
}
#if MQTLS_MQTT5
bool operator==(const Auth& a, const Auth& b) noexcept {
    return MQTLS_SAME_REASON(a, b) && MQTLS_SAME_PROPERTIES(a, b);
}
#endif
#undef MQTLS_SAME_PROPERTIES
#undef MQTLS_SAME_REASON

#if MQTLS_MQTT5
bool operator==(const Property& a, const Property& b) noexcept {
    return a.id == b.id && a.number == b.number && a.text == b.text && a.value == b.value &&
           a.binary.size() == b.binary.size() &&
           (a.binary.empty() ||
            std::memcmp(a.binary.data(), b.binary.data(), a.binary.size()) == 0);
}
#endif

}  // namespace mqtls::mqtt
