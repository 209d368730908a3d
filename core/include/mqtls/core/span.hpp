#pragma once
/// @file
/// A non-owning view over contiguous memory: the subset of C++20 `std::span` that the protocol
/// layers use. Ours because the core must also build where no C++20 library exists (ESP-IDF 4.x,
/// Arduino), and no Debian package may be vendored.

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "mqtls/core/assert.hpp"

namespace mqtls {

template <class T>
class span {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using size_type = std::size_t;
    using pointer = T*;
    using reference = T&;
    using iterator = T*;

    constexpr span() noexcept = default;
    constexpr span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}

    template <std::size_t N>
    constexpr span(T (&array)[N]) noexcept
        : data_(array), size_(N) {}  // NOLINT(google-explicit-constructor)

    template <class U, std::size_t N,
              class = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
    constexpr span(std::array<U, N>& array) noexcept  // NOLINT(google-explicit-constructor)
        : data_(array.data()), size_(N) {}

    template <class U, std::size_t N,
              class = std::enable_if_t<std::is_convertible_v<const U (*)[], T (*)[]>>>
    constexpr span(const std::array<U, N>& array) noexcept  // NOLINT(google-explicit-constructor)
        : data_(array.data()), size_(N) {}

    /// span<T> converts to span<const T>, never the other way.
    template <class U, class = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
    constexpr span(const span<U>& other) noexcept  // NOLINT(google-explicit-constructor)
        : data_(other.data()), size_(other.size()) {}

    [[nodiscard]] constexpr T* data() const noexcept { return data_; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] constexpr T* begin() const noexcept { return data_; }
    [[nodiscard]] constexpr T* end() const noexcept { return data_ + size_; }

    constexpr T& operator[](std::size_t index) const noexcept {
        MQTLS_ASSERT(index < size_);
        return data_[index];
    }

    /// The first `count` elements; `count` must not exceed size().
    [[nodiscard]] constexpr span first(std::size_t count) const noexcept {
        MQTLS_ASSERT(count <= size_);
        return {data_, count};
    }
    /// The last `count` elements; `count` must not exceed size().
    [[nodiscard]] constexpr span last(std::size_t count) const noexcept {
        MQTLS_ASSERT(count <= size_);
        return {data_ + (size_ - count), count};
    }
    /// Elements from `offset` to the end; `offset` may equal size() (empty result).
    [[nodiscard]] constexpr span subspan(std::size_t offset) const noexcept {
        MQTLS_ASSERT(offset <= size_);
        return {data_ + offset, size_ - offset};
    }
    /// `count` elements from `offset`; the range must lie inside the span.
    [[nodiscard]] constexpr span subspan(std::size_t offset, std::size_t count) const noexcept {
        MQTLS_ASSERT(offset <= size_ && count <= size_ - offset);
        return {data_ + offset, count};
    }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

using bytes_view = span<const std::uint8_t>;
using mutable_bytes = span<std::uint8_t>;

/// Views a string's bytes (without a terminator) as bytes, e.g. for payload literals in tests.
inline bytes_view as_bytes(const char* text, std::size_t size) noexcept {
    // uint8_t is unsigned char on every supported target, so this aliasing is permitted.
    return {reinterpret_cast<const std::uint8_t*>(text), size};
}

/// Byte-wise equality of two views.
inline bool equal_bytes(bytes_view a, bytes_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

}  // namespace mqtls
