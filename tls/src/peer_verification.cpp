#include "peer_verification.hpp"

#include <mbedtls/asn1.h>
#include <mbedtls/x509.h>

#include <cstring>
#include <string>

#include "civil_time.hpp"
#include "crypto.hpp"
#include "name_constraints.hpp"

namespace mqtls::tls::detail {
namespace {

constexpr std::uint32_t date_flags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;

// -1, 0, 1 as an X.509 time is before, equal to or after a calendar time.
int compare(const mbedtls_x509_time& a, const CivilTime& b) noexcept {
    const int left[] = {a.year, a.mon, a.day, a.hour, a.min, a.sec};
    const int right[] = {b.year, b.month, b.day, b.hour, b.minute, b.second};
    for (int i = 0; i < 6; ++i) {
        if (left[i] != right[i]) return left[i] < right[i] ? -1 : 1;
    }
    return 0;
}

// Replaces mbedTLS's date verdict (taken from the system clock) with ours.
std::uint32_t date_verdict(const mbedtls_x509_crt& crt, const CivilTime& now) noexcept {
    std::uint32_t flags = 0;
    if (compare(crt.valid_to, now) < 0) flags |= MBEDTLS_X509_BADCERT_EXPIRED;
    if (compare(crt.valid_from, now) > 0) flags |= MBEDTLS_X509_BADCERT_FUTURE;
    return flags;
}

bool spki_matches_a_pin(const mbedtls_x509_crt& crt, const std::vector<SpkiSha256>& pins) noexcept {
    // Hash the SubjectPublicKeyInfo exactly as the certificate carries it (pk_raw), which is what
    // `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` and `mqtls pki` print.
    const auto digest = sha256(bytes_view(crt.pk_raw.p, crt.pk_raw.len));
    if (!digest) return false;
    for (const SpkiSha256& pin : pins) {
        if (pin == *digest) return true;
    }
    return false;
}

char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
    }
    return true;
}

// One dNSName subjectAltName against the dialed name (RFC 6125 6.4): equal ignoring ASCII case,
// or "*.<rest>" where '*' stands for exactly the first label of the name. The rest must keep at
// least two labels ("*.com" certifies no one: RFC 6125 7.2, and CAs may not issue it), and a
// partial-label wildcard ("b*z.example.com") is not honoured.
bool dns_name_matches(std::string_view pattern, std::string_view name) noexcept {
    if (pattern.empty() || name.empty()) return false;
    if (pattern.size() < 2 || pattern[0] != '*' || pattern[1] != '.') {
        return pattern.find('*') == std::string_view::npos && equal_ignoring_case(pattern, name);
    }
    const std::string_view rest = pattern.substr(1);  // ".example.com"
    if (rest.find('*') != std::string_view::npos || rest.size() < 4) return false;
    const std::size_t inner_dot = rest.find('.', 1);
    if (inner_dot == std::string_view::npos || inner_dot + 1 >= rest.size()) return false;
    const std::size_t first_dot = name.find('.');
    if (first_dot == 0 || first_dot == std::string_view::npos) return false;
    return equal_ignoring_case(name.substr(first_dot), rest);
}

}  // namespace

bool certificate_has_ip(const mbedtls_x509_crt& crt, const IpAddress& ip) noexcept {
    // mbedTLS keeps every subjectAltName entry raw in this list, tagged with its
    // GeneralName choice; iPAddress is [7], holding 4 or 16 address bytes.
    constexpr int ip_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
    for (const mbedtls_x509_sequence* san = &crt.subject_alt_names; san != nullptr;
         san = san->next) {
        if (san->buf.p != nullptr && san->buf.tag == ip_tag && san->buf.len == ip.length &&
            std::memcmp(san->buf.p, ip.bytes.data(), ip.length) == 0) {
            return true;
        }
    }
    return false;
}

bool certificate_has_dns_name(const mbedtls_x509_crt& crt, std::string_view name) noexcept {
    // Only subjectAltName dNSName entries: RFC 6125 6.4.4 lets a client fall back to the
    // subject's CN, which mbedTLS does for a certificate without subjectAltName; mqtls does not
    // (CAs have put host names in subjectAltName since RFC 2818, and a CN is free text).
    constexpr int dns_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
    for (const mbedtls_x509_sequence* san = &crt.subject_alt_names; san != nullptr;
         san = san->next) {
        if (san->buf.p != nullptr && san->buf.tag == dns_tag &&
            dns_name_matches(
                std::string_view(reinterpret_cast<const char*>(san->buf.p), san->buf.len), name)) {
            return true;
        }
    }
    return false;
}

