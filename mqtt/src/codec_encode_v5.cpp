// MQTT 5 encoding (OASIS MQTT Version 5.0, section 3): the packets' 3.1.1 fields, checked by the
// same rules, plus properties (checked by properties.cpp), reason codes (table 2-6) and
// subscription options. Each body_size() validates and sizes; its write_body() writes exactly that.
#include <cstdint>
#include <type_traits>

#include "codec_rules.hpp"
#include "codec_v5.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::mqtt::v5 {
namespace {

using wire::Writer;
using Context = PropertyContext;

// Sums field sizes in 64 bits, so that no combination of lengths can wrap before the total is
// compared with the largest remaining length.
class BodySize {
public:
    BodySize& add(std::uint64_t bytes) noexcept {
        total_ += bytes;
        return *this;
    }
    BodySize& add_string(std::string_view text) noexcept { return add(2 + text.size()); }
    [[nodiscard]] Result<std::uint32_t> total() const noexcept {
        if (total_ > max_remaining_length) return Errc::packet_too_large;
        return static_cast<std::uint32_t>(total_);
    }

private:
    std::uint64_t total_ = 0;
};

Result<std::uint64_t> section_size(const PropertyList& list, Context context) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t size, properties_size(list, context));
    return std::uint64_t{size};
}

Result<void> write_section(Writer& w, const PropertyList& list, Context context) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t written, encode_properties(list, context, w.unwritten()));
    w.skip(written);
    return ok();
}

Result<void> check_reason(ReasonCode code, ReasonPacket packet) noexcept {
    if (!reason_code_allowed(static_cast<std::uint8_t>(code), packet)) {
        return Error{Errc::invalid_reason_code, static_cast<std::int32_t>(code)};
    }
    return ok();
}

Result<void> check_codes(bytes_view codes, ReasonPacket packet) noexcept {
    if (codes.empty()) return Errc::empty_subscription_list;  // [MQTT-3.8.4-6], [MQTT-3.11.3-2]
    for (const std::uint8_t code : codes) {
        MQTLS_TRY(check_reason(static_cast<ReasonCode>(code), packet));
    }
    return ok();
}

// ---- CONNECT (section 3.1) ---------------------------------------------------------------------

}  // namespace

Result<std::uint32_t> body_size(const Connect& p) noexcept {
    // Unlike 3.1.1, MQTT 5 lets an empty Client Identifier come with Clean Start 0 (the broker
    // assigns one, [MQTT-3.1.3-6]) and a Password without a User Name (section 3.1.2.9).
    MQTLS_TRY(rules::check_string(p.client_id));
    MQTLS_TRY(rules::check_authentication(p.properties));
    BodySize size;
    size.add_string(rules::protocol_name).add(1 + 1 + 2);
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, Context::connect));
    size.add(properties).add_string(p.client_id);
    if (p.will) {
        MQTLS_TRY(validate_topic_name(p.will->topic));
        MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.will->qos)));
        MQTLS_TRY(rules::check_binary_length(p.will->payload.size()));
        MQTLS_TRY_ASSIGN(const std::uint64_t will_properties,
                         section_size(p.will->properties, Context::will));
        size.add(will_properties).add_string(p.will->topic).add(2 + p.will->payload.size());
    }
    if (p.username) {
        MQTLS_TRY(rules::check_string(*p.username));
        size.add_string(*p.username);
    }
    if (p.password) {
        MQTLS_TRY(rules::check_binary_length(p.password->size()));
        size.add(2 + p.password->size());
    }
    return size.total();
}

Result<void> write_body(const Connect& p, Writer& w) noexcept {
    MQTLS_TRY(w.string(rules::protocol_name));
    MQTLS_TRY(w.u8(static_cast<std::uint8_t>(ProtocolVersion::v5)));
    MQTLS_TRY(w.u8(rules::connect_flags(p)));
    MQTLS_TRY(w.u16(p.keep_alive_s));
    MQTLS_TRY(write_section(w, p.properties, Context::connect));
    MQTLS_TRY(w.string(p.client_id));
    if (p.will) {
        MQTLS_TRY(write_section(w, p.will->properties, Context::will));
        MQTLS_TRY(w.string(p.will->topic));
        MQTLS_TRY(w.binary(p.will->payload));
    }
    if (p.username) MQTLS_TRY(w.string(*p.username));
    if (p.password) MQTLS_TRY(w.binary(*p.password));
    return ok();
}

