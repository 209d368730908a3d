#include "codec_vectors.hpp"

#include <cstdint>

#include "codec_test_support.hpp"

namespace mqtls::mqtt::test {
namespace {

// Fixed header: type in the high nibble, flags in the low nibble (2.2), then the remaining length
// (2.2.3). CONNECT variable header (3.1.2): protocol name 00 04 'M' 'Q' 'T' 'T', level 04, connect
// flags, keep alive (big-endian seconds).

// The arrays below are laid out one field per line; keep clang-format from reflowing them.
// clang-format off

// Clean session only (flags 0x02), keep alive 60 s, client id "c1".
constexpr std::uint8_t connect_minimal_wire[] = {
    0x10, 0x0E,                                  // CONNECT, remaining length 14
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,  // protocol, level 4, clean session
    0x00, 0x3C,                                  // keep alive 60
    0x00, 0x02, 'c', '1',                        // client id
};

// Every optional field: username 0x80 | password 0x40 | will retain 0x20 | will QoS 1 (0x08) |
// will flag 0x04, clean session off = 0xEC (3.1.2.3). Payload order is client id, will topic,
// will message, user name, password (3.1.3). The password is binary and contains 00 and FF.
constexpr std::uint8_t connect_will_credentials_wire[] = {
    0x10, 0x34,                                              // remaining length 52
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEC, 0x01, 0x2C,  // flags 0xEC, keep alive 300
    0x00, 0x05, 'd', 'e', 'v', '-', '7',                     // client id
    0x00, 0x0C, 'd', 'e', 'v', '/', '7', '/', 's', 't', 'a', 't', 'u', 's',  // will topic
    0x00, 0x07, 'o', 'f', 'f', 'l', 'i', 'n', 'e',           // will message
    0x00, 0x05, 'a', 'l', 'i', 'c', 'e',                     // user name
    0x00, 0x03, 0x00, 0xFF, 0x10,                            // password
};
constexpr std::uint8_t will_credentials_password[] = {0x00, 0xFF, 0x10};

// A zero-length client id is allowed with clean session (MQTT-3.1.3-7); will QoS 2 is bits
// 4-3 = 10, so flags = 0x10 | will flag 0x04 | clean 0x02 = 0x16; keep alive 0 disables the
// mechanism; the will message may be empty.
constexpr std::uint8_t connect_will_qos2_wire[] = {
    0x10, 0x11,                                              // remaining length 17
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x16, 0x00, 0x00,  // flags 0x16, keep alive 0
    0x00, 0x00,                                              // empty client id
    0x00, 0x01, 'w',                                         // will topic
    0x00, 0x00,                                              // empty will message
};

// User name without password is allowed (only the reverse is forbidden, MQTT-3.1.2-22): 0x82.
constexpr std::uint8_t connect_username_only_wire[] = {
    0x10, 0x10,                                              // remaining length 16
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x82, 0x00, 0x0A,  // flags 0x82, keep alive 10
    0x00, 0x01, 'c',                                         // client id
    0x00, 0x01, 'u',                                         // user name
};

// A present but empty password (flags 0xC2) is different from no password.
constexpr std::uint8_t connect_empty_password_wire[] = {
    0x10, 0x12,                                              // remaining length 18
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xC2, 0x00, 0x0A,  // flags 0xC2, keep alive 10
    0x00, 0x01, 'c',                                         // client id
    0x00, 0x01, 'u',                                         // user name
    0x00, 0x00,                                              // empty password
};

// CONNACK (3.2): acknowledge flags (bit 0 = session present), return code.
constexpr std::uint8_t connack_accepted_wire[] = {0x20, 0x02, 0x00, 0x00};
constexpr std::uint8_t connack_session_present_wire[] = {0x20, 0x02, 0x01, 0x00};
constexpr std::uint8_t connack_not_authorized_wire[] = {0x20, 0x02, 0x00, 0x05};

// PUBLISH (3.3): flags DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0); topic; packet identifier
// only when QoS > 0; the payload is everything that is left.
constexpr std::uint8_t publish_qos0_wire[] = {
    0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i',
};
constexpr std::uint8_t publish_qos0_retain_wire[] = {0x31, 0x03, 0x00, 0x01, 't'};
constexpr std::uint8_t publish_qos1_wire[] = {
    0x32, 0x0A, 0x00, 0x03, 's', '/', 't', 0x00, 0x0A, 0x01, 0x02, 0x03,
};
constexpr std::uint8_t publish_qos1_payload[] = {0x01, 0x02, 0x03};
constexpr std::uint8_t publish_qos1_dup_wire[] = {0x3A, 0x05, 0x00, 0x01, 'a', 0x00, 0x01};
// DUP 0x08 | QoS 2 0x04 | RETAIN 0x01 = 0x0D; packet id 0xBEEF.
constexpr std::uint8_t publish_qos2_dup_retain_wire[] = {
    0x3D, 0x06, 0x00, 0x01, 'x', 0xBE, 0xEF, '!',
};
// Topic "ü/€/😀": 2-, 3- and 4-byte UTF-8 sequences, 11 bytes in all.
constexpr std::uint8_t publish_utf8_topic_wire[] = {
    0x30, 0x0D, 0x00, 0x0B, 0xC3, 0xBC, '/', 0xE2, 0x82, 0xAC, '/', 0xF0, 0x9F, 0x98, 0x80,
};

// clang-format on

// Remaining length 205 = 0x4D + 1 * 128 is encoded as CD 01 (2.2.3): topic "big" (5 bytes) and
// 200 payload bytes 0, 1, 2, ... 199. Filled at start-up; the payload view points into it.
std::uint8_t big_publish_wire[big_publish_payload_offset + big_publish_payload_size];

bytes_view fill_big_publish_wire() noexcept {
    const std::uint8_t header[big_publish_payload_offset] = {0x30, 0xCD, 0x01, 0x00,
                                                             0x03, 'b',  'i',  'g'};
    for (std::size_t i = 0; i < big_publish_payload_offset; ++i) big_publish_wire[i] = header[i];
    for (std::size_t i = 0; i < big_publish_payload_size; ++i) {
        big_publish_wire[big_publish_payload_offset + i] = static_cast<std::uint8_t>(i);
    }
    return bytes_view(big_publish_wire);
}

// clang-format off
// The acknowledgements (3.4-3.7, 3.11) are a fixed header and a packet identifier. PUBREL's
// reserved flags are 0010 (3.6.1), the others' are 0000.
constexpr std::uint8_t puback_wire[] = {0x40, 0x02, 0x00, 0x01};
constexpr std::uint8_t pubrec_wire[] = {0x50, 0x02, 0x12, 0x34};
constexpr std::uint8_t pubrel_wire[] = {0x62, 0x02, 0xFF, 0xFF};
constexpr std::uint8_t pubcomp_wire[] = {0x70, 0x02, 0x00, 0x07};

// SUBSCRIBE (3.8): flags 0010; packet id; then per filter a length-prefixed string and a
// requested-QoS byte.
constexpr std::uint8_t subscribe_three_filters_wire[] = {
    0x82, 0x18, 0x00, 0x02,                               // remaining length 24, id 2
    0x00, 0x05, 'a', '/', '+', '/', 'c', 0x00,            // "a/+/c" QoS 0
    0x00, 0x07, 's', 'p', 'o', 'r', 't', '/', '#', 0x01,  // "sport/#" QoS 1
    0x00, 0x01, '#', 0x02,                                // "#" QoS 2
};
constexpr Subscription subscribe_three_filters_entries[] = {
    {"a/+/c", QoS::at_most_once},
    {"sport/#", QoS::at_least_once},
    {"#", QoS::exactly_once},
};
constexpr std::uint8_t subscribe_single_wire[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x01};
constexpr Subscription subscribe_single_entries[] = {{"t", QoS::at_least_once}};

// SUBACK (3.9): packet id, then one return code per filter: granted QoS or 0x80 failure.
constexpr std::uint8_t suback_wire[] = {0x90, 0x06, 0x00, 0x02, 0x00, 0x01, 0x80, 0x02};
constexpr std::uint8_t suback_codes[] = {0x00, 0x01, 0x80, 0x02};

// UNSUBSCRIBE (3.10): flags 0010; packet id; length-prefixed filters without QoS bytes.
constexpr std::uint8_t unsubscribe_wire[] = {
    0xA2, 0x0C, 0x00, 0x03, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03, 'c', '/', '#',
};
constexpr std::string_view unsubscribe_filters[] = {"a/b", "c/#"};

constexpr std::uint8_t unsuback_wire[] = {0xB0, 0x02, 0x00, 0x03};
constexpr std::uint8_t pingreq_wire[] = {0xC0, 0x00};
constexpr std::uint8_t pingresp_wire[] = {0xD0, 0x00};
constexpr std::uint8_t disconnect_wire[] = {0xE0, 0x00};

// clang-format on

Connect make_connect_minimal() {
    Connect connect;
    connect.client_id = "c1";
    connect.clean_session = true;
    connect.keep_alive_s = 60;
    return connect;
}

Connect make_connect_will_credentials() {
    Connect connect;
    connect.client_id = "dev-7";
    connect.clean_session = false;
    connect.keep_alive_s = 300;
    Will will;
    will.topic = "dev/7/status";
    will.payload = bytes_of("offline");
    will.qos = QoS::at_least_once;
    will.retain = true;
    connect.will = will;
    connect.username = std::string_view("alice");
    connect.password = bytes_view(will_credentials_password);
    return connect;
}

Connect make_connect_will_qos2() {
    Connect connect;
    connect.client_id = "";
    connect.clean_session = true;
    connect.keep_alive_s = 0;
    Will will;
    will.topic = "w";
    will.payload = bytes_view();
    will.qos = QoS::exactly_once;
    will.retain = false;
    connect.will = will;
    return connect;
}

Connect make_connect_username_only() {
    Connect connect;
    connect.client_id = "c";
    connect.keep_alive_s = 10;
    connect.username = std::string_view("u");
    return connect;
}

Connect make_connect_empty_password() {
    Connect connect = make_connect_username_only();
    connect.password = bytes_view();
    return connect;
}

Publish make_publish(std::string_view topic, bytes_view payload, QoS qos, bool retain, bool dup,
                     PacketId packet_id) {
    Publish publish;
    publish.topic = topic;
    publish.payload = payload;
    publish.qos = qos;
    publish.retain = retain;
    publish.dup = dup;
    publish.packet_id = packet_id;
    return publish;
}

Subscribe make_subscribe(PacketId packet_id, span<const Subscription> entries) {
    Subscribe subscribe;
    subscribe.packet_id = packet_id;
    subscribe.subscriptions = SubscriptionList(entries);
    return subscribe;
}

}  // namespace

namespace vectors {

const WireVector connect_minimal{"CONNECT minimal", make_connect_minimal(),
                                 bytes_view(connect_minimal_wire)};
const WireVector connect_will_credentials{"CONNECT will+username+password",
                                          make_connect_will_credentials(),
                                          bytes_view(connect_will_credentials_wire)};
const WireVector connect_will_qos2_empty_client_id{"CONNECT will QoS 2, empty client id",
                                                   make_connect_will_qos2(),
                                                   bytes_view(connect_will_qos2_wire)};
const WireVector connect_username_only{"CONNECT username only", make_connect_username_only(),
                                       bytes_view(connect_username_only_wire)};
const WireVector connect_empty_password{"CONNECT empty password", make_connect_empty_password(),
                                        bytes_view(connect_empty_password_wire)};

const WireVector connack_accepted{"CONNACK accepted", ConnAck{false, ConnectReturnCode::accepted},
                                  bytes_view(connack_accepted_wire)};
const WireVector connack_session_present{"CONNACK session present",
                                         ConnAck{true, ConnectReturnCode::accepted},
                                         bytes_view(connack_session_present_wire)};
const WireVector connack_not_authorized{"CONNACK not authorized",
                                        ConnAck{false, ConnectReturnCode::not_authorized},
                                        bytes_view(connack_not_authorized_wire)};

const WireVector publish_qos0{
    "PUBLISH QoS 0", make_publish("a/b", bytes_of("hi"), QoS::at_most_once, false, false, 0),
    bytes_view(publish_qos0_wire)};
const WireVector publish_qos0_retain_empty_payload{
    "PUBLISH QoS 0 retain, empty payload",
    make_publish("t", bytes_view(), QoS::at_most_once, true, false, 0),
    bytes_view(publish_qos0_retain_wire)};
const WireVector publish_qos1{
    "PUBLISH QoS 1",
    make_publish("s/t", bytes_view(publish_qos1_payload), QoS::at_least_once, false, false, 10),
    bytes_view(publish_qos1_wire)};
const WireVector publish_qos1_dup_empty_payload{
    "PUBLISH QoS 1 dup, empty payload",
    make_publish("a", bytes_view(), QoS::at_least_once, false, true, 1),
    bytes_view(publish_qos1_dup_wire)};
const WireVector publish_qos2_dup_retain{
    "PUBLISH QoS 2 dup retain",
    make_publish("x", bytes_of("!"), QoS::exactly_once, true, true, 0xBEEF),
    bytes_view(publish_qos2_dup_retain_wire)};
const WireVector publish_multibyte_utf8_topic{
    "PUBLISH multibyte UTF-8 topic",
    make_publish("\xC3\xBC/\xE2\x82\xAC/\xF0\x9F\x98\x80", bytes_view(), QoS::at_most_once, false,
                 false, 0),
    bytes_view(publish_utf8_topic_wire)};
// Declared after big_publish_wire in this file, so the array exists when this is initialised.
const WireVector publish_two_byte_remaining_length = [] {
    const bytes_view wire = fill_big_publish_wire();
    return WireVector{"PUBLISH with two-byte remaining length",
                      make_publish("big", wire.subspan(big_publish_payload_offset),
                                   QoS::at_most_once, false, false, 0),
                      wire};
}();

const WireVector puback{"PUBACK", PubAck{1}, bytes_view(puback_wire)};
const WireVector pubrec{"PUBREC", PubRec{0x1234}, bytes_view(pubrec_wire)};
const WireVector pubrel{"PUBREL", PubRel{0xFFFF}, bytes_view(pubrel_wire)};
const WireVector pubcomp{"PUBCOMP", PubComp{7}, bytes_view(pubcomp_wire)};

const WireVector subscribe_three_filters{
    "SUBSCRIBE three filters",
    make_subscribe(2, span<const Subscription>(subscribe_three_filters_entries)),
    bytes_view(subscribe_three_filters_wire)};
const WireVector subscribe_single{
    "SUBSCRIBE single filter",
    make_subscribe(1, span<const Subscription>(subscribe_single_entries)),
    bytes_view(subscribe_single_wire)};
const WireVector suback_with_failure{"SUBACK with failure", SubAck{2, bytes_view(suback_codes)},
                                     bytes_view(suback_wire)};
const WireVector unsubscribe_two_filters{
    "UNSUBSCRIBE two filters",
    Unsubscribe{3, FilterList(span<const std::string_view>(unsubscribe_filters))},
    bytes_view(unsubscribe_wire)};
const WireVector unsuback{"UNSUBACK", UnsubAck{3}, bytes_view(unsuback_wire)};
const WireVector pingreq{"PINGREQ", PingReq{}, bytes_view(pingreq_wire)};
const WireVector pingresp{"PINGRESP", PingResp{}, bytes_view(pingresp_wire)};
const WireVector disconnect{"DISCONNECT", Disconnect{}, bytes_view(disconnect_wire)};

}  // namespace vectors

span<const WireVector* const> all_vectors() noexcept {
    static const WireVector* const all[] = {
        &vectors::connect_minimal,
        &vectors::connect_will_credentials,
        &vectors::connect_will_qos2_empty_client_id,
        &vectors::connect_username_only,
        &vectors::connect_empty_password,
        &vectors::connack_accepted,
        &vectors::connack_session_present,
        &vectors::connack_not_authorized,
        &vectors::publish_qos0,
        &vectors::publish_qos0_retain_empty_payload,
        &vectors::publish_qos1,
        &vectors::publish_qos1_dup_empty_payload,
        &vectors::publish_qos2_dup_retain,
        &vectors::publish_multibyte_utf8_topic,
        &vectors::publish_two_byte_remaining_length,
        &vectors::puback,
        &vectors::pubrec,
        &vectors::pubrel,
        &vectors::pubcomp,
        &vectors::subscribe_three_filters,
        &vectors::subscribe_single,
        &vectors::suback_with_failure,
        &vectors::unsubscribe_two_filters,
        &vectors::unsuback,
        &vectors::pingreq,
        &vectors::pingresp,
        &vectors::disconnect,
    };
    return span<const WireVector* const>(all);
}

}  // namespace mqtls::mqtt::test
