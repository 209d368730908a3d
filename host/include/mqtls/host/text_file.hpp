#pragma once
/// @file
/// Reading a whole file into memory, bounded: a PEM bundle, a password or users file, a broker's
/// log. The one whole-file reader of the host tools.

#include <cstddef>
#include <string>

#include "mqtls/core/result.hpp"

namespace mqtls::host {

/// The most read_text_file() takes by default: a PEM bundle, a password file (Debian's whole CA
/// bundle is about 220 KB).
constexpr std::size_t default_max_file_bytes = std::size_t{4} * 1024 * 1024;

/// Reads a whole regular file of at most `max_bytes`, e.g. a PEM certificate. A FIFO or a
/// device (--cafile /dev/zero) is refused before reading, so nothing blocks or grows without
/// bound. Errors: file_not_regular (detail: the type bits), file_too_large (detail: the
/// limit), file_read_failed (detail: errno).
Result<std::string> read_text_file(const std::string& path,
                                   std::size_t max_bytes = default_max_file_bytes);

}  // namespace mqtls::host
