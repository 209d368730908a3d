// QEMU riscv32 virt (rv32imc, M-mode, -bios none): the 16550 UART at 0x10000000, the CLINT's
// mtime at 0x0200BFF8 (10 MHz), minstret, and retained memory at 0x80800000: above the 8 MiB
// the firmware is linked into (cmake/toolchains/rv32imc.cmake), inside the machine's RAM, which
// -machine memory-backend= can back with a file.
#include <cstdint>

#include "mqtls/port/baremetal/board.hpp"

namespace mqtls::port::baremetal::board {
namespace {

constexpr std::uintptr_t uart = 0x10000000U;
constexpr std::uintptr_t mtime_low = 0x0200BFF8U;
constexpr std::uintptr_t retained_at = 0x80800000U;
constexpr std::size_t retained_bytes = 64 * 1024;
constexpr std::uint64_t mtime_per_ms = 10000;  // 10 MHz

volatile std::uint8_t& uart_reg(std::uintptr_t offset) {
    return *reinterpret_cast<volatile std::uint8_t*>(uart + offset);
}
volatile std::uint8_t& receive_or_transmit() { return uart_reg(0); }
volatile std::uint8_t& interrupt_enable() { return uart_reg(1); }
volatile std::uint8_t& fifo_control() { return uart_reg(2); }
volatile std::uint8_t& line_control() { return uart_reg(3); }
volatile std::uint8_t& line_status() { return uart_reg(5); }  // b0 data ready, b5 THR empty

std::uint64_t boot_mtime = 0;

std::uint64_t read_mtime() noexcept {
    const auto* low = reinterpret_cast<volatile std::uint32_t*>(mtime_low);
    const auto* high = reinterpret_cast<volatile std::uint32_t*>(mtime_low + 4);
    std::uint32_t before = 0;
    std::uint32_t after = 0;
    std::uint32_t value = 0;
    do {
        before = *high;
        value = *low;
        after = *high;
    } while (before != after);
    return (static_cast<std::uint64_t>(after) << 32) | value;
}

}  // namespace

void init() noexcept {
    interrupt_enable() = 0x00;
    line_control() = 0x03;  // 8N1
    fifo_control() = 0x07;  // FIFOs on and cleared: QEMU then passes 16 bytes at a time
    boot_mtime = read_mtime();
}

bool uart_readable() noexcept { return (line_status() & 0x01U) != 0; }
std::uint8_t uart_read() noexcept { return receive_or_transmit(); }
bool uart_writable() noexcept { return (line_status() & 0x20U) != 0; }
void uart_put(std::uint8_t byte) noexcept { receive_or_transmit() = byte; }

std::int64_t milliseconds() noexcept {
    return static_cast<std::int64_t>((read_mtime() - boot_mtime) / mtime_per_ms);
}

// binutils 2.40 wants Zicsr for csrr under -march=rv32imc; it is enabled for these instructions
// only, so that everything else keeps the rv32imc multilib.
std::uint64_t instructions() noexcept {
    std::uint32_t high = 0;
    std::uint32_t low = 0;
    std::uint32_t again = 0;
    do {
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, minstreth\n\t.option pop"
                         : "=r"(high));
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, minstret\n\t.option pop"
                         : "=r"(low));
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, minstreth\n\t.option pop"
                         : "=r"(again));
    } while (high != again);
    return (static_cast<std::uint64_t>(high) << 32) | low;
}

mutable_bytes retained_memory() noexcept {
    return mutable_bytes(reinterpret_cast<std::uint8_t*>(retained_at), retained_bytes);
}

const char* name() noexcept { return "virt (rv32imc)"; }
const char* instruction_counter() noexcept { return "minstret under -icount shift=0"; }

}  // namespace mqtls::port::baremetal::board
