#pragma once
/// @file
/// The outbox as a runtime assembles it: the two log segments the port provides (files, flash
/// partitions, RTC memory, RAM), the index and scratch memory, and the segment sizing rule.
/// One place for what `mqtls node` and a device application both need.

#include <cstddef>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/node/log_storage.hpp"
#include "mqtls/node/outbox.hpp"

namespace mqtls::node {

/// The caller's memory for an OutboxSet (sized with index_entries() and scratch_bytes()).
struct OutboxSetMemory {
    span<OutboxEntry> index;
    mutable_bytes scratch;
};

class OutboxSet {
public:
    /// `bounds` with its segment size chosen: twice the minimum, so a compaction happens about
    /// once per segment's worth of readings, not on every push when the outbox is nearly full.
    static OutboxConfig sized(OutboxConfig bounds) noexcept;
    static std::size_t index_entries(const OutboxConfig& config) noexcept {
        return config.max_records;
    }
    static std::size_t scratch_bytes(const OutboxConfig& config) noexcept {
        return outbox_record_overhead + config.max_record_bytes;
    }

    /// Opens (recovering) the outbox over `first` and `second`. Errors: invalid_argument
    /// (memory too small for `config`, a bad config), the storage's errors.
    static Result<OutboxSet> open(LogStorage& first, LogStorage& second, OutboxSetMemory memory,
                                  const OutboxConfig& config) noexcept;

    [[nodiscard]] Outbox& outbox() noexcept { return outbox_; }
    [[nodiscard]] const Outbox& outbox() const noexcept { return outbox_; }

private:
    explicit OutboxSet(Outbox outbox) noexcept : outbox_(outbox) {}
    Outbox outbox_;
};

}  // namespace mqtls::node
