#pragma once
/// @file
/// Reading and writing the files CLI tests hand to mqtls or get back from it, and looking at
/// what is on disk.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace mqtls::cli_test {

/// The whole content of `path`, byte for byte; empty when it cannot be read (a test then fails
/// on the content, which names what was expected).
std::string read_file(const std::string& path);

/// Replaces `path` with `content` (binary, truncated first). Fails the test (non-fatally for the
/// caller, as any helper's ASSERT) when the write does not succeed.
void write_file(const std::string& path, const std::string& content);
/// write_file(), then chmod to `mode` (a test that plants a file with other permissions).
void write_file(const std::string& path, const std::string& content, mode_t mode);

/// Whether something (a file, a folder, a link, even a dangling one) is at `path` (lstat).
bool exists(const std::string& path);
/// The permission bits (07777) of `path` after following links; 07777 when stat fails, which no
/// expected mode in a test is.
mode_t permissions(const std::string& path);

/// How often `needle` occurs in `text`, without overlaps.
std::size_t count_of(const std::string& text, const std::string& needle);
/// The lines of `text`, without their '\n'.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace mqtls::cli_test
