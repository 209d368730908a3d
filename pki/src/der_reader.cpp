#include "der_reader.hpp"

#include <cstring>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

namespace mqtls::pki::detail {

namespace {

constexpr int sequence_tag = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
constexpr unsigned char top_bit = 0x80U;
constexpr std::size_t max_unsigned_octets = 8;

}  // namespace

std::optional<std::vector<unsigned char>> extension_value(const unsigned char* extensions,
                                                          std::size_t size, const char* oid,
                                                          std::size_t oid_size) {
    if (extensions == nullptr) return std::nullopt;
    // mbedtls_asn1_get_tag advances a non-const pointer but never writes through it.
    auto* p = const_cast<unsigned char*>(extensions);
    const unsigned char* const end = extensions + size;
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, sequence_tag) != 0) return std::nullopt;
    const unsigned char* const list_end = p + length;
    while (p < list_end) {
        if (mbedtls_asn1_get_tag(&p, list_end, &length, sequence_tag) != 0) return std::nullopt;
        const unsigned char* const extension_end = p + length;
        std::size_t oid_length = 0;
        if (mbedtls_asn1_get_tag(&p, extension_end, &oid_length, MBEDTLS_ASN1_OID) != 0) {
            return std::nullopt;
        }
        const bool wanted = oid_length == oid_size && std::memcmp(p, oid, oid_size) == 0;
        p += oid_length;
        // critical is BOOLEAN DEFAULT FALSE, so usually absent.
        int critical = 0;
        (void)mbedtls_asn1_get_bool(&p, extension_end, &critical);
        std::size_t value_length = 0;
        if (mbedtls_asn1_get_tag(&p, extension_end, &value_length, MBEDTLS_ASN1_OCTET_STRING) !=
            0) {
            return std::nullopt;
        }
        if (wanted) return std::vector<unsigned char>(p, p + value_length);
        p += value_length;
    }
    return std::nullopt;
}

std::vector<unsigned char> subject_key_identifier_of(const mbedtls_x509_crt& certificate) {
    // v3_ext holds the Extensions SEQUENCE, without the [3] wrapper.
    const auto value = extension_value(certificate.v3_ext.p, certificate.v3_ext.len,
                                       MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                       MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER));
    if (!value) return {};
    // SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING
    auto* p = const_cast<unsigned char*>(value->data());
    const unsigned char* const end = value->data() + value->size();
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
        p + length != end) {
        return {};
    }
    return {p, p + length};
}

std::optional<std::uint64_t> unsigned_integer_of(const std::vector<unsigned char>& der) {
    auto* p = const_cast<unsigned char*>(der.data());
    const unsigned char* const end = der.data() + der.size();
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_INTEGER) != 0 || p + length != end ||
        length == 0 || (*p & top_bit) != 0) {
        return std::nullopt;
    }
    // A sign octet may precede a full 64-bit value.
    if (*p == 0 && length > 1) {
        ++p;
        --length;
    }
    if (length > max_unsigned_octets) return std::nullopt;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < length; ++i) value = (value << 8U) | p[i];
    return value;
}

}  // namespace mqtls::pki::detail
