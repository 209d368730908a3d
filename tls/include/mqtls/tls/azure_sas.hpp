#pragma once
/// @file
/// Azure IoT Hub's shared access signature (SAS) for one device: the MQTT password of a device
/// that authenticates by symmetric key (docs/cloud-brokers.md). A token expires, so a device
/// makes a new one from its key and the wall clock before each connection; `mqtls azure-sas`
/// makes one on a host.
///
///   SharedAccessSignature sr=<URL-encoded resource>&sig=<URL-encoded Base64 signature>&se=<expiry>
///
/// where the resource is "<hub>.azure-devices.net/devices/<device id>" and the signature is
/// HMAC-SHA256, keyed with the Base64-decoded device key, over the URL-encoded resource, a
/// newline and the expiry in Unix seconds.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::tls {

/// Room for any token azure_sas_token() writes for a resource of up to 256 bytes.
inline constexpr std::size_t max_azure_sas_token_size = 1024;

/// Writes the SAS token for `resource` (e.g. "myhub.azure-devices.net/devices/dev-1") signed
/// with `base64_key` (the device's primary or secondary key, as the portal shows it), valid
/// until `expiry_unix_s`, into `out`; returns its length. Errors: invalid_argument with detail
/// 1 (an empty resource, or one over 256 bytes), 2 (a key that is not Base64, or decodes to
/// nothing or to more than 64 bytes), 3 (an expiry not after 1970); buffer_too_small (`out` is
/// too small); tls_setup_failed (the HMAC; detail: the PSA status).
Result<std::size_t> azure_sas_token(std::string_view resource, std::string_view base64_key,
                                    std::int64_t expiry_unix_s, span<char> out) noexcept;

}  // namespace mqtls::tls
