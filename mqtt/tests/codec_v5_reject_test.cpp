// MQTT 5 decoder rejections: each rule a receiver can check, each with its own Errc, on bytes
// built by hand (the encoder refuses to produce them).
#include <cstdint>

#include "codec_test_support.hpp"
#include "mqtls/mqtt/codec.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt::test {
namespace {

inline Errc decode_v5(bytes_view wire) noexcept {
    DecodeLimits limits;
    limits.protocol = ProtocolVersion::v5;
    return decode_error(wire, limits);
}

#define EXPECT_V5_DECODE_FAILS_WITH(expected_errc, ...)                                         \
    do {                                                                                        \
        const std::uint8_t wire_[] = {__VA_ARGS__};                                             \
        EXPECT_EQ(::mqtls::mqtt::test::decode_v5(::mqtls::bytes_view(wire_)), (expected_errc)); \
    } while (false)

TEST(CodecV5Reject, AuthIsReservedIn311) {
    // Type 15 is reserved in MQTT 3.1.1 (section 2.2.1) and AUTH only in MQTT 5 (2.1.2).
    EXPECT_DECODE_FAILS_WITH(Errc::invalid_packet_type, 0xF0, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(success, 0xF0, 0x00);
}

TEST(CodecV5Reject, AuthNeedsItsPropertyLengthOnceItHasAReasonCode) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0xF0, 0x01, 0x18);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0xF0, 0x02, 0x87, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_fixed_header_flags, 0xF1, 0x00);  // [MQTT-2.1.3-1]
}

TEST(CodecV5Reject, AuthenticationDataWithoutMethod) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_value_invalid, 0xF0, 0x06, 0x18, 0x04, 0x16, 0x00,
                                0x01, 'd');
    // CONNECT, level 5: Authentication Data alone in its properties.
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_value_invalid, 0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T',
                                'T', 0x05, 0x02, 0x00, 0x00, 0x04, 0x16, 0x00, 0x01, 'd', 0x00,
                                0x01, 'c');
}

TEST(CodecV5Reject, ConnectFlags) {
    // Will QoS 3 [MQTT-3.1.2-12]; the reserved bit [MQTT-3.1.2-3]; Will Retain without a Will.
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_qos, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                                0x1E, 0x00, 0x00, 0x00, 0x00, 0x01, 'c');
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_connect_flags, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T',
                                'T', 0x05, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 'c');
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_connect_flags, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T',
                                'T', 0x05, 0x22, 0x00, 0x00, 0x00, 0x00, 0x01, 'c');
}

TEST(CodecV5Reject, ConnectWithoutItsPropertySection) {
    // A 3.1.1-shaped body under level 5: the client id's length is read as properties.
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                0x05, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c');
}

TEST(CodecV5Reject, ConnAck) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0x20, 0x03, 0x00, 0x10, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_connack_flags, 0x20, 0x03, 0x01, 0x87, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_connack_flags, 0x20, 0x03, 0x02, 0x00, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x20, 0x02, 0x00, 0x00);  // no properties
    // Topic Alias belongs to PUBLISH, not CONNACK (table 2-4).
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_not_allowed, 0x20, 0x06, 0x00, 0x00, 0x03, 0x23,
                                0x00, 0x01);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x20, 0x04, 0x00, 0x00, 0x00, 0xFF);
}

TEST(CodecV5Reject, Publish) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::empty_topic, 0x30, 0x03, 0x00, 0x00, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x30, 0x03, 0x00, 0x01, 't');
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x30, 0x05, 0x00, 0x01, 't', 0x05, 0x01);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::wildcard_in_topic, 0x30, 0x04, 0x00, 0x01, '#', 0x00);
    // Message Expiry Interval twice [section 3.3.2.3.3: at most once].
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_duplicated, 0x30, 0x0E, 0x00, 0x01, 't', 0x0A, 0x02,
                                0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x02);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_value_invalid, 0x30, 0x07, 0x00, 0x01, 't', 0x03,
                                0x23, 0x00, 0x00);  // Topic Alias 0
    EXPECT_V5_DECODE_FAILS_WITH(Errc::malformed_variable_byte_integer, 0x30, 0x05, 0x00, 0x01, 't',
                                0x80, 0x00);  // Property Length not in its shortest form
}

TEST(CodecV5Reject, Acknowledgements) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0x40, 0x03, 0x00, 0x01, 0x04);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0x62, 0x03, 0x00, 0x01, 0x87);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0x70, 0x03, 0x00, 0x01, 0x80);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0xFF);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::zero_packet_id, 0x50, 0x02, 0x00, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_not_allowed, 0x40, 0x07, 0x00, 0x01, 0x00, 0x03,
                                0x23, 0x00, 0x01);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_fixed_header_flags, 0x60, 0x02, 0x00, 0x01);
}

TEST(CodecV5Reject, SubscribeOptions) {
    // Reserved bits 6-7 [MQTT-3.8.3-5]; Retain Handling 3; No Local on a Shared Subscription
    // [MQTT-3.8.3-4]; QoS 3.
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_subscription_options, 0x82, 0x07, 0x00, 0x01, 0x00,
                                0x00, 0x01, 'a', 0x41);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_subscription_options, 0x82, 0x07, 0x00, 0x01, 0x00,
                                0x00, 0x01, 'a', 0x30);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_subscription_options, 0x82, 0x0F, 0x00, 0x01, 0x00,
                                0x00, 0x09, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 0x04);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_qos, 0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a',
                                0x03);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0x82, 0x03, 0x00, 0x01, 0x00);
    // Subscription Identifier 0 is a Protocol Error (3.8.2.1.2).
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_value_invalid, 0x82, 0x09, 0x00, 0x01, 0x02, 0x0B,
                                0x00, 0x00, 0x01, 'a', 0x00);
}

TEST(CodecV5Reject, SubAckAndUnsubAckCodes) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0x90, 0x04, 0x00, 0x01, 0x00, 0x11);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0x90, 0x03, 0x00, 0x01, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0xB0, 0x04, 0x00, 0x01, 0x00, 0x01);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0xB0, 0x03, 0x00, 0x01, 0x00);
    // An UNSUBACK shaped like 3.1.1's (no property section) is malformed in MQTT 5.
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0xB0, 0x02, 0x00, 0x01);
}

TEST(CodecV5Reject, UnsubscribeNeedsAFilter) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::empty_subscription_list, 0xA2, 0x03, 0x00, 0x01, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_topic_filter, 0xA2, 0x07, 0x00, 0x01, 0x00, 0x00,
                                0x02, 'a', '#');
}

TEST(CodecV5Reject, Disconnect) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::invalid_reason_code, 0xE0, 0x01, 0x10);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::property_not_allowed, 0xE0, 0x05, 0x00, 0x03, 0x23, 0x00,
                                0x01);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0xE0, 0x03, 0x00, 0x00, 0x00);
}

TEST(CodecV5Reject, PingsStayEmpty) {
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0xC0, 0x01, 0x00);
    EXPECT_V5_DECODE_FAILS_WITH(Errc::length_mismatch, 0xD0, 0x01, 0x00);
}

#undef EXPECT_V5_DECODE_FAILS_WITH

}  // namespace
}  // namespace mqtls::mqtt::test
#endif
