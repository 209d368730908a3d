#include "mqtls/node/backoff.hpp"

#include <cstdint>
#include <limits>

namespace mqtls::node {
namespace {

/// Maps a 32-bit random value onto [0, upper_bound] as floor(random * (upper_bound + 1) / 2^32):
/// a multiply-shift, so every value of the range is hit by an almost equal share of random
/// values (no modulo bias). The product can need 95 bits, so it is split at bit 32 of the range
/// size; both partial products fit in 64 bits and the split is exact. No 128-bit arithmetic,
/// which 32-bit microcontroller compilers lack.
std::uint64_t scale_to_range(std::uint32_t random, std::uint64_t upper_bound) noexcept {
    const std::uint64_t range_size = upper_bound + 1;  // upper_bound < 2^63: cannot wrap
    const std::uint64_t range_high = range_size >> 32U;
    const std::uint64_t range_low = range_size & 0xFFFFFFFFU;
    return random * range_high + ((random * range_low) >> 32U);
}

}  // namespace

Result<ReconnectBackoff> ReconnectBackoff::create(const ReconnectBackoffConfig& config) noexcept {
    if (config.base.millis() <= 0 || config.cap < config.base) {
        return Errc::invalid_argument;
    }
    return ReconnectBackoff{config};
}

std::uint64_t ReconnectBackoff::upper_bound_millis(std::uint32_t attempt) const noexcept {
    const auto base_ms = static_cast<std::uint64_t>(config_.base.millis());
    const auto cap_ms = static_cast<std::uint64_t>(config_.cap.millis());
    // base << attempt stays within cap exactly when base <= cap >> attempt, which is checked
    // without forming the product. Shifting a 64-bit value by 64 or more is undefined; any cap
    // fits in 63 bits, so such attempts are at the cap anyway.
    constexpr std::uint32_t bits_in_millis = std::numeric_limits<std::uint64_t>::digits;
    if (attempt >= bits_in_millis || base_ms > (cap_ms >> attempt)) {
        return cap_ms;
    }
    return base_ms << attempt;
}

Result<Duration> ReconnectBackoff::next_delay(std::uint32_t random) noexcept {
    if (config_.max_attempts != 0 && attempt_ >= config_.max_attempts) {
        return Errc::closed;
    }
    const std::uint64_t delay_ms = scale_to_range(random, upper_bound_millis(attempt_));
    // Saturate rather than wrap: a wrapped count would fall back to the shortest delays.
    if (attempt_ != std::numeric_limits<std::uint32_t>::max()) {
        ++attempt_;
    }
    // delay_ms <= cap, which came from a non-negative int64.
    return Duration::from_millis(static_cast<std::int64_t>(delay_ms));
}

}  // namespace mqtls::node
