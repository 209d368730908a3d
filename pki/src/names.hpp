#pragma once
// Distinguished names for mbedTLS 2.28's certificate writer: subjects in the text form it parses
// ("O=Acme,CN=broker"; one escape, "\," for a comma inside a value, and no way to write a
// backslash), issuer names copied from the issuer's certificate.

#include <string>

#include <mbedtls/x509_crt.h>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki::detail {

/// RFC 5280's upper bound for commonName and organizationName (ub-common-name,
/// ub-organization-name).
inline constexpr std::size_t max_name_attribute_size = 64;

/// The writer's text for `subject`: "O=<organization>,CN=<common name>", organization first
/// (the usual most-significant-first order), left out when empty.
/// Errors: invalid_argument (empty or over-long common name, over-long organization, a control
/// character or a backslash).
Result<std::string> name_text_of(const Subject& subject);

/// Makes the issuer name of `writer` a copy of the subject name of `issuer`: the same attributes
/// in the same order, each value with its own string type, so that the two names are equal byte
/// for byte, which every verifier accepts as a match (RFC 5280 section 7.1). The writer's text
/// syntax could not do this: mbedTLS 2.28 keeps only the last of repeated attributes
/// ("DC=example,DC=com" would lose "DC=example") and gives every value its default string type.
/// Errors: invalid_argument (an empty subject, or several attributes in one RDN, which 2.28's
/// writer cannot emit), certificate_generation_failed (out of memory).
Result<void> copy_subject_to_issuer_name(const mbedtls_x509_crt& issuer,
                                         mbedtls_x509write_cert& writer);

}  // namespace mqtls::pki::detail