// ---- CONNACK (section 3.2) ---------------------------------------------------------------------

Result<std::uint32_t> body_size(const ConnAck& p) noexcept {
    MQTLS_TRY(check_reason(p.reason_code, ReasonPacket::connack));
    // [MQTT-3.2.2-6] a refusal never claims a session.
    if (p.session_present && is_failure(p.reason_code)) return Errc::invalid_connack_flags;
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, Context::connack));
    return BodySize{}.add(2 + properties).total();
}

Result<void> write_body(const ConnAck& p, Writer& w) noexcept {
    MQTLS_TRY(w.u8(p.session_present ? 1 : 0));
    MQTLS_TRY(w.u8(static_cast<std::uint8_t>(p.reason_code)));
    return write_section(w, p.properties, Context::connack);
}

// ---- PUBLISH (section 3.3) ---------------------------------------------------------------------

Result<std::uint32_t> publish_header_body_size(const Publish& p) noexcept {
    MQTLS_TRY(rules::check_publish_topic(p.topic, p.properties));
    MQTLS_TRY(rules::check_qos(static_cast<std::uint8_t>(p.qos)));
    BodySize size;
    size.add_string(p.topic);
    if (p.qos == QoS::at_most_once) {
        if (p.dup) return Errc::invalid_fixed_header_flags;  // [MQTT-3.3.1-2]
    } else {
        MQTLS_TRY(rules::check_packet_id(p.packet_id));
        size.add(2);
    }
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, Context::publish));
    return size.add(properties).total();
}

Result<void> write_publish_header_fields(const Publish& p, Writer& w) noexcept {
    MQTLS_TRY(w.string(p.topic));
    if (p.qos != QoS::at_most_once) MQTLS_TRY(w.u16(p.packet_id));
    return write_section(w, p.properties, Context::publish);
}

Result<std::uint32_t> body_size(const Publish& p) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t header, publish_header_body_size(p));
    return BodySize{}.add(header).add(p.payload.size()).total();
}

Result<void> write_body(const Publish& p, Writer& w) noexcept {
    MQTLS_TRY(write_publish_header_fields(p, w));
    return w.bytes(p.payload);
}

// ---- PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4-3.7) ----------------------------------------

namespace {

template <class Ack>
constexpr ReasonPacket ack_packet() noexcept {
    if constexpr (std::is_same_v<Ack, PubAck>) return ReasonPacket::puback;
    if constexpr (std::is_same_v<Ack, PubRec>) return ReasonPacket::pubrec;
    if constexpr (std::is_same_v<Ack, PubRel>) return ReasonPacket::pubrel;
    return ReasonPacket::pubcomp;
}
template <class Ack>
constexpr Context ack_context() noexcept {
    if constexpr (std::is_same_v<Ack, PubAck>) return Context::puback;
    if constexpr (std::is_same_v<Ack, PubRec>) return Context::pubrec;
    if constexpr (std::is_same_v<Ack, PubRel>) return Context::pubrel;
    return Context::pubcomp;
}

// Section 3.4.2.1: the Reason Code and Property Length may be left out when the code is Success
// and there are no properties; the Property Length alone when there are no properties. We send
// the shortest form, which is what 3.1.1 peers' size expectations and Mosquitto also use.
template <class Ack>
Result<std::uint32_t> ack_size(const Ack& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    MQTLS_TRY(check_reason(p.reason_code, ack_packet<Ack>()));
    if (p.properties.empty()) return p.reason_code == ReasonCode::success ? 2U : 3U;
    MQTLS_TRY_ASSIGN(const std::uint64_t properties,
                     section_size(p.properties, ack_context<Ack>()));
    return BodySize{}.add(3 + properties).total();
}

template <class Ack>
Result<void> write_ack(const Ack& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    if (p.properties.empty() && p.reason_code == ReasonCode::success) return ok();
    MQTLS_TRY(w.u8(static_cast<std::uint8_t>(p.reason_code)));
    if (p.properties.empty()) return ok();
    return write_section(w, p.properties, ack_context<Ack>());
}

// DISCONNECT and AUTH: a reason code and properties, both left out for the common case
// (sections 3.14.2.1 and 3.15.2.1: a Remaining Length of 0 means Success, no properties).
// DISCONNECT may also leave out just the Property Length (a Remaining Length of 1); AUTH may not.
enum class PropertyLength : bool { optional, required };

template <class P>
Result<std::uint32_t> reason_only_size(const P& p, ReasonPacket packet, Context context,
                                       PropertyLength property_length) noexcept {
    MQTLS_TRY(check_reason(p.reason_code, packet));
    if (p.properties.empty()) {
        if (p.reason_code == ReasonCode::success) return 0U;
        if (property_length == PropertyLength::optional) return 1U;
    }
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, context));
    return BodySize{}.add(1 + properties).total();
}

