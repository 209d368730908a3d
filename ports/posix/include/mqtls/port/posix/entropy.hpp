#pragma once
/// @file
/// Randomness from the kernel (getrandom(2)), offered in two shapes: as an mbedTLS entropy source
/// callback, declared with plain types so that this port does not depend on mbedTLS, and as
/// `fill_random()` for everyone else (client ids, backoff jitter).

#include <cstddef>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::port::posix {

/// What getrandom_entropy() returns on failure: the value of mbedTLS's
/// MBEDTLS_ERR_ENTROPY_SOURCE_FAILED, repeated here because this header must not include mbedTLS.
/// The port's tests check that the two agree.
inline constexpr int entropy_source_failed = -0x003C;

/// An entropy source with the signature of mbedTLS 2.28's `mbedtls_entropy_f_source_ptr`:
///
///     mbedtls_entropy_add_source(&entropy, &getrandom_entropy, nullptr,
///                                MBEDTLS_ENTROPY_MAX_GATHER, MBEDTLS_ENTROPY_SOURCE_STRONG);
///
/// Fills all `len` bytes of `output` and sets `*output_length` to `len`, or returns
/// entropy_source_failed (with `*output_length` set to 0). `context` is not used. Until the
/// kernel's pool is initialised (early boot) this blocks, which is what a key generator needs.
int getrandom_entropy(void* context, unsigned char* output, std::size_t len,
                      std::size_t* output_length) noexcept;

/// Fills `out` with random bytes from the kernel. Fails only if the kernel has no getrandom(2)
/// (ENOSYS) or a signal storm keeps interrupting it, with key_generation_failed (the one code
/// whose hint points at the entropy source) and the errno in the detail.
Result<void> fill_random(mutable_bytes out) noexcept;

}  // namespace mqtls::port::posix
