#include "mqtls/core/span.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace mqtls {
namespace {

// The const-correctness rules are part of the contract: a read-only view must never silently
// become writable, while the writable-to-readable direction must stay implicit.
static_assert(std::is_convertible_v<span<int>, span<const int>>);
static_assert(!std::is_convertible_v<span<const int>, span<int>>);
static_assert(!std::is_convertible_v<const std::array<int, 3>&, span<int>>);
static_assert(std::is_convertible_v<const std::array<int, 3>&, span<const int>>);

TEST(Span, DefaultConstructedIsEmptyAndNull) {
    const span<int> view;
    EXPECT_TRUE(view.empty());
    EXPECT_EQ(view.size(), 0u);
    EXPECT_EQ(view.data(), nullptr);
    EXPECT_EQ(view.begin(), view.end());
}

TEST(Span, FromPointerAndSize) {
    int values[] = {1, 2, 3, 4};
    const span<int> view(values + 1, 2);
    EXPECT_EQ(view.data(), values + 1);
    EXPECT_EQ(view.size(), 2u);
    EXPECT_FALSE(view.empty());
    EXPECT_EQ(view[0], 2);
    EXPECT_EQ(view[1], 3);
}

TEST(Span, FromCArrayTakesWholeArray) {
    int values[] = {7, 8, 9};
    const span<int> view(values);
    EXPECT_EQ(view.data(), values);
    EXPECT_EQ(view.size(), 3u);
}

TEST(Span, FromStdArrayMutableAndConst) {
    std::array<std::uint8_t, 4> bytes{{1, 2, 3, 4}};
    const mutable_bytes writable(bytes);
    EXPECT_EQ(writable.data(), bytes.data());
    EXPECT_EQ(writable.size(), 4u);

    const std::array<std::uint8_t, 2> fixed{{5, 6}};
    const bytes_view readable(fixed);
    EXPECT_EQ(readable.data(), fixed.data());
    EXPECT_EQ(readable.size(), 2u);
}

TEST(Span, WritesThroughViewReachTheUnderlyingArray) {
    int values[] = {0, 0, 0};
    const span<int> view(values);
    view[1] = 42;
    EXPECT_EQ(values[1], 42);
}

TEST(Span, ConvertsMutableToConstKeepingDataAndSize) {
    std::uint8_t bytes[] = {1, 2, 3};
    const mutable_bytes writable(bytes);
    const bytes_view readable = writable;
    EXPECT_EQ(readable.data(), bytes);
    EXPECT_EQ(readable.size(), 3u);
}

TEST(Span, IterationVisitsEveryElementInOrder) {
    int values[] = {1, 2, 3, 4};
    int sum = 0;
    int weighted = 0;
    int position = 1;
    for (const int value : span<const int>(values)) {
        sum += value;
        weighted += value * position++;
    }
    EXPECT_EQ(sum, 10);
    EXPECT_EQ(weighted, 1 * 1 + 2 * 2 + 3 * 3 + 4 * 4);
}

TEST(Span, FirstAndLast) {
    int values[] = {1, 2, 3, 4, 5};
    const span<int> view(values);

    const auto head = view.first(2);
    EXPECT_EQ(head.data(), values);
    EXPECT_EQ(head.size(), 2u);

    const auto tail = view.last(2);
    EXPECT_EQ(tail.data(), values + 3);
    EXPECT_EQ(tail.size(), 2u);

    EXPECT_EQ(view.first(0).size(), 0u);
    EXPECT_EQ(view.last(0).size(), 0u);
    EXPECT_EQ(view.last(0).data(), values + 5);
    EXPECT_EQ(view.first(5).size(), 5u);
    EXPECT_EQ(view.last(5).data(), values);
}

TEST(Span, SubspanWithAndWithoutCount) {
    int values[] = {1, 2, 3, 4, 5};
    const span<int> view(values);

    const auto rest = view.subspan(2);
    EXPECT_EQ(rest.data(), values + 2);
    EXPECT_EQ(rest.size(), 3u);

    const auto middle = view.subspan(1, 3);
    EXPECT_EQ(middle.data(), values + 1);
    EXPECT_EQ(middle.size(), 3u);

    // An offset equal to the size is allowed and yields an empty view at the end.
    const auto at_end = view.subspan(5);
    EXPECT_TRUE(at_end.empty());
    EXPECT_EQ(at_end.data(), values + 5);
    EXPECT_TRUE(view.subspan(5, 0).empty());
}

TEST(Span, AsBytesViewsTextWithoutTerminator) {
    const char text[] = "MQTT";
    const bytes_view view = as_bytes(text, 4);
    ASSERT_EQ(view.size(), 4u);
    EXPECT_EQ(view[0], 'M');
    EXPECT_EQ(view[3], 'T');
    EXPECT_EQ(static_cast<const void*>(view.data()), static_cast<const void*>(text));
}

TEST(Span, EqualBytesComparesContentNotAddress) {
    const std::uint8_t a[] = {1, 2, 3};
    const std::uint8_t same_content[] = {1, 2, 3};
    const std::uint8_t last_differs[] = {1, 2, 4};
    const std::uint8_t first_differs[] = {0, 2, 3};
    const std::uint8_t shorter[] = {1, 2};

    EXPECT_TRUE(equal_bytes(a, same_content));
    EXPECT_FALSE(equal_bytes(a, last_differs));
    EXPECT_FALSE(equal_bytes(a, first_differs));
    EXPECT_FALSE(equal_bytes(a, shorter));
    EXPECT_FALSE(equal_bytes(shorter, a));
    EXPECT_TRUE(equal_bytes(bytes_view{}, bytes_view{}));
    EXPECT_TRUE(equal_bytes(bytes_view{}, bytes_view(a).first(0)));
    EXPECT_FALSE(equal_bytes(bytes_view{}, a));
}

TEST(Span, UsableInConstantExpressions) {
    static constexpr int values[] = {1, 2, 3};
    constexpr span<const int> view(values);
    static_assert(view.size() == 3);
    static_assert(view.subspan(1).size() == 2);
    static_assert(view[2] == 3);
    EXPECT_EQ(view.last(1)[0], 3);
}

// Out-of-range access is a programming error: it must stop the program rather than read or write
// past the view (the embeddable layers rely on this instead of exceptions).
TEST(SpanDeathTest, IndexPastEndAborts) {
    int values[] = {1, 2, 3};
    const span<int> view(values);
    EXPECT_DEATH((void)view[3], "");
}

TEST(SpanDeathTest, FirstLongerThanSizeAborts) {
    int values[] = {1, 2, 3};
    const span<int> view(values);
    EXPECT_DEATH((void)view.first(4), "");
}

TEST(SpanDeathTest, LastLongerThanSizeAborts) {
    int values[] = {1, 2, 3};
    const span<int> view(values);
    EXPECT_DEATH((void)view.last(4), "");
}

TEST(SpanDeathTest, SubspanOutsideAborts) {
    int values[] = {1, 2, 3};
    const span<int> view(values);
    EXPECT_DEATH((void)view.subspan(4), "");
    EXPECT_DEATH((void)view.subspan(2, 2), "");
}

}  // namespace
}  // namespace mqtls
