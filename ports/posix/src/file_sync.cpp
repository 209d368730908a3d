#include "file_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mqtls::port::posix::detail {

Result<void> sync_parent_directory(const std::string& path) noexcept {
    const std::size_t slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error{Errc::file_write_failed, errno};
    const int synced = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (synced != 0) return Error{Errc::file_write_failed, saved};
    return ok();
}

}  // namespace mqtls::port::posix::detail
