# Cortex-M4 (ARMv7E-M, Thumb-2, soft-float ABI) with Debian's arm-none-eabi GCC 12.2 and picolibc;
# tests run on QEMU's mps2-an386 board through embedded/qemu-run.sh.
#   cmake -S . -B build/embedded-cortex-m4 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/cortex-m4.cmake
# Packages: gcc-arm-none-eabi picolibc-arm-none-eabi libstdc++-arm-none-eabi-dev qemu-system-arm
set(CMAKE_SYSTEM_PROCESSOR arm)
set(MQTLS_CROSS_TARGET cortex-m4)
set(MQTLS_CROSS_TRIPLE arm-none-eabi)
set(MQTLS_CROSS_ARCH_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft")
set(MQTLS_CROSS_BORROW_LIBSTDCXX_HEADERS OFF)  # arm-none-eabi-g++ has the headers
set(MQTLS_QEMU_BOARD mps2-an386)
# mps2-an386: 4 MiB SSRAM1 at 0x0 (code), 4 MiB SSRAM2/3 at 0x20000000 (data, stack).
set(MQTLS_CROSS_FLASH 0x00000000)
set(MQTLS_CROSS_FLASH_SIZE 0x00400000)
set(MQTLS_CROSS_RAM 0x20000000)
set(MQTLS_CROSS_RAM_SIZE 0x00400000)
include(${CMAKE_CURRENT_LIST_DIR}/mqtls-bare-metal-common.cmake)
