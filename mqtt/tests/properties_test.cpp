// MQTT 5 properties (OASIS MQTT Version 5.0, section 2.2.2): byte-exact vectors worked out by
// hand from the specification's encodings (1.5.2-1.5.7), round trips, every rejection with its
// own error code, and the encoder refusing exactly what the decoder refuses.
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/properties.hpp"

// MQTT 5 only: a build without MQTLS_MQTT5 has no properties or reason codes to test.
#if MQTLS_MQTT5
namespace mqtls::mqtt::test {
namespace {

template <std::size_t N>
bytes_view wire(const std::uint8_t (&bytes)[N]) noexcept {
    return bytes_view(bytes, N);
}

Errc decode_error_of(bytes_view in, PropertyContext context) noexcept {
    return error_code_of(decode_properties(in, context));
}

// Encodes `list` into `out` and checks it equals `expected`, byte for byte, and that
// properties_size() predicted the length.
template <std::size_t N>
bool encodes_to(const PropertyList& list, PropertyContext context,
                const std::uint8_t (&expected)[N]) noexcept {
    std::uint8_t out[256] = {};
    auto size = properties_size(list, context);
    auto written = encode_properties(list, context, mutable_bytes(out, sizeof out));
    if (!size || !written || *size != N || *written != N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        if (out[i] != expected[i]) return false;
    }
    return true;
}

TEST(MqttProperties, TableCoversEveryIdentifierOfTheSpecification) {
    // Table 2-4 defines 27 identifiers between 0x01 and 0x2A; every other byte is undefined.
    int defined = 0;
    for (unsigned id = 0; id <= 0xff; ++id) {
        if (property_info(static_cast<std::uint8_t>(id))) ++defined;
    }
    EXPECT_EQ(defined, 27);
    EXPECT_FALSE(property_info(0x00).has_value());
    EXPECT_FALSE(property_info(0x04).has_value());
    EXPECT_FALSE(property_info(0x2b).has_value());
    const auto alias = property_info(0x23);
    ASSERT_TRUE(alias.has_value());
    EXPECT_EQ(alias->type, PropertyType::two_byte_integer);
    EXPECT_EQ(std::string_view(property_name(PropertyId::topic_alias)), MQTLS_TEXT("Topic Alias"));
}

TEST(MqttProperties, WhereEachPropertyMayAppear) {
    EXPECT_TRUE(property_allowed(PropertyId::session_expiry_interval, PropertyContext::connect));
    EXPECT_TRUE(property_allowed(PropertyId::session_expiry_interval, PropertyContext::disconnect));
    EXPECT_FALSE(property_allowed(PropertyId::session_expiry_interval, PropertyContext::publish));
    EXPECT_TRUE(property_allowed(PropertyId::will_delay_interval, PropertyContext::will));
    EXPECT_FALSE(property_allowed(PropertyId::will_delay_interval, PropertyContext::connect));
    EXPECT_TRUE(property_allowed(PropertyId::reason_string, PropertyContext::puback));
    EXPECT_FALSE(property_allowed(PropertyId::reason_string, PropertyContext::connect));
    EXPECT_TRUE(property_allowed(PropertyId::user_property, PropertyContext::auth));
    EXPECT_TRUE(property_allowed(PropertyId::topic_alias, PropertyContext::publish));
    EXPECT_FALSE(property_allowed(PropertyId::topic_alias, PropertyContext::will));
    EXPECT_TRUE(property_allowed(PropertyId::maximum_qos, PropertyContext::connack));
    EXPECT_FALSE(property_allowed(PropertyId::maximum_qos, PropertyContext::connect));
}

TEST(MqttProperties, EmptySectionIsOneZeroByte) {
    // [MQTT-2.2.2-1]: no properties is a Property Length of zero.
    const std::uint8_t expected[] = {0x00};
    EXPECT_TRUE(encodes_to(PropertyList{}, PropertyContext::puback, expected));
    auto decoded = decode_properties(wire(expected), PropertyContext::puback);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->consumed, 1U);
    EXPECT_TRUE(decoded->list.empty());
}

TEST(MqttProperties, EveryTypeByteExact) {
    const std::uint8_t correlation[] = {0xCA, 0xFE};
    const Property list[] = {
        Property::integer(PropertyId::payload_format_indicator, 1),                // Byte
        Property::integer(PropertyId::message_expiry_interval, 0x01020304),        // Four Byte
        Property::integer(PropertyId::topic_alias, 0x0102),                        // Two Byte
        Property::string(PropertyId::content_type, "a/b"),                         // UTF-8 string
        Property::data(PropertyId::correlation_data, bytes_view(correlation, 2)),  // Binary
        Property::integer(PropertyId::subscription_identifier, 200),               // VBI: 0xC8 0x01
        Property::user("k", "v"),                                                  // string pair
    };
    const std::uint8_t expected[] = {
        31,                                 // Property Length
        0x01, 0x01,                         //
        0x02, 0x01, 0x02, 0x03, 0x04,       //
        0x23, 0x01, 0x02,                   //
        0x03, 0x00, 0x03, 'a',  '/',  'b',  //
        0x09, 0x00, 0x02, 0xCA, 0xFE,       //
        0x0B, 0xC8, 0x01,                   //
        0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v',
    };
    EXPECT_TRUE(encodes_to(PropertyList(list), PropertyContext::publish, expected));

    auto decoded = decode_properties(wire(expected), PropertyContext::publish);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->consumed, sizeof expected);
    ASSERT_EQ(decoded->list.size(), 7U);
    std::size_t i = 0;
    for (const Property p : decoded->list) {
        EXPECT_TRUE(p == list[i]) << "property " << i;
        ++i;
    }
    const auto alias = find_property(decoded->list, PropertyId::topic_alias);
    ASSERT_TRUE(alias.has_value());
    EXPECT_EQ(alias->number, 0x0102U);
    EXPECT_FALSE(find_property(decoded->list, PropertyId::response_topic).has_value());
}

