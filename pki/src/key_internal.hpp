#pragma once
// Key operations on mbedTLS contexts, shared by keys.cpp and certificate.cpp.

#include <string>
#include <string_view>

#include <mbedtls/pk.h>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/keys.hpp"
#include "random.hpp"

namespace mqtls::pki::detail {

/// Sets up the empty context `key` and fills it with a new key of `type`.
/// Errors: key_generation_failed (detail: the mbedTLS code), invalid_argument (unknown type).
Result<void> generate_key_into(KeyType type, mbedtls_pk_context& key, RandomGenerator& random);

/// The private key in `key` as PEM (SEC1 for EC, PKCS#1 for RSA).
/// Errors: key_generation_failed (detail: the mbedTLS code).
Result<std::string> private_key_pem_of(mbedtls_pk_context& key);

/// The public half of `key` as a PEM SubjectPublicKeyInfo.
/// Errors: key_generation_failed (detail: the mbedTLS code).
Result<std::string> public_key_pem_of(mbedtls_pk_context& key);

/// Parses an unencrypted private key (PEM or DER) into the empty context `key`.
/// Errors: pem_invalid (detail: the mbedTLS code).
Result<void> parse_private_key(std::string_view pem, mbedtls_pk_context& key);

/// The lower-case name of any key mbedTLS parsed, for output: "ecdsa-p256", "ecdsa-p384",
/// "ecdsa-p521", "ecdsa-<other curve>", "rsa-<modulus bits>", or "unknown".
std::string key_description_of(const mbedtls_pk_context& key);

/// Whether mqtls accepts `key` for a certificate it signs: ECDSA on NIST P-256, P-384 or P-521
/// (the curves every TLS stack offers), or RSA with a modulus of at least 2048 bits (NIST SP
/// 800-57: 112-bit security, the floor until 2030). P-192, brainpool, secp256k1 and shorter RSA
/// are refused.
bool is_accepted_key(const mbedtls_pk_context& key);

/// Parses a public key (PEM or DER SubjectPublicKeyInfo, or PKCS#1 RSA) into the empty context
/// `key`.
/// Errors: pem_invalid (detail: the mbedTLS code).
Result<void> parse_public_key(std::string_view pem, mbedtls_pk_context& key);

}  // namespace mqtls::pki::detail
