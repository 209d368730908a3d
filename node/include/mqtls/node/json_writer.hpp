#pragma once
/// @file
/// Writes one flat JSON object into a caller's buffer: no heap, no floating point (numbers are
/// integers or fixed-point decimals, which is what sensors deliver and what small
/// microcontrollers print without pulling in a float formatter). An overflow is remembered and
/// reported by finish(), so a caller can add every field and check once.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::node {

class JsonObjectWriter {
public:
    /// Starts the object ('{') at the beginning of `out`.
    explicit JsonObjectWriter(span<char> out) noexcept;

    /// "key":"value", with '"', '\\' and control characters escaped. The caller passes UTF-8.
    void add_string(std::string_view key, std::string_view value) noexcept;
    void add_unsigned(std::string_view key, std::uint64_t value) noexcept;
    void add_signed(std::string_view key, std::int64_t value) noexcept;
    /// A fixed-point number: `scaled` / 10^decimals, e.g. (2153, 2) is 21.53 and (-5, 1) is
    /// -0.5. decimals above 9 is invalid_argument at finish().
    void add_fixed(std::string_view key, std::int64_t scaled, std::uint8_t decimals) noexcept;
    /// Appends `members` as they are: one or more "key":value pairs, already serialized as JSON
    /// and separated by commas, without braces. For fields that arrive as JSON, which the
    /// caller has parsed, checked and serialized again (on a host, with a JSON library); the
    /// writer does not parse them. Empty `members` adds nothing.
    void add_raw_members(std::string_view members) noexcept;

    /// Closes the object ('}') and returns it; buffer_too_small if anything did not fit, in
    /// which case the buffer holds no usable JSON.
    Result<std::string_view> finish() noexcept;

private:
    void put(char character) noexcept;
    void put(std::string_view text) noexcept;
    void put_quoted(std::string_view text) noexcept;
    void put_unsigned(std::uint64_t value) noexcept;
    void begin_field(std::string_view key) noexcept;

    span<char> out_;
    std::size_t used_ = 0;
    bool first_field_ = true;
    Errc failure_{};
    bool failed_ = false;
};

}  // namespace mqtls::node
