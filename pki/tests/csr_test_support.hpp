#pragma once
// Certification requests for the pki tests, written with mbedTLS's own CSR writer for keys of
// any type and size mbedTLS can make, so that the tests can ask for what mqtls must refuse.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_csr.h>

#include "mbedtls_handle.hpp"
#include "random.hpp"

namespace mqtls::pki::testing {

using CsrWriter = detail::MbedtlsHandle<mbedtls_x509write_csr, mbedtls_x509write_csr_init,
                                        mbedtls_x509write_csr_free>;

/// A key pair the test owns, and the random generator its requests are signed with.
class RequestKey {
public:
    /// A new EC key on `curve` (e.g. MBEDTLS_ECP_DP_SECP192R1).
    static std::unique_ptr<RequestKey> ec(mbedtls_ecp_group_id curve) {
        auto key = std::make_unique<RequestKey>();
        EXPECT_EQ(mbedtls_pk_setup(key->key_.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)),
                  0);
        EXPECT_EQ(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*key->key_),
                                      detail::RandomGenerator::generate, key->random_.state()),
                  0);
        return key;
    }

    /// A new RSA key with a `bits`-bit modulus.
    static std::unique_ptr<RequestKey> rsa(unsigned int bits) {
        constexpr int exponent = 65537;
        auto key = std::make_unique<RequestKey>();
        EXPECT_EQ(mbedtls_pk_setup(key->key_.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
        EXPECT_EQ(mbedtls_rsa_gen_key(mbedtls_pk_rsa(*key->key_), detail::RandomGenerator::generate,
                                      key->random_.state(), bits, exponent),
                  0);
        return key;
    }

    RequestKey() { EXPECT_TRUE(random_.seed()); }

    /// A PEM request with `subject` (mbedTLS's syntax, e.g. "O=Acme,CN=sensor-17"), signed with
    /// this key and `md`.
    std::string request_pem(const char* subject, mbedtls_md_type_t md = MBEDTLS_MD_SHA256) {
        CsrWriter writer;
        prepare(*writer, subject, md);
        std::vector<unsigned char> buffer(8192);
        EXPECT_EQ(mbedtls_x509write_csr_pem(writer.get(), buffer.data(), buffer.size(),
                                            detail::RandomGenerator::generate, random_.state()),
                  0);
        return reinterpret_cast<const char*>(buffer.data());
    }

    /// The same request in DER.
    std::string request_der(const char* subject, mbedtls_md_type_t md = MBEDTLS_MD_SHA256) {
        CsrWriter writer;
        prepare(*writer, subject, md);
        std::vector<unsigned char> buffer(8192);
        const int size =
            mbedtls_x509write_csr_der(writer.get(), buffer.data(), buffer.size(),
                                      detail::RandomGenerator::generate, random_.state());
        EXPECT_GT(size, 0);
        if (size <= 0) return {};
        // The DER writer fills the buffer from its end.
        return {reinterpret_cast<const char*>(buffer.data() + buffer.size() - size),
                static_cast<std::size_t>(size)};
    }

    /// The DER SubjectPublicKeyInfo of this key.
    std::vector<unsigned char> public_key_der() {
        std::vector<unsigned char> buffer(4096);
        const int size = mbedtls_pk_write_pubkey_der(key_.get(), buffer.data(), buffer.size());
        EXPECT_GT(size, 0);
        if (size <= 0) return {};
        return {buffer.end() - size, buffer.end()};
    }

private:
    void prepare(mbedtls_x509write_csr& writer, const char* subject, mbedtls_md_type_t md) {
        mbedtls_x509write_csr_set_md_alg(&writer, md);
        mbedtls_x509write_csr_set_key(&writer, key_.get());
        EXPECT_EQ(mbedtls_x509write_csr_set_subject_name(&writer, subject), 0);
    }

    detail::PkContext key_;
    detail::RandomGenerator random_;
};

/// The DER of a PEM request (the test of a PEM file's parser is elsewhere).
inline std::string der_of_request_pem(const std::string& pem) {
    mbedtls_pem_context context;
    mbedtls_pem_init(&context);
    std::size_t used = 0;
    const int ret = mbedtls_pem_read_buffer(
        &context, "-----BEGIN CERTIFICATE REQUEST-----", "-----END CERTIFICATE REQUEST-----",
        reinterpret_cast<const unsigned char*>(pem.c_str()), nullptr, 0, &used);
    EXPECT_EQ(ret, 0);
    std::size_t length = 0;
    const unsigned char* buffer = mbedtls_pem_get_buffer(&context, &length);
    std::string der(reinterpret_cast<const char*>(buffer), length);
    mbedtls_pem_free(&context);
    return der;
}

/// The three elements of a CertificationRequest's outer SEQUENCE (RFC 2986 section 4.2), each
/// with its tag and length: certificationRequestInfo, signatureAlgorithm, signature.
struct RequestParts {
    std::string info;
    std::string algorithm;
    std::string signature;
};

inline RequestParts parts_of(const std::string& der) {
    RequestParts parts;
    auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(der.data()));
    const unsigned char* const end = p + der.size();
    std::size_t length = 0;
    EXPECT_EQ(
        mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE),
        0);
    std::string* const elements[] = {&parts.info, &parts.algorithm, &parts.signature};
    for (std::string* element : elements) {
        const unsigned char* const start = p;
        p++;  // the tag (all three are single-octet tags)
        EXPECT_EQ(mbedtls_asn1_get_len(&p, end, &length), 0);
        p += length;
        element->assign(reinterpret_cast<const char*>(start), static_cast<std::size_t>(p - start));
    }
    return parts;
}

/// A CertificationRequest made of the given elements, in DER.
inline std::string request_of(const RequestParts& parts) {
    const std::string content = parts.info + parts.algorithm + parts.signature;
    std::vector<unsigned char> header(8);
    unsigned char* cursor = header.data() + header.size();
    int size = mbedtls_asn1_write_len(&cursor, header.data(), content.size());
    size += mbedtls_asn1_write_tag(&cursor, header.data(),
                                   MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    return std::string(reinterpret_cast<const char*>(cursor), static_cast<std::size_t>(size)) +
           content;
}

}  // namespace mqtls::pki::testing
