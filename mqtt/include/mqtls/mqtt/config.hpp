#pragma once
/// @file
/// Build configuration of the mqtt library. MQTLS_MQTT5 (1 or 0) says whether MQTT 5 is compiled
/// in; the mqtls_mqtt CMake target defines it publicly (option MQTLS_MQTT5), because it changes
/// the packet structs, so every translation unit must see the same value.

#if !defined(MQTLS_MQTT5) || (MQTLS_MQTT5 != 0 && MQTLS_MQTT5 != 1)
#error "MQTLS_MQTT5 must be defined to 0 or 1: link the mqtls::mqtt target, or define it as it does"
#endif

namespace mqtls::mqtt {

/// Whether this build can speak MQTT 5; asking for it otherwise fails with mqtt5_unavailable.
inline constexpr bool mqtt5_available = MQTLS_MQTT5 != 0;

}  // namespace mqtls::mqtt
