#pragma once
/// @file
/// The host's services to a firmware under QEMU, through ARM/RISC-V semihosting (picolibc's
/// sys_semihost_*): the command line, provisioning files, the host's time and random bytes,
/// and the exit status. Each stands in for something a real device has on board, and is named
/// for it where the port uses it (docs/firmware.md):
///   - files: the provisioning partition (CA certificate, device credentials, session key);
///   - unix_seconds(): the wall clock that SNTP sets;
///   - HostRandom: THE TEST STAND-IN for the hardware RNG (esp_fill_random): the host's
///     /dev/urandom. A firmware built from this port must never ship.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::port::baremetal::semihosting {

/// The command line (QEMU's -semihosting-config ...,arg=A,arg=B: "A B"), into `buffer` with a
/// terminating NUL; its length, or 0 when there is none.
std::size_t command_line(char* buffer, std::size_t size) noexcept;

/// The value of `key=value` among the space-separated words of `line`; empty when absent.
std::string_view argument(std::string_view line, std::string_view key) noexcept;
/// Whether the word `flag` is on the line.
bool has_flag(std::string_view line, std::string_view flag) noexcept;

/// The whole file at `path` (a host path) into `out`; its size. Errors: file_read_failed (no
/// such file, unreadable; detail: the host errno), file_too_large (larger than `out`).
Result<std::size_t> read_file(const char* path, mutable_bytes out) noexcept;

/// The host's clock: seconds since 1970 (SYS_TIME).
std::int64_t unix_seconds() noexcept;

/// Random bytes from the host's /dev/urandom: the test stand-in for the hardware RNG.
class HostRandom {
public:
    /// Opens the host's /dev/urandom. Errors: entropy_unavailable.
    Result<void> open() noexcept;
    /// mbedTLS's entropy-source shape (tls::EntropySource): fills `length` bytes or fails.
    static int poll(void* self, unsigned char* output, std::size_t length,
                    std::size_t* produced) noexcept;
    Result<void> fill(mutable_bytes out) noexcept;

private:
    int handle_ = -1;
};

/// Prints through the semihosting console (QEMU's stdout), with a newline.
void print_line(std::string_view text) noexcept;

/// Ends the QEMU process with `status` (the firmware's "sleep" and its verdict).
[[noreturn]] void exit(int status) noexcept;

}  // namespace mqtls::port::baremetal::semihosting
