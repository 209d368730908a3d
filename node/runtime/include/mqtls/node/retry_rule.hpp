#pragma once
/// @file
/// Stop or retry: which connection errors a device retries with backoff and which it stops
/// on, because retrying cannot fix them (a broker it must not trust, credentials the broker
/// refuses, unusable files or settings). Defined once, for NodeRunner, run_wake_cycle and the
/// CLI's exit codes. (When core's Errc table carries the rule, mqtls::is_permanent(), this
/// function becomes a call to it.)

#include "mqtls/core/error.hpp"

namespace mqtls::node {

/// True when retrying cannot cure `error`: certificate and name checks, a CONNACK refusal
/// other than "server unavailable" (3), the broker refusing our client certificate (TLS
/// alerts 42-49 but 47), invalid arguments, storage, credential-file and configuration errors.
/// Network errors, timeouts and a broker that is up but not ready are retried.
[[nodiscard]] bool should_stop(const Error& error) noexcept;

}  // namespace mqtls::node
