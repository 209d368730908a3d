// Decoding invalid packets: each violation of MQTT 3.1.1 that a receiver can detect is refused
// with its own error code, distinct from "need more bytes". Each packet below breaks exactly one
// rule, so the expected code is unambiguous.
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "codec_vectors.hpp"
#include "mqtls/mqtt/codec.hpp"

namespace mqtls::mqtt::test {
namespace {

// --- Fixed header (2.2) ---------------------------------------------------------------------

TEST(CodecReject, RemainingLengthWithFiveBytes) {
    // 2.2.3: at most four bytes; a continuation bit on the fourth is already a violation.
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_remaining_length, 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_remaining_length, 0xC0, 0x80, 0x80, 0x80, 0x80, 0x00);
}

TEST(CodecReject, FourthLengthByteWithContinuationIsMalformedWithoutAFifth) {
    // No byte that could follow makes this valid, so waiting for more would only delay the error
    // while the peer keeps the connection busy.
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_remaining_length, 0x30, 0xFF, 0xFF, 0xFF, 0xFF);
    const std::uint8_t header[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF};
    EXPECT_EQ(error_code_of(decode_fixed_header(header, DecodeLimits{})),
              Errc::malformed_remaining_length);
}

TEST(CodecReject, RemainingLengthNotInShortestForm) {
    // A trailing zero group means fewer bytes would have said the same.
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0x30, 0x80, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0xC0, 0x80, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0xE0, 0x80, 0x80, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0xD0, 0x80, 0x80, 0x80, 0x00);
    // 2 and 127 in two bytes, 1 in three: still overlong although the value is not zero.
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0x40, 0x82, 0x00, 0x00, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0x30, 0xFF, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::overlong_remaining_length, 0x30, 0x81, 0x80, 0x00);

    const std::uint8_t header[] = {0x30, 0x80, 0x00};
    EXPECT_EQ(error_code_of(decode_fixed_header(header, DecodeLimits{})),
              Errc::overlong_remaining_length);
}

TEST(CodecReject, ReservedPacketTypes) {
    // Table 2.1: types 0 and 15 are reserved.
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_packet_type, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_packet_type, 0xF0, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_packet_type, 0x02, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_packet_type, 0xFF, 0x02, 0x00, 0x01);

    const std::uint8_t header[] = {0xF0, 0x00};
    EXPECT_EQ(error_code_of(decode_fixed_header(header, DecodeLimits{})),
              Errc::invalid_packet_type);
}

struct RequiredFlags {
    const WireVector* vector;
    std::uint8_t flags;
};

TEST(CodecReject, WrongReservedFlagsForEveryNonPublishType) {
    // Table 2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE must carry 0010, every other type except
    // PUBLISH 0000 (MQTT-2.2.2-1, -2). Every other value of the nibble is refused.
    const RequiredFlags cases[] = {
        {&vectors::connect_minimal, 0x0},
        {&vectors::connack_accepted, 0x0},
        {&vectors::puback, 0x0},
        {&vectors::pubrec, 0x0},
        {&vectors::pubrel, 0x2},
        {&vectors::pubcomp, 0x0},
        {&vectors::subscribe_single, 0x2},
        {&vectors::suback_with_failure, 0x0},
        {&vectors::unsubscribe_two_filters, 0x2},
        {&vectors::unsuback, 0x0},
        {&vectors::pingreq, 0x0},
        {&vectors::pingresp, 0x0},
        {&vectors::disconnect, 0x0},
    };
    static std::uint8_t wire[64];
    for (const RequiredFlags& required : cases) {
        const bytes_view original = required.vector->wire;
        ASSERT_LE(original.size(), sizeof(wire));
        for (std::size_t i = 0; i < original.size(); ++i) wire[i] = original[i];
        for (std::uint8_t flags = 0; flags < 16; ++flags) {
            wire[0] = static_cast<std::uint8_t>((original[0] & 0xF0u) | flags);
            const Errc expected =
                flags == required.flags ? success : Errc::invalid_fixed_header_flags;
            EXPECT_EQ(decode_error(bytes_view(wire, original.size())), expected)
                << required.vector->name << " with flags " << int{flags};
        }
    }
}

