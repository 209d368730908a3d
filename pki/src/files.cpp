#include "mqtls/pki/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <mbedtls/platform_util.h>

#include "mqtls/pki/keys.hpp"

namespace mqtls::pki {

namespace {

constexpr mode_t private_key_mode = 0600;
constexpr mode_t public_file_mode = 0644;
constexpr std::size_t read_chunk_size = 4096;

// Closes a descriptor on every path out of the caller.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    FileDescriptor(FileDescriptor&&) = delete;
    FileDescriptor& operator=(FileDescriptor&&) = delete;

    [[nodiscard]] int get() const noexcept { return fd_; }
    // Closes now, so that its error (NFS reports write failures there) can be seen: 0 or errno.
    int close_now() noexcept {
        const int ret = ::close(fd_);
        fd_ = -1;
        return ret == 0 ? 0 : errno;
    }

private:
    int fd_;
};

// Writes all of `data`, resuming after signals and short writes: 0 or errno.
int write_all(int fd, std::string_view data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t ret = ::write(fd, data.data() + done, data.size() - done);
        if (ret < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        done += static_cast<std::size_t>(ret);
    }
    return 0;
}

// Writes, syncs and closes `fd`: 0 or the first errno.
int fill_and_close(FileDescriptor& file, std::string_view content) noexcept {
    int error = write_all(file.get(), content);
    if (error == 0 && ::fsync(file.get()) != 0) {
        error = errno;
    }
    const int close_error = file.close_now();
    return error != 0 ? error : close_error;
}

// Creates `path` exclusively and writes `content`. With `exact_mode`, the permissions are set to
// `mode` after creation regardless of the umask (which could leave a key unreadable to its owner
// but never more open than `mode`).
Result<void> create_file(const std::string& path, std::string_view content, mode_t mode,
                         bool exact_mode) {
    // O_EXCL also refuses a symbolic link at `path`, dangling or not, so the file cannot be
    // redirected somewhere else.
    FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (file.get() < 0) {
        const int error = errno;
        if (error == EEXIST) {
            return Error{Errc::file_exists, error};
        }
        return Error{Errc::file_write_failed, error};
    }
    int error = 0;
    if (exact_mode && ::fchmod(file.get(), mode) != 0) {
        error = errno;
    }
    if (error == 0) {
        error = fill_and_close(file, content);
    }
    if (error != 0) {
        // We created it, so removing it only undoes our own half-written file; a retry would
        // otherwise hit file_exists.
        ::unlink(path.c_str());
        return Error{Errc::file_write_failed, error};
    }
    return ok();
}

// Reads `fd` to its end into `content`: 0 or errno (EFBIG above max_pem_file_size).
int read_all(int fd, std::string& content, char* chunk, std::size_t chunk_size) noexcept {
    for (;;) {
        const ssize_t ret = ::read(fd, chunk, chunk_size);
        if (ret < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (ret == 0) {
            return 0;
        }
        // Checked while reading rather than by fstat alone: devices and pipes report no size.
        if (content.size() + static_cast<std::size_t>(ret) > max_pem_file_size) {
            return EFBIG;
        }
        content.append(chunk, static_cast<std::size_t>(ret));
    }
}

}  // namespace

Result<void> write_private_key_file(const std::string& path, std::string_view pem) {
    return create_file(path, pem, private_key_mode, true);
}

Result<void> write_public_file(const std::string& path, std::string_view pem) {
    return create_file(path, pem, public_file_mode, false);
}

Result<void> replace_file(const std::string& path, std::string_view content, unsigned int mode) {
    const std::size_t slash = path.find_last_of('/');
    const std::string folder =
        slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
    std::string temporary = path + ".tmp-XXXXXX";
    FileDescriptor file(::mkostemp(temporary.data(), O_CLOEXEC));
    if (file.get() < 0) {
        return Error{Errc::file_write_failed, errno};
    }
    int error = ::fchmod(file.get(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
    if (error == 0) {
        error = fill_and_close(file, content);
    }
    if (error == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) {
        error = errno;
    }
    if (error != 0) {
        ::unlink(temporary.c_str());
        return Error{Errc::file_write_failed, error};
    }
    // The rename is durable only once the folder's entry is on disk too.
    FileDescriptor directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.get() < 0 || ::fsync(directory.get()) != 0) {
        return Error{Errc::file_write_failed, errno};
    }
    return ok();
}

Result<std::string> read_file_descriptor(int fd) {
    // The file may be a private key: reserving its size up front keeps the string from
    // reallocating (which would free copies of the key without wiping them), and the chunk is
    // wiped below.
    std::string content;
    struct stat status {};
    if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode) &&
        static_cast<std::size_t>(status.st_size) <= max_pem_file_size) {
        content.reserve(static_cast<std::size_t>(status.st_size));
    }
    char chunk[read_chunk_size];
    const int error = read_all(fd, content, chunk, sizeof(chunk));
    mbedtls_platform_zeroize(chunk, sizeof(chunk));
    if (error != 0) {
        wipe_secret(content);
        return Error{Errc::file_read_failed, error};
    }
    return content;
}

Result<std::string> read_file(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        return Error{Errc::file_read_failed, errno};
    }
    return read_file_descriptor(file.get());
}

}  // namespace mqtls::pki
