#pragma once
// mqtls's own cryptography (session sealing, the identity and binding digests, SPKI pins), all
// through the PSA Crypto API. PSA is the interface mbedTLS 3.6 and 4.x (TF-PSA-Crypto) share, so
// a port to 4.x leaves these callers alone; crypto.cpp is the one file that names PSA.

#include <array>
#include <cstddef>
#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::tls::detail {

using Sha256Digest = std::array<std::uint8_t, 32>;

inline constexpr std::size_t aes256_key_size = 32;
inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;

/// psa_crypto_init(), once per process (later calls are cheap). TLS 1.3 and every function
/// below need it. Errors: tls_setup_failed (detail: the PSA status).
Result<void> ensure_crypto_ready() noexcept;

/// An incremental SHA-256. A failure in update() is kept and reported by finish().
class Sha256 {
public:
    Sha256() noexcept;
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(bytes_view bytes) noexcept;
    /// Errors: tls_setup_failed (detail: the PSA status).
    Result<Sha256Digest> finish() noexcept;

private:
    // psa_hash_operation_t, kept opaque here so that no PSA header leaks into the callers.
    alignas(std::max_align_t) std::uint8_t operation_[256]{};
    std::int32_t status_ = 0;
    bool finished_ = false;
};

/// SHA-256 of `bytes` in one call.
Result<Sha256Digest> sha256(bytes_view bytes) noexcept;

/// HMAC-SHA256 (RFC 2104) of `message` under `key` (any length). Errors: tls_setup_failed
/// (detail: the PSA status).
Result<Sha256Digest> hmac_sha256(bytes_view key, bytes_view message) noexcept;

/// AES-256-GCM: `out` receives the ciphertext followed by the 16-byte tag
/// (plaintext.size() + gcm_tag_size bytes). Errors: invalid_argument (sizes), tls_setup_failed.
Result<void> aes256_gcm_seal(bytes_view key, bytes_view nonce, bytes_view additional_data,
                             bytes_view plaintext, mutable_bytes out) noexcept;

/// The inverse: `sealed` is ciphertext + tag, `out` receives sealed.size() - gcm_tag_size bytes.
/// Errors: session_invalid (the tag does not verify), invalid_argument, tls_setup_failed.
Result<void> aes256_gcm_open(bytes_view key, bytes_view nonce, bytes_view additional_data,
                             bytes_view sealed, mutable_bytes out) noexcept;

}  // namespace mqtls::tls::detail
