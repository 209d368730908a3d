#include "peer_verification.hpp"

#include <arpa/inet.h>
#include <mbedtls/asn1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include <cstring>
#include <string>

#include "civil_time.hpp"

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
    SpkiSha256 digest{};
    if (mbedtls_sha256_ret(crt.pk_raw.p, crt.pk_raw.len, digest.data(), 0) != 0) return false;
    for (const SpkiSha256& pin : pins) {
        if (pin == digest) return true;
    }
    return false;
}

}  // namespace

std::optional<IpAddress> parse_ip_literal(std::string_view name) noexcept {
    if (name.empty() || name.size() > 45) return std::nullopt;
    char text[46];
    std::memcpy(text, name.data(), name.size());
    text[name.size()] = '\0';
    IpAddress ip;
    if (inet_pton(AF_INET, text, ip.bytes.data()) == 1) {
        ip.length = 4;
        return ip;
    }
    if (inet_pton(AF_INET6, text, ip.bytes.data()) == 1) {
        ip.length = 16;
        return ip;
    }
    return std::nullopt;
}

bool certificate_in_date(const mbedtls_x509_crt& crt, std::int64_t unix_seconds) noexcept {
    return date_verdict(crt, civil_from_unix(unix_seconds)) == 0;
}

bool certificate_has_ip(const mbedtls_x509_crt& crt, const IpAddress& ip) noexcept {
    // mbedTLS 2.28 keeps every subjectAltName entry raw in this list, tagged with its
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

int verify_peer_certificate(void* context, mbedtls_x509_crt* crt, int depth,
                            std::uint32_t* flags) noexcept {
    auto& policy = *static_cast<PeerPolicy*>(context);
    const std::int64_t now = policy.wall_clock.now_seconds(policy.wall_clock.context);
    if (now < earliest_plausible_time) {
        // Fail closed: without a clock, an expired (perhaps compromised) certificate would pass.
        policy.failure = Errc::clock_unset;
        return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    }
    *flags = (*flags & ~date_flags) | date_verdict(*crt, civil_from_unix(now));
    if (depth != 0) return 0;

    if (policy.expected_ip && !certificate_has_ip(*crt, *policy.expected_ip)) {
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
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
