#pragma once
/// @file
/// Simulated time: a clock that moves only when the simulation moves it (a sim stream's wait()
/// jumps it to the next delivery or the timeout), never by sleeping. Thousands of connections
/// with keep-alives of minutes run in milliseconds of real time, and every run is repeatable.

#include "mqtls/core/clock.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::sim {

class VirtualClock {
public:
    /// Starts well after zero, so that "now - timeout" stays positive in the code under test.
    explicit VirtualClock(Instant start = Instant::from_millis(1'000'000)) noexcept : now_(start) {}

    [[nodiscard]] Instant now() const noexcept { return now_; }
    /// Moves to `t`; a `t` in the past changes nothing (time never runs backwards).
    void advance_to(Instant t) noexcept {
        if (t > now_) now_ = t;
    }
    void advance(Duration d) noexcept { advance_to(now_ + d); }

    /// This clock as the runtime's MonotonicClock; valid while the VirtualClock lives.
    [[nodiscard]] MonotonicClock monotonic() noexcept { return MonotonicClock{&read, this}; }

private:
    static Instant read(void* context) noexcept {
        return static_cast<const VirtualClock*>(context)->now_;
    }
    Instant now_;
};

}  // namespace mqtls::sim
