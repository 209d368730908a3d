#pragma once
/// @file
/// Build configuration of the mqtt library. MQTLS_MQTT5 (1 or 0) says whether MQTT 5 is compiled
/// in (option MQTLS_MQTT5). It changes the packet structs, so every translation unit must see the
/// value the library was built with: the mqtls_mqtt target defines it publicly, and the generated
/// build_config.hpp (installed beside this file) gives it to code that only has the headers.

#if !defined(MQTLS_MQTT5)
#include "mqtls/mqtt/build_config.hpp"
#endif
#if MQTLS_MQTT5 != 0 && MQTLS_MQTT5 != 1
#error "MQTLS_MQTT5 must be 0 or 1"
#endif

namespace mqtls::mqtt {

/// Whether this build can speak MQTT 5; asking for it otherwise fails with mqtt5_unavailable.
inline constexpr bool mqtt5_available = MQTLS_MQTT5 != 0;

}  // namespace mqtls::mqtt
