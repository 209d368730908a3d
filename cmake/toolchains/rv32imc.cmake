# RV32IMC / ilp32 (the ESP32-C3's ISA) with Debian's riscv64-unknown-elf GCC 12.2 and picolibc;
# tests run on QEMU's riscv32 `virt` board (-bios none) through embedded/qemu-run.sh.
#   cmake -S . -B build/embedded-rv32imc -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/rv32imc.cmake
# Packages: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf libstdc++-arm-none-eabi-dev
#           qemu-system-misc
# This toolchain has no C++ headers at all: the target-neutral libstdc++ 12.2 headers of
# libstdc++-arm-none-eabi-dev are borrowed (header-only use). There is no rv32imc multilib; GCC
# links the rv32im/ilp32 picolibc, which is correct for this ISA.
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(MQTLS_CROSS_TARGET rv32imc)
set(MQTLS_CROSS_TRIPLE riscv64-unknown-elf)
set(MQTLS_CROSS_ARCH_FLAGS "-march=rv32imc -mabi=ilp32")
set(MQTLS_CROSS_BORROW_LIBSTDCXX_HEADERS ON)
set(MQTLS_QEMU_BOARD riscv32-virt)
# virt: RAM from 0x80000000, where execution starts with -bios none (picolibc's crt0 is first).
set(MQTLS_CROSS_FLASH 0x80000000)
set(MQTLS_CROSS_FLASH_SIZE 0x00400000)
set(MQTLS_CROSS_RAM 0x80400000)
set(MQTLS_CROSS_RAM_SIZE 0x00400000)
include(${CMAKE_CURRENT_LIST_DIR}/mqtls-bare-metal-common.cmake)
