// CRLs read back with mbedTLS's parser, the one the TLS layer would check them with.
#include <array>
#include <cstring>

#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>

#include "certificate_internal.hpp"
#include "der_reader.hpp"
#include "mbedtls_handle.hpp"
#include "mqtls/pki/crl.hpp"
#include "mqtls/pki/lifetime.hpp"
#include "time_internal.hpp"

namespace mqtls::pki {

namespace {

using RevocationList =
    detail::MbedtlsHandle<mbedtls_x509_crl, mbedtls_x509_crl_init, mbedtls_x509_crl_free>;

constexpr std::size_t name_text_capacity = 4096;
constexpr char hex_digits[] = "0123456789ABCDEF";

Result<void> parse_crl(std::string_view pem, mbedtls_x509_crl& crl) {
    // mbedTLS recognises PEM only in a NUL-terminated buffer whose length counts the NUL.
    const std::string terminated(pem);
    const int ret = mbedtls_x509_crl_parse(
        &crl, reinterpret_cast<const unsigned char*>(terminated.c_str()), terminated.size() + 1);
    if (ret != 0) return Error{Errc::pem_invalid, ret};
    return ok();
}

std::string hex_of(const mbedtls_x509_buf& octets) {
    std::string text;
    text.reserve(2 * octets.len);
    for (std::size_t i = 0; i < octets.len; ++i) {
        text += hex_digits[octets.p[i] >> 4U];
        text += hex_digits[octets.p[i] & 0x0fU];
    }
    return text;
}

bool is_set(const mbedtls_x509_time& time) noexcept {
    return time.year != 0 || time.mon != 0 || time.day != 0;
}

Result<std::chrono::system_clock::time_point> instant_of(const mbedtls_x509_time& time) {
    auto instant = time_of(detail::timestamp_of(time));
    if (!instant) return Error{Errc::pem_invalid};
    return *instant;
}

Result<CrlSummary> summary_of(const mbedtls_x509_crl& crl) {
    CrlSummary summary;
    std::array<char, name_text_capacity> name{};
    summary.issuer = mbedtls_x509_dn_gets(name.data(), name.size(), &crl.issuer) < 0
                         ? "(name too long to show)"
                         : name.data();
    MQTLS_TRY_ASSIGN(summary.this_update, instant_of(crl.this_update));
    if (is_set(crl.next_update)) {
        MQTLS_TRY_ASSIGN(summary.next_update, instant_of(crl.next_update));
    }
    // crl_ext holds the Extensions SEQUENCE, without the [0] wrapper.
    if (const auto number =
            detail::extension_value(crl.crl_ext.p, crl.crl_ext.len, MBEDTLS_OID_CRL_NUMBER,
                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER))) {
        summary.crl_number = detail::unsigned_integer_of(*number);
    }
    for (const mbedtls_x509_crl_entry* entry = &crl.entry; entry != nullptr; entry = entry->next) {
        if (entry->serial.p == nullptr) continue;  // an empty list leaves the head zeroed
        // Listed as canonical_serial() gives it; a serial no conforming CA makes (negative, or
        // longer than 20 octets) is shown as encoded.
        const std::string encoded = hex_of(entry->serial);
        auto canonical = canonical_serial(encoded);
        summary.revoked_serials.push_back(canonical ? *canonical : encoded);
    }
    return summary;
}

// Whether the CRL's signature verifies with `key`. mbedTLS checks CRL signatures only inside
// certificate verification, and keeps what it parsed of the signature in fields that are
// private from mbedTLS 3 on, so the signatureAlgorithm and signatureValue after tbsCertList
// are read here from the CRL's DER (RFC 5280 section 5.1.1).
bool signature_verifies(const mbedtls_x509_crl& crl, mbedtls_pk_context& key) {
    constexpr int sequence_tag = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    unsigned char* p = crl.raw.p;
    const unsigned char* end = crl.raw.p + crl.raw.len;
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, sequence_tag) != 0) return false;
    end = p + length;
    if (mbedtls_asn1_get_tag(&p, end, &length, sequence_tag) != 0) return false;
    p += length;  // tbsCertList, which crl.tbs holds whole
    mbedtls_asn1_buf algorithm{};
    mbedtls_asn1_buf parameters{};
    if (mbedtls_asn1_get_alg(&p, end, &algorithm, &parameters) != 0 ||
        mbedtls_asn1_get_bitstring_null(&p, end, &length) != 0 || p + length != end) {
        return false;
    }
    mbedtls_md_type_t digest_type = MBEDTLS_MD_NONE;
    mbedtls_pk_type_t key_type = MBEDTLS_PK_NONE;
    if (mbedtls_oid_get_sig_alg(&algorithm, &digest_type, &key_type) != 0 ||
        key_type == MBEDTLS_PK_RSASSA_PSS || !mbedtls_pk_can_do(&key, key_type)) {
        return false;
    }
    const mbedtls_md_info_t* digest_info = mbedtls_md_info_from_type(digest_type);
    std::array<unsigned char, MBEDTLS_MD_MAX_SIZE> digest{};
    if (digest_info == nullptr ||
        mbedtls_md(digest_info, crl.tbs.p, crl.tbs.len, digest.data()) != 0) {
        return false;
    }
    return mbedtls_pk_verify(&key, digest_type, digest.data(), mbedtls_md_get_size(digest_info), p,
                             length) == 0;
}

}  // namespace

Result<CrlSummary> describe_crl(std::string_view pem) {
    RevocationList crl;
    MQTLS_TRY(parse_crl(pem, *crl));
    return summary_of(*crl);
}

Result<CrlCheck> check_crl(std::string_view crl_pem, std::string_view ca_certificate_pem) {
    RevocationList crl;
    MQTLS_TRY(parse_crl(crl_pem, *crl));
    detail::CertificateChain ca;
    MQTLS_TRY(detail::parse_certificates(ca_certificate_pem, *ca));
    CrlCheck check;
    MQTLS_TRY_ASSIGN(check.summary, summary_of(*crl));
    const bool same_name =
        crl->issuer_raw.len == ca->subject_raw.len &&
        std::memcmp(crl->issuer_raw.p, ca->subject_raw.p, ca->subject_raw.len) == 0;
    // As a verifier would check it (RFC 5280 section 6.3.3 (f)): the CA may sign CRLs, and the
    // signature verifies with its key. The dates are the caller's to judge from the summary.
    check.signed_by_ca =
        same_name && mbedtls_x509_crt_check_key_usage(ca.get(), MBEDTLS_X509_KU_CRL_SIGN) == 0 &&
        signature_verifies(*crl, ca->pk);
    return check;
}

}  // namespace mqtls::pki
