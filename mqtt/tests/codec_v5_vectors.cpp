#include "codec_v5_vectors.hpp"

#include <cstdint>

#if MQTLS_MQTT5
namespace mqtls::mqtt::test::v5_vectors {
namespace {

// Property encodings (section 2.2.2.2): an identifier byte, then the value in its type's form:
// Four Byte Integer big-endian, Two Byte Integer big-endian, strings and binary data with a
// two-byte length (1.5.4, 1.5.6), a User Property as two strings (1.5.7), a Variable Byte
// Integer for Subscription Identifier (1.5.5). Every property section starts with its Property
// Length, a Variable Byte Integer [MQTT-2.2.2-1].

// clang-format off

// 3.1: level 5, Clean Start (0x02), keep alive 60, an empty property section, client id "c".
constexpr std::uint8_t connect_minimal_wire[] = {
    0x10, 0x0E,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C,
    0x00,                                  // Property Length 0
    0x00, 0x01, 'c',
};
Connect connect_minimal() {
    Connect c;
    c.client_id = "c";
    c.keep_alive_s = 60;
    return c;
}

// Every part: flags = User Name 0x80 | Password 0x40 | Will Retain 0x20 | Will QoS 1 0x08 |
// Will 0x04 | Clean Start 0x02 = 0xEE. CONNECT properties (3.1.2.11): Session Expiry Interval
// 3600 and Receive Maximum 20. Will Properties (3.1.3.2) come before the Will Topic: Will Delay
// Interval 5.
constexpr std::uint8_t connect_full_wire[] = {
    0x10, 0x28,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0xEE, 0x00, 0x3C,
    0x08, 0x11, 0x00, 0x00, 0x0E, 0x10,    // Session Expiry Interval 3600
          0x21, 0x00, 0x14,                // Receive Maximum 20
    0x00, 0x01, 'c',                       // client id
    0x05, 0x18, 0x00, 0x00, 0x00, 0x05,    // Will Properties: Will Delay Interval 5
    0x00, 0x01, 's',                       // Will Topic
    0x00, 0x01, 'x',                       // Will Payload
    0x00, 0x01, 'u',                       // User Name
    0x00, 0x01, 'p',                       // Password
};
constexpr Property connect_full_properties[] = {
    Property::integer(PropertyId::session_expiry_interval, 3600),
    Property::integer(PropertyId::receive_maximum, 20),
};
constexpr Property connect_full_will_properties[] = {
    Property::integer(PropertyId::will_delay_interval, 5),
};
constexpr std::uint8_t x_byte[] = {'x'};
constexpr std::uint8_t p_byte[] = {'p'};
Connect connect_full() {
    Connect c;
    c.client_id = "c";
    c.keep_alive_s = 60;
    c.properties = PropertyList(span<const Property>(connect_full_properties));
    Will will;
    will.topic = "s";
    will.payload = bytes_view(x_byte);
    will.qos = QoS::at_least_once;
    will.retain = true;
    will.properties = PropertyList(span<const Property>(connect_full_will_properties));
    c.will = will;
    c.username = std::string_view("u");
    c.password = bytes_view(p_byte);
    return c;
}

// MQTT 5 allows what 3.1.1 forbids: a Password without a User Name (3.1.2.9, flags 0x40) and an
// empty client id without Clean Start (3.1.3.1: the broker assigns one).
constexpr std::uint8_t connect_password_only_wire[] = {
    0x10, 0x11,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x40, 0x00, 0x00,
    0x00,
    0x00, 0x00,                            // empty client id
    0x00, 0x02, 'p', 'w',
};
constexpr std::uint8_t pw_bytes[] = {'p', 'w'};
Connect connect_password_only() {
    Connect c;
    c.clean_session = false;
    c.password = bytes_view(pw_bytes);
    return c;
}

// 3.2: Session Present, Reason Code Success, then properties the session uses: Topic Alias
// Maximum 10, Receive Maximum 5, Assigned Client Identifier "id".
constexpr std::uint8_t connack_properties_wire[] = {
    0x20, 0x0E,
    0x01, 0x00,
    0x0B, 0x22, 0x00, 0x0A,
          0x21, 0x00, 0x05,
          0x12, 0x00, 0x02, 'i', 'd',
};
constexpr Property connack_properties_list[] = {
    Property::integer(PropertyId::topic_alias_maximum, 10),
    Property::integer(PropertyId::receive_maximum, 5),
    Property::string(PropertyId::assigned_client_identifier, "id"),
};
ConnAck connack_properties() {
    ConnAck a;
    a.session_present = true;
    a.properties = PropertyList(span<const Property>(connack_properties_list));
    return a;
}

// A refusal: 0x87 Not authorized with a Reason String.
constexpr std::uint8_t connack_refused_wire[] = {
    0x20, 0x08, 0x00, 0x87, 0x05, 0x1F, 0x00, 0x02, 'n', 'o',
};
constexpr Property connack_refused_list[] = {Property::string(PropertyId::reason_string, "no")};
ConnAck connack_refused() {
    ConnAck a;
    a.reason_code = ReasonCode::not_authorized;
    a.properties = PropertyList(span<const Property>(connack_refused_list));
    return a;
}

// 3.3: QoS 1 (0x32), topic "a/b", packet id 10, properties Message Expiry Interval 60, Topic
// Alias 1 and a User Property k=v, then the payload "hi".
constexpr std::uint8_t publish_properties_wire[] = {
    0x32, 0x19,
    0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A,
    0x0F, 0x02, 0x00, 0x00, 0x00, 0x3C,
          0x23, 0x00, 0x01,
          0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
    'h', 'i',
};
constexpr Property publish_properties_list[] = {
    Property::integer(PropertyId::message_expiry_interval, 60),
    Property::integer(PropertyId::topic_alias, 1),
    Property::user("k", "v"),
};
constexpr std::uint8_t hi_bytes[] = {'h', 'i'};
Publish publish_properties() {
    Publish p;
    p.topic = "a/b";
    p.qos = QoS::at_least_once;
    p.packet_id = 10;
    p.payload = bytes_view(hi_bytes);
    p.properties = PropertyList(span<const Property>(publish_properties_list));
    return p;
}

// 3.3.2.3.4: an empty Topic Name that a Topic Alias stands for.
constexpr std::uint8_t publish_alias_only_wire[] = {
    0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'z',
};
constexpr Property alias_one[] = {Property::integer(PropertyId::topic_alias, 1)};
constexpr std::uint8_t z_byte[] = {'z'};
Publish publish_alias_only() {
    Publish p;
    p.payload = bytes_view(z_byte);
    p.properties = PropertyList(span<const Property>(alias_one));
    return p;
}

// 3.4.2.1: PUBACK's shortest forms. Success without properties is the packet id alone; a code
// without properties has no Property Length.
constexpr std::uint8_t puback_success_wire[] = {0x40, 0x02, 0x00, 0x01};
constexpr std::uint8_t puback_denied_wire[] = {0x40, 0x03, 0x00, 0x01, 0x87};
constexpr std::uint8_t puback_reason_string_wire[] = {
    0x40, 0x08, 0x00, 0x01, 0x10, 0x04, 0x1F, 0x00, 0x01, 'x',
};
constexpr Property reason_x[] = {Property::string(PropertyId::reason_string, "x")};
template <class Ack>
Ack ack(PacketId id, ReasonCode code) {
    Ack a;
    a.packet_id = id;
    a.reason_code = code;
    return a;
}
PubAck puback_reason_string() {
    auto a = ack<PubAck>(1, ReasonCode::no_matching_subscribers);
    a.properties = PropertyList(span<const Property>(reason_x));
    return a;
}
constexpr std::uint8_t pubrec_failure_wire[] = {0x50, 0x03, 0x00, 0x02, 0x80};
constexpr std::uint8_t pubrel_not_found_wire[] = {0x62, 0x03, 0x00, 0x03, 0x92};  // flags 0010
constexpr std::uint8_t pubcomp_success_wire[] = {0x70, 0x02, 0x00, 0x04};

// 3.8: packet id 5, Subscription Identifier 7, then "a/#" with options QoS 1 | No Local 0x04 |
// Retain As Published 0x08 | Retain Handling 2 (0x20) = 0x2D, and "b" with QoS 0 and Retain
// Handling 1 (0x10).
constexpr std::uint8_t subscribe_options_wire[] = {
    0x82, 0x0F,
    0x00, 0x05,
    0x02, 0x0B, 0x07,
    0x00, 0x03, 'a', '/', '#', 0x2D,
    0x00, 0x01, 'b', 0x10,
};
constexpr Property subscription_id_7[] = {
    Property::integer(PropertyId::subscription_identifier, 7),
};
Subscription option_subscription(std::string_view filter, QoS qos, bool no_local,
                                 bool retain_as_published, RetainHandling handling) {
    Subscription s;
    s.filter = filter;
    s.qos = qos;
    s.no_local = no_local;
    s.retain_as_published = retain_as_published;
    s.retain_handling = handling;
    return s;
}
const Subscription subscribe_options_entries[] = {
    option_subscription("a/#", QoS::at_least_once, true, true, RetainHandling::do_not_send),
    option_subscription("b", QoS::at_most_once, false, false,
                        RetainHandling::send_if_new_subscription),
};
Subscribe subscribe_options() {
    Subscribe s;
    s.packet_id = 5;
    s.subscriptions = SubscriptionList(span<const Subscription>(subscribe_options_entries));
    s.properties = PropertyList(span<const Property>(subscription_id_7));
    return s;
}

// 3.9: the codes follow the (empty) property section: Granted QoS 1, then 0x87 Not authorized.
constexpr std::uint8_t suback_wire[] = {0x90, 0x05, 0x00, 0x05, 0x00, 0x01, 0x87};
constexpr std::uint8_t suback_codes[] = {0x01, 0x87};
SubAck suback() {
    SubAck a;
    a.packet_id = 5;
    a.return_codes = bytes_view(suback_codes);
    return a;
}

// 3.10: packet id 6, a User Property a=b, the filter "x/+".
constexpr std::uint8_t unsubscribe_wire[] = {
    0xA2, 0x0F, 0x00, 0x06,
    0x07, 0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b',
    0x00, 0x03, 'x', '/', '+',
};
constexpr Property user_a_b[] = {Property::user("a", "b")};
constexpr std::string_view unsubscribe_filter[] = {"x/+"};
Unsubscribe unsubscribe() {
    Unsubscribe u;
    u.packet_id = 6;
    u.filters = FilterList(span<const std::string_view>(unsubscribe_filter));
    u.properties = PropertyList(span<const Property>(user_a_b));
    return u;
}

// 3.11: MQTT 5's UNSUBACK has a payload: Success, then 0x11 No subscription existed.
constexpr std::uint8_t unsuback_wire[] = {0xB0, 0x05, 0x00, 0x06, 0x00, 0x00, 0x11};
constexpr std::uint8_t unsuback_codes[] = {0x00, 0x11};
UnsubAck unsuback() {
    UnsubAck a;
    a.packet_id = 6;
    a.reason_codes = bytes_view(unsuback_codes);
    return a;
}

constexpr std::uint8_t pingreq_wire[] = {0xC0, 0x00};
constexpr std::uint8_t pingresp_wire[] = {0xD0, 0x00};

// 3.14.2.1: an empty DISCONNECT is Normal disconnection; a code alone has no Property Length.
constexpr std::uint8_t disconnect_normal_wire[] = {0xE0, 0x00};
constexpr std::uint8_t disconnect_with_will_wire[] = {0xE0, 0x01, 0x04};
// A broker's: 0x8E Session taken over, with a Reason String.
constexpr std::uint8_t disconnect_taken_over_wire[] = {
    0xE0, 0x08, 0x8E, 0x06, 0x1F, 0x00, 0x03, 'b', 'y', 'e',
};
constexpr Property reason_bye[] = {Property::string(PropertyId::reason_string, "bye")};
Disconnect disconnect(ReasonCode code, span<const Property> properties) {
    Disconnect d;
    d.reason_code = code;
    d.properties = PropertyList(properties);
    return d;
}

// 3.15: Success alone is an empty AUTH; Continue authentication (0x18) carries the method "m"
// and data "d".
constexpr std::uint8_t auth_success_wire[] = {0xF0, 0x00};
constexpr std::uint8_t auth_continue_wire[] = {
    0xF0, 0x0A, 0x18, 0x08, 0x15, 0x00, 0x01, 'm', 0x16, 0x00, 0x01, 'd',
};
constexpr std::uint8_t d_byte[] = {'d'};
const Property auth_continue_list[] = {
    Property::string(PropertyId::authentication_method, "m"),
    Property::data(PropertyId::authentication_data, bytes_view(d_byte)),
};
Auth auth(ReasonCode code, span<const Property> properties) {
    Auth a;
    a.reason_code = code;
    a.properties = PropertyList(properties);
    return a;
}

// clang-format on

const WireVector vectors[] = {
    {"CONNECT minimal", connect_minimal(), bytes_view(connect_minimal_wire)},
    {"CONNECT with properties, Will Properties and credentials", connect_full(),
     bytes_view(connect_full_wire)},
    {"CONNECT password only, empty client id, no Clean Start", connect_password_only(),
     bytes_view(connect_password_only_wire)},
    {"CONNACK with properties", connack_properties(), bytes_view(connack_properties_wire)},
    {"CONNACK refused with a Reason String", connack_refused(), bytes_view(connack_refused_wire)},
    {"PUBLISH QoS 1 with properties", publish_properties(), bytes_view(publish_properties_wire)},
    {"PUBLISH topic by alias only", publish_alias_only(), bytes_view(publish_alias_only_wire)},
    {"PUBACK success (short form)", ack<PubAck>(1, ReasonCode::success),
     bytes_view(puback_success_wire)},
    {"PUBACK not authorized", ack<PubAck>(1, ReasonCode::not_authorized),
     bytes_view(puback_denied_wire)},
    {"PUBACK with a Reason String", puback_reason_string(), bytes_view(puback_reason_string_wire)},
    {"PUBREC unspecified error", ack<PubRec>(2, ReasonCode::unspecified_error),
     bytes_view(pubrec_failure_wire)},
    {"PUBREL packet identifier not found", ack<PubRel>(3, ReasonCode::packet_identifier_not_found),
     bytes_view(pubrel_not_found_wire)},
    {"PUBCOMP success", ack<PubComp>(4, ReasonCode::success), bytes_view(pubcomp_success_wire)},
    {"SUBSCRIBE with options", subscribe_options(), bytes_view(subscribe_options_wire)},
    {"SUBACK granted and denied", suback(), bytes_view(suback_wire)},
    {"UNSUBSCRIBE with a User Property", unsubscribe(), bytes_view(unsubscribe_wire)},
    {"UNSUBACK with reason codes", unsuback(), bytes_view(unsuback_wire)},
    {"PINGREQ", PingReq{}, bytes_view(pingreq_wire)},
    {"PINGRESP", PingResp{}, bytes_view(pingresp_wire)},
    {"DISCONNECT normal", disconnect(ReasonCode::normal_disconnection, {}),
     bytes_view(disconnect_normal_wire)},
    {"DISCONNECT with Will Message", disconnect(ReasonCode::disconnect_with_will_message, {}),
     bytes_view(disconnect_with_will_wire)},
    {"DISCONNECT session taken over", disconnect(ReasonCode::session_taken_over, reason_bye),
     bytes_view(disconnect_taken_over_wire)},
    {"AUTH success", auth(ReasonCode::success, {}), bytes_view(auth_success_wire)},
    {"AUTH continue", auth(ReasonCode::continue_authentication, auth_continue_list),
     bytes_view(auth_continue_wire)},
};

}  // namespace

span<const WireVector> all() noexcept { return {vectors}; }

}  // namespace mqtls::mqtt::test::v5_vectors
#endif
