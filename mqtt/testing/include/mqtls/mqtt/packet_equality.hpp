#pragma once
/// @file
/// Value equality of the packet structs (views compared by content, a wire-backed list equal to
/// an array-backed one with the same entries), for round-trip tests and fuzz invariants. Test
/// support: the library mqtls_mqtt_equality, never part of libmqtls_mqtt. Non-member functions
/// in mqtls::mqtt, so argument-dependent lookup finds them (gtest's EXPECT_EQ, std::variant's
/// operator== over Packet).

#include "mqtls/mqtt/packets.hpp"
#if MQTLS_MQTT5
#include "mqtls/mqtt/properties.hpp"
#endif

namespace mqtls::mqtt {

#define MQTLS_MQTT_DECLARE_EQUALITY(Type)                   \
    bool operator==(const Type& a, const Type& b) noexcept; \
    inline bool operator!=(const Type& a, const Type& b) noexcept { return !(a == b); }
MQTLS_MQTT_DECLARE_EQUALITY(Will)
MQTLS_MQTT_DECLARE_EQUALITY(Connect)
MQTLS_MQTT_DECLARE_EQUALITY(ConnAck)
MQTLS_MQTT_DECLARE_EQUALITY(Publish)
MQTLS_MQTT_DECLARE_EQUALITY(PubAck)
MQTLS_MQTT_DECLARE_EQUALITY(PubRec)
MQTLS_MQTT_DECLARE_EQUALITY(PubRel)
MQTLS_MQTT_DECLARE_EQUALITY(PubComp)
MQTLS_MQTT_DECLARE_EQUALITY(Subscription)
MQTLS_MQTT_DECLARE_EQUALITY(Subscribe)
MQTLS_MQTT_DECLARE_EQUALITY(SubAck)
MQTLS_MQTT_DECLARE_EQUALITY(Unsubscribe)
MQTLS_MQTT_DECLARE_EQUALITY(UnsubAck)
MQTLS_MQTT_DECLARE_EQUALITY(PingReq)
MQTLS_MQTT_DECLARE_EQUALITY(PingResp)
MQTLS_MQTT_DECLARE_EQUALITY(Disconnect)
#if MQTLS_MQTT5
MQTLS_MQTT_DECLARE_EQUALITY(Auth)
MQTLS_MQTT_DECLARE_EQUALITY(Property)
#endif
#undef MQTLS_MQTT_DECLARE_EQUALITY

}  // namespace mqtls::mqtt
