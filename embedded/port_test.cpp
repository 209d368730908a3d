// Checks of the bare-metal test environment itself (startup code, memory map, stack, libgcc),
// run by the QEMU test runner before the library's portable tests. If one of these fails, the
// results of the others cannot be trusted.
#include <cstdint>
#include <cstring>

#include "mqtls/core.hpp"  // the whole core must compile for the target on its own
#include "mqtls_test.hpp"

namespace {

int initialised_data = 0x5a17;  // .data: copied from flash by crt0
int zeroed_bss[16];             // .bss: zeroed by crt0

struct ConstructedAtStartup {
    int value;
    ConstructedAtStartup() noexcept : value(42) {}
};
ConstructedAtStartup constructed_at_startup;  // .init_array: run by crt0 before main

// Not inlined, so the optimiser cannot fold the arithmetic below into constants.
template <class T>
[[gnu::noinline]] T opaque(T value) noexcept {
    asm volatile("" : "+r"(value));
    return value;
}

}  // namespace

TEST(EmbeddedPort, StartupCopiedDataAndZeroedBss) {
    EXPECT_EQ(initialised_data, 0x5a17);
    for (int v : zeroed_bss) {
        EXPECT_EQ(v, 0);
    }
}

TEST(EmbeddedPort, StaticConstructorsRan) { EXPECT_EQ(constructed_at_startup.value, 42); }

TEST(EmbeddedPort, StackHoldsLargeBuffers) {
    // The portable tests keep packet buffers on the stack; the toolchain files give 256 KiB.
    volatile std::uint8_t buffer[64 * 1024];
    for (std::size_t i = 0; i < sizeof buffer; ++i) {
        buffer[i] = static_cast<std::uint8_t>(i * 7u);
    }
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < sizeof buffer; ++i) {
        sum += buffer[i];
    }
    EXPECT_EQ(sum, std::uint32_t{8355840});
}

TEST(EmbeddedPort, SixtyFourBitArithmeticFromLibgcc) {
    const std::uint64_t a = opaque<std::uint64_t>(0x0123456789abcdefULL);
    const std::uint64_t b = opaque<std::uint64_t>(1000003);
    EXPECT_EQ(a / b, 0x0123456789abcdefULL / 1000003);
    EXPECT_EQ(a % b, 0x0123456789abcdefULL % 1000003);
    const std::int64_t c = opaque<std::int64_t>(-7'000'000'000'001LL);
    EXPECT_EQ(c / 3, -2'333'333'333'333LL);
    EXPECT_EQ(opaque<std::uint32_t>(0xffffffffu) / opaque<std::uint32_t>(10u), 429496729u);
}

TEST(EmbeddedPort, MemoryFunctions) {
    std::uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    std::memmove(bytes + 1, bytes, 6);
    const std::uint8_t expected[8] = {1, 1, 2, 3, 4, 5, 6, 8};
    EXPECT_EQ(std::memcmp(bytes, expected, sizeof bytes), 0);
    // Unaligned 32-bit read done portably (memcpy), as the codec must do it.
    std::uint32_t word = 0;
    std::memcpy(&word, bytes + 1, sizeof word);
    EXPECT_EQ(word, 0x04030201u);  // both targets are little-endian
}