TEST(CodecReject, PublishQos3) {
    // MQTT-3.3.1-4: both QoS bits set is malformed.
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_qos, 0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_qos, 0x37, 0x05, 0x00, 0x01, 'a', 0x00, 0x01);
}

TEST(CodecReject, DupOnQos0Publish) {
    // MQTT-3.3.1-2: DUP must be 0 for QoS 0; a DUP at QoS 0 is a wrong fixed-header flag.
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_fixed_header_flags, 0x38, 0x03, 0x00, 0x01, 'a');
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_fixed_header_flags, 0x39, 0x03, 0x00, 0x01, 'a');
}

// --- Packet identifiers (2.3.1) -------------------------------------------------------------

TEST(CodecReject, ZeroPacketIdInPublishQos1And2) {
    // MQTT-2.3.1-1.
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x34, 0x05, 0x00, 0x01, 'a', 0x00, 0x00);
}

TEST(CodecReject, ZeroPacketIdInSubscribeAndUnsubscribe) {
    // MQTT-2.3.1-1.
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 't', 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 't');
}

TEST(CodecReject, ZeroPacketIdInAcknowledgements) {
    // An acknowledgement carries the identifier of the packet it answers (MQTT-2.3.1-6, -7), and
    // that identifier is never 0, so an ack for 0 answers nothing.
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x40, 0x02, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x50, 0x02, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x62, 0x02, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x70, 0x02, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x90, 0x03, 0x00, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::zero_packet_id, 0xB0, 0x02, 0x00, 0x00);
}

// --- UTF-8 strings (1.5.3) ------------------------------------------------------------------

TEST(CodecReject, MalformedUtf8InPublishTopic) {
    // MQTT-1.5.3-1: C3 must be followed by a continuation byte.
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x30, 0x04, 0x00, 0x02, 0xC3, 0x28);
    // Lone continuation byte; byte that never occurs in UTF-8.
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x30, 0x03, 0x00, 0x01, 0x80);
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x30, 0x03, 0x00, 0x01, 0xFF);
}

TEST(CodecReject, OverlongUtf8) {
    // C0 80 is an overlong U+0000: not well-formed, even though it is not a literal NUL byte.
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x30, 0x04, 0x00, 0x02, 0xC0, 0x80);
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x30, 0x05, 0x00, 0x03, 0xE0, 0x80, 0xAF);
}

TEST(CodecReject, NullCharacterInTopic) {
    // MQTT-1.5.3-2.
    EXPECT_DECODE_FAILS_WITH(Errc::utf8_null_character, 0x30, 0x05, 0x00, 0x03, 'a', 0x00, 'b');
}

TEST(CodecReject, SurrogateInTopic) {
    // MQTT-1.5.3-1: ED A0 80 encodes U+D800.
    EXPECT_DECODE_FAILS_WITH(Errc::utf8_surrogate, 0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80);
    EXPECT_DECODE_FAILS_WITH(Errc::utf8_surrogate, 0x30, 0x05, 0x00, 0x03, 0xED, 0xBF, 0xBF);
}

TEST(CodecReject, BadUtf8InSubscribeAndUnsubscribeFilters) {
    EXPECT_DECODE_FAILS_WITH(Errc::malformed_utf8, 0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 0xC0, 0x80,
                             0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::utf8_null_character, 0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::utf8_surrogate, 0xA2, 0x07, 0x00, 0x01, 0x00, 0x03, 0xED, 0xA0,
                             0x80);
}

WireBuilder connect_header(std::string_view protocol, std::uint8_t level, std::uint8_t flags) {
    WireBuilder builder(0x10);
    builder.field(protocol).byte(level).byte(flags).u16(60);
    return builder;
}

