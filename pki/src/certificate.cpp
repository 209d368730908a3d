#include "mqtls/pki/certificate.hpp"

#include <array>
#include <utility>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "certificate_internal.hpp"
#include "extensions.hpp"
#include "key_internal.hpp"
#include "mbedtls_handle.hpp"
#include "names.hpp"
#include "random.hpp"
#include "validity_internal.hpp"

namespace mqtls::pki {

namespace {

using detail::CertificateChain;
using detail::CertificateWriter;
using detail::PkContext;
using detail::PreparedRequest;
using detail::RandomGenerator;

constexpr int ca_validity_years = 10;
constexpr int leaf_validity_years = 1;

// 16 random bytes: well above the 64 bits of entropy the CA/Browser Forum asks for, and within
// RFC 5280's 20-octet limit.
constexpr std::size_t serial_size = 16;

// Where the PEM writer starts; it doubles the room when a certificate with many names needs more.
constexpr std::size_t first_certificate_capacity = 4096;
constexpr std::size_t max_certificate_capacity = std::size_t{256} * 1024;

constexpr std::size_t sha256_size = 32;

// mbedTLS 2.28's writer refuses a larger pathLenConstraint (it writes it as a single octet).
constexpr int max_path_len = 127;

bool is_known(Usage usage) noexcept {
    return usage == Usage::ca || usage == Usage::server || usage == Usage::client;
}

bool is_known(KeyType key_type) noexcept {
    return key_type == KeyType::ecdsa_p256 || key_type == KeyType::rsa_2048;
}

// Maps a failure of one of mbedTLS's certificate writer calls.
Result<void> written(int ret) {
    if (ret != 0) {
        return Error{Errc::certificate_generation_failed, ret};
    }
    return ok();
}

Result<void> set_random_serial(mbedtls_x509write_cert& writer, RandomGenerator& random) {
    std::array<unsigned char, serial_size> bytes{};
    const int ret = RandomGenerator::generate(random.state(), bytes.data(), bytes.size());
    if (ret != 0) {
        return Error{Errc::certificate_generation_failed, ret};
    }
    // Clearing the top bit keeps the INTEGER positive without a leading zero octet; setting the
    // next one keeps it non-zero and exactly 16 octets long.
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7fU) | 0x40U);
    return written(mbedtls_x509write_crt_set_serial_raw(&writer, bytes.data(), bytes.size()));
}

unsigned int key_usage_of(Usage usage, const mbedtls_pk_context& subject_key) {
    if (usage == Usage::ca) {
        return MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
    }
    // TLS 1.2 RSA key exchange encrypts the premaster secret to the certificate's key.
    if (mbedtls_pk_get_type(&subject_key) == MBEDTLS_PK_RSA) {
        return MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
    }
    return MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
}

Result<std::string> certificate_pem_of(mbedtls_x509write_cert& writer, RandomGenerator& random) {
    for (std::size_t capacity = first_certificate_capacity; capacity <= max_certificate_capacity;
         capacity *= 2) {
        std::vector<unsigned char> buffer(capacity);
        const int ret = mbedtls_x509write_crt_pem(&writer, buffer.data(), buffer.size(),
                                                  RandomGenerator::generate, random.state());
        if (ret == 0) {
            // The PEM writer terminates its output with a NUL.
            return std::string(reinterpret_cast<const char*>(buffer.data()));
        }
        if (ret != MBEDTLS_ERR_ASN1_BUF_TOO_SMALL && ret != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
            return Error{Errc::certificate_generation_failed, ret};
        }
    }
    return Error{Errc::certificate_generation_failed, MBEDTLS_ERR_ASN1_BUF_TOO_SMALL};
}

}  // namespace

