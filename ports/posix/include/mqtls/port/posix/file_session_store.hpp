#pragma once
/// @file
/// The TLS session store and its sealing key as files, for Linux gateways and the `mqtls node`
/// wake cycle (an ESP32 keeps the blob in RTC memory instead). Both files are secrets: they are
/// created with mode 0600, and neither is used when it belongs to another user or other users
/// could read or change it.

#include <string>

#include "mqtls/core/result.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::port::posix {

class FileSessionStore final : public tls::SessionStore {
public:
    explicit FileSessionStore(std::string path) : path_(std::move(path)) {}

    /// 0 when the file does not exist. Errors: file_read_failed (detail: errno),
    /// file_permissions_unsafe (group or others may access it), message_too_large (larger than
    /// any sealed session: not ours).
    Result<std::size_t> load(mutable_bytes out) noexcept override;
    /// Writes a 0600 temporary file, syncs it, and renames it over the old one (then syncs the
    /// directory), so a crash leaves either the old blob or the new one. Errors:
    /// file_write_failed (detail: errno).
    Result<void> save(bytes_view sealed) noexcept override;
    /// Removes the file (absent is fine). Errors: file_write_failed.
    Result<void> erase() noexcept override;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

/// The device's session-sealing key at `path`: read if the file exists (exactly 32 bytes, ours,
/// mode 0600 or stricter), otherwise made from getrandom(2), written whole under a temporary
/// name (0600) and linked into place. Errors: file_read_failed / file_write_failed (detail:
/// errno), file_permissions_unsafe, session_key_invalid (wrong size), key_generation_failed.
Result<tls::SessionKey> load_or_create_session_key(const std::string& path) noexcept;

/// Removes the key at `path` and makes a new one (after session_key_invalid: a damaged key only
/// costs the stored session, which it can no longer open). Errors: as above.
Result<tls::SessionKey> replace_session_key(const std::string& path) noexcept;

}  // namespace mqtls::port::posix
