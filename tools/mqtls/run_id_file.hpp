#pragma once
// The run id of `mqtls node --outbox DIR` (mqtls/node/run_id.hpp), kept in DIR/run-id as 16
// lowercase hex digits and a newline. It lives exactly as long as the outbox's numbering: a
// new outbox log (seq starts at 1 again) always gets a new run id, whatever the file says, and
// an outbox that continues its numbering keeps the stored one, across restarts and wakes.
//
// The file is not secret, but it decides which readings a collector takes for duplicates, so
// it is handled like the node's other state: never through a symbolic link (O_NOFOLLOW),
// refused when another user owns it or others may write it, created 0600, and replaced only by
// writing a temporary file, syncing it, renaming it over the old one and syncing the folder,
// so that a crash leaves the old id or the new one, never a torn one.

#include <cstdint>
#include <string>

#include "mqtls/core/result.hpp"

namespace mqtls::cli {

/// The file's name in the outbox folder.
inline constexpr const char* run_id_file_name = "run-id";

/// Where a run id came from.
enum class RunIdOrigin {
    stored,      ///< DIR/run-id, for an outbox that continues its numbering
    new_outbox,  ///< made for an outbox that starts a new log (seq from 1)
    missing,     ///< made: the outbox continues, but no run id was stored (an older mqtls)
    damaged,     ///< made: the stored file did not hold a run id
    in_ram,      ///< made for this run: no --outbox
};

struct RunId {
    std::uint64_t value = 0;
    RunIdOrigin origin = RunIdOrigin::in_ram;
};

/// A new random run id (never 0). Errors: fill_random's.
Result<std::uint64_t> make_run_id() noexcept;

/// The run id for the outbox in `directory`; `outbox_is_new` says whether the outbox just
/// started a new log. Errors: file_permissions_unsafe (detail: the file's mode bits; another
/// user's file or one others may write), file_read_failed (not a regular file, or a symbolic
/// link: ELOOP), file_write_failed, and make_run_id()'s.
Result<RunId> load_or_create_run_id(const std::string& directory, bool outbox_is_new);

}  // namespace mqtls::cli
