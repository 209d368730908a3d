#pragma once
// DER for the extensions mbedTLS 2.28's writer has no setter for: subjectAltName (3.x added
// mbedtls_x509write_crt_set_subject_alt_names) and extendedKeyUsage (3.x added
// mbedtls_x509write_crt_set_ext_key_usage). The writer takes them as raw extension values.

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki::detail {

/// The longest DNS name (RFC 1035: 255 octets on the wire, 253 as text).
inline constexpr std::size_t max_dns_name_size = 253;

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order, as iPAddress carries it.
struct IpAddressBytes {
    std::array<unsigned char, 16> bytes{};
    std::size_t size = 0;
};

/// Parses "192.0.2.1" or "2001:db8::1" (inet_pton: no zone, no prefix, no leading zeros).
/// Errors: invalid_argument.
Result<IpAddressBytes> parse_ip_address(const std::string& text);

/// The value of a subjectAltName extension: GeneralNames with a dNSName [2] per DNS name, then
/// an iPAddress [7] per address, each in the given order. The request must list at least one
/// (GeneralNames may not be empty).
/// Errors: invalid_argument (an empty, over-long or non-printable-ASCII DNS name, an unparsable
/// address, no names at all), certificate_generation_failed (detail: the mbedTLS code).
Result<std::vector<unsigned char>> subject_alt_name_value(
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses);

/// The value of an extendedKeyUsage extension with one purpose: id-kp-serverAuth for servers,
/// id-kp-clientAuth for clients.
/// Errors: invalid_argument (usage ca, which carries no extendedKeyUsage),
/// certificate_generation_failed (detail: the mbedTLS code).
Result<std::vector<unsigned char>> extended_key_usage_value(Usage usage);

}  // namespace mqtls::pki::detail
