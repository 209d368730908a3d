// Key generation, key types and the SPKI pin.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using testing::example_chain;
using testing::PkContext;

void parse_private(const std::string& pem, PkContext& key) {
    ASSERT_EQ(mbedtls_pk_parse_key(key.get(), reinterpret_cast<const unsigned char*>(pem.c_str()),
                                   pem.size() + 1, nullptr, 0, testing::test_random, nullptr),
              0);
}

void parse_public(const std::string& pem, PkContext& key) {
    ASSERT_EQ(mbedtls_pk_parse_public_key(
                  key.get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1),
              0);
}

TEST(PkiKeys, EcdsaKeyIsP256InSec1AndSpkiPem) {
    const auto pair = generate_key(KeyType::ecdsa_p256);
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair->private_key_pem.rfind("-----BEGIN EC PRIVATE KEY-----\n", 0), 0U);
    EXPECT_EQ(pair->public_key_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0U);
    PkContext key;
    parse_private(pair->private_key_pem, key);
    EXPECT_EQ(mbedtls_pk_get_type(key.get()), MBEDTLS_PK_ECKEY);
    EXPECT_EQ(mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*key)), MBEDTLS_ECP_DP_SECP256R1);
    EXPECT_EQ(key_type_of(pair->private_key_pem).value_or(KeyType::rsa_2048), KeyType::ecdsa_p256);
    EXPECT_EQ(key_type_of(pair->public_key_pem).value_or(KeyType::rsa_2048), KeyType::ecdsa_p256);
}

TEST(PkiKeys, PublicKeyBelongsToPrivateKey) {
    const auto pair = generate_key(KeyType::ecdsa_p256);
    ASSERT_TRUE(pair);
    PkContext private_key;
    PkContext public_key;
    parse_private(pair->private_key_pem, private_key);
    parse_public(pair->public_key_pem, public_key);
    EXPECT_EQ(
        mbedtls_pk_check_pair(public_key.get(), private_key.get(), testing::test_random, nullptr),
        0);
}

TEST(PkiKeys, EveryKeyIsNew) {
    const auto first = generate_key(KeyType::ecdsa_p256);
    const auto second = generate_key(KeyType::ecdsa_p256);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_NE(first->private_key_pem, second->private_key_pem);
    EXPECT_NE(first->public_key_pem, second->public_key_pem);
}

TEST(PkiKeys, RsaKeyIs2048BitsInPkcs1Pem) {
    const auto started = std::chrono::steady_clock::now();
    const auto pair = generate_key(KeyType::rsa_2048);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    RecordProperty(
        "rsa_2048_generation_ms",
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair->private_key_pem.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0), 0U);
    PkContext key;
    parse_private(pair->private_key_pem, key);
    EXPECT_EQ(mbedtls_pk_get_type(key.get()), MBEDTLS_PK_RSA);
    EXPECT_EQ(mbedtls_pk_get_bitlen(key.get()), 2048U);
    EXPECT_EQ(key_type_of(pair->private_key_pem).value_or(KeyType::ecdsa_p256), KeyType::rsa_2048);
    EXPECT_EQ(key_type_of(pair->public_key_pem).value_or(KeyType::ecdsa_p256), KeyType::rsa_2048);
}

TEST(PkiKeys, KeyTypeOfRefusesWhatIsNotAKey) {
    const auto garbage = key_type_of("-----BEGIN EC PRIVATE KEY-----\nnot base64\n");
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, Errc::pem_invalid);
    EXPECT_NE(garbage.error().detail, 0);
    const auto certificate = key_type_of(example_chain().ca.certificate_pem);
    ASSERT_FALSE(certificate);
    EXPECT_EQ(certificate.error().code, Errc::pem_invalid);
}

