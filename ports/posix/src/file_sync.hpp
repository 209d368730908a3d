#pragma once
// Durability helpers shared by the port's file-backed stores.

#include <string>

#include "mqtls/core/result.hpp"

namespace mqtls::port::posix::detail {

// fsync of the directory holding `path`, so that a newly created or renamed file's name
// survives a crash. Errors: file_write_failed (detail: errno).
Result<void> sync_parent_directory(const std::string& path) noexcept;

}  // namespace mqtls::port::posix::detail