TEST(CodecReject, BadUtf8InConnectStrings) {
    auto bad_client_id = connect_header("MQTT", 4, 0x02);
    bad_client_id.field("\xF8\x88\x80\x80\x80");  // a five-byte form, never valid UTF-8
    EXPECT_EQ(decode_error(bad_client_id.finish()), Errc::malformed_utf8);

    auto null_in_username = connect_header("MQTT", 4, 0x82);
    null_in_username.field("c").field(text("us\0er"));
    EXPECT_EQ(decode_error(null_in_username.finish()), Errc::utf8_null_character);

    auto surrogate_in_will_topic = connect_header("MQTT", 4, 0x06);
    surrogate_in_will_topic.field("c").field("\xED\xB0\x80").field("bye");
    EXPECT_EQ(decode_error(surrogate_in_will_topic.finish()), Errc::utf8_surrogate);
}

// --- Topic names and filters (4.7) ----------------------------------------------------------

TEST(CodecReject, WildcardInPublishTopic) {
    // MQTT-3.3.2-2.
    EXPECT_DECODE_FAILS_WITH(Errc::wildcard_in_topic, 0x30, 0x05, 0x00, 0x03, 'a', '/', '+');
    EXPECT_DECODE_FAILS_WITH(Errc::wildcard_in_topic, 0x30, 0x03, 0x00, 0x01, '#');
    EXPECT_DECODE_FAILS_WITH(Errc::wildcard_in_topic, 0x32, 0x07, 0x00, 0x03, 'a', '#', 'b', 0x00,
                             0x01);
}

TEST(CodecReject, EmptyPublishTopic) {
    // MQTT-4.7.3-1.
    EXPECT_DECODE_FAILS_WITH(Errc::empty_topic, 0x30, 0x02, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::empty_topic, 0x30, 0x04, 0x00, 0x00, 'h', 'i');
}

TEST(CodecReject, WillTopicIsATopicName) {
    auto wildcard = connect_header("MQTT", 4, 0x06);
    wildcard.field("c").field("status/+").field("bye");
    EXPECT_EQ(decode_error(wildcard.finish()), Errc::wildcard_in_topic);

    auto empty = connect_header("MQTT", 4, 0x06);
    empty.field("c").field("").field("bye");
    EXPECT_EQ(decode_error(empty.finish()), Errc::empty_topic);
}

TEST(CodecReject, MisplacedWildcardsInSubscribeFilter) {
    // 4.7.1.2: '#' alone as the last level; 4.7.1.3: '+' fills a whole level.
    const std::string_view bad_filters[] = {
        "a/#/b", "a+", "#a", "a/b#", "+a", "a/+b/c", "##", "sport/tennis#", "#/", "a/#/"};
    for (const std::string_view filter : bad_filters) {
        WireBuilder subscribe(0x82);
        subscribe.u16(1).field(filter).byte(0x01);
        EXPECT_EQ(decode_error(subscribe.finish()), Errc::invalid_topic_filter) << filter;

        WireBuilder unsubscribe(0xA2);
        unsubscribe.u16(1).field(filter);
        EXPECT_EQ(decode_error(unsubscribe.finish()), Errc::invalid_topic_filter) << filter;
    }
}

TEST(CodecReject, BadFilterAfterAGoodOne) {
    WireBuilder subscribe(0x82);
    subscribe.u16(1).field("ok/+").byte(0x00).field("bad/#/x").byte(0x00);
    EXPECT_EQ(decode_error(subscribe.finish()), Errc::invalid_topic_filter);
}

TEST(CodecReject, EmptyFilter) {
    // MQTT-4.7.3-1 applies to topic filters too.
    EXPECT_DECODE_FAILS_WITH(Errc::empty_topic, 0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::empty_topic, 0xA2, 0x04, 0x00, 0x01, 0x00, 0x00);
}

// --- SUBSCRIBE, SUBACK, UNSUBSCRIBE payloads (3.8-3.10) -------------------------------------

