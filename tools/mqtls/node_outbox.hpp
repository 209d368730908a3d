#pragma once
// The outbox of `mqtls node`: two segment files in --outbox DIR (persistent across restarts and
// crashes), or two RAM buffers (kept across reconnects only), with the bounds and policies
// from the command line.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/node/outbox.hpp"
#include "mqtls/port/posix/platform.hpp"
#include "run_id_file.hpp"

namespace mqtls::cli {

struct NodeOutboxFlags {
    std::string directory;  // empty: in RAM
    std::size_t max_records = 1000;
    std::size_t max_bytes = std::size_t{256} * 1024;
    std::string when_full = "drop-oldest";  // drop-oldest | drop-newest | refuse
    std::string sync = "each";              // each | none
};

/// Fills `config` from the flags, or says which flag is wrong (returns false).
bool outbox_config_from_flags(const NodeOutboxFlags& flags, std::size_t max_record_bytes,
                              node::OutboxConfig& config, std::string& problem);

class NodeOutbox {
public:
    /// Opens (recovering) the outbox. Errors: the storage's (file_write_failed,
    /// storage_in_use, ...), invalid_argument.
    static Result<std::unique_ptr<NodeOutbox>> open(const NodeOutboxFlags& flags,
                                                    const node::OutboxConfig& config);
    /// The same over `device`'s segments, which this opens there (files in --outbox DIR, or
    /// RAM): the device's node::Platform then names the outbox the runtime works on.
    static Result<std::unique_ptr<NodeOutbox>> open(const NodeOutboxFlags& flags,
                                                    const node::OutboxConfig& config,
                                                    port::posix::Platform& device);
    /// Then its run id: DIR/run-id (load_or_create_run_id()) or, in RAM, a new one.
    Result<void> load_run_id();
    NodeOutbox(const NodeOutbox&) = delete;
    NodeOutbox& operator=(const NodeOutbox&) = delete;
    ~NodeOutbox();

    node::Outbox& outbox() { return *outbox_; }
    [[nodiscard]] const node::Outbox& outbox() const { return *outbox_; }
    [[nodiscard]] bool persistent() const { return persistent_; }
    /// The run id of the outbox's numbering, and where it came from.
    [[nodiscard]] const RunId& run_id() const { return run_id_; }
    /// DIR/run-id (empty in RAM).
    [[nodiscard]] std::string run_id_path() const;
    /// One line about what recovery found, for the node's first status line.
    [[nodiscard]] std::string describe() const;

private:
    NodeOutbox() = default;
    Result<void> open_set(node::LogStorage& first, node::LogStorage& second,
                          const node::OutboxConfig& config);

    // The segments when the outbox owns them (the open() without a device).
    std::optional<port::posix::OutboxSegments> segments_;
    std::vector<node::OutboxEntry> index_;
    std::vector<std::uint8_t> scratch_;
    std::unique_ptr<node::Outbox> outbox_;
    bool persistent_ = false;
    std::string directory_;
    RunId run_id_;
};

}  // namespace mqtls::cli
