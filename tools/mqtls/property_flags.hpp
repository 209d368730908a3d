#pragma once
// -D COMMAND PROPERTY VALUE [VALUE]: MQTT 5 properties for the packets a command sends (CONNECT,
// PUBLISH, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT), as mosquitto_pub and mosquitto_sub spell them (`-D
// PUBLISH user-property site north`,
// `-D CONNECT receive-maximum 10`, `-D publish message-expiry-interval 60`). The property names
// are the specification's (table 2-4) in lower case with hyphens.

#include <string>
#include <vector>

#include "mqtls/client/client.hpp"

namespace mqtls::cli {

/// The -D values as given, one vector per -D (3 values, or 4 for user-property).
using PropertyArguments = std::vector<std::vector<std::string>>;

/// The packets whose properties a command's -D may set (a bit each).
enum PropertyPacket : unsigned {
    property_connect = 1U << 0,
    property_publish = 1U << 1,
    property_subscribe = 1U << 2,
    property_unsubscribe = 1U << 3,
    property_disconnect = 1U << 4,
};

/// "CONNECT, PUBLISH or DISCONNECT": the packets of `packets`, for messages and help.
std::string packet_names(unsigned packets);

/// Parses `given` into the options' connect_, publish_, subscribe_, unsubscribe_ and
/// disconnect_properties; `packets` (PropertyPacket bits) are those the command sends. Reports a
/// mistake itself (the flag, what is wrong, a hint) and returns the usage exit status; exit_ok
/// otherwise. -D needs MQTT 5 (`mqtt5`). A DISCONNECT's Session Expiry Interval other than 0
/// needs one in CONNECT (options.session_expiry_s, -x) [MQTT-3.14.2-2].
int parse_property_flags(const char* command, const PropertyArguments& given, bool mqtt5,
                         unsigned packets, client::ClientOptions& options);

}  // namespace mqtls::cli
