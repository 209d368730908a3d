#pragma once
/// @file
/// What a certificate says, for `mqtls pki show`: read back with mbedTLS's parser, the one the
/// TLS layer verifies with.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::pki {

/// One certificate, with every text safe to print: characters outside printable ASCII are
/// shown as '?', so a hostile certificate cannot send escape sequences to a terminal.
struct CertificateSummary {
    std::string subject;      ///< e.g. "CN=sensor-17" or "O=Acme, CN=broker"
    std::string common_name;  ///< the subject's (last) CN; empty when it has none
    std::string issuer;       ///< the issuer's name, in the same form
    std::string serial;       ///< hex octets separated by ':', as mbedTLS prints them
    /// The serial in canonical_serial() form (revocation.hpp), as CRLs list it; for a serial
    /// no conforming CA makes (negative, longer than 20 octets), its octets as encoded.
    std::string serial_number;
    std::vector<std::string> dns_names;     ///< subjectAltName dNSName entries
    std::vector<std::string> ip_addresses;  ///< subjectAltName iPAddress entries, as text
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;
    std::string key_description;  ///< "ecdsa-p256", "rsa-2048", ...
    std::string spki_sha256;      ///< the pin, as spki_sha256_hex() computes it
};

/// Every certificate in `pem` (one or a bundle, PEM or DER), in file order.
/// Errors: pem_invalid (detail: the mbedTLS code, or for a bundle the number of certificates
/// that failed to parse).
Result<std::vector<CertificateSummary>> describe_certificates(std::string_view pem);

/// Whether the first certificate of `certificate_pem` verifies against the first certificate
/// of `ca_certificate_pem` as its trust anchor, its dates aside (an expired certificate is
/// still the CA's). True for the CA certificate itself.
/// Errors: pem_invalid (either does not parse; detail: the mbedTLS code).
Result<bool> is_issued_by(std::string_view certificate_pem, std::string_view ca_certificate_pem);

}  // namespace mqtls::pki
