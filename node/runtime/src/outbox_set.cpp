#include "mqtls/node/outbox_set.hpp"

namespace mqtls::node {

OutboxConfig OutboxSet::sized(OutboxConfig bounds) noexcept {
    bounds.segment_bytes = 2 * Outbox::minimum_segment_bytes(bounds);
    return bounds;
}

Result<OutboxSet> OutboxSet::open(LogStorage& first, LogStorage& second, OutboxSetMemory memory,
                                  const OutboxConfig& config) noexcept {
    if (memory.index.size() < index_entries(config) ||
        memory.scratch.size() < scratch_bytes(config)) {
        return Errc::invalid_argument;
    }
    MQTLS_TRY_ASSIGN(Outbox outbox,
                     Outbox::open(first, second, memory.index, memory.scratch, config));
    return OutboxSet(outbox);
}

}  // namespace mqtls::node