namespace detail {

Result<PreparedRequest> prepare(const CertificateRequest& request) {
    MQTLS_TRY(detail::check_validity(request.validity));
    if (!is_known(request.usage) || !is_known(request.key_type)) {
        return Error{Errc::invalid_argument};
    }
    const bool is_ca = request.usage == Usage::ca;
    if (request.path_len < -1 || request.path_len > max_path_len ||
        (!is_ca && request.path_len != -1)) {
        return Error{Errc::invalid_argument};
    }
    PreparedRequest prepared;
    MQTLS_TRY_ASSIGN(prepared.subject_name, detail::name_text_of(request.subject));
    if (!request.dns_names.empty() || !request.ip_addresses.empty()) {
        MQTLS_TRY_ASSIGN(prepared.subject_alt_name,
                         detail::subject_alt_name_value(request.dns_names, request.ip_addresses));
    }
    if (!is_ca) {
        MQTLS_TRY_ASSIGN(prepared.extended_key_usage,
                         detail::extended_key_usage_value(request.usage));
    }
    return prepared;
}

Result<std::string> write_certificate(const CertificateRequest& request,
                                      const PreparedRequest& prepared,
                                      mbedtls_pk_context& subject_key,
                                      mbedtls_pk_context& issuer_key,
                                      const mbedtls_x509_crt* issuer_certificate,
                                      RandomGenerator& random) {
    CertificateWriter certificate;
    mbedtls_x509write_cert& writer = *certificate;
    mbedtls_x509write_crt_set_version(&writer, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&writer, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&writer, &subject_key);
    mbedtls_x509write_crt_set_issuer_key(&writer, &issuer_key);
    MQTLS_TRY(
        written(mbedtls_x509write_crt_set_subject_name(&writer, prepared.subject_name.c_str())));
    if (issuer_certificate == nullptr) {
        MQTLS_TRY(
            written(mbedtls_x509write_crt_set_issuer_name(&writer, prepared.subject_name.c_str())));
    } else {
        MQTLS_TRY(detail::copy_subject_to_issuer_name(*issuer_certificate, writer));
    }
    MQTLS_TRY(set_random_serial(writer, random));
    MQTLS_TRY(written(mbedtls_x509write_crt_set_validity(
        &writer, request.validity.not_before.c_str(), request.validity.not_after.c_str())));

    const bool is_ca = request.usage == Usage::ca;
    MQTLS_TRY(written(
        mbedtls_x509write_crt_set_basic_constraints(&writer, is_ca ? 1 : 0, request.path_len)));
    MQTLS_TRY(written(mbedtls_x509write_crt_set_subject_key_identifier(&writer)));
    MQTLS_TRY(written(mbedtls_x509write_crt_set_authority_key_identifier(&writer)));
    MQTLS_TRY(written(
        mbedtls_x509write_crt_set_key_usage(&writer, key_usage_of(request.usage, subject_key))));
    if (!prepared.extended_key_usage.empty()) {
        MQTLS_TRY(written(mbedtls_x509write_crt_set_extension(
            &writer, MBEDTLS_OID_EXTENDED_KEY_USAGE,
            MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, prepared.extended_key_usage.data(),
            prepared.extended_key_usage.size())));
    }
    // Not critical: the subject name is never empty (RFC 5280 section 4.2.1.6).
    if (!prepared.subject_alt_name.empty()) {
        MQTLS_TRY(written(mbedtls_x509write_crt_set_extension(
            &writer, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
            0, prepared.subject_alt_name.data(), prepared.subject_alt_name.size())));
    }

    return certificate_pem_of(writer, random);
}

Result<void> parse_certificates(std::string_view pem, mbedtls_x509_crt& chain) {
    // mbedTLS recognises PEM only in a NUL-terminated buffer whose length counts the NUL.
    std::string terminated(pem);
    const int ret = mbedtls_x509_crt_parse(
        &chain, reinterpret_cast<const unsigned char*>(terminated.c_str()), terminated.size() + 1);
    if (ret != 0) {
        return Error{Errc::pem_invalid, ret};
    }
    return ok();
}

Result<void> load_issuer(const Issued& issuer, mbedtls_x509_crt& certificate,
                         mbedtls_pk_context& key) {
    MQTLS_TRY(parse_certificates(issuer.certificate_pem, certificate));
    MQTLS_TRY(parse_private_key(issuer.private_key_pem, key));
    // A key from the wrong file would sign certificates that no one can verify.
    detail::RandomGenerator random;  // RSA blinding in the check
    MQTLS_TRY(random.seed());
    const int pair_ret = mbedtls_pk_check_pair(&certificate.pk, &key,
                                               detail::RandomGenerator::generate, random.state());
    if (pair_ret != 0) {
        return Error{Errc::invalid_argument, pair_ret};
    }
    return ok();
}

Result<std::string> spki_sha256_hex_of(const mbedtls_x509_crt& certificate) {
    // The bytes as they appear in the certificate, not a re-encoding of the parsed key: a pin
    // must not depend on how mbedTLS would write the key back.
    const mbedtls_x509_buf& spki = certificate.pk_raw;
    std::array<unsigned char, sha256_size> digest{};
    const int ret =
        mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), spki.p, spki.len, digest.data());
    if (ret != 0) {
        return Error{Errc::pem_invalid, ret};
    }
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * digest.size());
    for (const unsigned char byte : digest) {
        hex += hex_digits[byte >> 4U];
        hex += hex_digits[byte & 0x0fU];
    }
    return hex;
}

}  // namespace detail

