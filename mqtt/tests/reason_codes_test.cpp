// MQTT 5 Reason Codes (section 2.4, table 2-6): the packets each code belongs to, the names a
// report shows, and the success/failure split at 0x80.
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "mqtls/mqtt/reason_codes.hpp"

// MQTT 5 only: a build without MQTLS_MQTT5 has no properties or reason codes to test.
#if MQTLS_MQTT5
namespace mqtls::mqtt::test {
namespace {

constexpr ReasonPacket all_packets[] = {
    ReasonPacket::connack,  ReasonPacket::puback,     ReasonPacket::pubrec,
    ReasonPacket::pubrel,   ReasonPacket::pubcomp,    ReasonPacket::suback,
    ReasonPacket::unsuback, ReasonPacket::disconnect, ReasonPacket::auth,
};

// The names a build keeps: MQTLS_TEXT gives "" where MQTLS_ERROR_TEXT is off (devices).
std::string_view name_of(std::uint8_t code, ReasonPacket packet) noexcept {
    return reason_code_name(code, packet);
}

TEST(MqttReasonCodes, TableHasTheSpecificationsFortyThreeValues) {
    // Table 2-6: 43 distinct values (0x00 has three names), none between 0x1A and 0x7F.
    int values = 0;
    for (unsigned code = 0; code <= 0xff; ++code) {
        bool somewhere = false;
        for (const ReasonPacket packet : all_packets) {
            somewhere = somewhere || reason_code_allowed(static_cast<std::uint8_t>(code), packet);
        }
        if (somewhere) ++values;
        if ((code >= 0x1a && code < 0x80) || code > 0xa2) {
            EXPECT_FALSE(somewhere) << code;
        }
    }
    EXPECT_EQ(values, 43);
}

TEST(MqttReasonCodes, ZeroIsNamedByItsPacket) {
    EXPECT_EQ(name_of(0x00, ReasonPacket::puback), MQTLS_TEXT("Success"));
    EXPECT_EQ(name_of(0x00, ReasonPacket::disconnect), MQTLS_TEXT("Normal disconnection"));
    EXPECT_EQ(name_of(0x00, ReasonPacket::suback), MQTLS_TEXT("Granted QoS 0"));
}

TEST(MqttReasonCodes, AclDenialIsAFailureAPublishCanReport) {
    // What makes a denied reading visible under MQTT 5 (Mosquitto answers 0x87).
    EXPECT_TRUE(reason_code_allowed(0x87, ReasonPacket::puback));
    EXPECT_TRUE(reason_code_allowed(0x87, ReasonPacket::pubrec));
    EXPECT_TRUE(is_failure(ReasonCode::not_authorized));
    EXPECT_EQ(name_of(0x87, ReasonPacket::puback), MQTLS_TEXT("Not authorized"));
    EXPECT_FALSE(is_failure(ReasonCode::no_matching_subscribers));
    EXPECT_TRUE(reason_code_allowed(0x10, ReasonPacket::puback));
}

TEST(MqttReasonCodes, CodesStayInTheirPackets) {
    EXPECT_FALSE(reason_code_allowed(0x87, ReasonPacket::pubrel));  // PUBREL: 0x00, 0x92
    EXPECT_TRUE(reason_code_allowed(0x92, ReasonPacket::pubrel));
    EXPECT_FALSE(reason_code_allowed(0x92, ReasonPacket::puback));
    EXPECT_FALSE(reason_code_allowed(0x01, ReasonPacket::puback));  // a granted QoS
    EXPECT_TRUE(reason_code_allowed(0x02, ReasonPacket::suback));
    EXPECT_FALSE(reason_code_allowed(0x03, ReasonPacket::suback));
    EXPECT_TRUE(reason_code_allowed(0x8b, ReasonPacket::disconnect));  // Server shutting down
    EXPECT_FALSE(reason_code_allowed(0x8b, ReasonPacket::connack));
    EXPECT_TRUE(reason_code_allowed(0x97, ReasonPacket::suback));  // Quota exceeded
    EXPECT_FALSE(reason_code_allowed(0x97, ReasonPacket::unsuback));
    EXPECT_TRUE(reason_code_allowed(0x18, ReasonPacket::auth));
    EXPECT_FALSE(reason_code_allowed(0x18, ReasonPacket::connack));
    EXPECT_TRUE(reason_code_allowed(0x9c, ReasonPacket::connack));  // Use another server
    EXPECT_EQ(name_of(0x9d, ReasonPacket::disconnect), MQTLS_TEXT("Server moved"));
    EXPECT_EQ(name_of(0x42, ReasonPacket::connack), MQTLS_TEXT("unknown reason code"));
}

TEST(MqttReasonCodes, FailuresStartAt0x80) {
    EXPECT_FALSE(is_failure(std::uint8_t{0x7f}));
    EXPECT_TRUE(is_failure(std::uint8_t{0x80}));
    EXPECT_FALSE(is_failure(ReasonCode::granted_qos_2));
    EXPECT_TRUE(is_failure(ReasonCode::wildcard_subscriptions_not_supported));
}

}  // namespace
}  // namespace mqtls::mqtt::test
#endif