template <class P>
Result<void> write_reason_only(const P& p, Context context, PropertyLength property_length,
                               Writer& w) noexcept {
    if (p.properties.empty() && p.reason_code == ReasonCode::success) return ok();
    MQTLS_TRY(w.u8(static_cast<std::uint8_t>(p.reason_code)));
    if (p.properties.empty() && property_length == PropertyLength::optional) return ok();
    return write_section(w, p.properties, context);
}

template <class P>
bool has_mqtt5_fields(const P& p) noexcept {
    return p.reason_code != ReasonCode::success || !p.properties.empty();
}

}  // namespace

#define MQTLS_MQTT_V5_ACK(Type)                                                     \
    Result<std::uint32_t> body_size(const Type& p) noexcept { return ack_size(p); } \
    Result<void> write_body(const Type& p, Writer& w) noexcept { return write_ack(p, w); }
MQTLS_MQTT_V5_ACK(PubAck)
MQTLS_MQTT_V5_ACK(PubRec)
MQTLS_MQTT_V5_ACK(PubRel)
MQTLS_MQTT_V5_ACK(PubComp)
#undef MQTLS_MQTT_V5_ACK

// ---- SUBSCRIBE, SUBACK (sections 3.8, 3.9) -----------------------------------------------------

Result<std::uint32_t> body_size(const Subscribe& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.subscriptions.empty()) return Errc::empty_subscription_list;  // [MQTT-3.8.3-2]
    MQTLS_TRY_ASSIGN(const std::uint64_t properties,
                     section_size(p.properties, Context::subscribe));
    BodySize size;
    size.add(2 + properties);
    for (const Subscription s : p.subscriptions) {
        MQTLS_TRY(validate_topic_filter(s.filter));
        MQTLS_TRY(rules::check_subscription_options(rules::subscription_options(s), s.filter));
        size.add_string(s.filter).add(1);
    }
    return size.total();
}

Result<void> write_body(const Subscribe& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    MQTLS_TRY(write_section(w, p.properties, Context::subscribe));
    for (const Subscription s : p.subscriptions) {
        MQTLS_TRY(w.string(s.filter));
        MQTLS_TRY(w.u8(rules::subscription_options(s)));
    }
    return ok();
}

Result<std::uint32_t> body_size(const SubAck& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    MQTLS_TRY(check_codes(p.return_codes, ReasonPacket::suback));
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, Context::suback));
    return BodySize{}.add(2 + properties + p.return_codes.size()).total();
}

Result<void> write_body(const SubAck& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    MQTLS_TRY(write_section(w, p.properties, Context::suback));
    return w.bytes(p.return_codes);
}

// ---- UNSUBSCRIBE, UNSUBACK (sections 3.10, 3.11) -----------------------------------------------