CertificateRequest ca_request(std::string common_name) {
    CertificateRequest request;
    request.subject.common_name = std::move(common_name);
    request.validity = Validity::years_from_now(ca_validity_years);
    request.usage = Usage::ca;
    return request;
}

CertificateRequest server_request(std::string common_name, std::vector<std::string> dns_names,
                                  std::vector<std::string> ip_addresses) {
    CertificateRequest request;
    request.subject.common_name = std::move(common_name);
    request.validity = Validity::years_from_now(leaf_validity_years);
    request.usage = Usage::server;
    request.dns_names = std::move(dns_names);
    request.ip_addresses = std::move(ip_addresses);
    return request;
}

CertificateRequest client_request(std::string common_name) {
    CertificateRequest request;
    request.subject.common_name = std::move(common_name);
    request.validity = Validity::years_from_now(leaf_validity_years);
    request.usage = Usage::client;
    return request;
}

Result<Issued> make_self_signed(const CertificateRequest& request) {
    MQTLS_TRY_ASSIGN(const PreparedRequest prepared, detail::prepare(request));
    RandomGenerator random;
    MQTLS_TRY(random.seed());
    PkContext key;
    MQTLS_TRY(detail::generate_key_into(request.key_type, *key, random));
    MQTLS_TRY_ASSIGN(std::string certificate_pem,
                     detail::write_certificate(request, prepared, *key, *key, nullptr, random));
    MQTLS_TRY_ASSIGN(std::string private_key_pem, detail::private_key_pem_of(*key));
    return Issued{std::move(certificate_pem), std::move(private_key_pem)};
}

Result<Issued> issue(const CertificateRequest& request, const Issued& issuer) {
    MQTLS_TRY_ASSIGN(const PreparedRequest prepared, detail::prepare(request));
    CertificateChain issuer_certificate;
    PkContext issuer_key;
    MQTLS_TRY(detail::load_issuer(issuer, *issuer_certificate, *issuer_key));

    RandomGenerator random;
    MQTLS_TRY(random.seed());
    PkContext key;
    MQTLS_TRY(detail::generate_key_into(request.key_type, *key, random));
    MQTLS_TRY_ASSIGN(std::string certificate_pem,
                     detail::write_certificate(request, prepared, *key, *issuer_key,
                                               issuer_certificate.get(), random));
    MQTLS_TRY_ASSIGN(std::string private_key_pem, detail::private_key_pem_of(*key));
    return Issued{std::move(certificate_pem), std::move(private_key_pem)};
}

Result<std::string> spki_sha256_hex(std::string_view certificate_pem) {
    CertificateChain certificate;
    MQTLS_TRY(detail::parse_certificates(certificate_pem, *certificate));
    return detail::spki_sha256_hex_of(*certificate);
}

}  // namespace mqtls::pki
