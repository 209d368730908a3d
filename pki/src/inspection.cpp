#include "mqtls/pki/inspection.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "certificate_internal.hpp"
#include "key_internal.hpp"
#include "mbedtls_handle.hpp"
#include "mqtls/pki/lifetime.hpp"
#include "mqtls/pki/revocation.hpp"
#include "time_internal.hpp"

namespace mqtls::pki {

namespace {

// GeneralName tags (RFC 5280 section 4.2.1.6); mbedTLS 2.28 keeps every subjectAltName entry
// raw, tagged with its choice.
constexpr int dns_name_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
constexpr int ip_address_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
constexpr std::size_t ipv4_size = 4;
constexpr std::size_t ipv6_size = 16;
// RFC 5280 bounds names far below this; a longer one is shown cut short rather than not at all.
constexpr std::size_t name_text_capacity = 4096;
constexpr std::size_t serial_text_capacity = 128;

// `bytes` with everything outside printable ASCII replaced by '?'.
std::string printable(const unsigned char* bytes, std::size_t size) {
    std::string text;
    text.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        const unsigned char byte = bytes[i];
        text += byte >= 0x20 && byte < 0x7f ? static_cast<char>(byte) : '?';
    }
    return text;
}

// mbedtls_x509_dn_gets() already prints unprintable bytes as '?'.
std::string name_text(const mbedtls_x509_name& name) {
    std::array<char, name_text_capacity> text{};
    if (mbedtls_x509_dn_gets(text.data(), text.size(), &name) < 0) {
        return "(name too long to show)";
    }
    return text.data();
}

std::string common_name_of(const mbedtls_x509_name& name) {
    std::string common_name;
    for (const mbedtls_x509_name* attribute = &name; attribute != nullptr;
         attribute = attribute->next) {
        if (attribute->oid.p != nullptr &&
            MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &attribute->oid) == 0) {
            common_name = printable(attribute->val.p, attribute->val.len);
        }
    }
    return common_name;
}

std::string serial_text(const mbedtls_x509_buf& serial) {
    std::array<char, serial_text_capacity> text{};
    if (mbedtls_x509_serial_gets(text.data(), text.size(), &serial) < 0) {
        return "(serial too long to show)";
    }
    return text.data();
}

std::string serial_number_of(const mbedtls_x509_buf& serial) {
    static constexpr char hex_digits[] = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(2 * serial.len);
    for (std::size_t i = 0; i < serial.len; ++i) {
        encoded += hex_digits[serial.p[i] >> 4U];
        encoded += hex_digits[serial.p[i] & 0x0fU];
    }
    // A negative serial (top bit set) would read as a different, positive number.
    if (serial.len == 0 || (serial.p[0] & 0x80U) != 0) return encoded;
    auto canonical = canonical_serial(encoded);
    return canonical ? *canonical : encoded;
}

std::string ip_address_text(const mbedtls_x509_buf& address) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const int family = address.len == ipv4_size ? AF_INET : AF_INET6;
    if ((address.len != ipv4_size && address.len != ipv6_size) ||
        inet_ntop(family, address.p, text.data(), text.size()) == nullptr) {
        return "(malformed address)";
    }
    return text.data();
}

void add_subject_alt_names(const mbedtls_x509_crt& certificate, CertificateSummary& summary) {
    for (const mbedtls_x509_sequence* entry = &certificate.subject_alt_names; entry != nullptr;
         entry = entry->next) {
        if (entry->buf.p == nullptr) {
            continue;  // no subjectAltName: the list's head is zeroed
        }
        if (entry->buf.tag == dns_name_tag) {
            summary.dns_names.push_back(printable(entry->buf.p, entry->buf.len));
        } else if (entry->buf.tag == ip_address_tag) {
            summary.ip_addresses.push_back(ip_address_text(entry->buf));
        }
    }
}

// mbedTLS's parser only accepts real dates, so this fails only if the two disagree.
Result<std::chrono::system_clock::time_point> instant_of(const mbedtls_x509_time& time) {
    auto instant = time_of(detail::timestamp_of(time));
    if (!instant) {
        return Error{Errc::pem_invalid};
    }
    return *instant;
}

Result<CertificateSummary> summary_of(const mbedtls_x509_crt& certificate) {
    CertificateSummary summary;
    summary.subject = name_text(certificate.subject);
    summary.common_name = common_name_of(certificate.subject);
    summary.issuer = name_text(certificate.issuer);
    summary.serial = serial_text(certificate.serial);
    summary.serial_number = serial_number_of(certificate.serial);
    add_subject_alt_names(certificate, summary);
    MQTLS_TRY_ASSIGN(summary.not_before, instant_of(certificate.valid_from));
    MQTLS_TRY_ASSIGN(summary.not_after, instant_of(certificate.valid_to));
    summary.key_description = detail::key_description_of(certificate.pk);
    MQTLS_TRY_ASSIGN(summary.spki_sha256, detail::spki_sha256_hex_of(certificate));
    return summary;
}

}  // namespace

Result<std::vector<CertificateSummary>> describe_certificates(std::string_view pem) {
    detail::CertificateChain chain;
    MQTLS_TRY(detail::parse_certificates(pem, *chain));
    std::vector<CertificateSummary> summaries;
    for (const mbedtls_x509_crt* certificate = chain.get(); certificate != nullptr;
         certificate = certificate->next) {
        if (certificate->raw.p == nullptr) {
            continue;
        }
        MQTLS_TRY_ASSIGN(CertificateSummary summary, summary_of(*certificate));
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

Result<bool> is_issued_by(std::string_view certificate_pem, std::string_view ca_certificate_pem) {
    detail::CertificateChain certificate;
    MQTLS_TRY(detail::parse_certificates(certificate_pem, *certificate));
    detail::CertificateChain ca;
    MQTLS_TRY(detail::parse_certificates(ca_certificate_pem, *ca));
    // Only the first certificate of each: a bundle must not smuggle in another issuer.
    mbedtls_x509_crt* const rest_of_certificates = certificate->next;
    mbedtls_x509_crt* const rest_of_cas = ca->next;
    certificate->next = nullptr;
    ca->next = nullptr;
    std::uint32_t flags = 0;
    const int ret = mbedtls_x509_crt_verify(certificate.get(), ca.get(), nullptr, nullptr, &flags,
                                            nullptr, nullptr);
    certificate->next = rest_of_certificates;
    ca->next = rest_of_cas;
    constexpr std::uint32_t dates = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
    return (ret == 0 || ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) && (flags & ~dates) == 0;
}

}  // namespace mqtls::pki
