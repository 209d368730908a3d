#include "mqtls/pki/signing_request.hpp"

#include <array>
#include <cstring>  // memcmp, in MBEDTLS_OID_CMP

#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_csr.h>

#include "certificate_internal.hpp"
#include "key_internal.hpp"
#include "mbedtls_handle.hpp"
#include "mqtls/pki/device_id.hpp"
#include "names.hpp"
#include "random.hpp"

namespace mqtls::pki {

namespace {

using detail::CertificateChain;
using detail::PkContext;
using detail::RandomGenerator;
using detail::SigningRequest;

constexpr unsigned char sequence_tag = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;

Result<void> parse_request(std::string_view text, mbedtls_x509_csr& csr) {
    int ret = 0;
    if (text.find("-----BEGIN") != std::string_view::npos) {
        // mbedTLS recognises PEM only in a NUL-terminated buffer whose length counts the NUL.
        const std::string terminated(text);
        ret =
            mbedtls_x509_csr_parse(&csr, reinterpret_cast<const unsigned char*>(terminated.c_str()),
                                   terminated.size() + 1);
    } else {
        ret = mbedtls_x509_csr_parse_der(&csr, reinterpret_cast<const unsigned char*>(text.data()),
                                         text.size());
    }
    // A key mbedTLS cannot even parse (Ed25519, an unknown curve) is a refused key, not a
    // broken file.
    if (ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || ret == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE ||
        ret == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE) {
        return Error{Errc::csr_key_rejected, ret};
    }
    // mbedTLS error codes add a low-level code (here the OID module's) to a high-level one.
    constexpr int high_level_mask = 0xff80;
    if (ret < 0 && (-ret & high_level_mask) == -MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG) {
        return Error{Errc::csr_signature_algorithm_refused, ret};
    }
    if (ret != 0) {
        return Error{Errc::csr_invalid, ret};
    }
    return ok();
}

// The signatureAlgorithm and signature of a CertificationRequest (RFC 2986 section 4.2), read
// from the raw DER: mbedTLS keeps its own copies in fields that are private from 3.0 on.
struct RequestSignature {
    mbedtls_asn1_buf algorithm{};
    mbedtls_asn1_buf parameters{};
    const unsigned char* value = nullptr;
    std::size_t size = 0;
};

Result<RequestSignature> signature_of(const mbedtls_x509_csr& csr) {
    const Error malformed{Errc::csr_invalid, MBEDTLS_ERR_X509_INVALID_FORMAT};
    unsigned char* p = csr.raw.p;
    const unsigned char* const end = csr.raw.p + csr.raw.len;
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, sequence_tag) != 0 || p + length != end) {
        return malformed;
    }
    const unsigned char* const info = p;
    if (mbedtls_asn1_get_tag(&p, end, &length, sequence_tag) != 0) {
        return malformed;
    }
    p += length;
    // Both parsers must agree on the signed bytes, or the key checked below might not be the one
    // the signature covers.
    if (info != csr.cri.p || static_cast<std::size_t>(p - info) != csr.cri.len) {
        return malformed;
    }
    RequestSignature signature;
    if (mbedtls_asn1_get_alg(&p, end, &signature.algorithm, &signature.parameters) != 0) {
        return malformed;
    }
    // A BIT STRING without unused bits, which ends the request.
    if (mbedtls_asn1_get_bitstring_null(&p, end, &signature.size) != 0 ||
        p + signature.size != end) {
        return malformed;
    }
    signature.value = p;
    return signature;
}

bool is_accepted_signature_hash(mbedtls_md_type_t md) noexcept {
    // MD5 and SHA-1 admit collisions; SHA-224 is allowed nowhere else in mqtls.
    return md == MBEDTLS_MD_SHA256 || md == MBEDTLS_MD_SHA384 || md == MBEDTLS_MD_SHA512;
}