TEST(CodecReject, ReservedBitsInRequestedQos) {
    // MQTT-3-8.3-4: the upper six bits of the requested-QoS byte are reserved.
    const std::uint8_t bad_options[] = {0x04, 0x08, 0x40, 0x80, 0x81, 0xFC, 0xFE};
    for (const std::uint8_t options : bad_options) {
        const std::uint8_t wire[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', options};
        EXPECT_EQ(decode_error(wire), Errc::invalid_subscription_options) << int{options};
    }
}

TEST(CodecReject, RequestedQos3) {
    // MQTT-3-8.3-4. The reserved bits are clear, so this is the QoS itself: QoS 3 is
    // invalid_qos wherever it appears (PUBLISH, will, SUBSCRIBE).
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_qos, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x03);
}

TEST(CodecReject, EmptySubscriptionLists) {
    // MQTT-3.8.3-3, MQTT-3.10.3-2; a SUBACK answers at least one filter.
    EXPECT_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0x82, 0x02, 0x00, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0xA2, 0x02, 0x00, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0x90, 0x02, 0x00, 0x01);
}

TEST(CodecReject, UndefinedSubAckReturnCodes) {
    // 3.9.3: only 0x00, 0x01, 0x02 and 0x80 are allowed (MQTT-3.9.3-2).
    const std::uint8_t bad_codes[] = {0x03, 0x04, 0x7F, 0x81, 0xFF};
    for (const std::uint8_t code : bad_codes) {
        const std::uint8_t wire[] = {0x90, 0x04, 0x00, 0x01, 0x00, code};
        EXPECT_EQ(decode_error(wire), Errc::invalid_return_code) << int{code};
    }
}

// --- CONNACK (3.2) --------------------------------------------------------------------------

TEST(CodecReject, UndefinedConnAckReturnCodes) {
    // Table 3.1 ends at 5; 6-255 are reserved.
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_return_code, 0x20, 0x02, 0x00, 0x06);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_return_code, 0x20, 0x02, 0x00, 0x80);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_return_code, 0x20, 0x02, 0x00, 0xFF);
}

TEST(CodecReject, ConnAckReservedFlagBits) {
    // 3.2.2.1: bits 7-1 of the acknowledge flags are reserved and must be 0.
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_connack_flags, 0x20, 0x02, 0x02, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_connack_flags, 0x20, 0x02, 0x80, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_connack_flags, 0x20, 0x02, 0xFF, 0x00);
}

TEST(CodecReject, ConnAckSessionPresentWithRefusal) {
    // MQTT-3.2.2-4: a non-zero return code comes with session present 0.
    for (std::uint8_t code = 1; code <= 5; ++code) {
        const std::uint8_t wire[] = {0x20, 0x02, 0x01, code};
        EXPECT_EQ(decode_error(wire), Errc::invalid_connack_flags) << int{code};
    }
}

// --- CONNECT (3.1) --------------------------------------------------------------------------

TEST(CodecReject, ConnectProtocolName) {
    // MQTT-3.1.2-1: the protocol name is exactly "MQTT" (MQTT 3.1 used "MQIsdp").
    const std::string_view bad_names[] = {"MQIsdp", "mqtt", "MQT", "MQTTX", ""};
    for (const std::string_view protocol : bad_names) {
        auto builder = connect_header(protocol, 4, 0x02);
        builder.field("c");
        EXPECT_EQ(decode_error(builder.finish()), Errc::invalid_protocol_name) << protocol;
    }
}

TEST(CodecReject, ConnectProtocolLevel) {
    // 3.1.2.2: level 4 is 3.1.1, 3 is MQTT 3.1 and 5 is MQTT 5, which a build without it refuses
    // too (a build with it reads the rest as MQTT 5: codec_v5_test.cpp).
#if MQTLS_MQTT5
    const std::uint8_t bad_levels[] = {0, 3, 6, 0xFF};
#else
    const std::uint8_t bad_levels[] = {0, 3, 5, 6, 0xFF};
#endif
    for (const std::uint8_t level : bad_levels) {
        auto builder = connect_header("MQTT", level, 0x02);
        builder.field("c");
        EXPECT_EQ(decode_error(builder.finish()), Errc::unsupported_protocol_level) << int{level};
    }
}

