#include "node_outbox.hpp"

#include "mqtls/node/outbox_set.hpp"

namespace mqtls::cli {

bool outbox_config_from_flags(const NodeOutboxFlags& flags, std::size_t max_record_bytes,
                              node::OutboxConfig& config, std::string& problem) {
    if (flags.when_full == "drop-oldest") {
        config.overflow = node::OverflowPolicy::drop_oldest;
    } else if (flags.when_full == "drop-newest") {
        config.overflow = node::OverflowPolicy::drop_newest;
    } else if (flags.when_full == "refuse") {
        config.overflow = node::OverflowPolicy::refuse;
    } else {
        problem = "--outbox-full must be drop-oldest, drop-newest or refuse";
        return false;
    }
    if (flags.sync == "each") {
        config.sync = node::SyncPolicy::every_push;
    } else if (flags.sync == "none") {
        config.sync = node::SyncPolicy::manual;
    } else {
        problem = "--outbox-sync must be each or none";
        return false;
    }
    if (flags.max_records == 0 || flags.max_records > 1'000'000) {
        problem = "--outbox-records must be 1..1000000";
        return false;
    }
    if (flags.max_bytes < max_record_bytes || flags.max_bytes > std::size_t{1} << 30) {
        problem = "--outbox-bytes must be at least " + std::to_string(max_record_bytes) +
                  " (one reading) and at most 1 GiB";
        return false;
    }
    config.max_records = flags.max_records;
    config.max_live_bytes = flags.max_bytes;
    config.max_record_bytes = max_record_bytes;
    config = node::OutboxSet::sized(config);  // the library's segment sizing rule
    return true;
}

Result<void> NodeOutbox::open_set(node::LogStorage& first, node::LogStorage& second,
                                  const node::OutboxConfig& config) {
    index_.assign(node::OutboxSet::index_entries(config), node::OutboxEntry{});
    scratch_.assign(node::OutboxSet::scratch_bytes(config), 0);
    auto opened = node::OutboxSet::open(
        first, second,
        node::OutboxSetMemory{span<node::OutboxEntry>(index_.data(), index_.size()),
                              mutable_bytes(scratch_.data(), scratch_.size())},
        config);
    if (!opened) return opened.error();
    outbox_ = std::make_unique<node::Outbox>(opened->outbox());
    return ok();
}

// The segments (files in DIR, or RAM buffers of the segment size) come from the POSIX port.
Result<std::unique_ptr<NodeOutbox>> NodeOutbox::open(const NodeOutboxFlags& flags,
                                                     const node::OutboxConfig& config) {
    std::unique_ptr<NodeOutbox> result(new NodeOutbox());
    result->directory_ = flags.directory;
    if (flags.directory.empty()) {
        result->segments_.emplace(port::posix::OutboxSegments::in_ram(config.segment_bytes));
    } else {
        auto files = port::posix::OutboxSegments::open_files(flags.directory);
        if (!files) return files.error();
        result->segments_.emplace(std::move(*files));
    }
    result->persistent_ = result->segments_->persistent();
    MQTLS_TRY(
        result->open_set(result->segments_->segment(0), result->segments_->segment(1), config));
    return result;
}

Result<std::unique_ptr<NodeOutbox>> NodeOutbox::open(const NodeOutboxFlags& flags,
                                                     const node::OutboxConfig& config,
                                                     port::posix::Platform& device) {
    std::unique_ptr<NodeOutbox> result(new NodeOutbox());
    result->directory_ = flags.directory;
    if (flags.directory.empty()) {
        device.use_ram_outbox_segments(config.segment_bytes);
    } else {
        MQTLS_TRY(device.open_outbox_segments(flags.directory));
    }
    result->persistent_ = device.outbox_segments()->persistent();
    node::LogStorage* const* segments = device.node().outbox_segments;
    MQTLS_TRY(result->open_set(*segments[0], *segments[1], config));
    return result;
}

Result<void> NodeOutbox::load_run_id() {
    // After the outbox is open: its lock keeps a second node on the same folder out, and its
    // recovery says whether the numbering continues.
    if (persistent_) {
        MQTLS_TRY_ASSIGN(run_id_, load_or_create_run_id(directory_, outbox_->recovery().fresh));
    } else {
        MQTLS_TRY_ASSIGN(run_id_.value, make_run_id());
        run_id_.origin = RunIdOrigin::in_ram;
    }
    return ok();
}

std::string NodeOutbox::run_id_path() const {
    return persistent_ ? directory_ + "/" + run_id_file_name : std::string();
}

NodeOutbox::~NodeOutbox() {
    // Whatever the sync policy, a clean exit leaves everything on disk.
    if (outbox_) (void)outbox_->sync();
}

std::string NodeOutbox::describe() const {
    if (!persistent_) return "outbox in RAM (kept across reconnects, not restarts)";
    const node::OutboxRecovery& recovery = outbox_->recovery();
    std::string text = "outbox " + directory_ + ": ";
    if (recovery.fresh) {
        text += recovery.discarded_invalid ? "no intact log found, started a new one" : "new";
    } else {
        text += "recovered " + std::to_string(recovery.readings) + " unacknowledged reading(s)";
    }
    text += ", next seq " + std::to_string(outbox_->next_sequence()) + ", " +
            std::to_string(outbox_->dropped()) + " dropped so far";
    if (recovery.torn_bytes != 0) {
        text += ", " + std::to_string(recovery.torn_bytes) + " torn byte(s) discarded";
    }
    if (recovery.dropped_on_recovery != 0) {
        text += ", " + std::to_string(recovery.dropped_on_recovery) +
                " reading(s) over the new --outbox-records dropped";
    }
    return text;
}

}  // namespace mqtls::cli
