#pragma once
// Name constraints (RFC 5280 4.2.1.10) of the CAs in a verified chain, applied to the leaf's
// subjectAltNames. mbedTLS 3.6 does not implement them: a critical nameConstraints extension
// makes it refuse the certificate (certificate_unsupported), a non-critical one it ignores, so
// that a CA excluded from a name could still certify it. The verify callback collects the
// extension of each CA as mbedTLS walks the chain (root first) and checks the leaf against all
// of them. Only the dNSName and iPAddress forms are applied: they are the names mqtls verifies.
// A constraint of another form (directoryName, rfc822Name, URI) is ignored in a non-critical
// extension, as a client that does not check those names may (RFC 5280 4.2.1.10).

#include <mbedtls/x509_crt.h>

#include <cstddef>

#include "mqtls/core/span.hpp"

namespace mqtls::tls::detail {

enum class ConstraintVerdict : unsigned char { allowed, violated, malformed };

/// The DER of the nameConstraints extension's value (the NameConstraints SEQUENCE) in `crt`,
/// empty when it has none. `malformed` is set when its extensions cannot be walked.
bytes_view name_constraints_of(const mbedtls_x509_crt& crt, bool& malformed) noexcept;

/// Whether every dNSName and iPAddress subjectAltName of `leaf` is within `constraints` (a
/// NameConstraints SEQUENCE from name_constraints_of()).
ConstraintVerdict check_name_constraints(bytes_view constraints,
                                         const mbedtls_x509_crt& leaf) noexcept;

}  // namespace mqtls::tls::detail