TEST(CodecReject, ConnectReservedFlagBit) {
    // MQTT-3.1.2-3: bit 0 of the connect flags is reserved and must be 0.
    auto builder = connect_header("MQTT", 4, 0x03);
    builder.field("c");
    EXPECT_EQ(decode_error(builder.finish()), Errc::invalid_connect_flags);
}

TEST(CodecReject, ConnectWillQosOrRetainWithoutWill) {
    // MQTT-3.1.2-13 and MQTT-3.1.2-15: without the will flag, will QoS and will retain are 0.
    const std::uint8_t bad_flags[] = {0x0A, 0x12, 0x22};
    for (const std::uint8_t flags : bad_flags) {
        auto builder = connect_header("MQTT", 4, flags);
        builder.field("c");
        EXPECT_EQ(decode_error(builder.finish()), Errc::invalid_connect_flags) << int{flags};
    }
}

TEST(CodecReject, ConnectPasswordWithoutUsername) {
    // MQTT-3.1.2-22.
    auto builder = connect_header("MQTT", 4, 0x42);
    builder.field("c").field("secret");
    EXPECT_EQ(decode_error(builder.finish()), Errc::invalid_connect_flags);
}

TEST(CodecReject, ConnectWillQos3) {
    // MQTT-3.1.2-14: will QoS 3 is invalid; QoS 3 is invalid_qos wherever it appears.
    auto builder = connect_header("MQTT", 4, 0x1E);
    builder.field("c").field("w").field("bye");
    EXPECT_EQ(decode_error(builder.finish()), Errc::invalid_qos);
}

// --- Remaining length against contents (2.2.3) ----------------------------------------------

TEST(CodecReject, FixedSizePacketsWithWrongLength) {
    // Trailing bytes after the packet identifier, or not enough for one.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x40, 0x03, 0x00, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x40, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x50, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x62, 0x03, 0x00, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x70, 0x01, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0xB0, 0x04, 0x00, 0x01, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x20, 0x03, 0x00, 0x00, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x20, 0x01, 0x00);
    // PINGREQ, PINGRESP and DISCONNECT have no variable header or payload.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0xC0, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0xD0, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0xE0, 0x02, 0x00, 0x00);
}

TEST(CodecReject, PublishFieldsCutByRemainingLength) {
    // Topic length field cut, topic longer than the packet, packet identifier cut.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x30, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x30, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x30, 0x03, 0x00, 0x05, 'a');
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x32, 0x03, 0x00, 0x01, 'a');
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x34, 0x04, 0x00, 0x01, 'a', 0x00);
}

TEST(CodecReject, SubscriptionPayloadsCutByRemainingLength) {
    // SUBSCRIBE: packet id cut; filter longer than the packet; QoS byte missing.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x82, 0x01, 0x00);
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x82, 0x05, 0x00, 0x01, 0x00, 0x05, 't');
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 't');
    // A second SUBSCRIBE entry whose length field is cut after one byte.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x82, 0x07, 0x00, 0x01, 0x00, 0x01, 't', 0x00,
                             0x00);
    // UNSUBSCRIBE: a dangling byte after the last filter.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0xA2, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00);
    // SUBACK: packet id cut.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x90, 0x01, 0x00);
}