TEST(PkiKeys, UnknownKeyTypeIsRefused) {
    const auto result = generate_key(static_cast<KeyType>(42));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

TEST(PkiKeys, KeyTypeNames) {
    EXPECT_STREQ(key_type_name(KeyType::ecdsa_p256), "ecdsa-p256");
    EXPECT_STREQ(key_type_name(KeyType::rsa_2048), "rsa-2048");
}

TEST(PkiKeys, WipeSecretEmptiesTheString) {
    std::string secret = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...\n";
    wipe_secret(secret);
    EXPECT_TRUE(secret.empty());
}

TEST(PkiKeys, IssuedKeyBelongsToIssuedCertificate) {
    const auto& server = example_chain().server;
    const auto certificate = testing::parse_chain(server.certificate_pem);
    PkContext key;
    parse_private(server.private_key_pem, key);
    EXPECT_EQ(mbedtls_pk_check_pair(&(*certificate)->pk, key.get(), testing::test_random, nullptr),
              0);
}

// ---------------------------------------------------------------------------------------------

bool is_lowercase_sha256_hex(const std::string& text) {
    if (text.size() != 64) {
        return false;
    }
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

TEST(PkiSpki, IsSixtyFourLowercaseHexDigitsAndStable) {
    const std::string& pem = example_chain().server.certificate_pem;
    const auto first = spki_sha256_hex(pem);
    const auto second = spki_sha256_hex(pem);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_TRUE(is_lowercase_sha256_hex(*first)) << *first;
    EXPECT_EQ(*first, *second);
}

TEST(PkiSpki, DiffersBetweenKeys) {
    const auto& chain = example_chain();
    EXPECT_NE(spki_sha256_hex(chain.ca.certificate_pem).value_or("a"),
              spki_sha256_hex(chain.server.certificate_pem).value_or("a"));
}

TEST(PkiSpki, IsTheSha256OfThePublicKeyDer) {
    const auto& server = example_chain().server;
    PkContext key;
    parse_private(server.private_key_pem, key);
    std::array<unsigned char, 512> der{};
    const int length = mbedtls_pk_write_pubkey_der(key.get(), der.data(), der.size());
    ASSERT_GT(length, 0);
    std::array<unsigned char, 32> digest{};
    ASSERT_EQ(
        mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), der.data() + der.size() - length,
                   static_cast<std::size_t>(length), digest.data()),
        0);
    std::string expected;
    for (const unsigned char byte : digest) {
        static constexpr char hex[] = "0123456789abcdef";
        expected += hex[byte >> 4];
        expected += hex[byte & 0x0f];
    }
    EXPECT_EQ(spki_sha256_hex(server.certificate_pem).value_or(""), expected);
}

// A public certificate (no key anywhere) made by this library once, with the pin computed by
// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`: a check
// against an independent implementation.
constexpr const char* fixed_certificate = R"(-----BEGIN CERTIFICATE-----
MIIBwDCCAWSgAwIBAgIQU44gvaBokbA+VFb00hxXyDAMBggqhkjOPQQDAgUAMBwx
GjAYBgNVBAMMEW1xdGxzIHBpbiBmaXh0dXJlMB4XDTI2MTEyNDIxMjc1M1oXDTI3
MTEyNDIyMjc1M1owEzERMA8GA1UEAwwIcGluLnRlc3QwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAAT8lLbNGVRthT3kW/0GDPJsfsPaGC4hqja8bvCi5CLOS63XWFgb
PSL9hhsq0Qfc64+atEUeGhtabMXJh8SvMPhso4GOMIGLMAkGA1UdEwQCMAAwHQYD
VR0OBBYEFNQMaAtvxCySfGFGEqCTNMw2+YOcMB8GA1UdIwQYMBaAFGRXEBjVJjPX
mPDToGYw5ToYo3vIMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcD
ATAZBgNVHREEEjAQgghwaW4udGVzdIcEwAACATAMBggqhkjOPQQDAgUAA0gAMEUC
IEafRhp8j7lKNBeBVmGMlKkpWcHa9iUrcQcII9v3az35AiEAoi/UPyusYs+XogCx
rUGxu2nnvTPiBgz/j0oXTDDNGXI=
-----END CERTIFICATE-----
)";
constexpr const char* fixed_certificate_pin =
    "99ec4b2a23a46b51aba462c62cff7b69cd7d807c1ec1407171c845130a97efc1";

TEST(PkiSpki, MatchesOpenSslForAFixedCertificate) {
    EXPECT_EQ(spki_sha256_hex(fixed_certificate).value_or(""), fixed_certificate_pin);
}

TEST(PkiSpki, MalformedPemGivesPemInvalid) {
    for (const char* pem :
         {"", "garbage", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"}) {
        const auto result = spki_sha256_hex(pem);
        ASSERT_FALSE(result) << pem;
        EXPECT_EQ(result.error().code, Errc::pem_invalid);
        EXPECT_NE(result.error().detail, 0);
    }
}

}  // namespace
}  // namespace mqtls::pki
