#include "mqtls/node/json_writer.hpp"

namespace mqtls::node {
namespace {

constexpr std::uint8_t max_fixed_decimals = 9;

constexpr char hex_digit(unsigned value) noexcept { return "0123456789abcdef"[value & 0xFU]; }

// |value| without overflowing on INT64_MIN.
constexpr std::uint64_t magnitude(std::int64_t value) noexcept {
    return value < 0 ? ~static_cast<std::uint64_t>(value) + 1U : static_cast<std::uint64_t>(value);
}

}  // namespace

JsonObjectWriter::JsonObjectWriter(span<char> out) noexcept : out_(out) { put('{'); }

void JsonObjectWriter::put(char character) noexcept {
    if (used_ >= out_.size()) {
        if (!failed_) failure_ = Errc::buffer_too_small;
        failed_ = true;
        return;
    }
    out_[used_++] = character;
}

void JsonObjectWriter::put(std::string_view text) noexcept {
    for (const char character : text) put(character);
}

void JsonObjectWriter::put_quoted(std::string_view text) noexcept {
    put('"');
    for (const char character : text) {
        const auto byte = static_cast<unsigned char>(character);
        if (character == '"' || character == '\\') {
            put('\\');
            put(character);
        } else if (byte < 0x20U) {
            put("\\u00");
            put(hex_digit(byte >> 4U));
            put(hex_digit(byte));
        } else {
            put(character);
        }
    }
    put('"');
}

void JsonObjectWriter::put_unsigned(std::uint64_t value) noexcept {
    char digits[20];  // 2^64 - 1 has 20 decimal digits
    std::size_t count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10U);
        value /= 10U;
    } while (value != 0);
    while (count > 0) put(digits[--count]);
}

void JsonObjectWriter::begin_field(std::string_view key) noexcept {
    if (!first_field_) put(',');
    first_field_ = false;
    put_quoted(key);
    put(':');
}

void JsonObjectWriter::add_string(std::string_view key, std::string_view value) noexcept {
    begin_field(key);
    put_quoted(value);
}

void JsonObjectWriter::add_unsigned(std::string_view key, std::uint64_t value) noexcept {
    begin_field(key);
    put_unsigned(value);
}

void JsonObjectWriter::add_signed(std::string_view key, std::int64_t value) noexcept {
    begin_field(key);
    if (value < 0) put('-');
    put_unsigned(magnitude(value));
}

void JsonObjectWriter::add_fixed(std::string_view key, std::int64_t scaled,
                                 std::uint8_t decimals) noexcept {
    if (decimals > max_fixed_decimals) {
        if (!failed_) failure_ = Errc::invalid_argument;
        failed_ = true;
        return;
    }
    begin_field(key);
    std::uint64_t divisor = 1;
    for (std::uint8_t i = 0; i < decimals; ++i) divisor *= 10U;
    const std::uint64_t absolute = magnitude(scaled);
    if (scaled < 0) put('-');
    put_unsigned(absolute / divisor);
    if (decimals == 0) return;
    put('.');
    const std::uint64_t fraction = absolute % divisor;
    // Leading zeros of the fraction: 21.05 is (2105, 2), whose fraction 5 prints as "05".
    for (std::uint64_t place = divisor / 10U; place > 0; place /= 10U) {
        put(static_cast<char>('0' + (fraction / place) % 10U));
    }
}

void JsonObjectWriter::add_raw_members(std::string_view members) noexcept {
    if (members.empty()) return;
    if (!first_field_) put(',');
    first_field_ = false;
    put(members);
}

Result<std::string_view> JsonObjectWriter::finish() noexcept {
    put('}');
    if (failed_) return failure_;
    return std::string_view(out_.data(), used_);
}

}  // namespace mqtls::node
