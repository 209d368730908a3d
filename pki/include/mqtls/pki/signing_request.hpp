#pragma once
/// @file
/// Certificates for keys the CA never sees: a device or a secure element (ATECC608, an ESP32's
/// DS peripheral, a TPM) makes its key pair, keeps the private key and sends a PKCS#10
/// certification request (RFC 2986) that the CA signs here.
///
/// A request is accepted only when
/// - its self-signature verifies with the key it carries (RFC 2986 section 3: proof that the
///   requester holds the private key), made with SHA-256, SHA-384 or SHA-512 and ECDSA or RSA
///   PKCS#1 v1.5 (mbedTLS parses a CSR without checking this, so it is checked here);
/// - its key is one mqtls accepts: ECDSA on P-256, P-384 or P-521, or RSA of 2048 bits or more;
/// - its subject has exactly one common name, a UTF8String, PrintableString or IA5String that
///   a certificate name can carry (at most 64 bytes, no control character, no backslash).
///
/// Only the CN and the key are taken from the request. Its other subject attributes and any
/// extensions it asks for (an extensionRequest attribute) are ignored: the CA decides the
/// profile, exactly as for the certificates it makes keys for (see certificate.hpp).

#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki {

/// What a checked request asks for.
struct SigningRequestSummary {
    /// The subject's CN, as its bytes (UTF-8); not yet checked against the device id rules.
    std::string common_name;
    /// The key, as "ecdsa-p256", "rsa-3072", ...
    std::string key_description;
    /// True when the subject has attributes besides the CN (O, C, ...), which are not copied.
    bool has_other_subject_attributes = false;
};

/// Parses `request` (PEM "CERTIFICATE REQUEST" or DER) and makes the checks listed above.
/// Errors: csr_invalid (not a CSR mbedTLS can parse; detail: the mbedTLS code),
/// csr_signature_invalid (detail: the mbedTLS code of the verification),
/// csr_signature_algorithm_refused, csr_key_rejected (detail: the mbedTLS code when mbedTLS
/// cannot parse the key at all, e.g. Ed25519), csr_common_name_invalid.
Result<SigningRequestSummary> check_signing_request(std::string_view request);

/// How the CA certifies a request's key.
struct SigningProfile {
    /// client (a device: CN = device id, extendedKeyUsage clientAuth, no subjectAltName) or
    /// server (extendedKeyUsage serverAuth, subjectAltName from the lists below). Never ca: a
    /// CA key is made by `mqtls pki init`, not requested.
    Usage usage = Usage::client;
    /// Required; see Validity.
    Validity validity;
    /// For server only: the subjectAltName entries, as in CertificateRequest.
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
};

/// Checks `request` as check_signing_request() does and issues a certificate for its key and
/// CN, signed by `issuer`, with the profile of issue(): random serial, SHA-256, basicConstraints
/// CA:FALSE, keyUsage digitalSignature (+ keyEncipherment for RSA), the extendedKeyUsage of the
/// usage, subject and authority key identifiers. For usage client the CN must be a device id
/// (device_id_problem() returns nothing). Returns the certificate's PEM; issuer.private_key_pem
/// is only read.
/// Errors: those of check_signing_request(), csr_common_name_invalid (a client CN that is not a
/// device id), invalid_argument (usage ca, subjectAltName entries for a client, bad names or
/// dates), pem_invalid and invalid_argument for the issuer as for issue(),
/// certificate_generation_failed.
Result<std::string> sign_request(std::string_view request, const SigningProfile& profile,
                                 const Issued& issuer);

}  // namespace mqtls::pki
