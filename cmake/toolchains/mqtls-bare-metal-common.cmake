# Shared part of the bare-metal toolchain files in this folder (included by them; not a toolchain
# file on its own). Expects MQTLS_CROSS_TRIPLE, MQTLS_CROSS_ARCH_FLAGS and the memory map
# (MQTLS_CROSS_FLASH, MQTLS_CROSS_FLASH_SIZE, MQTLS_CROSS_RAM, MQTLS_CROSS_RAM_SIZE) to be set.
#
# What it sets up (see embedded/README.md for the why):
#  - picolibc with semihosting (its crt0 provides reset/vectors, .data copy, .bss zeroing,
#    static constructors, and passes main's return value to QEMU as the exit status);
#  - C++17 without exceptions, RTTI or thread-safe statics, -Os, one section per function;
#  - libstdc++ is used header-only, and executables are linked with the C driver: the toolchains
#    have no libstdc++.a/libsupc++.a in the lean install, and embedded/port/cxx_stubs.cpp traps
#    the few runtime hooks the headers can reach;
#  - a generous stack (the tests keep their buffers on the stack).

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER ${MQTLS_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${MQTLS_CROSS_TRIPLE}-g++)
set(CMAKE_ASM_COMPILER ${MQTLS_CROSS_TRIPLE}-gcc)
# No startup code or memory map during CMake's compiler checks.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# Cache variables read by try_compile projects too.
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MQTLS_CROSS_STACK_SIZE)

set(MQTLS_CROSS_STACK_SIZE 0x40000 CACHE STRING
    "Stack of the bare-metal test executables (tests keep their buffers on the stack)")

# The target-neutral libstdc++ 12.2 headers of libstdc++-arm-none-eabi-dev, for toolchains that
# ship none (riscv64-unknown-elf). arm-none-eabi-g++ finds its own copy.
set(MQTLS_LIBSTDCXX_HEADERS /usr/include/newlib/c++/12.2.1)
set(_mqtls_cxx_isystem "")
if(MQTLS_CROSS_BORROW_LIBSTDCXX_HEADERS)
  set(_mqtls_cxx_isystem
      "-isystem ${MQTLS_LIBSTDCXX_HEADERS} -isystem ${MQTLS_LIBSTDCXX_HEADERS}/arm-none-eabi")
endif()

set(_mqtls_common "${MQTLS_CROSS_ARCH_FLAGS} --specs=picolibcpp.specs -Os -g \
-ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_mqtls_common}")
set(CMAKE_ASM_FLAGS_INIT "${MQTLS_CROSS_ARCH_FLAGS}")
# -fstack-usage writes <object>.su beside each object: scripts/embedded-check.sh reports the
# library's largest stack frame from them.
set(CMAKE_CXX_FLAGS_INIT "${_mqtls_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics \
-fstack-usage ${_mqtls_cxx_isystem}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--oslib=semihost --crt0=semihost -Wl,--gc-sections \
-Wl,--no-warn-rwx-segments \
-Wl,--defsym=__flash=${MQTLS_CROSS_FLASH} -Wl,--defsym=__flash_size=${MQTLS_CROSS_FLASH_SIZE} \
-Wl,--defsym=__ram=${MQTLS_CROSS_RAM} -Wl,--defsym=__ram_size=${MQTLS_CROSS_RAM_SIZE} \
-Wl,--defsym=__stack_size=${MQTLS_CROSS_STACK_SIZE}")
# Link C++ with the C driver: g++ would append -lstdc++, which the lean install does not have.
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

# Tools the size and heap gate (scripts/embedded-check.sh) uses.
set(CMAKE_SIZE ${MQTLS_CROSS_TRIPLE}-size)
set(CMAKE_NM ${MQTLS_CROSS_TRIPLE}-nm)

# `ctest` and add_test(COMMAND <executable target>) run target executables through QEMU.
get_filename_component(_mqtls_root ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR ${_mqtls_root}/embedded/qemu-run.sh ${MQTLS_QEMU_BOARD})

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
