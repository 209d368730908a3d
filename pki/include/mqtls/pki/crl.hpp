#pragma once
/// @file
/// Certificate revocation lists: X.509 v2 CRLs (RFC 5280 section 5) that a CA signs so that a
/// broker refuses the certificates listed. mbedTLS 2.28 parses CRLs but has no writer for them,
/// so make_crl() encodes the DER itself with mbedTLS's ASN.1 write helpers and signs it with
/// mbedtls_pk_sign.
///
/// Every CRL written here has: version v2; the signature algorithm of the CA's key
/// (ecdsa-with-SHA256 without parameters, RFC 5758 section 3.2, or sha256WithRSAEncryption with
/// NULL parameters, RFC 4055 section 5); as issuer the CA certificate's subject copied byte for
/// byte (so every verifier's name comparison matches, RFC 5280 section 7.1); thisUpdate and
/// nextUpdate (UTCTime up to 2049, GeneralizedTime from 2050, section 5.1.2.4); one entry per
/// revoked certificate with its serial, revocation date and, unless unspecified, a reasonCode
/// entry extension (section 5.3.1: unspecified SHOULD be absent); no revokedCertificates list
/// at all when nothing is revoked (section 5.1.2.6); and the CRL extensions cRLNumber (5.2.3)
/// and, when the CA certificate has a subjectKeyIdentifier, authorityKeyIdentifier with that key
/// identifier (5.2.1), both non-critical.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/pki/revocation.hpp"

namespace mqtls::pki {

/// What a CRL says.
struct CrlContents {
    /// When this CRL is issued.
    std::chrono::system_clock::time_point this_update;
    /// By when the next one will be. OpenSSL (and so Mosquitto) refuses every client
    /// certificate once this has passed: a CRL must be re-issued before then.
    std::chrono::system_clock::time_point next_update;
    /// The cRLNumber: greater in every CRL the CA issues (RFC 5280 section 5.2.3).
    std::uint64_t crl_number = 1;
    /// In the order they are to be listed.
    std::vector<RevokedCertificate> revoked;
};

/// A CRL for `contents`, signed by the CA `issuer` (its certificate and private key), as PEM
/// ("-----BEGIN X509 CRL-----").
/// Errors: invalid_argument (next_update not after this_update, a date outside 1950..9999, a
/// serial not in canonical_serial() form, a reason that is not a RevocationReason), pem_invalid
/// and invalid_argument for the issuer as for issue() (unreadable, or the key is not the
/// certificate's), certificate_generation_failed (a key mbedTLS cannot sign with, or an
/// mbedTLS failure; detail: the mbedTLS code).
Result<std::string> make_crl(const CrlContents& contents, const Issued& issuer);

/// A CRL read back with mbedTLS's parser.
struct CrlSummary {
    std::string issuer;  ///< e.g. "CN=mqtls root CA", '?' for anything not printable ASCII
    std::chrono::system_clock::time_point this_update;
    /// Empty for a CRL without nextUpdate (which RFC 5280 does not allow, but parsers accept).
    std::optional<std::chrono::system_clock::time_point> next_update;
    /// Empty when the CRL has no cRLNumber, or one longer than 64 bits.
    std::optional<std::uint64_t> crl_number;
    /// The serials listed, canonical_serial() form, in CRL order.
    std::vector<std::string> revoked_serials;
};

/// The first CRL in `pem` (PEM "X509 CRL" or DER).
/// Errors: pem_invalid (detail: the mbedTLS code).
Result<CrlSummary> describe_crl(std::string_view pem);

/// A CRL next to the CA it should come from.
struct CrlCheck {
    CrlSummary summary;
    /// The CRL's issuer is the CA certificate's subject and its signature verifies with the
    /// CA's key. A broker finds no CRL for its CA otherwise, and OpenSSL then refuses every
    /// client certificate ("unable to get certificate CRL").
    bool signed_by_ca = false;
};

/// Reads the first CRL of `crl_pem` and checks it against the first certificate of
/// `ca_certificate_pem`.
/// Errors: pem_invalid (either does not parse; detail: the mbedTLS code).
Result<CrlCheck> check_crl(std::string_view crl_pem, std::string_view ca_certificate_pem);

}  // namespace mqtls::pki
