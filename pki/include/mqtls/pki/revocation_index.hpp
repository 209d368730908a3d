#pragma once
/// @file
/// The PKI folder's own record of what it revoked (DIR/revoked.txt), from which every CRL is
/// made: one line per revoked certificate and the number of the last CRL issued, so that CRL
/// numbers only ever grow (RFC 5280 section 5.2.3) even when crl.pem is lost.
///
/// The text, line by line (a '#' line is a comment, empty lines are skipped):
///
///     crl-number 3
///     revoked 5A1B...F0 2026-12-02T16:39:57Z keyCompromise sensor-17
///
/// "revoked" lines give the serial (canonical_serial() form), the revocation date (ISO 8601,
/// UTC), the reason (revocation_reason_name()) and the certificate's common name (the rest of
/// the line; "-" when unknown), for people reading the file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/revocation.hpp"

namespace mqtls::pki {

struct RevocationRecord {
    RevokedCertificate certificate;
    /// Printable ASCII only (anything else is stored as '?'); "-" when unknown.
    std::string common_name = "-";
};

struct RevocationIndex {
    /// The cRLNumber of the last CRL made from this index; 0 before the first.
    std::uint64_t last_crl_number = 0;
    /// In the order they were revoked.
    std::vector<RevocationRecord> records;

    /// The record of the certificate with serial `canonical` (canonical_serial() form), or null.
    [[nodiscard]] const RevocationRecord* find(std::string_view canonical) const noexcept;
};

/// The common name as a record keeps it: characters outside printable ASCII become '?', and
/// an empty name becomes "-".
std::string record_common_name(std::string_view common_name);

/// The file's text for `index`, with a comment that says what it is.
std::string revocation_index_text(const RevocationIndex& index);

/// Reads the text revocation_index_text() wrote.
/// Errors: invalid_argument (detail: the number of the first line that is not a comment, a
/// crl-number line or a revoked line as described above, or that repeats a serial or the
/// crl-number).
Result<RevocationIndex> parse_revocation_index(std::string_view text);

}  // namespace mqtls::pki
