#pragma once
/// @file
/// How long a certificate lives next to the CA that signs it, and dates for people to read.

#include <chrono>
#include <string>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki {

/// `when` as ISO 8601 in UTC, to the second: "2026-05-01T12:00:00Z"; empty when the year is
/// outside 0000..9999.
std::string iso8601_utc(std::chrono::system_clock::time_point when);

/// The instant a "YYYYMMDDhhmmss" UTC timestamp (Validity's form) names.
/// Errors: invalid_argument (not such a timestamp).
Result<std::chrono::system_clock::time_point> time_of(const std::string& timestamp);

/// A validity period after fit_to_issuer().
struct FittedValidity {
    Validity validity;
    /// True when notAfter was moved back to the issuer's notAfter.
    bool clamped_to_issuer = false;
    /// The issuer's notAfter (for messages).
    std::chrono::system_clock::time_point issuer_not_after;
};

/// `wanted`, with its notAfter moved back to the issuer's when the issuer would expire first.
/// A certificate cannot be verified past its CA's notAfter (RFC 5280 section 6.1.3 checks every
/// certificate of the path against the current time), so the later date would only mislead
/// whoever reads the certificate; issue() itself takes dates as given (tests forge such
/// chains), so the `mqtls pki` commands call this first.
/// Errors: pem_invalid (the first certificate of `issuer_certificate_pem` does not parse),
/// invalid_argument (`wanted` is not a valid period), issuer_expired (the issuer's notAfter is
/// before `now`, or before wanted.not_before: every certificate it signed would fail to verify).
Result<FittedValidity> fit_to_issuer(
    const Validity& wanted, std::string_view issuer_certificate_pem,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace mqtls::pki
