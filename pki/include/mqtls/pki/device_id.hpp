#pragma once
/// @file
/// What a device id (or another client identity the CA issues, such as "collector") may be. The
/// id is the certificate's CN, the file name of its key and certificate in the PKI directory, the
/// broker's user name for the device (Mosquitto's use_identity_as_username) and a topic level of
/// its ACL (telemetry/<id>/#), so it must be safe in all four.

#include <cstddef>
#include <string>
#include <string_view>

namespace mqtls::pki {

/// RFC 5280's upper bound for a common name (ub-common-name).
inline constexpr std::size_t max_device_id_length = 64;

/// Empty when `id` is an acceptable device id: 1..64 printable ASCII characters without space,
/// '/', '+', '#' or '\\', not "." or "..", not starting with '-'. Otherwise why not, as a phrase
/// that follows the id ("must not be empty").
std::string device_id_problem(std::string_view id);

}  // namespace mqtls::pki
