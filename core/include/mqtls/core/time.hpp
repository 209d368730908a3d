#pragma once
/// @file
/// Time as the protocol layers see it: plain millisecond counts that the caller passes in. The
/// core never reads a clock; a port maps its monotonic clock (clock_gettime, esp_timer,
/// millis()) onto `Instant`, so every timing path is testable with literal timestamps.

#include <cstdint>
#include <limits>

namespace mqtls {

/// A signed span of time in milliseconds.
class Duration {
public:
    constexpr Duration() noexcept = default;
    static constexpr Duration from_millis(std::int64_t ms) noexcept { return Duration{ms}; }
    static constexpr Duration from_seconds(std::int64_t s) noexcept { return Duration{s * 1000}; }
    [[nodiscard]] constexpr std::int64_t millis() const noexcept { return ms_; }

    constexpr Duration operator+(Duration o) const noexcept { return Duration{ms_ + o.ms_}; }
    constexpr Duration operator-(Duration o) const noexcept { return Duration{ms_ - o.ms_}; }
    constexpr bool operator==(Duration o) const noexcept { return ms_ == o.ms_; }
    constexpr bool operator!=(Duration o) const noexcept { return ms_ != o.ms_; }
    constexpr bool operator<(Duration o) const noexcept { return ms_ < o.ms_; }
    constexpr bool operator<=(Duration o) const noexcept { return ms_ <= o.ms_; }
    constexpr bool operator>(Duration o) const noexcept { return ms_ > o.ms_; }
    constexpr bool operator>=(Duration o) const noexcept { return ms_ >= o.ms_; }

private:
    constexpr explicit Duration(std::int64_t ms) noexcept : ms_(ms) {}
    std::int64_t ms_ = 0;
};

/// A point in time: milliseconds since an epoch the caller chooses (boot, process start, ...).
/// Only differences between Instants of the same clock mean anything.
class Instant {
public:
    constexpr Instant() noexcept = default;
    static constexpr Instant from_millis(std::int64_t ms) noexcept { return Instant{ms}; }
    /// A deadline that never comes; `next_deadline()` returns it when nothing is scheduled.
    static constexpr Instant never() noexcept {
        return Instant{std::numeric_limits<std::int64_t>::max()};
    }
    [[nodiscard]] constexpr std::int64_t millis() const noexcept { return ms_; }
    [[nodiscard]] constexpr bool is_never() const noexcept { return *this == never(); }

    /// Saturates at never(), so "now + a long keepalive" cannot overflow into the past.
    constexpr Instant operator+(Duration d) const noexcept {
        if (is_never()) return never();
        if (d.millis() > 0 && ms_ > std::numeric_limits<std::int64_t>::max() - d.millis()) {
            return never();
        }
        return Instant{ms_ + d.millis()};
    }
    constexpr Duration operator-(Instant o) const noexcept {
        return Duration::from_millis(ms_ - o.ms_);
    }
    constexpr bool operator==(Instant o) const noexcept { return ms_ == o.ms_; }
    constexpr bool operator!=(Instant o) const noexcept { return ms_ != o.ms_; }
    constexpr bool operator<(Instant o) const noexcept { return ms_ < o.ms_; }
    constexpr bool operator<=(Instant o) const noexcept { return ms_ <= o.ms_; }
    constexpr bool operator>(Instant o) const noexcept { return ms_ > o.ms_; }
    constexpr bool operator>=(Instant o) const noexcept { return ms_ >= o.ms_; }

private:
    constexpr explicit Instant(std::int64_t ms) noexcept : ms_(ms) {}
    std::int64_t ms_ = 0;
};

/// The earlier of two instants (deadline arithmetic).
constexpr Instant earliest(Instant a, Instant b) noexcept { return a < b ? a : b; }

}  // namespace mqtls