Result<std::uint32_t> body_size(const Unsubscribe& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    if (p.filters.empty()) return Errc::empty_subscription_list;  // [MQTT-3.10.3-2]
    MQTLS_TRY_ASSIGN(const std::uint64_t properties,
                     section_size(p.properties, Context::unsubscribe));
    BodySize size;
    size.add(2 + properties);
    for (const std::string_view filter : p.filters) {
        MQTLS_TRY(validate_topic_filter(filter));
        size.add_string(filter);
    }
    return size.total();
}

Result<void> write_body(const Unsubscribe& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    MQTLS_TRY(write_section(w, p.properties, Context::unsubscribe));
    for (const std::string_view filter : p.filters) MQTLS_TRY(w.string(filter));
    return ok();
}

Result<std::uint32_t> body_size(const UnsubAck& p) noexcept {
    MQTLS_TRY(rules::check_packet_id(p.packet_id));
    MQTLS_TRY(check_codes(p.reason_codes, ReasonPacket::unsuback));
    MQTLS_TRY_ASSIGN(const std::uint64_t properties, section_size(p.properties, Context::unsuback));
    return BodySize{}.add(2 + properties + p.reason_codes.size()).total();
}

Result<void> write_body(const UnsubAck& p, Writer& w) noexcept {
    MQTLS_TRY(w.u16(p.packet_id));
    MQTLS_TRY(write_section(w, p.properties, Context::unsuback));
    return w.bytes(p.reason_codes);
}

// ---- PINGREQ, PINGRESP, DISCONNECT, AUTH (sections 3.12-3.15) ----------------------------------

Result<std::uint32_t> body_size(const PingReq&) noexcept { return 0U; }
Result<void> write_body(const PingReq&, Writer&) noexcept { return ok(); }
Result<std::uint32_t> body_size(const PingResp&) noexcept { return 0U; }
Result<void> write_body(const PingResp&, Writer&) noexcept { return ok(); }

Result<std::uint32_t> body_size(const Disconnect& p) noexcept {
    return reason_only_size(p, ReasonPacket::disconnect, Context::disconnect,
                            PropertyLength::optional);
}
Result<void> write_body(const Disconnect& p, Writer& w) noexcept {
    return write_reason_only(p, Context::disconnect, PropertyLength::optional, w);
}

Result<std::uint32_t> body_size(const Auth& p) noexcept {
    MQTLS_TRY(rules::check_authentication(p.properties));
    return reason_only_size(p, ReasonPacket::auth, Context::auth, PropertyLength::required);
}
Result<void> write_body(const Auth& p, Writer& w) noexcept {
    return write_reason_only(p, Context::auth, PropertyLength::required, w);
}

// ---- what 3.1.1 cannot carry -------------------------------------------------------------------

bool uses_mqtt5(const Connect& p) noexcept {
    // A Password without a User Name is MQTT 5 too, but 3.1.1's own rule [MQTT-3.1.2-22]
    // names that fault better (invalid_connect_flags).
    return !p.properties.empty() || (p.will && !p.will->properties.empty());
}
bool uses_mqtt5(const ConnAck& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const Publish& p) noexcept { return !p.properties.empty(); }
bool uses_mqtt5(const PubAck& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const PubRec& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const PubRel& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const PubComp& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const Subscribe& p) noexcept {
    if (!p.properties.empty()) return true;
    for (const Subscription s : p.subscriptions) {
        if ((rules::subscription_options(s) & ~rules::subscription_qos_mask) != 0) return true;
    }
    return false;
}
bool uses_mqtt5(const SubAck& p) noexcept { return !p.properties.empty(); }
bool uses_mqtt5(const Unsubscribe& p) noexcept { return !p.properties.empty(); }
bool uses_mqtt5(const UnsubAck& p) noexcept {
    return !p.properties.empty() || !p.reason_codes.empty();
}
bool uses_mqtt5(const PingReq&) noexcept { return false; }
bool uses_mqtt5(const PingResp&) noexcept { return false; }
bool uses_mqtt5(const Disconnect& p) noexcept { return has_mqtt5_fields(p); }
bool uses_mqtt5(const Auth&) noexcept { return true; }

}  // namespace mqtls::mqtt::v5
