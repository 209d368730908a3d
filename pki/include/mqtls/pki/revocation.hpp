#pragma once
/// @file
/// What a revocation is made of: the certificate's serial number, when it was revoked and why.
/// Shared by the CRL writer (crl.hpp) and the PKI folder's record of revocations
/// (revocation_index.hpp).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::pki {

/// Why a certificate was revoked: the CRLReason codes of RFC 5280 section 5.3.1 that fit a
/// certificate mqtls issues. certificateHold (6) and removeFromCRL (8) are left out because a
/// revocation here is final (no "un-revoke"); cACompromise (2) and aACompromise (10) concern
/// CAs and attribute authorities, which mqtls never revokes.
enum class RevocationReason {
    unspecified = 0,
    key_compromise = 1,
    affiliation_changed = 3,
    superseded = 4,
    cessation_of_operation = 5,
    privilege_withdrawn = 9,
};

/// RFC 5280's name of `reason`: "unspecified", "keyCompromise", "affiliationChanged",
/// "superseded", "cessationOfOperation", "privilegeWithdrawn".
const char* revocation_reason_name(RevocationReason reason) noexcept;

/// The reason whose revocation_reason_name() is `name` (exact spelling), or nothing.
std::optional<RevocationReason> revocation_reason_from_name(std::string_view name) noexcept;

/// Every reason, in the order of their codes.
const std::vector<RevocationReason>& all_revocation_reasons();

/// RFC 5280 section 4.1.2.2: conforming CAs use serial numbers of at most 20 octets.
inline constexpr std::size_t max_serial_octets = 20;

/// A serial number in the one form mqtls compares and stores: the content octets of its DER
/// INTEGER in upper-case hex without separators, in the shortest encoding that keeps it
/// positive (a leading 00 octet only when the next octet's top bit is set), e.g. "5A1B...".
/// `text` may use either case and ':' between octets (as `mqtls pki show` and `openssl x509
/// -serial` print them; a leading "0x" is not accepted).
/// Errors: invalid_argument (empty, a character other than hex digits and ':', an odd number of
/// digits, zero, or more than max_serial_octets octets once encoded).
Result<std::string> canonical_serial(std::string_view text);

/// The octets canonical_serial() text stands for. Errors: invalid_argument (not such text).
Result<std::vector<unsigned char>> serial_octets(std::string_view canonical);

/// One revoked certificate, as a CRL lists it (RFC 5280 section 5.1.2.6).
struct RevokedCertificate {
    std::string serial;  ///< canonical_serial() form
    std::chrono::system_clock::time_point revocation_date;
    RevocationReason reason = RevocationReason::unspecified;
};

}  // namespace mqtls::pki
