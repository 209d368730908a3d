#pragma once
// The random bit generator behind keys, serials and signatures: CTR_DRBG (AES-256) seeded from
// mbedTLS's entropy collector, which reads the operating system's source (getrandom on Linux).

#include <cstddef>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "mqtls/core/result.hpp"

namespace mqtls::pki::detail {

class RandomGenerator {
public:
    RandomGenerator() noexcept;
    ~RandomGenerator();
    // The DRBG keeps a pointer to the entropy context beside it, so the pair cannot move.
    RandomGenerator(const RandomGenerator&) = delete;
    RandomGenerator& operator=(const RandomGenerator&) = delete;
    RandomGenerator(RandomGenerator&&) = delete;
    RandomGenerator& operator=(RandomGenerator&&) = delete;

    /// Seeds the generator; nothing else may be called before it succeeded.
    /// Errors: key_generation_failed (detail: the mbedTLS code of the entropy failure).
    Result<void> seed() noexcept;

    /// The (f_rng, p_rng) pair that mbedTLS functions take.
    static int generate(void* self, unsigned char* output, std::size_t size) noexcept;
    void* state() noexcept { return this; }

private:
    mbedtls_entropy_context entropy_{};
    mbedtls_ctr_drbg_context drbg_{};
};

}  // namespace mqtls::pki::detail
