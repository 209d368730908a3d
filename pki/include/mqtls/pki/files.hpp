#pragma once
/// @file
/// Writing and reading PEM files. New files are created, never overwritten: a `mqtls pki`
/// command run twice must not silently replace a CA key that devices already trust. Files that
/// are meant to change (the CRL and the revocation index) are replaced whole, atomically.

#include <cstddef>
#include <string>
#include <string_view>

#include "mqtls/core/result.hpp"

namespace mqtls::pki {

/// The largest file read_file() accepts. PEM keys and certificate chains are kilobytes; the cap
/// keeps a wrong path (a device node, a log file) from filling memory.
inline constexpr std::size_t max_pem_file_size = std::size_t{1024} * 1024;

/// Creates `path` with permissions 0600 (owner read/write, whatever the umask) and writes `pem`
/// to it, synced to disk. The file is created exclusively (O_CREAT | O_EXCL), so an existing file
/// or a symbolic link at `path` is left alone. A file that could not be written completely is
/// removed again.
/// Errors: file_exists, file_write_failed (detail: the errno).
Result<void> write_private_key_file(const std::string& path, std::string_view pem);

/// Creates `path` with permissions 0644 as narrowed by the umask, for certificates and public
/// keys, and writes `pem` to it; exclusive creation and clean-up as for write_private_key_file().
/// Errors: file_exists, file_write_failed (detail: the errno).
Result<void> write_public_file(const std::string& path, std::string_view pem);

/// Replaces `path` (or creates it) with `content`, so that a reader sees either the old file or
/// the new one, whole, also across a crash: the content goes to a new temporary file beside it
/// (exclusive creation, permissions exactly `mode`), which is synced and renamed over `path`,
/// and the folder is synced. A symbolic link at `path` is replaced, never followed. The
/// temporary file is removed again on failure.
/// Errors: file_write_failed (detail: the errno).
Result<void> replace_file(const std::string& path, std::string_view content, unsigned int mode);

/// The rest of the open file `fd`, from its current offset (the caller opened and checked it,
/// and closes it).
/// Errors: file_read_failed (detail: the errno; EFBIG above max_pem_file_size).
Result<std::string> read_file_descriptor(int fd);

/// The whole content of `path`.
/// Errors: file_read_failed (detail: the errno; EFBIG above max_pem_file_size).
Result<std::string> read_file(const std::string& path);

}  // namespace mqtls::pki
