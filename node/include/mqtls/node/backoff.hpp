#pragma once
/// @file
/// How long to wait before the next reconnection attempt: exponential backoff with full jitter.
/// Attempt n waits a delay drawn uniformly from [0, min(cap, base * 2^n)], so a fleet of devices
/// that lost the broker at the same moment spreads its reconnections out instead of returning in
/// lockstep. Sans-I/O and deterministic: the caller supplies the random number (from the
/// platform's RNG, or a constant in tests), so this layer needs no entropy source and no clock.

#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::node {

struct ReconnectBackoffConfig {
    /// Upper bound of the first delay; doubles with each attempt. Must be > 0.
    Duration base = Duration::from_seconds(5);
    /// Upper bound no delay exceeds, however many attempts failed. Must be >= base.
    Duration cap = Duration::from_seconds(300);
    /// How many delays next_delay() hands out before giving up; 0 means it never gives up.
    std::uint32_t max_attempts = 0;
};

class ReconnectBackoff {
public:
    /// Fails with invalid_argument unless base > 0 and cap >= base.
    static Result<ReconnectBackoff> create(const ReconnectBackoffConfig& config) noexcept;

    /// The delay before the next attempt, uniformly in [0, min(cap, base * 2^attempt())] as
    /// selected by `random` (any 32-bit value: 0 gives 0, 0xFFFFFFFF gives the upper bound, as
    /// long as it is below 2^32 ms), and counts the attempt. Once max_attempts delays have been
    /// handed out, fails with Errc::closed: the caller should stop reconnecting (and report it)
    /// until reset().
    Result<Duration> next_delay(std::uint32_t random) noexcept;

    /// Back to attempt 0; call it once a connection has succeeded.
    void reset() noexcept { attempt_ = 0; }

    /// How many delays have been handed out since creation or the last reset().
    [[nodiscard]] std::uint32_t attempt() const noexcept { return attempt_; }

    /// The largest delay attempt number `attempt` (0-based) can draw: min(cap, base * 2^attempt).
    [[nodiscard]] Duration upper_bound(std::uint32_t attempt) const noexcept {
        return Duration::from_millis(static_cast<std::int64_t>(upper_bound_millis(attempt)));
    }

private:
    explicit ReconnectBackoff(const ReconnectBackoffConfig& config) noexcept : config_(config) {}

    /// min(cap, base * 2^attempt), without ever computing an overflowing product.
    [[nodiscard]] std::uint64_t upper_bound_millis(std::uint32_t attempt) const noexcept;

    ReconnectBackoffConfig config_;
    std::uint32_t attempt_ = 0;
};

}  // namespace mqtls::node
