#include "mqtls/node/schedule.hpp"

#include <cstdint>
#include <limits>

namespace mqtls::node {

Result<PublishSchedule> PublishSchedule::create(Duration period) noexcept {
    if (period.millis() <= 0) {
        return Errc::invalid_argument;
    }
    return PublishSchedule{period};
}

void PublishSchedule::start(Instant now) noexcept {
    next_due_ = now;
    missed_slots_ = 0;
}

bool PublishSchedule::due(Instant now) const noexcept {
    // never() compares equal to a `now` of never(); an idle schedule must still not be due.
    return !next_due_.is_never() && now >= next_due_;
}

void PublishSchedule::mark_published(Instant now) noexcept {
    if (next_due_.is_never()) {
        next_due_ = now + period_;
        return;
    }
    // Whole periods elapsed since the due time: the reading just published fills the latest of
    // those slots, the earlier ones are gone. Publishing early (or less than a period late)
    // skips nothing.
    const std::int64_t lateness_ms = (now - next_due_).millis();
    const std::int64_t periods_late = lateness_ms > 0 ? lateness_ms / period_.millis() : 0;

    // Compared before adding, so that an absurd lateness cannot overflow the sum.
    constexpr std::int64_t missed_slots_limit = std::numeric_limits<std::uint32_t>::max();
    if (periods_late >= missed_slots_limit - missed_slots_) {
        missed_slots_ = std::numeric_limits<std::uint32_t>::max();
    } else {
        missed_slots_ += static_cast<std::uint32_t>(periods_late);
    }

    // periods_late * period <= lateness, so the product cannot overflow; Instant + Duration
    // saturates at never() for the final step.
    next_due_ = next_due_ + Duration::from_millis(periods_late * period_.millis()) + period_;
}

}  // namespace mqtls::node