TEST(CodecReject, ConnectFieldsCutOrTrailing) {
    // Variable header cut inside the protocol name.
    EXPECT_DECODE_FAILS_WITH(Errc::length_mismatch, 0x10, 0x04, 0x00, 0x04, 'M', 'Q');

    // A byte after the last field the flags announce.
    auto trailing = connect_header("MQTT", 4, 0x02);
    trailing.field("c1").byte(0x00);
    EXPECT_EQ(decode_error(trailing.finish()), Errc::length_mismatch);

    // Username flag set but the packet ends after the client id.
    auto missing_username = connect_header("MQTT", 4, 0x82);
    missing_username.field("c");
    EXPECT_EQ(decode_error(missing_username.finish()), Errc::length_mismatch);

    // Will flag set but no will message.
    auto missing_will_message = connect_header("MQTT", 4, 0x06);
    missing_will_message.field("c").field("w");
    EXPECT_EQ(decode_error(missing_will_message.finish()), Errc::length_mismatch);

    // Password flag set but no password.
    auto missing_password = connect_header("MQTT", 4, 0xC2);
    missing_password.field("c").field("u");
    EXPECT_EQ(decode_error(missing_password.finish()), Errc::length_mismatch);

    // The client id claims more bytes than the packet holds.
    auto long_client_id = connect_header("MQTT", 4, 0x02);
    long_client_id.u16(10).byte('c');
    EXPECT_EQ(decode_error(long_client_id.finish()), Errc::length_mismatch);
}

TEST(CodecReject, RemainingLengthOneShortCutsTheLastField) {
    // Every vector whose last field has a fixed or length-prefixed size, with its remaining
    // length lowered by one: a complete frame whose last field is cut, never a partial packet.
    // (A PUBLISH payload or SUBACK code list just gets shorter, so those are left out.)
    static std::uint8_t wire[64];
    for (const WireVector* vector : all_vectors()) {
        const PacketType type = packet_type(vector->packet);
        if (type == PacketType::publish || type == PacketType::suback) continue;
        const bytes_view original = vector->wire;
        if (original.size() > sizeof(wire) || original[1] == 0 || original[1] >= 0x80) continue;
        for (std::size_t i = 0; i < original.size(); ++i) wire[i] = original[i];
        wire[1] = static_cast<std::uint8_t>(original[1] - 1);
        EXPECT_EQ(decode_error(bytes_view(wire, original.size() - 1)), Errc::length_mismatch)
            << vector->name;
    }
}

// --- Size limit (DecodeLimits) --------------------------------------------------------------

TEST(CodecReject, OversizedPacketRefusedFromItsFixedHeader) {
    // Only the fixed header is given: the body never has to arrive for the refusal.
    const DecodeLimits limits{100};
    const std::uint8_t just_too_big[] = {0x30, 0x63};  // 2 + 99 = 101 bytes
    EXPECT_EQ(decode_error(just_too_big, limits), Errc::packet_too_large);
    const std::uint8_t just_fits[] = {0x30, 0x62};  // 2 + 98 = 100 bytes: wait for the body
    EXPECT_EQ(decode_error(just_fits, limits), Errc::need_more);
}

TEST(CodecReject, OversizedPacketWithLongerHeaders) {
    // Default limit 4096. 30 FD 1F is 4093 + 3 = 4096 bytes; 30 FE 1F is one more.
    const std::uint8_t at_limit[] = {0x30, 0xFD, 0x1F};
    EXPECT_EQ(decode_error(at_limit), Errc::need_more);
    const std::uint8_t over_limit[] = {0x30, 0xFE, 0x1F};
    EXPECT_EQ(decode_error(over_limit), Errc::packet_too_large);
    EXPECT_EQ(error_code_of(decode_fixed_header(over_limit, DecodeLimits{})),
              Errc::packet_too_large);

    EXPECT_DECODE_FAILS_WITH(Errc::packet_too_large, 0x30, 0x80, 0x80, 0x01);
    EXPECT_DECODE_FAILS_WITH(Errc::packet_too_large, 0x30, 0xFF, 0xFF, 0xFF, 0x7F);
    // The limit applies to every type, not only PUBLISH.
    EXPECT_DECODE_FAILS_WITH(Errc::packet_too_large, 0x82, 0x80, 0x40);
}

}  // namespace
}  // namespace mqtls::mqtt::test
