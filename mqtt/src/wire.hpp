#pragma once
// Bounds-checked cursors over MQTT wire bytes: a Reader that hands out views into its input and a
// Writer that refuses (buffer_too_small) instead of writing past its output.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::mqtt::wire {

class Reader {
public:
    explicit Reader(bytes_view input) noexcept : rest_(input) {}

    [[nodiscard]] std::size_t remaining() const noexcept { return rest_.size(); }
    [[nodiscard]] bool empty() const noexcept { return rest_.empty(); }

    // Inside a complete frame, running out of bytes means the frame lied about its length.
    Result<std::uint8_t> u8() noexcept {
        if (rest_.empty()) return Errc::length_mismatch;
        const std::uint8_t value = rest_[0];
        rest_ = rest_.subspan(1);
        return value;
    }
    Result<std::uint16_t> u16() noexcept {
        if (rest_.size() < 2) return Errc::length_mismatch;
        const auto value = static_cast<std::uint16_t>((rest_[0] << 8) | rest_[1]);
        rest_ = rest_.subspan(2);
        return value;
    }
    Result<bytes_view> bytes(std::size_t count) noexcept {
        if (rest_.size() < count) return Errc::length_mismatch;
        const bytes_view out = rest_.first(count);
        rest_ = rest_.subspan(count);
        return out;
    }
    /// A 2-byte length followed by that many bytes (MQTT "binary data").
    Result<bytes_view> binary() noexcept {
        MQTLS_TRY_ASSIGN(const std::uint16_t length, u16());
        return bytes(length);
    }
    /// A 2-byte length followed by UTF-8 text; well-formedness is checked by the caller.
    Result<std::string_view> string() noexcept {
        MQTLS_TRY_ASSIGN(const bytes_view raw, binary());
        return std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size());
    }
    /// The unread bytes, left unread.
    [[nodiscard]] bytes_view rest() const noexcept { return rest_; }
    bytes_view take_rest() noexcept {
        const bytes_view out = rest_;
        rest_ = {};
        return out;
    }

private:
    bytes_view rest_;
};

class Writer {
public:
    explicit Writer(mutable_bytes output) noexcept : out_(output) {}

    [[nodiscard]] std::size_t written() const noexcept { return used_; }
    /// The room left, for a writer of its own (encode_properties); then skip() what it wrote.
    [[nodiscard]] mutable_bytes unwritten() const noexcept { return out_.subspan(used_); }
    void skip(std::size_t count) noexcept { used_ += count; }

    Result<void> u8(std::uint8_t value) noexcept {
        if (out_.size() - used_ < 1) return Errc::buffer_too_small;
        out_[used_++] = value;
        return ok();
    }
    Result<void> u16(std::uint16_t value) noexcept {
        if (out_.size() - used_ < 2) return Errc::buffer_too_small;
        out_[used_++] = static_cast<std::uint8_t>(value >> 8);
        out_[used_++] = static_cast<std::uint8_t>(value & 0xff);
        return ok();
    }
    Result<void> bytes(bytes_view data) noexcept {
        if (out_.size() - used_ < data.size()) return Errc::buffer_too_small;
        for (std::size_t i = 0; i < data.size(); ++i) out_[used_ + i] = data[i];
        used_ += data.size();
        return ok();
    }
    /// Length-prefixed binary data; the caller has validated length <= 65535.
    Result<void> binary(bytes_view data) noexcept {
        MQTLS_TRY(u16(static_cast<std::uint16_t>(data.size())));
        return bytes(data);
    }
    Result<void> string(std::string_view text) noexcept {
        return binary(as_bytes(text.data(), text.size()));
    }
    /// MQTT's variable-length "remaining length": 7 bits per byte, low group first.
    Result<void> remaining_length(std::uint32_t value) noexcept {
        do {
            auto byte = static_cast<std::uint8_t>(value & 0x7f);
            value >>= 7;
            if (value != 0) byte |= 0x80;
            MQTLS_TRY(u8(byte));
        } while (value != 0);
        return ok();
    }

private:
    mutable_bytes out_;
    std::size_t used_ = 0;
};

}  // namespace mqtls::mqtt::wire
