#pragma once
/// @file
/// How errno values from socket calls become mqtls errors. Internal to the port; separate from
/// tcp_stream.cpp so that the tests can check the mapping and the ranking of connect failures
/// without provoking every errno on a real network.

#include "mqtls/core/error.hpp"

namespace mqtls::port::posix::detail {

/// The error for a connect attempt that failed with `error_number` (from connect(), SO_ERROR or
/// socket()).
Error connect_failure(int error_number) noexcept;

/// Which of two connect failures (from different addresses of one host) to report: the more
/// telling one, or `current` on a tie so that the resolver's first address wins.
Error more_informative(const Error& current, const Error& candidate) noexcept;

/// The error for a send or receive on a connected socket that failed with `error_number`.
Error transfer_failure(int error_number) noexcept;

}  // namespace mqtls::port::posix::detail
