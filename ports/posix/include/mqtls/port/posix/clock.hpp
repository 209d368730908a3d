#pragma once
/// @file
/// The two clocks the upper layers need, kept apart on purpose: `monotonic_now()` drives every
/// timeout and keepalive (it never jumps when the wall clock is set), and the wall clock is used
/// only where calendar time matters (certificate validity), which is why it is injected as a
/// function: tests and devices without a set clock substitute their own.

#include <cstdint>

#include "mqtls/core/clock.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::port::posix {

/// Milliseconds of CLOCK_MONOTONIC. Never decreases; its epoch (usually boot) means nothing.
Instant monotonic_now() noexcept;

/// monotonic_now() as the MonotonicClock a runtime (link::Connection) is given.
MonotonicClock monotonic_clock() noexcept;

/// Unix time in whole seconds from CLOCK_REALTIME. Returns 0 if the clock cannot be read, so a
/// caller that checks for an unset clock (a date before the software was built) treats both
/// cases alike.
std::int64_t wall_clock_seconds() noexcept;

/// Unix time in milliseconds from CLOCK_REALTIME (0 if it cannot be read): a reading's ts and
/// its age.
std::int64_t wall_clock_milliseconds() noexcept;

/// How the TLS layer asks for calendar time (Unix seconds). A plain function pointer, so that
/// it costs nothing on a device and a test can pass a function returning a fixed date.
using WallClockFn = std::int64_t (*)();

/// The system's wall clock as a WallClockFn.
inline constexpr WallClockFn system_wall_clock = &wall_clock_seconds;

}  // namespace mqtls::port::posix
