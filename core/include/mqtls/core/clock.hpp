#pragma once
/// @file
/// The monotonic clock a runtime is given (clock_gettime on Linux, esp_timer on an ESP32,
/// millis() on Arduino, a virtual clock in the simulation). A function pointer and a context,
/// like tls::WallClock: no virtual call, no heap, trivially copyable.

#include "mqtls/core/time.hpp"

namespace mqtls {

struct MonotonicClock {
    Instant (*now_fn)(void* context) = nullptr;
    void* context = nullptr;

    /// The current instant; a clock without a function reads Instant{} (tests that pass time in
    /// by hand do not need one).
    [[nodiscard]] Instant now() const noexcept {
        return now_fn != nullptr ? now_fn(context) : Instant{};
    }
};

}  // namespace mqtls
