#include "mqtls/host/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

namespace mqtls::host {

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Error{Errc::file_read_failed, errno};
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) return Error{Errc::file_read_failed, errno};
    if (!S_ISREG(info.st_mode)) {
        return Error{Errc::file_not_regular, static_cast<std::int32_t>(info.st_mode & S_IFMT)};
    }
    const auto limit = static_cast<std::int32_t>(std::min<std::size_t>(max_bytes, INT32_MAX));
    if (static_cast<std::size_t>(info.st_size) > max_bytes) {
        return Error{Errc::file_too_large, limit};
    }
    std::string text(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t filled = 0;
    // Bounded: one byte more than the limit tells a file that grew meanwhile.
    while (filled <= max_bytes) {
        if (filled == text.size()) text.resize(std::min(max_bytes + 1, text.size() * 2 + 4096));
        const ssize_t got = ::read(fd, text.data() + filled, text.size() - filled);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Error{Errc::file_read_failed, errno};
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    if (filled > max_bytes) return Error{Errc::file_too_large, limit};
    text.resize(filled);
    return text;
}

}  // namespace mqtls::host
