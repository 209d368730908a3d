#pragma once
/// @file
/// X.509 v3 certificates written with mbedTLS's certificate writer: self-signed roots, CAs issued
/// by other CAs, server and client certificates, each with a freshly generated key.
///
/// Every certificate carries: a random 16-byte positive serial, SHA-256 signature, basicConstraints
/// (CA or not, critical for CAs), keyUsage (critical), extendedKeyUsage for leaves (serverAuth or
/// clientAuth), subjectKeyIdentifier and authorityKeyIdentifier, and a subjectAltName with the
/// requested DNS names and IP addresses (none when the request lists none, for CN-only
/// certificates).
///
/// Dates are taken as given, in the past or the future, so that tests can make expired and
/// not-yet-valid certificates. Issuing does not check that the issuer is a CA either, so that
/// tests can forge a chain through a leaf; callers that issue real certificates (the `mqtls pki`
/// commands) should make sure the issuer is the CA they meant, and fit the dates to it with
/// fit_to_issuer() (lifetime.hpp).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/keys.hpp"

namespace mqtls::pki {

/// How far before "now" the convenience validities start, so that a device or broker whose clock
/// runs a little behind the machine that issued the certificate still accepts it.
inline constexpr std::chrono::seconds clock_skew_allowance{3600};

/// `when` as "YYYYMMDDhhmmss" in UTC (the form mbedTLS's writer takes); empty when the year is
/// outside 0000..9999, which the certificate functions then refuse with invalid_argument.
std::string utc_timestamp(std::chrono::system_clock::time_point when);

/// A certificate's validity period, both ends inclusive, as "YYYYMMDDhhmmss" in UTC. Years up to
/// 2049 are encoded as UTCTime, later ones as GeneralizedTime (RFC 5280 section 4.1.2.5).
struct Validity {
    std::string not_before;
    std::string not_after;

    /// From now minus clock_skew_allowance until the same calendar date and time `years` years
    /// from now (29 February becomes 28 February in a non-leap year).
    static Validity years_from_now(int years);

    /// From `start` until the same calendar date and time `years` later (29 February becomes 28
    /// February in a non-leap year). years_from_now() without the allowance, for tests.
    static Validity years_after(std::chrono::system_clock::time_point start, int years);

    /// From now minus clock_skew_allowance until exactly `days` × 24 hours from now.
    static Validity days_from_now(int days);

    /// Exactly now + not_before_offset until now + not_after_offset, without any allowance; both
    /// offsets may be negative. Expired: relative_to_now(-48h, -24h); not yet valid:
    /// relative_to_now(24h, 48h).
    static Validity relative_to_now(std::chrono::seconds not_before_offset,
                                    std::chrono::seconds not_after_offset);

    /// Exactly from `not_before` until `not_after`.
    static Validity between(std::chrono::system_clock::time_point not_before,
                            std::chrono::system_clock::time_point not_after);
};

/// The subject's distinguished name. Values are UTF-8, at most 64 bytes (RFC 5280's upper bound
/// for both attributes), without control characters or backslashes (mbedTLS 2.28's name syntax
/// cannot express a backslash); commas are fine.
struct Subject {
    std::string common_name;   ///< CN, required
    std::string organization;  ///< O, left out of the name when empty
};

/// What the certificate is for. It decides basicConstraints, keyUsage and extendedKeyUsage:
///
/// | usage  | basicConstraints     | keyUsage                                        | extKeyUsage
/// |
/// |--------|----------------------|-------------------------------------------------|-------------|
/// | ca     | CA, pathlen (crit.)  | keyCertSign, cRLSign                            | none | |
/// server | not a CA             | digitalSignature (+ keyEncipherment for RSA)    | serverAuth  |
/// | client | not a CA             | digitalSignature (+ keyEncipherment for RSA)    | clientAuth |
enum class Usage { ca, server, client };

/// Everything about a certificate to be made, except its issuer.
struct CertificateRequest {
    Subject subject;
    /// The type of the subject's new key (the signature algorithm follows the issuer's key).
    KeyType key_type = KeyType::ecdsa_p256;
    /// Filled by the request helpers below; a default-constructed request has empty dates, which
    /// the certificate functions refuse.
    Validity validity;
    Usage usage = Usage::server;
    /// dNSName entries of the subjectAltName, in order: printable ASCII (IDNs in their "xn--"
    /// form), at most 253 bytes each; wildcards such as "*.example.com" are written as given.
    std::vector<std::string> dns_names;
    /// iPAddress entries of the subjectAltName, in order: IPv4 dotted quads ("127.0.0.1") or
    /// IPv6 text ("::1"), without zone or prefix length.
    std::vector<std::string> ip_addresses;
    /// For usage ca only: how many intermediate CAs may follow this one in a chain, 0..127 (0: it
    /// may only issue leaves); -1 leaves the limit out (no limit). Leaves must keep -1.
    int path_len = -1;
};

/// A request for a CA certificate (root or intermediate): ECDSA P-256, valid for ten years, no
/// path length limit.
CertificateRequest ca_request(std::string common_name);

/// A request for a server certificate: ECDSA P-256, valid for one year, with the given
/// subjectAltName entries (the CN is not copied into them: list the host name there too).
CertificateRequest server_request(std::string common_name, std::vector<std::string> dns_names,
                                  std::vector<std::string> ip_addresses = {});

/// A request for a client (device) certificate: ECDSA P-256, valid for one year, no
/// subjectAltName.
CertificateRequest client_request(std::string common_name);

/// A certificate and the private key of its subject, both in PEM form. Also the issuer argument of
/// issue(). Wipe private_key_pem with wipe_secret() once it is stored.
struct Issued {
    std::string certificate_pem;
    std::string private_key_pem;
};

/// Makes a self-signed certificate for `request` with a new key: a root CA when the usage is ca,
/// otherwise a self-signed leaf (for tests of untrusted peers).
/// Errors: invalid_argument (names, addresses, dates or path_len out of range; see the request's
/// fields), key_generation_failed, certificate_generation_failed (detail: the mbedTLS code).
Result<Issued> make_self_signed(const CertificateRequest& request);

/// Makes a certificate for `request` with a new key, signed by `issuer`: the issuer name is the
/// subject of the first certificate in issuer.certificate_pem, the authorityKeyIdentifier is that
/// of issuer.private_key_pem, and the signature algorithm follows the issuer's key type.
/// Errors: those of make_self_signed(), plus pem_invalid (issuer certificate or key unreadable;
/// detail: the mbedTLS code, or for a bundle the number of certificates that failed to parse) and
/// invalid_argument (the key does not belong to the certificate, or the issuer's name uses
/// attributes or characters that mbedTLS 2.28 cannot write back).
Result<Issued> issue(const CertificateRequest& request, const Issued& issuer);

/// The SHA-256 of the DER SubjectPublicKeyInfo of the first certificate in `certificate_pem`, as
/// 64 lower-case hex digits: the pin for public key pinning. It hashes the bytes as they appear in
/// the certificate (mbedTLS: crt->pk_raw), so it equals
/// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
/// Errors: pem_invalid (detail: the mbedTLS code, or for a bundle the number of certificates that
/// failed to parse).
Result<std::string> spki_sha256_hex(std::string_view certificate_pem);

}  // namespace mqtls::pki
