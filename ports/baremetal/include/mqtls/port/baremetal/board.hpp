#pragma once
/// @file
/// What a bare-metal board gives the port: a polled UART (to the modem), a free-running timer,
/// the instruction counter, and the retained memory (the stand-in for an ESP32's RTC memory).
/// One implementation per QEMU machine: src/board_mps2_an386.cpp (Cortex-M4: CMSDK UART0 and
/// timer0) and src/board_riscv_virt.cpp (rv32imc: 16550 UART, CLINT mtime, minstret). The
/// firmware links exactly one (ports/baremetal/CMakeLists.txt picks it by MQTLS_QEMU_BOARD).

#include <cstddef>
#include <cstdint>

#include "mqtls/core/span.hpp"

namespace mqtls::port::baremetal::board {

/// Sets up the UART and the timer; first thing at boot.
void init() noexcept;

bool uart_readable() noexcept;
std::uint8_t uart_read() noexcept;
/// Whether the UART takes a byte now (its transmit holding register or FIFO has room). QEMU
/// drains it at the host's pace, so a wait for room is idle time, not work.
bool uart_writable() noexcept;
/// Puts one byte into the UART; only after uart_writable() said yes.
void uart_put(std::uint8_t byte) noexcept;

/// Milliseconds since init(), from the board's timer. Under QEMU's -icount shift=0 the timers
/// follow virtual time, which advances 1 ns per instruction.
std::int64_t milliseconds() noexcept;

/// Instructions executed since reset, valid under -icount shift=0 only (QEMU models no cycle
/// counter on the M4: there it is the timer at 40 instructions per tick; rv32 reads minstret).
std::uint64_t instructions() noexcept;

/// The memory that keeps its contents across a reset (QEMU: a RAM region backed by a host file
/// with -object memory-backend-file,share=on; docs/firmware.md). Zero on the first boot.
mutable_bytes retained_memory() noexcept;

/// "mps2-an386 (Cortex-M4)" or "virt (rv32imc)".
const char* name() noexcept;
/// How instructions() counts, for the reports.
const char* instruction_counter() noexcept;

}  // namespace mqtls::port::baremetal::board
