#include "metering.hpp"

#include <malloc.h>

#include <cstdio>

#include "mqtls/port/baremetal/board.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"

extern "C" char __stack[];  // the top of the stack (picolibc.ld)

namespace mqtls::firmware {
namespace {

namespace board = port::baremetal::board;

constexpr std::uint32_t paint = 0xA5A5A5A5U;
// The painted window below the top of the stack: far more than the firmware uses (the report
// would show a peak equal to the window if not).
constexpr std::size_t stack_window = 32 * 1024;

std::uint32_t* window_bottom() noexcept {
    return reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uintptr_t>(__stack) -
                                            stack_window);
}

// Counts the instructions of one call into `total`.
class InstructionScope {
public:
    explicit InstructionScope(std::uint64_t& total) noexcept
        : total_(total), started_(board::instructions()) {}
    ~InstructionScope() { total_ += board::instructions() - started_; }
    InstructionScope(const InstructionScope&) = delete;
    InstructionScope& operator=(const InstructionScope&) = delete;

private:
    std::uint64_t& total_;
    std::uint64_t started_;
};

}  // namespace

Result<void> HandshakeMeter::start(std::string_view server_name) noexcept {
    const InstructionScope scope(handshake_);
    return inner_.start(server_name);
}

Result<void> HandshakeMeter::offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept {
    const InstructionScope scope(handshake_);
    return inner_.offer_session(sealed, key);
}

Result<bool> HandshakeMeter::handshake() noexcept {
    const InstructionScope scope(handshake_);
    return inner_.handshake();
}

__attribute__((noinline)) void paint_stack() noexcept {
    char here = 0;
    // Up to a little below this frame: what is above is in use now.
    auto* end = reinterpret_cast<std::uint32_t*>((reinterpret_cast<std::uintptr_t>(&here) - 256) &
                                                 ~std::uintptr_t{3});
    for (volatile std::uint32_t* word = window_bottom(); word < end; ++word) *word = paint;
}

std::size_t stack_peak() noexcept {
    const std::uint32_t* word = window_bottom();
    const auto* top = reinterpret_cast<const std::uint32_t*>(__stack);
    while (word < top && *word == paint) ++word;
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(top) -
                                    reinterpret_cast<std::uintptr_t>(word));
}

std::size_t heap_arena() noexcept { return static_cast<std::size_t>(mallinfo().arena); }

void Report::append(std::string_view text) noexcept {
    // Room is kept for the truncation note and the closing brace.
    if (truncated_ || length_ + text.size() + 24 >= sizeof text_) {
        truncated_ = true;
        return;
    }
    for (const char c : text) text_[length_++] = c;
}

void Report::append_key(std::string_view key) noexcept {
    append(length_ == 0 ? "{\"" : ",\"");
    append(key);
    append("\":");
}

void Report::add(std::string_view key, std::uint64_t value) noexcept {
    char digits[24];
    const int length =
        std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(value));
    append_key(key);
    append(std::string_view(digits, static_cast<std::size_t>(length)));
}

void Report::add(std::string_view key, std::string_view value) noexcept {
    append_key(key);
    append("\"");
    // Values are names and messages of our own; quotes and backslashes are replaced, not
    // escaped, so the line stays one JSON object whatever an error message holds.
    for (const char c : value) {
        const char safe = (c == '"' || c == '\\' || c < 0x20) ? '\'' : c;
        append(std::string_view(&safe, 1));
    }
    append("\"");
}

void Report::add_bool(std::string_view key, bool value) noexcept {
    append_key(key);
    append(value ? "true" : "false");
}

void Report::print() noexcept {
    if (length_ == 0) append("{");
    if (truncated_) {
        const std::string_view note = ",\"truncated\":true";
        for (const char c : note) text_[length_++] = c;
    }
    text_[length_++] = '}';
    text_[length_] = '\0';
    std::printf("MQTLS-REPORT %s\n", text_);
    std::fflush(stdout);
}

}  // namespace mqtls::firmware
