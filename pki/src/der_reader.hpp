#pragma once
// Reading the parts of certificates and CRLs that mbedTLS 2.28 parses but does not expose:
// extension values inside an Extensions SEQUENCE (RFC 5280 section 4.1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <mbedtls/x509_crt.h>

namespace mqtls::pki::detail {

/// The extnValue (the DER inside the OCTET STRING) of the extension `oid` in the Extensions
/// SEQUENCE that starts at `extensions` (tag included) and spans `size` bytes; nothing when it
/// is absent or the DER is malformed.
std::optional<std::vector<unsigned char>> extension_value(const unsigned char* extensions,
                                                          std::size_t size, const char* oid,
                                                          std::size_t oid_size);

/// The keyIdentifier of `certificate`'s subjectKeyIdentifier extension (RFC 5280 section
/// 4.2.1.2); empty when it has none.
std::vector<unsigned char> subject_key_identifier_of(const mbedtls_x509_crt& certificate);

/// The non-negative INTEGER that is the whole of `der`, if it fits 64 bits.
std::optional<std::uint64_t> unsigned_integer_of(const std::vector<unsigned char>& der);

}  // namespace mqtls::pki::detail
