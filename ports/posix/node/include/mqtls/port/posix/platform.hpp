#pragma once
/// @file
/// The Linux device: everything node::Platform borrows, owned in one object. A TcpStream, the
/// CLOCK_MONOTONIC and CLOCK_REALTIME clocks, getrandom(2) entropy, the sealed TLS session in a
/// file (FileSessionStore) under a key in a 0600 key file (FileSessionKey), and the outbox's
/// two log segments: FileLogStorage files in a private folder, or RAM buffers. What
/// `mqtls node` (continuous and --wake-cycle) and a Linux gateway application give
/// node::NodeRunner and node::run_wake_cycle.
///
/// @code
///   port::posix::Platform device;
///   if (auto opened = device.open_outbox_segments("/var/lib/sensor"); !opened) { ... }
///   device.use_session_files("/var/lib/sensor/tls-session.sealed",
///                            "/var/lib/sensor/tls-session.key");
///   const node::Platform& platform = device.node();   // stream, clocks, store, segments
/// @endcode
///
/// node() points into this object: it neither moves nor copies. Host-only (heap, files).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/node/log_storage.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/port/posix/file_log_storage.hpp"
#include "mqtls/port/posix/file_session_store.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::port::posix {

/// The key that seals the stored TLS session, as a 0600 file (load_or_create_session_key()).
class FileSessionKey final : public node::SessionKeySource {
public:
    explicit FileSessionKey(std::string path) : path_(std::move(path)) {}

    /// Fills `key` from the file, creating it (32 random bytes, 0600) when missing, and returns
    /// true. A damaged key (session_key_invalid: wrong size) is replaced by a new one, since it
    /// only cost the stored session it can no longer open: replaced_damaged_key() says so.
    /// Errors: file_permissions_unsafe, file_type_unsafe (not used: the caller goes on
    /// without resumption, fail closed for the secret), file_read_failed, file_write_failed,
    /// key_generation_failed.
    Result<bool> load(tls::SessionKey& key) noexcept override;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// The size in bytes of the damaged key the last load() replaced; nullopt: it replaced none.
    [[nodiscard]] std::optional<std::int32_t> replaced_damaged_key() const noexcept {
        return replaced_bytes_;
    }

private:
    std::string path_;
    std::optional<std::int32_t> replaced_bytes_;
};

/// The outbox's two log segments: `DIR/segment-0.log` and `DIR/segment-1.log`
/// (FileLogStorage: 0600, locked, in a private folder), or two RAM buffers (kept across
/// reconnects, not restarts).
class OutboxSegments {
public:
    /// Creates `directory` (0700) when missing and opens both files. Errors: file_write_failed
    /// (creating the folder; detail: errno), FileLogStorage::open's (storage_in_use,
    /// file_type_unsafe, file_permissions_unsafe, folder_permissions_unsafe, ...).
    static Result<OutboxSegments> open_files(const std::string& directory) noexcept;
    /// Two zeroed RAM buffers of `segment_bytes` each (OutboxConfig::segment_bytes).
    static OutboxSegments in_ram(std::size_t segment_bytes);

    [[nodiscard]] node::LogStorage& segment(int index) noexcept;
    [[nodiscard]] bool persistent() const noexcept { return files_[0].has_value(); }

private:
    OutboxSegments() = default;

    std::optional<FileLogStorage> files_[2];
    // unique_ptr: the RamLogStorage views stay valid when the segments move.
    std::unique_ptr<std::uint8_t[]> memory_[2];
    std::optional<node::RamLogStorage> ram_[2];
};

class Platform {
public:
    /// The stream, the clocks and entropy; no session store and no outbox segments yet.
    Platform() noexcept;
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;
    Platform(Platform&&) = delete;
    Platform& operator=(Platform&&) = delete;
    ~Platform() = default;

    /// The outbox's segments as files in `directory` (OutboxSegments::open_files()); replaces
    /// earlier segments. Errors: as open_files().
    Result<void> open_outbox_segments(const std::string& directory) noexcept;
    /// The outbox's segments in RAM (OutboxSegments::in_ram()); replaces earlier segments.
    void use_ram_outbox_segments(std::size_t segment_bytes);
    /// The sealed TLS session in `session_file` under the key in `key_file`: node().sessions
    /// and node().session_key. Nothing is read yet (session_key().load() does, the connection
    /// the store).
    void use_session_files(const std::string& session_file, const std::string& key_file);
    /// No resumption: node().sessions and node().session_key null again.
    void forget_session_files() noexcept;

    /// What the runtime is given; valid while this object lives.
    [[nodiscard]] const node::Platform& node() const noexcept { return platform_; }
    [[nodiscard]] TcpStream& stream() noexcept { return stream_; }
    /// nullptr before use_session_files().
    [[nodiscard]] FileSessionStore* session_store() noexcept { return store_.get(); }
    [[nodiscard]] FileSessionKey* session_key() noexcept { return key_.get(); }
    /// nullptr before open_outbox_segments() or use_ram_outbox_segments().
    [[nodiscard]] OutboxSegments* outbox_segments() noexcept {
        return segments_ ? &*segments_ : nullptr;
    }

private:
    void point_at_segments() noexcept;

    TcpStream stream_;
    std::unique_ptr<FileSessionStore> store_;
    std::unique_ptr<FileSessionKey> key_;
    std::optional<OutboxSegments> segments_;
    node::Platform platform_;
};

}  // namespace mqtls::port::posix
