#pragma once
/// @file
/// The run id: which run of sequence numbers a reading belongs to. The outbox numbers readings
/// 1, 2, ... and never reuses a seq while it keeps its log; but a device that loses the log (a
/// RAM outbox after a restart, a wiped or corrupted flash log) starts again at 1, and a
/// collector that deduplicates by (device, seq) would drop the new readings as duplicates of
/// the old ones. Every reading therefore carries "run": a random 64-bit value, made whenever
/// the numbering starts over and kept exactly as long as the numbering continues, and a
/// collector deduplicates by (device, run, seq).
///
/// Random rather than a counter or a clock: a counter needs the very storage whose loss it
/// must survive, and a device without a battery-backed clock boots at the same time after
/// every reset. Two runs of one device get the same id with probability 2^-64 per pair.
///
/// Keeping it: the platform stores the id next to the outbox and makes a new one whenever the
/// outbox starts a new log (Outbox::recovery().fresh), since the seq starts at 1 again then.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::node {

/// A run id is written as exactly this many lowercase hex digits ("run":"3f9a0c2e51b7d864").
inline constexpr std::size_t run_id_text_length = 16;

/// Writes `id` as 16 lowercase hex digits (leading zeros kept) into `out` and returns them;
/// buffer_too_small when `out` is shorter.
Result<std::string_view> format_run_id(std::uint64_t id, span<char> out) noexcept;

/// The run id written as 16 lowercase hex digits, as format_run_id() writes it; anything else
/// (another length, upper case, a sign, spaces) and the id 0 (which means "no run id") are
/// invalid_argument, so that one id has exactly one spelling.
Result<std::uint64_t> parse_run_id(std::string_view text) noexcept;

}  // namespace mqtls::node
