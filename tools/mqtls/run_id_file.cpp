#include "run_id_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "mqtls/node/run_id.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/port/posix/private_files.hpp"

namespace mqtls::cli {
namespace {

// The file holds the id and a newline; anything longer is not a run id file.
constexpr std::size_t run_id_file_bytes = node::run_id_text_length + 1;

class Descriptor {
public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

// What the file says: an id, "no usable id" (missing or damaged), or an error to stop on.
struct Stored {
    bool exists = false;
    std::uint64_t id = 0;  // 0: none usable
};

// Reads until `capacity` bytes or the end of the file; returns how many.
Result<std::size_t> read_up_to(int fd, char* out, std::size_t capacity) {
    std::size_t filled = 0;
    for (int guard = 0; filled < capacity && guard < 100; ++guard) {
        const ssize_t got = ::read(fd, out + filled, capacity - filled);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Error{Errc::file_read_failed, errno};
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    return filled;
}

Result<Stored> read_stored(const std::string& path) {
    // Whoever can write the id can make a collector take this device's new readings for
    // duplicates of old ones and drop them: the project's private-file rules apply.
    auto opened = port::posix::open_private_file(path, O_RDONLY);
    if (!opened) {
        if (opened.error().code == Errc::file_read_failed && opened.error().detail == ENOENT) {
            return Stored{};
        }
        return opened.error();
    }
    const Descriptor file(opened->fd);
    char text[run_id_file_bytes + 1];
    auto read = read_up_to(file.get(), text, sizeof text);
    if (!read) return read.error();
    const std::size_t filled = *read;
    Stored stored;
    stored.exists = true;
    if (filled == run_id_file_bytes && text[filled - 1] == '\n') {
        const auto id = node::parse_run_id(std::string_view(text, node::run_id_text_length));
        if (id) stored.id = *id;
    }
    return stored;
}

Result<void> write_all(int fd, std::string_view bytes) {
    std::size_t written = 0;
    for (int guard = 0; written < bytes.size() && guard < 100; ++guard) {
        const ssize_t put = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return Error{Errc::file_write_failed, put < 0 ? errno : EIO};
        written += static_cast<std::size_t>(put);
    }
    if (written != bytes.size()) return Error{Errc::file_write_failed, EIO};
    return ok();
}

Result<void> store(const std::string& directory, const std::string& path, std::uint64_t id) {
    char text[run_id_file_bytes];
    MQTLS_TRY(node::format_run_id(id, span<char>(text, node::run_id_text_length)));
    text[node::run_id_text_length] = '\n';
    const std::string temporary = path + ".new";
    // A leftover of a crash between create and rename; unlink never follows a link.
    if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) {
        return Error{Errc::file_write_failed, errno};
    }
    {
        const Descriptor file(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (file.get() < 0) return Error{Errc::file_write_failed, errno};
        MQTLS_TRY(write_all(file.get(), std::string_view(text, sizeof text)));
        if (::fsync(file.get()) != 0) return Error{Errc::file_write_failed, errno};
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        (void)::unlink(temporary.c_str());
        return Error{Errc::file_write_failed, saved};
    }
    // The new name must survive a power loss as well as the contents.
    const Descriptor folder(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (folder.get() < 0 || ::fsync(folder.get()) != 0) {
        return Error{Errc::file_write_failed, errno};
    }
    return ok();
}

}  // namespace

Result<std::uint64_t> make_run_id() noexcept {
    std::uint64_t id = 0;
    // 0 means "no run id"; a draw of 0 (probability 2^-64) is drawn again.
    for (int attempt = 0; attempt < 8 && id == 0; ++attempt) {
        MQTLS_TRY(port::posix::fill_random(
            mutable_bytes(reinterpret_cast<std::uint8_t*>(&id), sizeof id)));
    }
    if (id == 0) return Errc::entropy_unavailable;
    return id;
}

Result<RunId> load_or_create_run_id(const std::string& directory, bool outbox_is_new) {
    const std::string path = directory + "/" + run_id_file_name;
    RunId run;
    if (outbox_is_new) {
        // The seq starts at 1 again: a stored id must not be reused, whatever state it is in.
        run.origin = RunIdOrigin::new_outbox;
    } else {
        MQTLS_TRY_ASSIGN(const Stored stored, read_stored(path));
        if (stored.id != 0) {
            run.value = stored.id;
            run.origin = RunIdOrigin::stored;
            return run;
        }
        run.origin = stored.exists ? RunIdOrigin::damaged : RunIdOrigin::missing;
    }
    MQTLS_TRY_ASSIGN(run.value, make_run_id());
    MQTLS_TRY(store(directory, path, run.value));
    return run;
}

}  // namespace mqtls::cli
