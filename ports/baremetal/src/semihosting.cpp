#include "mqtls/port/baremetal/semihosting.hpp"

// picolibc's header has no C++ guards.
extern "C" {
#include <semihost.h>
}

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mqtls::port::baremetal::semihosting {
namespace {

// SYS_OPEN modes (the ARM semihosting specification, 5.x: fopen's "rb" is 1).
constexpr int mode_read_binary = 1;

struct Word {
    std::string_view text;
    std::string_view rest;
};

// The next space-separated word of `line`.
Word next_word(std::string_view line) noexcept {
    const std::size_t start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) return {};
    const std::size_t end = line.find(' ', start);
    if (end == std::string_view::npos) return {line.substr(start), {}};
    return {line.substr(start, end - start), line.substr(end)};
}

}  // namespace

std::size_t command_line(char* buffer, std::size_t size) noexcept {
    if (size == 0) return 0;
    buffer[0] = '\0';
    if (sys_semihost_get_cmdline(buffer, static_cast<int>(size)) != 0) {
        buffer[0] = '\0';
        return 0;
    }
    buffer[size - 1] = '\0';
    return std::strlen(buffer);
}

std::string_view argument(std::string_view line, std::string_view key) noexcept {
    for (Word word = next_word(line); !word.text.empty(); word = next_word(word.rest)) {
        if (word.text.size() > key.size() && word.text.substr(0, key.size()) == key &&
            word.text[key.size()] == '=') {
            return word.text.substr(key.size() + 1);
        }
    }
    return {};
}

bool has_flag(std::string_view line, std::string_view flag) noexcept {
    for (Word word = next_word(line); !word.text.empty(); word = next_word(word.rest)) {
        if (word.text == flag) return true;
    }
    return false;
}

Result<std::size_t> read_file(const char* path, mutable_bytes out) noexcept {
    const int handle = sys_semihost_open(path, mode_read_binary);
    if (handle < 0) return Error{Errc::file_read_failed, sys_semihost_errno()};
    const int length = sys_semihost_flen(handle);
    if (length < 0) {
        sys_semihost_close(handle);
        return Error{Errc::file_read_failed, sys_semihost_errno()};
    }
    if (static_cast<std::size_t>(length) > out.size()) {
        sys_semihost_close(handle);
        return Error{Errc::file_too_large, length};
    }
    // SYS_READ answers the number of bytes NOT read.
    const auto left = sys_semihost_read(handle, out.data(), static_cast<std::size_t>(length));
    sys_semihost_close(handle);
    if (left != 0) return Error{Errc::file_read_failed, 0};
    return static_cast<std::size_t>(length);
}

std::int64_t unix_seconds() noexcept { return static_cast<std::int64_t>(sys_semihost_time()); }

Result<void> HostRandom::open() noexcept {
    handle_ = sys_semihost_open("/dev/urandom", mode_read_binary);
    if (handle_ < 0) return Error{Errc::entropy_unavailable, sys_semihost_errno()};
    return ok();
}

Result<void> HostRandom::fill(mutable_bytes out) noexcept {
    if (handle_ < 0) return Error{Errc::entropy_unavailable, 0};
    if (out.empty()) return ok();
    if (sys_semihost_read(handle_, out.data(), out.size()) != 0) {
        return Error{Errc::entropy_unavailable, 0};
    }
    return ok();
}

int HostRandom::poll(void* self, unsigned char* output, std::size_t length,
                     std::size_t* produced) noexcept {
    auto& random = *static_cast<HostRandom*>(self);
    if (!random.fill(mutable_bytes(output, length))) {
        *produced = 0;
        return -1;
    }
    *produced = length;
    return 0;
}

void print_line(std::string_view text) noexcept {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void exit(int status) noexcept {
    std::fflush(stdout);
    // picolibc's _Exit reports the status through SYS_EXIT(_EXTENDED): QEMU exits with it.
    std::_Exit(status);
}

}  // namespace mqtls::port::baremetal::semihosting
