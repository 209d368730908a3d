#include "random.hpp"

namespace mqtls::pki::detail {

namespace {
// A personalization string separates this generator's output from any other DRBG seeded from the
// same entropy at the same moment (NIST SP 800-90A, section 8.7.1).
constexpr unsigned char personalization[] = "mqtls-pki";
}  // namespace

RandomGenerator::RandomGenerator() noexcept {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
}

RandomGenerator::~RandomGenerator() {
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
}

Result<void> RandomGenerator::seed() noexcept {
    const int ret = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, personalization,
                                          sizeof(personalization) - 1);
    if (ret != 0) {
        return Error{Errc::key_generation_failed, ret};
    }
    return ok();
}

int RandomGenerator::generate(void* self, unsigned char* output, std::size_t size) noexcept {
    return mbedtls_ctr_drbg_random(&static_cast<RandomGenerator*>(self)->drbg_, output, size);
}

}  // namespace mqtls::pki::detail
