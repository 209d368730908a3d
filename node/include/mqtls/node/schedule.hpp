#pragma once
/// @file
/// When the next telemetry reading is due, on a fixed period. Sans-I/O: the caller passes the
/// current `Instant` in, so the schedule is testable with literal timestamps and never reads a
/// clock. Due times are anchored to the first one (start + k * period), so a device that is
/// always a few milliseconds late to publish does not drift; a device that is whole periods late
/// skips the slots it missed instead of publishing a burst to catch up.

#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"

namespace mqtls::node {

class PublishSchedule {
public:
    /// A schedule that publishes every `period`. Fails with invalid_argument unless period > 0.
    /// The schedule is idle (nothing is due) until start().
    static Result<PublishSchedule> create(Duration period) noexcept;

    /// (Re)starts the schedule: the first reading is due immediately, at `now`, and the missed
    /// slot count goes back to zero.
    void start(Instant now) noexcept;

    /// When the next reading is due; Instant::never() before start(), so that it can be fed
    /// straight into deadline arithmetic (earliest()).
    [[nodiscard]] Instant next_due() const noexcept { return next_due_; }

    /// Whether a reading is due at `now`. Always false before start().
    [[nodiscard]] bool due(Instant now) const noexcept;

    /// Records that the reading due at next_due() was published at `now` and moves next_due() on
    /// by whole periods from the previous due time (never from `now`, which would accumulate the
    /// publishing latency as drift). If `now` is one or more whole periods past the due time, the
    /// slots that elapsed in between are skipped and counted in missed_slots(): the reading just
    /// published stands for the latest of them. Before start(), it starts the schedule at `now`.
    void mark_published(Instant now) noexcept;

    /// How many due slots were skipped because publishing was late, since start(). Saturates.
    [[nodiscard]] std::uint32_t missed_slots() const noexcept { return missed_slots_; }

    [[nodiscard]] Duration period() const noexcept { return period_; }

private:
    explicit PublishSchedule(Duration period) noexcept : period_(period) {}

    Duration period_;
    Instant next_due_ = Instant::never();
    std::uint32_t missed_slots_ = 0;
};

}  // namespace mqtls::node
