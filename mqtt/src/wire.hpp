#pragma once
// A bounds-checked cursor over MQTT wire bytes that hands out views into its input. Writing is the
// encoder's Emitter (encoder.hpp), which writes only what a count has accepted.

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
    Result<bytes_view> bytes(std::size_t count) noexcept;  // wire.cpp: one copy for all users
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

}  // namespace mqtls::mqtt::wire
