#pragma once
// The steps of issuing a certificate, shared by certificate.cpp (keys made here) and
// signing_request.cpp (keys from a CSR).

#include <string>
#include <string_view>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"
#include "random.hpp"

namespace mqtls::pki::detail {

/// Everything that can be derived from a request without keys, so that a bad request is refused
/// before an (RSA: slow) key is generated.
struct PreparedRequest {
    std::string subject_name;
    std::vector<unsigned char> subject_alt_name;    // empty: no subjectAltName extension
    std::vector<unsigned char> extended_key_usage;  // empty: no extendedKeyUsage extension
};

/// Checks `request` and derives what the writer needs from it.
/// Errors: invalid_argument (see CertificateRequest), certificate_generation_failed.
Result<PreparedRequest> prepare(const CertificateRequest& request);

/// Writes and signs the certificate for `request` and returns its PEM. `subject_key` goes into
/// the certificate (a public key suffices), `issuer_key` signs: the same context for a
/// self-signed certificate, whose `issuer_certificate` is null. keyUsage follows the subject
/// key's type (RSA keys also get keyEncipherment).
/// Errors: certificate_generation_failed (detail: the mbedTLS code), invalid_argument (issuer
/// name that mbedTLS 2.28 cannot write back).
Result<std::string> write_certificate(const CertificateRequest& request,
                                      const PreparedRequest& prepared,
                                      mbedtls_pk_context& subject_key,
                                      mbedtls_pk_context& issuer_key,
                                      const mbedtls_x509_crt* issuer_certificate,
                                      RandomGenerator& random);

/// Parses the certificates in `pem` (one or a bundle, PEM or DER) into the empty chain `chain`.
/// Errors: pem_invalid (detail: the mbedTLS code, or for a bundle the number of certificates
/// that failed to parse).
Result<void> parse_certificates(std::string_view pem, mbedtls_x509_crt& chain);

/// Parses the issuer's certificate and key into the empty `certificate` and `key`, and checks
/// that they belong together.
/// Errors: pem_invalid, invalid_argument (the key is not the certificate's; detail: the mbedTLS
/// code).
Result<void> load_issuer(const Issued& issuer, mbedtls_x509_crt& certificate,
                         mbedtls_pk_context& key);

/// The SHA-256 of the DER SubjectPublicKeyInfo of `certificate`, as 64 lower-case hex digits.
/// Errors: pem_invalid (detail: the mbedTLS code of the hash).
Result<std::string> spki_sha256_hex_of(const mbedtls_x509_crt& certificate);

}  // namespace mqtls::pki::detail
