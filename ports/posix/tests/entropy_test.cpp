#include "mqtls/port/posix/entropy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#if __has_include(<mbedtls/entropy.h>)
#include <mbedtls/entropy.h>
// Header-only checks: nothing from mbedTLS is linked, so the port stays free of it.
static_assert(mqtls::port::posix::entropy_source_failed == MBEDTLS_ERR_ENTROPY_SOURCE_FAILED);
[[maybe_unused]] static const mbedtls_entropy_f_source_ptr kFitsMbedtls =
    &mqtls::port::posix::getrandom_entropy;
#endif

namespace mqtls::port::posix {
namespace {

TEST(Entropy, FillRandomFillsAndTwoCallsDiffer) {
    std::array<std::uint8_t, 32> first{};
    std::array<std::uint8_t, 32> second{};
    ASSERT_TRUE(fill_random(first));
    ASSERT_TRUE(fill_random(second));
    // Equal 256-bit draws, or a draw of all zeros, would mean the buffer was not filled.
    EXPECT_NE(first, second);
    EXPECT_NE(first, (std::array<std::uint8_t, 32>{}));
}

TEST(Entropy, FillRandomFillsBuffersLargerThanOneKernelRead) {
    // Zeros, then random: the last 32 bytes (past the first 256-byte read) must have changed.
    std::vector<std::uint8_t> buffer(4096 + 7, 0);
    ASSERT_TRUE(fill_random(mutable_bytes(buffer.data(), buffer.size())));
    const std::vector<std::uint8_t> zeros(32, 0);
    EXPECT_NE(std::vector<std::uint8_t>(buffer.end() - 32, buffer.end()), zeros);
    EXPECT_TRUE(fill_random(mutable_bytes{}));
}

TEST(Entropy, MbedtlsSourceFillsAllAndReportsTheLength) {
    std::array<unsigned char, 300> first{};
    std::array<unsigned char, 300> second{};
    std::size_t length = 0;
    ASSERT_EQ(getrandom_entropy(nullptr, first.data(), first.size(), &length), 0);
    EXPECT_EQ(length, first.size());
    ASSERT_EQ(getrandom_entropy(nullptr, second.data(), second.size(), &length), 0);
    EXPECT_EQ(length, second.size());
    EXPECT_NE(first, second);

    EXPECT_EQ(getrandom_entropy(nullptr, nullptr, 16, &length), entropy_source_failed);
    EXPECT_EQ(length, 0u);
}

}  // namespace
}  // namespace mqtls::port::posix
