#include "mqtls/port/posix/entropy.hpp"

#include <sys/random.h>

#include <cerrno>

namespace mqtls::port::posix {
namespace {

// getrandom(2) never shortens or interrupts requests of up to 256 bytes once the kernel's pool is
// ready, so reading in such chunks makes the loop's length predictable.
constexpr std::size_t chunk_size = 256;

// Signals can still interrupt the wait for the pool at boot; give up after this many, so that a
// signal storm cannot keep us here forever.
constexpr int max_interruptions = 100;

// Fills [output, output + length) or returns the errno that stopped it.
int fill_from_kernel(unsigned char* output, std::size_t length) noexcept {
    std::size_t filled = 0;
    int interruptions = 0;
    while (filled < length) {
        const std::size_t wanted = length - filled < chunk_size ? length - filled : chunk_size;
        const ssize_t got = ::getrandom(output + filled, wanted, 0);
        if (got > 0) {
            filled += static_cast<std::size_t>(got);
            continue;
        }
        // A zero-byte read is not supposed to happen; counting it keeps the loop finite anyway.
        const int error_number = got == 0 ? EINTR : errno;
        if (error_number != EINTR || ++interruptions >= max_interruptions) return error_number;
    }
    return 0;
}

}  // namespace

int getrandom_entropy(void* /*context*/, unsigned char* output, std::size_t len,
                      std::size_t* output_length) noexcept {
    if (output_length != nullptr) *output_length = 0;
    if (output == nullptr && len != 0) return entropy_source_failed;
    if (fill_from_kernel(output, len) != 0) return entropy_source_failed;
    if (output_length != nullptr) *output_length = len;
    return 0;
}

Result<void> fill_random(mutable_bytes out) noexcept {
    const int error_number = fill_from_kernel(out.data(), out.size());
    if (error_number != 0) return Error{Errc::entropy_unavailable, error_number};
    return ok();
}

}  // namespace mqtls::port::posix
