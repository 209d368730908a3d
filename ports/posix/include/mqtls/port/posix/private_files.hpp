#pragma once
/// @file
/// Files a device trusts or keeps secrets in (the outbox's segments, the sealed TLS session and
/// its key, the run id, PKI keys), under one set of rules, so that a file another local user
/// planted or redirected is never written through or believed:
///  - opened with O_NOFOLLOW: a symbolic link is refused, never followed (a link to
///    /etc/shadow must not be truncated by an outbox that "recovers");
///  - a regular file with one link (not a FIFO, device or directory, and not a hard link that
///    makes another file of ours writable under this name);
///  - owned by the effective user, with no permission bits for group and others (0600): a
///    file others may write could carry forged readings or a chosen session, one they may read
///    has leaked;
///  - its folder a real directory, owned by us (or root), that group and others cannot write
///    (whoever can write it can swap the files in it), inside a parent that others cannot
///    write either unless it is sticky (as /tmp is: nobody can rename our entries there).
/// Host-only (POSIX). Each returns a precise Errc with a hint saying how to fix it.

#include <sys/types.h>

#include <string>

#include "mqtls/core/result.hpp"

namespace mqtls::port::posix {

/// An open file that passed the rules; the caller closes `fd`.
struct PrivateFile {
    int fd = -1;
    bool created = false;  ///< it did not exist and was created (mode 0600) by this call
};

/// Opens `path` with `flags` (O_RDONLY, O_RDWR, O_WRONLY, plus O_APPEND; O_CREAT creates it
/// 0600 when missing) and checks it against the rules above. Errors: file_type_unsafe (a
/// symbolic link, FIFO, device, directory or hard link; detail: the file type bits, or -1 for
/// a link), file_permissions_unsafe (detail: the mode), file_read_failed / file_write_failed
/// (detail: errno; ENOENT when missing without O_CREAT).
Result<PrivateFile> open_private_file(const std::string& path, int flags) noexcept;

/// Checks that `folder` is a directory the rules above let us keep private files in.
/// Errors: folder_permissions_unsafe (detail: the mode of the folder or its parent),
/// file_type_unsafe (not a directory, or a symbolic link), file_read_failed (detail: errno).
Result<void> check_private_folder(const std::string& folder) noexcept;

/// check_private_folder() of the folder that holds `path`.
Result<void> check_folder_of(const std::string& path) noexcept;

}  // namespace mqtls::port::posix
