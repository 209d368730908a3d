#pragma once
/// @file
/// The outbox's LogStorage as a file: appends with write(2), sync with fdatasync(2). The file
/// is created with mode 0600 (readings can be private) and locked (flock) for as long as it is
/// open, so two processes never write one outbox.

#include <string>

#include "mqtls/core/result.hpp"
#include "mqtls/node/log_storage.hpp"

namespace mqtls::port::posix {

class FileLogStorage final : public node::LogStorage {
public:
    /// Opens `path`, creating it (0600, and syncing its directory so the new name is durable)
    /// if needed. Errors: file_read_failed / file_write_failed (detail: errno),
    /// storage_in_use when another process holds it.
    static Result<FileLogStorage> open(const std::string& path) noexcept;

    FileLogStorage(FileLogStorage&& other) noexcept;
    FileLogStorage& operator=(FileLogStorage&& other) noexcept;
    FileLogStorage(const FileLogStorage&) = delete;
    FileLogStorage& operator=(const FileLogStorage&) = delete;
    ~FileLogStorage();

    Result<std::size_t> size() noexcept override;
    Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept override;
    Result<void> append(bytes_view data) noexcept override;
    Result<void> truncate(std::size_t length) noexcept override;
    Result<void> sync() noexcept override;

    /// How many times sync() reached the disk (for the sync-policy benchmark).
    [[nodiscard]] std::size_t syncs() const noexcept { return syncs_; }

private:
    explicit FileLogStorage(int fd) noexcept : fd_(fd) {}

    int fd_ = -1;
    std::size_t syncs_ = 0;
};

}  // namespace mqtls::port::posix