// The proof of possession: the request's signature over its CertificationRequestInfo verifies
// with the public key inside it (RFC 2986 section 3). mbedtls_x509_csr_parse does not check it.
Result<void> verify_self_signature(mbedtls_x509_csr& csr) {
    MQTLS_TRY_ASSIGN(const RequestSignature signature, signature_of(csr));
    mbedtls_md_type_t md = MBEDTLS_MD_NONE;
    mbedtls_pk_type_t scheme = MBEDTLS_PK_NONE;
    const Error refused{Errc::csr_signature_algorithm_refused};
    if (mbedtls_oid_get_sig_alg(&signature.algorithm, &md, &scheme) != 0) {
        return refused;
    }
    // ECDSA identifiers carry no parameters (RFC 5758 section 3.2), PKCS#1 v1.5 ones NULL (RFC
    // 4055 section 5); RSASSA-PSS, whose parameters name the hash, is refused.
    const bool without_parameters =
        (signature.parameters.tag == 0 || signature.parameters.tag == MBEDTLS_ASN1_NULL) &&
        signature.parameters.len == 0;
    const bool known_scheme = scheme == MBEDTLS_PK_ECDSA || scheme == MBEDTLS_PK_RSA;
    const mbedtls_md_info_t* const md_info = mbedtls_md_info_from_type(md);
    if (!is_accepted_signature_hash(md) || !known_scheme || !without_parameters ||
        md_info == nullptr || mbedtls_pk_can_do(&csr.pk, scheme) == 0) {
        return refused;
    }
    std::array<unsigned char, MBEDTLS_MD_MAX_SIZE> hash{};
    int ret = mbedtls_md(md_info, csr.cri.p, csr.cri.len, hash.data());
    if (ret == 0) {
        ret = mbedtls_pk_verify(&csr.pk, md, hash.data(), mbedtls_md_get_size(md_info),
                                signature.value, signature.size);
    }
    if (ret != 0) {
        return Error{Errc::csr_signature_invalid, ret};
    }
    return ok();
}

bool is_text_string(int tag) noexcept {
    return tag == MBEDTLS_ASN1_UTF8_STRING || tag == MBEDTLS_ASN1_PRINTABLE_STRING ||
           tag == MBEDTLS_ASN1_IA5_STRING;
}

// The CN (exactly one, in a string type whose bytes are its text) and the key of `csr`.
Result<SigningRequestSummary> summary_of(const mbedtls_x509_csr& csr) {
    const Error unusable_name{Errc::csr_common_name_invalid};
    SigningRequestSummary summary;
    int common_names = 0;
    for (const mbedtls_x509_name* attribute = &csr.subject; attribute != nullptr;
         attribute = attribute->next) {
        if (attribute->oid.p == nullptr) {
            continue;  // an empty subject leaves the list's head zeroed
        }
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &attribute->oid) != 0) {
            summary.has_other_subject_attributes = true;
            continue;
        }
        // Two CNs would be read differently by different verifiers (first or last).
        if (++common_names > 1 || !is_text_string(attribute->val.tag)) {
            return unusable_name;
        }
        summary.common_name.assign(reinterpret_cast<const char*>(attribute->val.p),
                                   attribute->val.len);
    }
    if (common_names != 1 || !detail::name_text_of(Subject{summary.common_name, {}})) {
        return unusable_name;
    }
    summary.key_description = detail::key_description_of(csr.pk);
    return summary;
}

// Parses `text` into the empty `csr` and makes every check of check_signing_request().
Result<SigningRequestSummary> parse_and_check(std::string_view text, mbedtls_x509_csr& csr) {
    MQTLS_TRY(parse_request(text, csr));
    MQTLS_TRY(verify_self_signature(csr));
    if (!detail::is_accepted_key(csr.pk)) {
        return Error{Errc::csr_key_rejected};
    }
    return summary_of(csr);
}

}  // namespace

Result<SigningRequestSummary> check_signing_request(std::string_view request) {
    SigningRequest csr;
    return parse_and_check(request, *csr);
}

Result<std::string> sign_request(std::string_view request, const SigningProfile& profile,
                                 const Issued& issuer) {
    const bool is_client = profile.usage == Usage::client;
    if (profile.usage == Usage::ca ||
        (is_client && (!profile.dns_names.empty() || !profile.ip_addresses.empty()))) {
        return Error{Errc::invalid_argument};
    }
    SigningRequest csr;
    MQTLS_TRY_ASSIGN(const SigningRequestSummary summary, parse_and_check(request, *csr));
    if (is_client && !device_id_problem(summary.common_name).empty()) {
        return Error{Errc::csr_common_name_invalid};
    }

    CertificateRequest certificate;
    certificate.subject.common_name = summary.common_name;
    certificate.validity = profile.validity;
    certificate.usage = profile.usage;
    certificate.dns_names = profile.dns_names;
    certificate.ip_addresses = profile.ip_addresses;
    MQTLS_TRY_ASSIGN(const detail::PreparedRequest prepared, detail::prepare(certificate));
    CertificateChain issuer_certificate;
    PkContext issuer_key;
    MQTLS_TRY(detail::load_issuer(issuer, *issuer_certificate, *issuer_key));
    RandomGenerator random;
    MQTLS_TRY(random.seed());
    return detail::write_certificate(certificate, prepared, csr->pk, *issuer_key,
                                     issuer_certificate.get(), random);
}

}  // namespace mqtls::pki
