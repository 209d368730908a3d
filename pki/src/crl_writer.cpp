// The X.509 v2 CRL encoder (RFC 5280 section 5.1), on mbedTLS's ASN.1 writer: mbedTLS 2.28 can
// parse CRLs but not write them.
#include <array>

#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>

#include "certificate_internal.hpp"
#include "der_reader.hpp"
#include "der_writer.hpp"
#include "mbedtls_handle.hpp"
#include "mqtls/pki/crl.hpp"
#include "random.hpp"

namespace mqtls::pki {

namespace {

using detail::BackwardsDerWriter;
using detail::der_header_room;
using detail::der_sequence_tag;

// TBSCertList.version: v2 is INTEGER 1 (RFC 5280 section 5.1.2.1).
constexpr int crl_version_v2 = 1;
// UTCTime covers 1950..2049; later dates MUST be GeneralizedTime (RFC 5280 section 5.1.2.4).
constexpr int first_generalized_time_year = 2050;
constexpr int first_utc_time_year = 1950;
constexpr int last_year = 9999;
// crlExtensions [0] EXPLICIT; AuthorityKeyIdentifier.keyIdentifier [0] IMPLICIT OCTET STRING.
constexpr unsigned char crl_extensions_tag =
    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0;
constexpr unsigned char key_identifier_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0;
constexpr std::size_t sha256_size = 32;
// id-ce-cRLReasons (RFC 5280 section 5.3.1), which mbedTLS's oid.h does not name.
constexpr char crl_reason_oid[] = MBEDTLS_OID_ID_CE "\x15";
// A time, an INTEGER of up to 21 octets, a reasonCode extension and their headers.
constexpr std::size_t entry_room = 96;
// Everything around the entries, the issuer name and the key identifier.
constexpr std::size_t fixed_room = 512;
constexpr std::size_t pem_line_room = 128;

const char* const pem_begin = "-----BEGIN X509 CRL-----\n";
const char* const pem_end = "-----END X509 CRL-----\n";

bool is_known(RevocationReason reason) noexcept {
    for (const RevocationReason known : all_revocation_reasons()) {
        if (known == reason) return true;
    }
    return false;
}

// `when` as the DER Time RFC 5280 asks for, as its tag and text; an empty text when the year is
// out of range.
struct TimeText {
    unsigned char tag = MBEDTLS_ASN1_UTC_TIME;
    std::string text;
};

TimeText time_text(std::chrono::system_clock::time_point when) {
    const std::string stamp = utc_timestamp(when);  // YYYYMMDDhhmmss
    if (stamp.size() != 14) return {};
    const int year = std::stoi(stamp.substr(0, 4));
    if (year < first_utc_time_year || year > last_year) return {};
    if (year >= first_generalized_time_year) return {MBEDTLS_ASN1_GENERALIZED_TIME, stamp + "Z"};
    return {MBEDTLS_ASN1_UTC_TIME, stamp.substr(2) + "Z"};
}

Result<void> check_contents(const CrlContents& contents) {
    if (contents.next_update <= contents.this_update ||
        time_text(contents.this_update).text.empty() ||
        time_text(contents.next_update).text.empty()) {
        return Error{Errc::invalid_argument};
    }
    for (const RevokedCertificate& revoked : contents.revoked) {
        if (!is_known(revoked.reason) || time_text(revoked.revocation_date).text.empty() ||
            !serial_octets(revoked.serial)) {
            return Error{Errc::invalid_argument};
        }
    }
    return ok();
}

void write_time(BackwardsDerWriter& der, std::chrono::system_clock::time_point when) {
    const TimeText time = time_text(when);
    der.text(time.tag, time.text);
}

// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING },
// non-critical; `write_value` writes the DER that extnValue wraps.
template <class WriteValue>
void write_extension(BackwardsDerWriter& der, const char* oid, std::size_t oid_size,
                     WriteValue write_value) {
    const std::size_t mark = der.written();
    write_value();
    der.wrap_since(mark, MBEDTLS_ASN1_OCTET_STRING);
    der.oid(oid, oid_size);
    der.wrap_since(mark, der_sequence_tag);
}

// The CRL number as the INTEGER's content octets: minimal, positive.
std::vector<unsigned char> number_octets(std::uint64_t number) {
    std::vector<unsigned char> octets;
    do {
        octets.insert(octets.begin(), static_cast<unsigned char>(number & 0xffU));
        number >>= 8U;
    } while (number != 0);
    if ((octets.front() & 0x80U) != 0) octets.insert(octets.begin(), 0);
    return octets;
}

void write_crl_extensions(BackwardsDerWriter& der, std::uint64_t crl_number,
                          const std::vector<unsigned char>& authority_key_id) {
    const std::size_t explicit_mark = der.written();
    const std::size_t list_mark = der.written();
    // Written last first: authorityKeyIdentifier, then cRLNumber, as they appear.
    write_extension(der, MBEDTLS_OID_CRL_NUMBER, MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER),
                    [&] { der.integer_octets(number_octets(crl_number)); });
    if (!authority_key_id.empty()) {
        write_extension(der, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
                        MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), [&] {
                            // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] ... }
                            const std::size_t mark = der.written();
                            der.raw(authority_key_id.data(), authority_key_id.size());
                            der.header(key_identifier_tag, authority_key_id.size());
                            der.wrap_since(mark, der_sequence_tag);
                        });
    }
    der.wrap_since(list_mark, der_sequence_tag);
    der.wrap_since(explicit_mark, crl_extensions_tag);
}

// revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate, revocationDate,
// crlEntryExtensions OPTIONAL }. The caller leaves it out when nothing is revoked.
void write_revoked(BackwardsDerWriter& der, const std::vector<RevokedCertificate>& revoked) {
    const std::size_t list_mark = der.written();
    for (auto entry = revoked.rbegin(); entry != revoked.rend(); ++entry) {
        const std::size_t entry_mark = der.written();
        if (entry->reason != RevocationReason::unspecified) {
            const std::size_t extensions_mark = der.written();
            write_extension(der, crl_reason_oid, MBEDTLS_OID_SIZE(crl_reason_oid),
                            [&] { der.enumerated(static_cast<int>(entry->reason)); });
            der.wrap_since(extensions_mark, der_sequence_tag);
        }
        write_time(der, entry->revocation_date);
        // check_contents() made sure the serial converts.
        der.integer_octets(*serial_octets(entry->serial));
        der.wrap_since(entry_mark, der_sequence_tag);
    }
    der.wrap_since(list_mark, der_sequence_tag);
}

// AlgorithmIdentifier of the signature: parameters absent for ECDSA (RFC 5758 section 3.2),
// NULL for RSA (RFC 4055 section 5). mbedTLS 2.28's own helper always writes NULL.
Result<void> write_signature_algorithm(BackwardsDerWriter& der, mbedtls_pk_type_t key_type) {
    const char* oid = nullptr;
    std::size_t oid_size = 0;
    const mbedtls_pk_type_t signature_type =
        key_type == MBEDTLS_PK_RSA ? MBEDTLS_PK_RSA : MBEDTLS_PK_ECDSA;
    if (key_type != MBEDTLS_PK_RSA && key_type != MBEDTLS_PK_ECKEY &&
        key_type != MBEDTLS_PK_ECDSA) {
        return Error{Errc::certificate_generation_failed, MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE};
    }
    const int ret =
        mbedtls_oid_get_oid_by_sig_alg(signature_type, MBEDTLS_MD_SHA256, &oid, &oid_size);
    if (ret != 0) return Error{Errc::certificate_generation_failed, ret};
    const std::size_t mark = der.written();
    if (signature_type == MBEDTLS_PK_RSA) der.null();
    der.oid(oid, oid_size);
    der.wrap_since(mark, der_sequence_tag);
    return ok();
}

Result<std::vector<unsigned char>> tbs_cert_list(const CrlContents& contents,
                                                 const mbedtls_x509_crt& issuer,
                                                 mbedtls_pk_type_t key_type) {
    const std::vector<unsigned char> authority_key_id = detail::subject_key_identifier_of(issuer);
    BackwardsDerWriter der(fixed_room + issuer.subject_raw.len + authority_key_id.size() +
                           entry_room * contents.revoked.size());
    write_crl_extensions(der, contents.crl_number, authority_key_id);
    // RFC 5280 section 5.1.2.6: with no revoked certificates the list MUST be absent.
    if (!contents.revoked.empty()) write_revoked(der, contents.revoked);
    write_time(der, contents.next_update);
    write_time(der, contents.this_update);
    // The CA certificate's subject as it is encoded there (tag and length included).
    der.raw(issuer.subject_raw.p, issuer.subject_raw.len);
    MQTLS_TRY(write_signature_algorithm(der, key_type));
    der.small_integer(crl_version_v2);
    der.wrap_since(0, der_sequence_tag);
    return der.finish(Errc::certificate_generation_failed);
}

Result<std::vector<unsigned char>> signed_crl(const std::vector<unsigned char>& tbs,
                                              mbedtls_pk_context& key) {
    std::array<unsigned char, sha256_size> digest{};
    int ret = mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), tbs.data(), tbs.size(),
                         digest.data());
    if (ret != 0) return Error{Errc::certificate_generation_failed, ret};
    detail::RandomGenerator random;
    MQTLS_TRY(random.seed());
    std::array<unsigned char, MBEDTLS_PK_SIGNATURE_MAX_SIZE> signature{};
    std::size_t signature_size = 0;
    ret = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, digest.data(), digest.size(), signature.data(),
                          signature.size(), &signature_size, detail::RandomGenerator::generate,
                          random.state());
    if (ret != 0) return Error{Errc::certificate_generation_failed, ret};

    // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
    BackwardsDerWriter der(tbs.size() + signature_size + fixed_room);
    der.bit_string(signature.data(), signature_size);
    MQTLS_TRY(write_signature_algorithm(der, mbedtls_pk_get_type(&key)));
    der.raw(tbs.data(), tbs.size());
    der.wrap_since(0, der_sequence_tag);
    return der.finish(Errc::certificate_generation_failed);
}

Result<std::string> pem_of(const std::vector<unsigned char>& der) {
    // Base64 takes 4 characters per 3 bytes, plus a line break every 64 characters.
    std::vector<unsigned char> pem(der.size() * 2 + pem_line_room);
    std::size_t written = 0;
    const int ret = mbedtls_pem_write_buffer(pem_begin, pem_end, der.data(), der.size(), pem.data(),
                                             pem.size(), &written);
    if (ret != 0) return Error{Errc::certificate_generation_failed, ret};
    // `written` counts the terminating NUL.
    return std::string(reinterpret_cast<const char*>(pem.data()), written > 0 ? written - 1 : 0);
}

}  // namespace

Result<std::string> make_crl(const CrlContents& contents, const Issued& issuer) {
    MQTLS_TRY(check_contents(contents));
    detail::CertificateChain certificate;
    detail::PkContext key;
    MQTLS_TRY(detail::load_issuer(issuer, *certificate, *key));
    MQTLS_TRY_ASSIGN(const auto tbs,
                     tbs_cert_list(contents, *certificate, mbedtls_pk_get_type(key.get())));
    MQTLS_TRY_ASSIGN(const auto der, signed_crl(tbs, *key));
    return pem_of(der);
}

}  // namespace mqtls::pki