TEST(MqttProperties, ConsumedStopsAtTheSection) {
    // The section is followed by the packet's payload, which decode_properties leaves alone.
    const std::uint8_t in[] = {0x03, 0x21, 0x00, 0x0A, 0xAA, 0xBB};
    auto decoded = decode_properties(wire(in), PropertyContext::connack);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->consumed, 4U);
    ASSERT_EQ(decoded->list.size(), 1U);
    EXPECT_EQ((*decoded->list.begin()).number, 10U);
}

TEST(MqttProperties, VariableByteIntegerSizes) {
    // Section 1.5.5, table 1-1.
    EXPECT_EQ(variable_byte_integer_size(0), 1U);
    EXPECT_EQ(variable_byte_integer_size(127), 1U);
    EXPECT_EQ(variable_byte_integer_size(128), 2U);
    EXPECT_EQ(variable_byte_integer_size(16'383), 2U);
    EXPECT_EQ(variable_byte_integer_size(16'384), 3U);
    EXPECT_EQ(variable_byte_integer_size(2'097'151), 3U);
    EXPECT_EQ(variable_byte_integer_size(2'097'152), 4U);
    EXPECT_EQ(variable_byte_integer_size(268'435'455), 4U);
    EXPECT_EQ(variable_byte_integer_size(268'435'456), 0U);
}

TEST(MqttProperties, UserPropertiesRepeatOtherPropertiesDoNot) {
    const std::uint8_t two_users[] = {0x0B, 0x26, 0x00, 0x01, 'a',  0x00,
                                      0x00, 0x26, 0x00, 0x00, 0x00, 0x00};
    // Length 11 covers both pairs: ("a", "") and ("", "").
    EXPECT_EQ(decode_error_of(wire(two_users), PropertyContext::publish), success);
    const std::uint8_t two_aliases[] = {0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02};
    EXPECT_EQ(decode_error_of(wire(two_aliases), PropertyContext::publish),
              Errc::property_duplicated);
    const Property aliases[] = {Property::integer(PropertyId::topic_alias, 1),
                                Property::integer(PropertyId::topic_alias, 2)};
    EXPECT_EQ(error_code_of(properties_size(PropertyList(aliases), PropertyContext::publish)),
              Errc::property_duplicated);
}

TEST(MqttProperties, SubscriptionIdentifierRepeatsOnlyInPublish) {
    // [MQTT-3.3.4-4]: a PUBLISH carries one per matching subscription; a SUBSCRIBE has one.
    const std::uint8_t two_ids[] = {0x04, 0x0B, 0x01, 0x0B, 0x02};
    EXPECT_EQ(decode_error_of(wire(two_ids), PropertyContext::publish), success);
    EXPECT_EQ(decode_error_of(wire(two_ids), PropertyContext::subscribe),
              Errc::property_duplicated);
}

TEST(MqttProperties, RejectsAnUnknownIdentifier) {
    const std::uint8_t unknown[] = {0x02, 0x04, 0x00};
    EXPECT_EQ(decode_error_of(wire(unknown), PropertyContext::publish), Errc::property_unknown);
    const std::uint8_t beyond[] = {0x02, 0x2B, 0x00};
    EXPECT_EQ(decode_error_of(wire(beyond), PropertyContext::connack), Errc::property_unknown);
    // An identifier of two VBI bytes names nothing defined.
    const std::uint8_t wide[] = {0x03, 0x80, 0x01, 0x00};
    EXPECT_EQ(decode_error_of(wire(wide), PropertyContext::connack), Errc::property_unknown);
}

TEST(MqttProperties, RejectsAPropertyInTheWrongPacket) {
    const std::uint8_t alias_in_connack[] = {0x03, 0x23, 0x00, 0x01};
    EXPECT_EQ(decode_error_of(wire(alias_in_connack), PropertyContext::connack),
              Errc::property_not_allowed);
    const Property expiry[] = {Property::integer(PropertyId::session_expiry_interval, 60)};
    EXPECT_EQ(error_code_of(properties_size(PropertyList(expiry), PropertyContext::publish)),
              Errc::property_not_allowed);
}

TEST(MqttProperties, RejectsValuesTheSpecificationForbids) {
    const std::uint8_t receive_maximum_zero[] = {0x03, 0x21, 0x00, 0x00};
    EXPECT_EQ(decode_error_of(wire(receive_maximum_zero), PropertyContext::connack),
              Errc::property_value_invalid);
    const std::uint8_t topic_alias_zero[] = {0x03, 0x23, 0x00, 0x00};  // [MQTT-3.3.2-8]
    EXPECT_EQ(decode_error_of(wire(topic_alias_zero), PropertyContext::publish),
              Errc::property_value_invalid);
    const std::uint8_t alias_maximum_zero[] = {0x03, 0x22, 0x00, 0x00};  // "no aliases": fine
    EXPECT_EQ(decode_error_of(wire(alias_maximum_zero), PropertyContext::connack), success);
    const std::uint8_t packet_size_zero[] = {0x05, 0x27, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(decode_error_of(wire(packet_size_zero), PropertyContext::connack),
              Errc::property_value_invalid);
    const std::uint8_t maximum_qos_two[] = {0x02, 0x24, 0x02};
    EXPECT_EQ(decode_error_of(wire(maximum_qos_two), PropertyContext::connack),
              Errc::property_value_invalid);
    const std::uint8_t format_two[] = {0x02, 0x01, 0x02};
    EXPECT_EQ(decode_error_of(wire(format_two), PropertyContext::publish),
              Errc::property_value_invalid);
    const std::uint8_t subscription_id_zero[] = {0x02, 0x0B, 0x00};
    EXPECT_EQ(decode_error_of(wire(subscription_id_zero), PropertyContext::subscribe),
              Errc::property_value_invalid);
    const Property too_big[] = {Property::integer(PropertyId::receive_maximum, 0x10000)};
    EXPECT_EQ(error_code_of(properties_size(PropertyList(too_big), PropertyContext::connect)),
              Errc::property_value_invalid);
}

TEST(MqttProperties, RejectsMalformedStrings) {
    const std::uint8_t bad_utf8[] = {0x04, 0x1F, 0x00, 0x01, 0xFF};
    EXPECT_EQ(decode_error_of(wire(bad_utf8), PropertyContext::puback), Errc::malformed_utf8);
    const std::uint8_t null_char[] = {0x04, 0x1F, 0x00, 0x01, 0x00};
    EXPECT_EQ(decode_error_of(wire(null_char), PropertyContext::puback), Errc::utf8_null_character);
    const std::uint8_t bad_pair_value[] = {0x06, 0x26, 0x00, 0x00, 0x00, 0x01, 0xC0};
    EXPECT_EQ(decode_error_of(wire(bad_pair_value), PropertyContext::puback), Errc::malformed_utf8);
}

TEST(MqttProperties, RejectsLengthsThatDoNotAddUp) {
    // The section claims more than the packet holds.
    const std::uint8_t short_section[] = {0x05, 0x21, 0x00};
    EXPECT_EQ(decode_error_of(wire(short_section), PropertyContext::connack),
              Errc::length_mismatch);
    // A property runs past the end of its section (the section says 2, the value needs 3).
    const std::uint8_t past_section[] = {0x02, 0x21, 0x00, 0x0A};
    EXPECT_EQ(decode_error_of(wire(past_section), PropertyContext::connack), Errc::length_mismatch);
    // A string's length runs past the section.
    const std::uint8_t long_string[] = {0x04, 0x1F, 0x00, 0x05, 'a'};
    EXPECT_EQ(decode_error_of(wire(long_string), PropertyContext::puback), Errc::length_mismatch);
    EXPECT_EQ(decode_error_of(bytes_view(), PropertyContext::puback), Errc::length_mismatch);
}

TEST(MqttProperties, RejectsMalformedVariableByteIntegers) {
    // Property Length in five bytes, and in a longer form than needed [MQTT-1.5.5-1].
    const std::uint8_t five_bytes[] = {0x80, 0x80, 0x80, 0x80, 0x01};
    EXPECT_EQ(decode_error_of(wire(five_bytes), PropertyContext::publish),
              Errc::malformed_variable_byte_integer);
    const std::uint8_t overlong_length[] = {0x80, 0x00};
    EXPECT_EQ(decode_error_of(wire(overlong_length), PropertyContext::publish),
              Errc::malformed_variable_byte_integer);
    // A Subscription Identifier of 1 in two bytes.
    const std::uint8_t overlong_value[] = {0x03, 0x0B, 0x81, 0x00};
    EXPECT_EQ(decode_error_of(wire(overlong_value), PropertyContext::publish),
              Errc::malformed_variable_byte_integer);
}

TEST(MqttProperties, EncoderRefusesWhatItCannotFit) {
    const Property list[] = {Property::string(PropertyId::reason_string, "no")};
    std::uint8_t out[5] = {};  // needs 6: length, id, 2-byte length, 2 bytes
    EXPECT_EQ(error_code_of(encode_properties(PropertyList(list), PropertyContext::puback,
                                              mutable_bytes(out, sizeof out))),
              Errc::buffer_too_small);
    std::uint8_t enough[6] = {};
    auto written = encode_properties(PropertyList(list), PropertyContext::puback,
                                     mutable_bytes(enough, sizeof enough));
    ASSERT_TRUE(written);
    EXPECT_EQ(*written, 6U);
}

TEST(MqttProperties, DecodesOneByteAtATimeOnlyWhenComplete) {
    // Every proper prefix of a valid section is refused (a frame is complete before properties
    // are decoded, so a short one is a length fault, never a partial success).
    const std::uint8_t full[] = {0x08, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x21, 0x00, 0x05};
    for (std::size_t n = 0; n < sizeof full; ++n) {
        EXPECT_EQ(decode_error_of(bytes_view(full, n), PropertyContext::connect),
                  Errc::length_mismatch)
            << "prefix " << n;
    }
    auto decoded = decode_properties(wire(full), PropertyContext::connect);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(find_property(decoded->list, PropertyId::session_expiry_interval)->number, 3600U);
    EXPECT_EQ(find_property(decoded->list, PropertyId::receive_maximum)->number, 5U);
}

}  // namespace
}  // namespace mqtls::mqtt::test
#endif
