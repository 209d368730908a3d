#include "mqtls/port/posix/file_session_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "file_sync.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/port/posix/private_files.hpp"

namespace mqtls::port::posix {
namespace {

// Closes a descriptor on every way out.
struct FileDescriptor {
    explicit FileDescriptor(int value) noexcept : fd(value) {}
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int fd;
};

// Reads up to out.size() bytes; returns how many, or the errno. A file longer than `out` is
// reported as such (message_too_large) rather than cut.
Result<std::size_t> read_secret_file(const std::string& path, mutable_bytes out,
                                     bool missing_is_empty) noexcept {
    // Another user's file could have been planted (a session with a master secret they chose);
    // one others may read has leaked. Neither is used (private_files.hpp).
    MQTLS_TRY(check_folder_of(path));
    auto opened = open_private_file(path, O_RDONLY);
    if (!opened) {
        if (opened.error().code == Errc::file_read_failed && opened.error().detail == ENOENT &&
            missing_is_empty) {
            return std::size_t{0};
        }
        return opened.error();
    }
    const FileDescriptor file(opened->fd);
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) return Error{Errc::file_read_failed, errno};
    if (static_cast<std::size_t>(info.st_size) > out.size()) {
        return Error{Errc::message_too_large, static_cast<std::int32_t>(info.st_size)};
    }
    std::size_t filled = 0;
    for (int guard = 0; filled < out.size() && guard < 1000; ++guard) {
        const ssize_t got = ::read(file.fd, out.data() + filled, out.size() - filled);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Error{Errc::file_read_failed, errno};
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    return filled;
}

Result<void> write_all(int fd, bytes_view bytes) noexcept {
    std::size_t written = 0;
    for (int guard = 0; written < bytes.size() && guard < 1000; ++guard) {
        const ssize_t put = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return Error{Errc::file_write_failed, put < 0 ? errno : EIO};
        written += static_cast<std::size_t>(put);
    }
    if (written < bytes.size()) return Error{Errc::file_write_failed, EIO};
    return ok();
}

}  // namespace

Result<std::size_t> FileSessionStore::load(mutable_bytes out) noexcept {
    return read_secret_file(path_, out, /*missing_is_empty=*/true);
}

Result<void> FileSessionStore::save(bytes_view sealed) noexcept {
    const std::string temporary = path_ + ".new";
    {
        (void)::unlink(temporary.c_str());  // a leftover of a crash mid-save
        const FileDescriptor file(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (file.fd < 0) return Error{Errc::file_write_failed, errno};
        MQTLS_TRY(write_all(file.fd, sealed));
        if (::fdatasync(file.fd) != 0) return Error{Errc::file_write_failed, errno};
    }
    if (::rename(temporary.c_str(), path_.c_str()) != 0) {
        const int saved = errno;
        (void)::unlink(temporary.c_str());
        return Error{Errc::file_write_failed, saved};
    }
    return detail::sync_parent_directory(path_);
}

Result<void> FileSessionStore::erase() noexcept {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
        return Error{Errc::file_write_failed, errno};
    }
    return ok();
}

Result<tls::SessionKey> load_or_create_session_key(const std::string& path) noexcept {
    tls::SessionKey key;
    // One byte more than a key, so a longer file is seen as the wrong size.
    std::uint8_t buffer[sizeof key.bytes + 1] = {};
    auto read = read_secret_file(path, buffer, /*missing_is_empty=*/true);
    if (!read && read.error().code == Errc::message_too_large) {
        return Error{Errc::session_key_invalid, read.error().detail};
    }
    if (!read) return read.error();
    if (*read == sizeof key.bytes) {
        for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = buffer[i];
        return key;
    }
    const bool exists = ::access(path.c_str(), F_OK) == 0;
    if (exists) return Error{Errc::session_key_invalid, static_cast<std::int32_t>(*read)};

    // Written whole under a temporary name and linked into place, so a power cut never leaves
    // a short key behind; link() fails rather than replace a key made meanwhile.
    MQTLS_TRY(fill_random(key.bytes));
    const std::string temporary = path + ".new";
    (void)::unlink(temporary.c_str());
    {
        const FileDescriptor file(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (file.fd < 0) return Error{Errc::file_write_failed, errno};
        MQTLS_TRY(write_all(file.fd, key.bytes));
        if (::fdatasync(file.fd) != 0) return Error{Errc::file_write_failed, errno};
    }
    const int linked = ::link(temporary.c_str(), path.c_str());
    const int link_error = errno;
    (void)::unlink(temporary.c_str());
    if (linked != 0) return Error{Errc::file_write_failed, link_error};
    MQTLS_TRY(detail::sync_parent_directory(path));
    return key;
}

Result<tls::SessionKey> replace_session_key(const std::string& path) noexcept {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Error{Errc::file_write_failed, errno};
    }
    return load_or_create_session_key(path);
}

}  // namespace mqtls::port::posix