Errc verification_error(std::uint32_t flags) noexcept {
    if ((flags & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING |
                  MBEDTLS_X509_BADCERT_OTHER)) != 0) {
        return Errc::certificate_untrusted;
    }
    if ((flags & (MBEDTLS_X509_BADCERT_BAD_KEY | MBEDTLS_X509_BADCERT_BAD_MD |
                  MBEDTLS_X509_BADCERT_BAD_PK)) != 0) {
        return Errc::certificate_weak;
    }
    if ((flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
                  MBEDTLS_X509_BADCERT_NS_CERT_TYPE)) != 0) {
        return Errc::certificate_wrong_usage;
    }
    if ((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0) return Errc::certificate_expired;
    if ((flags & MBEDTLS_X509_BADCERT_FUTURE) != 0) return Errc::certificate_not_yet_valid;
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) return Errc::hostname_mismatch;
    return Errc::certificate_untrusted;
}

namespace {

// A CA of the chain: keeps its nameConstraints for the leaf (name_constraints.hpp).
int note_name_constraints(PeerPolicy& policy, const mbedtls_x509_crt& ca) noexcept {
    bool malformed = false;
    const bytes_view constraints = name_constraints_of(ca, malformed);
    if (malformed ||
        (!constraints.empty() && policy.name_constraint_count == policy.name_constraints.size())) {
        policy.failure = Errc::certificate_unsupported;
        return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    }
    if (!constraints.empty()) policy.name_constraints[policy.name_constraint_count++] = constraints;
    return 0;
}

// The leaf: within every CA's constraints, or refused.
int apply_name_constraints(PeerPolicy& policy, const mbedtls_x509_crt& leaf) noexcept {
    const std::size_t count = policy.name_constraint_count;
    policy.name_constraint_count = 0;  // the next verification starts afresh
    for (std::size_t i = 0; i < count; ++i) {
        switch (check_name_constraints(policy.name_constraints[i], leaf)) {
            case ConstraintVerdict::allowed:
                break;
            case ConstraintVerdict::violated:
                policy.failure = Errc::name_constraint_violation;
                return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
            case ConstraintVerdict::malformed:
                policy.failure = Errc::certificate_unsupported;
                return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
        }
    }
    return 0;
}

}  // namespace

int verify_peer_certificate(void* context, mbedtls_x509_crt* crt, int depth,
                            std::uint32_t* flags) noexcept {
    auto& policy = *static_cast<PeerPolicy*>(context);
    policy.certificate_seen = true;
    const std::int64_t now = policy.wall_clock.now_seconds(policy.wall_clock.context);
    if (now < earliest_plausible_time) {
        // Fail closed: without a clock, an expired (perhaps compromised) certificate would pass.
        policy.failure = Errc::clock_unset;
        return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    }
    *flags = (*flags & ~date_flags) | date_verdict(*crt, civil_from_unix(now));
    if (depth != 0) return note_name_constraints(policy, *crt);
    if (const int refused = apply_name_constraints(policy, *crt); refused != 0) return refused;

    // The name check is ours for DNS names and IP literals alike (mbedTLS's own verdict is
    // replaced: it falls back to the CN and accepts "*.com"). A server checking a client's
    // certificate has no name to check it for.
    if (!policy.expected_name.empty()) {
        *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
        const bool name_matches = policy.expected_ip
                                      ? certificate_has_ip(*crt, *policy.expected_ip)
                                      : certificate_has_dns_name(*crt, policy.expected_name);
        if (!name_matches) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    if (policy.pins != nullptr && !policy.pins->empty() &&
        !spki_matches_a_pin(*crt, *policy.pins)) {
        // Checked during the handshake, so no application data ever reaches an unpinned key.
        policy.failure = Errc::pin_mismatch;
        return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    }
    return 0;
}

}  // namespace mqtls::tls::detail
