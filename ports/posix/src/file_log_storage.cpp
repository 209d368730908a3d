#include "mqtls/port/posix/file_log_storage.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "file_sync.hpp"
#include "mqtls/port/posix/private_files.hpp"

namespace mqtls::port::posix {
using detail::sync_parent_directory;

Result<FileLogStorage> FileLogStorage::open(const std::string& path) noexcept {
    // Readings are trusted on recovery and the file is truncated when no intact log is found:
    // only a private regular file of ours, in a private folder, may be that file.
    MQTLS_TRY(check_folder_of(path));
    auto file = open_private_file(path, O_RDWR | O_CREAT | O_APPEND);
    if (!file) return file.error();
    FileLogStorage storage(file->fd);
    if (::flock(file->fd, LOCK_EX | LOCK_NB) != 0) {
        return Error{errno == EWOULDBLOCK ? Errc::storage_in_use : Errc::file_write_failed, errno};
    }
    if (file->created) MQTLS_TRY(sync_parent_directory(path));
    return storage;
}

FileLogStorage::FileLogStorage(FileLogStorage&& other) noexcept
    : fd_(other.fd_), syncs_(other.syncs_) {
    other.fd_ = -1;
}

FileLogStorage& FileLogStorage::operator=(FileLogStorage&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        syncs_ = other.syncs_;
        other.fd_ = -1;
    }
    return *this;
}

FileLogStorage::~FileLogStorage() {
    if (fd_ >= 0) ::close(fd_);  // also releases the lock
}

Result<std::size_t> FileLogStorage::size() noexcept {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return Error{Errc::file_read_failed, errno};
    return static_cast<std::size_t>(info.st_size);
}

Result<std::size_t> FileLogStorage::read(std::size_t offset, mutable_bytes out) noexcept {
    std::size_t done = 0;
    // Each turn reads at least one byte or ends: bounded by out.size().
    while (done < out.size()) {
        const ssize_t got =
            ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            return Error{Errc::file_read_failed, errno};
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

Result<void> FileLogStorage::append(bytes_view data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t wrote = ::write(fd_, data.data() + done, data.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            return Error{errno == ENOSPC ? Errc::storage_full : Errc::file_write_failed, errno};
        }
        done += static_cast<std::size_t>(wrote);
    }
    return ok();
}

Result<void> FileLogStorage::truncate(std::size_t length) noexcept {
    if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) {
        return Error{Errc::file_write_failed, errno};
    }
    return ok();
}

Result<void> FileLogStorage::sync() noexcept {
    if (::fdatasync(fd_) != 0) return Error{Errc::file_write_failed, errno};
    ++syncs_;
    return ok();
}

}  // namespace mqtls::port::posix
