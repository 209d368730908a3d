#pragma once
/// @file
/// Key pairs for certificates, generated with mbedTLS from the operating system's entropy
/// (mbedtls_entropy + CTR_DRBG) and handed out as PEM text.
///
/// The pki layer is host-only (tests and the `mqtls pki` commands), so it uses std::string. A
/// std::string cannot wipe itself: call wipe_secret() on private key text once it is written out.

#include <string>
#include <string_view>

#include "mqtls/core/result.hpp"

namespace mqtls::pki {

/// The kinds of key the pki layer makes. ECDSA P-256 is the default everywhere: small certificates
/// and fast handshakes on the devices. RSA-2048 is for brokers or tools that need RSA.
enum class KeyType {
    ecdsa_p256,  ///< ECDSA over NIST P-256 (secp256r1); private key PEM is SEC1 "EC PRIVATE KEY"
    rsa_2048,    ///< RSA, 2048-bit modulus, exponent 65537; private key PEM is PKCS#1
};

/// The lower-case name of `type` for logs and command-line output: "ecdsa-p256" or "rsa-2048".
const char* key_type_name(KeyType type) noexcept;

/// A freshly generated key pair in PEM form.
struct KeyPair {
    std::string private_key_pem;  ///< "-----BEGIN EC PRIVATE KEY-----" or "...RSA PRIVATE KEY..."
    std::string public_key_pem;   ///< "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo)
};

/// Generates a key pair of `type`. RSA-2048 takes from tenths of a second to seconds (prime
/// search); ECDSA P-256 takes milliseconds.
/// Errors: key_generation_failed (detail: the mbedTLS code, e.g. an entropy source failure),
/// invalid_argument (`type` is not a KeyType enumerator).
Result<KeyPair> generate_key(KeyType type);

/// The type of the private or public key in `key_pem` (PEM or DER; private keys unencrypted).
/// Errors: pem_invalid (not a key mbedTLS can read; detail: the mbedTLS code), invalid_argument (a
/// key, but neither P-256 nor 2048-bit RSA: nothing in mqtls makes those).
Result<KeyType> key_type_of(std::string_view key_pem);

/// Overwrites every byte of `secret` with zeros (in a way the optimiser cannot drop), then
/// empties it. For private key text once it has been written to its file.
void wipe_secret(std::string& secret) noexcept;

}  // namespace mqtls::pki
