#pragma once
// The sealed-session format: a plaintext header that says what the blob is for and how old it
// is, then the mbedTLS session serialization encrypted with AES-256-GCM. The whole header is
// the additional data, so no field can be changed without failing the tag.
//
//   offset  size  field
//        0     8  magic "MQTLSSES"
//        8     1  format version (1)
//        9     3  zero
//       12     8  created: wall-clock Unix seconds, big-endian (signed)
//       20     4  lifetime in seconds, big-endian
//       24    32  binding: SHA-256 of the server name and the client Config's identity digest
//       56    12  GCM nonce (random)
//       68     n  ciphertext of the mbedtls_ssl_session_save() bytes
//     68+n    16  GCM tag

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::tls::detail {

using Digest = std::array<std::uint8_t, 32>;
using Nonce = std::array<std::uint8_t, 12>;

inline constexpr std::size_t sealed_header_size = 68;
inline constexpr std::size_t sealed_tag_size = 16;
inline constexpr std::size_t sealed_overhead = sealed_header_size + sealed_tag_size;

struct SealedHeader {
    std::int64_t created = 0;
    std::uint32_t lifetime_s = 0;
    Digest binding{};
};

// The binding of a session to the name it was verified for and to the trust configuration.
Result<Digest> session_binding(std::string_view server_name, const Digest& identity) noexcept;

// Writes header + ciphertext + tag to `out`; returns the size.
// Errors: message_too_large (out or the result exceeds max_sealed_session_size).
Result<std::size_t> seal_session(const SessionKey& key, const SealedHeader& header,
                                 const Nonce& nonce, bytes_view session,
                                 mutable_bytes out) noexcept;

// Reads the header of `sealed` without authenticating it (to tell "for another broker" from
// "tampered"). Errors: session_invalid (too short, bad magic or version).
Result<SealedHeader> peek_sealed_header(bytes_view sealed) noexcept;

// Authenticates and decrypts into `session_out` (at least sealed.size() - sealed_overhead
// bytes); returns the session's size. Errors: session_invalid.
Result<std::size_t> open_sealed_session(const SessionKey& key, bytes_view sealed,
                                        mutable_bytes session_out) noexcept;

}  // namespace mqtls::tls::detail
