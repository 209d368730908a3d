#pragma once
// -D COMMAND PROPERTY VALUE [VALUE]: MQTT 5 properties for the CONNECT and PUBLISH packets, as
// mosquitto_pub and mosquitto_sub spell them (`-D PUBLISH user-property site north`,
// `-D CONNECT receive-maximum 10`, `-D publish message-expiry-interval 60`). The property names
// are the specification's (table 2-4) in lower case with hyphens.

#include <string>
#include <vector>

#include "mqtls/client/client.hpp"

namespace mqtls::cli {

/// The -D values as given, one vector per -D (3 values, or 4 for user-property).
using PropertyArguments = std::vector<std::vector<std::string>>;

/// Parses `given` into options.connect_properties and options.publish_properties; `publish`:
/// the command publishes (pub), so PUBLISH properties are allowed. Reports a mistake itself (the
/// flag, what is wrong, a hint) and returns the usage exit status; exit_ok otherwise. -D needs
/// MQTT 5 (`mqtt5`).
int parse_property_flags(const char* command, const PropertyArguments& given, bool mqtt5,
                         bool publish, client::ClientOptions& options);

}  // namespace mqtls::cli
