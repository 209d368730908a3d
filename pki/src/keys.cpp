#include "mqtls/pki/keys.hpp"

#include <cstring>
#include <string>

#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "key_internal.hpp"
#include "mbedtls_handle.hpp"
#include "random.hpp"

namespace mqtls::pki {

namespace {
constexpr unsigned int rsa_key_bits = 2048;
constexpr int rsa_public_exponent = 65537;
constexpr std::size_t min_accepted_rsa_bits = 2048;

// The curve of an EC key, MBEDTLS_ECP_DP_NONE for any other key.
mbedtls_ecp_group_id ec_group_of(const mbedtls_pk_context& key) {
    if (!mbedtls_pk_can_do(&key, MBEDTLS_PK_ECKEY)) {
        return MBEDTLS_ECP_DP_NONE;
    }
    return mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(key));
}
}  // namespace

namespace detail {

namespace {

// Large enough for the PEM of an RSA-2048 private key (about 1.7 KB) with room to spare.
constexpr std::size_t key_pem_capacity = 8192;

Result<std::string> pem_from_writer(mbedtls_pk_context& key,
                                    int (*write_pem)(const mbedtls_pk_context*, unsigned char*,
                                                     std::size_t)) {
    SecretBuffer buffer(key_pem_capacity);
    const int ret = write_pem(&key, buffer.data(), buffer.size());
    if (ret != 0) {
        return Error{Errc::key_generation_failed, ret};
    }
    // The PEM writers terminate their output with a NUL.
    return std::string(reinterpret_cast<const char*>(buffer.data()));
}

// mbedTLS recognises PEM only in a NUL-terminated buffer whose length counts the NUL.
SecretBuffer nul_terminated(std::string_view text) {
    SecretBuffer terminated(text.size() + 1);
    std::memcpy(terminated.data(), text.data(), text.size());
    terminated.data()[text.size()] = '\0';
    return terminated;
}

}  // namespace

Result<void> generate_key_into(KeyType type, mbedtls_pk_context& key, RandomGenerator& random) {
    int ret = 0;
    switch (type) {
        case KeyType::ecdsa_p256:
            ret = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
            if (ret == 0) {
                ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
                                          RandomGenerator::generate, random.state());
            }
            break;
        case KeyType::rsa_2048:
            ret = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
            if (ret == 0) {
                ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(key), RandomGenerator::generate,
                                          random.state(), rsa_key_bits, rsa_public_exponent);
            }
            break;
        default:  // a value cast from an integer
            return Error{Errc::invalid_argument};
    }
    if (ret != 0) {
        return Error{Errc::key_generation_failed, ret};
    }
    return ok();
}

Result<std::string> private_key_pem_of(mbedtls_pk_context& key) {
    return pem_from_writer(key, mbedtls_pk_write_key_pem);
}

Result<std::string> public_key_pem_of(mbedtls_pk_context& key) {
    return pem_from_writer(key, mbedtls_pk_write_pubkey_pem);
}

Result<void> parse_private_key(std::string_view pem, mbedtls_pk_context& key) {
    // The text may hold a key, so its copy is wiped.
    SecretBuffer terminated = nul_terminated(pem);
    RandomGenerator random;  // RSA blinding while the key is checked
    MQTLS_TRY(random.seed());
    const int ret = mbedtls_pk_parse_key(&key, terminated.data(), terminated.size(), nullptr, 0,
                                         RandomGenerator::generate, random.state());
    if (ret != 0) {
        return Error{Errc::pem_invalid, ret};
    }
    return ok();
}

std::string key_description_of(const mbedtls_pk_context& key) {
    if (mbedtls_pk_get_type(&key) == MBEDTLS_PK_RSA) {
        return "rsa-" + std::to_string(mbedtls_pk_get_bitlen(&key));
    }
    switch (ec_group_of(key)) {
        case MBEDTLS_ECP_DP_NONE:
            return "unknown";
        case MBEDTLS_ECP_DP_SECP256R1:
            return "ecdsa-p256";
        case MBEDTLS_ECP_DP_SECP384R1:
            return "ecdsa-p384";
        case MBEDTLS_ECP_DP_SECP521R1:
            return "ecdsa-p521";
        default: {
            const mbedtls_ecp_curve_info* curve =
                mbedtls_ecp_curve_info_from_grp_id(ec_group_of(key));
            return std::string("ecdsa-") + (curve != nullptr ? curve->name : "unknown-curve");
        }
    }
}

bool is_accepted_key(const mbedtls_pk_context& key) {
    if (mbedtls_pk_get_type(&key) == MBEDTLS_PK_RSA) {
        return mbedtls_pk_get_bitlen(&key) >= min_accepted_rsa_bits;
    }
    // Only id-ecPublicKey keys: a key restricted to ECDH (id-ecDH) cannot sign a handshake.
    if (mbedtls_pk_get_type(&key) != MBEDTLS_PK_ECKEY) {
        return false;
    }
    const mbedtls_ecp_group_id group = ec_group_of(key);
    return group == MBEDTLS_ECP_DP_SECP256R1 || group == MBEDTLS_ECP_DP_SECP384R1 ||
           group == MBEDTLS_ECP_DP_SECP521R1;
}

Result<void> parse_public_key(std::string_view pem, mbedtls_pk_context& key) {
    SecretBuffer terminated = nul_terminated(pem);
    const int ret = mbedtls_pk_parse_public_key(&key, terminated.data(), terminated.size());
    if (ret != 0) {
        return Error{Errc::pem_invalid, ret};
    }
    return ok();
}

}  // namespace detail

const char* key_type_name(KeyType type) noexcept {
    switch (type) {
        case KeyType::ecdsa_p256:
            return "ecdsa-p256";
        case KeyType::rsa_2048:
            return "rsa-2048";
    }
    return "unknown";
}

Result<KeyPair> generate_key(KeyType type) {
    detail::RandomGenerator random;
    MQTLS_TRY(random.seed());
    detail::PkContext key;
    MQTLS_TRY(detail::generate_key_into(type, *key, random));
    MQTLS_TRY_ASSIGN(std::string private_pem, detail::private_key_pem_of(*key));
    MQTLS_TRY_ASSIGN(std::string public_pem, detail::public_key_pem_of(*key));
    return KeyPair{std::move(private_pem), std::move(public_pem)};
}

Result<KeyType> key_type_of(std::string_view key_pem) {
    detail::PkContext key;
    if (!detail::parse_private_key(key_pem, *key)) {
        // Not a private key: try the public forms, in a fresh context (a failed parse may leave
        // the first one set up).
        mbedtls_pk_free(key.get());
        mbedtls_pk_init(key.get());
        MQTLS_TRY(detail::parse_public_key(key_pem, *key));
    }
    const mbedtls_pk_type_t pk_type = mbedtls_pk_get_type(key.get());
    if (pk_type == MBEDTLS_PK_ECKEY && ec_group_of(*key) == MBEDTLS_ECP_DP_SECP256R1) {
        return KeyType::ecdsa_p256;
    }
    if (pk_type == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(key.get()) == rsa_key_bits) {
        return KeyType::rsa_2048;
    }
    return Error{Errc::invalid_argument};
}

void wipe_secret(std::string& secret) noexcept {
    mbedtls_platform_zeroize(secret.data(), secret.size());
    secret.clear();
}

}  // namespace mqtls::pki
