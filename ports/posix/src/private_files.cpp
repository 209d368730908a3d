#include "mqtls/port/posix/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mqtls::port::posix {
namespace {

constexpr mode_t group_or_other = S_IRWXG | S_IRWXO;
constexpr mode_t writable_by_others = S_IWGRP | S_IWOTH;

Errc io_error(int flags) noexcept {
    return (flags & O_ACCMODE) == O_RDONLY ? Errc::file_read_failed : Errc::file_write_failed;
}

// open(2) that never follows a link, never blocks on a FIFO and says whether it created.
Result<PrivateFile> open_without_following(const std::string& path, int flags) noexcept {
    const int base = (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    PrivateFile file;
    if ((flags & O_CREAT) != 0) {
        file.fd = ::open(path.c_str(), base | O_CREAT | O_EXCL, 0600);
        file.created = file.fd >= 0;
        if (file.fd < 0 && errno != EEXIST) return Error{io_error(flags), errno};
    }
    if (file.fd < 0) file.fd = ::open(path.c_str(), base);
    if (file.fd >= 0) return file;
    // O_NOFOLLOW on a link fails with ELOOP: say it is a link, not a loop.
    if (errno == ELOOP) return Error{Errc::file_type_unsafe, -1};
    return Error{io_error(flags), errno};
}

Result<void> check_open_file(int fd, int flags) noexcept {
    struct stat info {};
    if (::fstat(fd, &info) != 0) return Error{io_error(flags), errno};
    if (!S_ISREG(info.st_mode)) {
        return Error{Errc::file_type_unsafe, static_cast<std::int32_t>(info.st_mode & S_IFMT)};
    }
    if (info.st_nlink != 1) return Error{Errc::file_type_unsafe, -1};
    if (info.st_uid != ::geteuid() || (info.st_mode & group_or_other) != 0) {
        return Error{Errc::file_permissions_unsafe,
                     static_cast<std::int32_t>(info.st_mode & 07777)};
    }
    // Blocking again: reads and writes of a regular file never wait anyway, but keep the
    // descriptor what the caller asked for.
    const int status = ::fcntl(fd, F_GETFL);
    if (status < 0 || ::fcntl(fd, F_SETFL, status & ~O_NONBLOCK) != 0) {
        return Error{io_error(flags), errno};
    }
    return ok();
}

std::string parent_of(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

Result<PrivateFile> open_private_file(const std::string& path, int flags) noexcept {
    auto file = open_without_following(path, flags);
    if (!file) return file.error();
    if (auto checked = check_open_file(file->fd, flags); !checked) {
        ::close(file->fd);
        // A file this call created is ours and 0600 by construction; one that fails the
        // checks was there before and is left as it was, for its owner to look at.
        return checked.error();
    }
    return file;
}

Result<void> check_private_folder(const std::string& folder) noexcept {
    struct stat info {};
    if (::lstat(folder.c_str(), &info) != 0) return Error{Errc::file_read_failed, errno};
    if (S_ISLNK(info.st_mode)) return Error{Errc::file_type_unsafe, -1};
    if (!S_ISDIR(info.st_mode)) {
        return Error{Errc::file_type_unsafe, static_cast<std::int32_t>(info.st_mode & S_IFMT)};
    }
    const auto unsafe = [](const struct stat& s) {
        return Error{Errc::folder_permissions_unsafe, static_cast<std::int32_t>(s.st_mode & 07777)};
    };
    if ((info.st_uid != ::geteuid() && info.st_uid != 0) ||
        (info.st_mode & writable_by_others) != 0) {
        return unsafe(info);
    }
    // Whoever can write the parent can rename our folder away and put theirs in its place,
    // unless the parent is sticky (then only owners may rename entries).
    struct stat parent {};
    if (::stat(parent_of(folder).c_str(), &parent) != 0)
        return Error{Errc::file_read_failed, errno};
    if ((parent.st_mode & writable_by_others) != 0 && (parent.st_mode & S_ISVTX) == 0) {
        return unsafe(parent);
    }
    return ok();
}

Result<void> check_folder_of(const std::string& path) noexcept {
    return check_private_folder(parent_of(path));
}

}  // namespace mqtls::port::posix
