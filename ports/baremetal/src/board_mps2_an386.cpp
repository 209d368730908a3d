// QEMU mps2-an386 (Cortex-M4): CMSDK APB UART0 at 0x40004000, CMSDK APB timer0 at 0x40000000
// (25 MHz), and the 16 MiB PSRAM at 0x21000000 as retained memory (QEMU makes it the machine's
// RAM, so -machine memory-backend= can back it with a file).
#include <cstdint>

#include "mqtls/port/baremetal/board.hpp"

namespace mqtls::port::baremetal::board {
namespace {

constexpr std::uintptr_t uart0 = 0x40004000U;
constexpr std::uintptr_t timer0 = 0x40000000U;
constexpr std::uintptr_t psram = 0x21000000U;
constexpr std::size_t retained_bytes = 64 * 1024;
constexpr std::uint32_t ticks_per_ms = 25000;        // 25 MHz
constexpr std::uint32_t instructions_per_tick = 40;  // 1 ns per instruction under -icount 0

volatile std::uint32_t& reg(std::uintptr_t address) {
    return *reinterpret_cast<volatile std::uint32_t*>(address);
}
volatile std::uint32_t& uart_data() { return reg(uart0 + 0x00); }
volatile std::uint32_t& uart_state() { return reg(uart0 + 0x04); }  // b0 TX full, b1 RX full
volatile std::uint32_t& uart_ctrl() { return reg(uart0 + 0x08); }   // b0 TX enable, b1 RX
volatile std::uint32_t& uart_baud_divider() { return reg(uart0 + 0x10); }
volatile std::uint32_t& timer_ctrl() { return reg(timer0 + 0x00); }
volatile std::uint32_t& timer_value() { return reg(timer0 + 0x04); }
volatile std::uint32_t& timer_reload() { return reg(timer0 + 0x08); }

// timer0 counts down and wraps every 171 s: the ticks are accumulated at every reading (the
// port reads the clock far more often than that).
std::uint32_t last_value = 0;
std::uint64_t ticks = 0;

std::uint64_t elapsed_ticks() noexcept {
    const std::uint32_t value = timer_value();
    ticks += static_cast<std::uint32_t>(last_value - value);
    last_value = value;
    return ticks;
}

}  // namespace

void init() noexcept {
    uart_baud_divider() = 16;  // QEMU refuses dividers below 16 (a guest error, no effect)
    // TX must be enabled too: with TX disabled the first write leaves TX full set for ever.
    uart_ctrl() = 0x3;
    // QEMU 7.2: enabling RX does not tell the socket backend the UART can take a byte again;
    // only a DATA read does. Without this read the first received byte comes about 1 s late.
    const std::uint32_t discarded = uart_data();
    (void)discarded;
    timer_reload() = 0xFFFFFFFFU;
    timer_value() = 0xFFFFFFFFU;
    timer_ctrl() = 0x1;  // enabled, no interrupt
    last_value = timer_value();
    ticks = 0;
}

bool uart_readable() noexcept { return (uart_state() & 0x2U) != 0; }
std::uint8_t uart_read() noexcept { return static_cast<std::uint8_t>(uart_data()); }
bool uart_writable() noexcept { return (uart_state() & 0x1U) == 0; }
void uart_put(std::uint8_t byte) noexcept { uart_data() = byte; }

std::int64_t milliseconds() noexcept {
    return static_cast<std::int64_t>(elapsed_ticks() / ticks_per_ms);
}

std::uint64_t instructions() noexcept { return elapsed_ticks() * instructions_per_tick; }

mutable_bytes retained_memory() noexcept {
    return mutable_bytes(reinterpret_cast<std::uint8_t*>(psram), retained_bytes);
}

const char* name() noexcept { return "mps2-an386 (Cortex-M4)"; }
const char* instruction_counter() noexcept {
    return "CMSDK timer0 at 25 MHz x 40 under -icount shift=0";
}

}  // namespace mqtls::port::baremetal::board
