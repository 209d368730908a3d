#include "node_outbox.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <optional>

#include "mqtls/node/outbox_set.hpp"
#include "mqtls/port/posix/file_log_storage.hpp"

namespace mqtls::cli {

// The two segments: files, or RAM buffers of the segment size.
struct NodeOutbox::Storage {
    std::optional<port::posix::FileLogStorage> files[2];
    std::vector<std::uint8_t> memory[2];
    std::optional<node::RamLogStorage> ram[2];

    node::LogStorage& segment(int i) {
        if (files[i]) return *files[i];
        return *ram[i];
    }
};

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

Result<std::unique_ptr<NodeOutbox>> NodeOutbox::open(const NodeOutboxFlags& flags,
                                                     const node::OutboxConfig& config) {
    std::unique_ptr<NodeOutbox> result(new NodeOutbox());
    result->storage_ = std::make_unique<Storage>();
    result->directory_ = flags.directory;
    Storage& storage = *result->storage_;
    if (!flags.directory.empty()) {
        if (::mkdir(flags.directory.c_str(), 0700) != 0 && errno != EEXIST) {
            return Error{Errc::file_write_failed, errno};
        }
        for (int i = 0; i < 2; ++i) {
            auto file = port::posix::FileLogStorage::open(flags.directory + "/segment-" +
                                                          std::to_string(i) + ".log");
            if (!file) return file.error();
            storage.files[i].emplace(std::move(*file));
        }
        result->persistent_ = true;
    } else {
        for (int i = 0; i < 2; ++i) {
            storage.memory[i].assign(config.segment_bytes, 0);
            storage.ram[i].emplace(
                mutable_bytes(storage.memory[i].data(), storage.memory[i].size()));
        }
    }
    result->index_.assign(node::OutboxSet::index_entries(config), node::OutboxEntry{});
    result->scratch_.assign(node::OutboxSet::scratch_bytes(config), 0);
    auto opened = node::OutboxSet::open(
        storage.segment(0), storage.segment(1),
        node::OutboxSetMemory{span<node::OutboxEntry>(result->index_.data(), result->index_.size()),
                              mutable_bytes(result->scratch_.data(), result->scratch_.size())},
        config);
    if (!opened) return opened.error();
    result->outbox_ = std::make_unique<node::Outbox>(opened->outbox());
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
