#pragma once
/// @file
/// Stop or retry: which connection errors a device retries with backoff and which it stops on,
/// because retrying cannot fix them. The rule is defined once, as the retry column of core's
/// Errc table (mqtls::is_permanent() in core/error.hpp); NodeRunner, run_wake_cycle and the CLI
/// all ask it through here or directly.

#include "mqtls/core/error.hpp"

namespace mqtls::node {

/// True when retrying cannot cure `error` (see mqtls::is_permanent()).
[[nodiscard]] constexpr bool should_stop(const Error& error) noexcept {
    return mqtls::is_permanent(error);
}

}  // namespace mqtls::node
