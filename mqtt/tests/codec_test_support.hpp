#pragma once
/// @file
/// Helpers shared by the portable mqtt tests. Everything here must build for the bare-metal
/// targets too: no heap, no exceptions, no iostreams outside the host-only printer below.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/mqtt/server_decode.hpp"
#include "mqtls/mqtt/server_encode.hpp"
#include "mqtls_test.hpp"

#if !defined(MQTLS_MINITEST)
#include <ostream>

namespace mqtls {
// Without this GoogleTest prints an Errc as raw bytes, which makes a failing expectation about
// a decoder error unreadable. Found by argument-dependent lookup.
inline void PrintTo(Errc code, std::ostream* out) {
    if (static_cast<std::uint16_t>(code) == 0) {
        *out << "success (no error)";
        return;
    }
    *out << name(code) << " (0x" << std::hex << static_cast<unsigned>(code) << std::dec << ")";
}
}  // namespace mqtls
#endif

namespace mqtls::mqtt::test {

/// What error_code_of() reports for a result that holds a value: no real code is 0.
inline constexpr Errc success = Errc{};

/// The error code of `result`, or `success`; lets a test compare outcomes with EXPECT_EQ.
template <class T>
Errc error_code_of(const Result<T>& result) noexcept {
    return result.has_value() ? success : result.error().code;
}

/// A string literal as a view that keeps embedded NULs (a plain string_view would stop at the
/// first one), so "a\0b" is three characters.
template <std::size_t N>
constexpr std::string_view text(const char (&literal)[N]) noexcept {
    return std::string_view(literal, N - 1);
}

inline bytes_view bytes_of(std::string_view text_value) noexcept {
    return as_bytes(text_value.data(), text_value.size());
}

/// Whether only a server sends `packet` (CONNACK, SUBACK, UNSUBACK), which the client codec
/// refuses with server_side_packet and server_encode.hpp encodes.
inline bool sent_by_server(const Packet& packet) noexcept {
    const PacketType type = packet_type(packet);
    return type == PacketType::connack || type == PacketType::suback ||
           type == PacketType::unsuback;
}

/// encoded_size() of the side that sends `packet`: the client's codec, or the server's for the
/// packets only a server sends.
inline Result<std::size_t> encoded_size_any(
    const Packet& packet, ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept {
    return sent_by_server(packet) ? server::encoded_size(packet, version)
                                  : encoded_size(packet, version);
}

/// encode() of the side that sends `packet`, as encoded_size_any().
inline Result<std::size_t> encode_any(const Packet& packet, mutable_bytes out,
                                      ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept {
    return sent_by_server(packet) ? server::encode(packet, out, version)
                                  : encode(packet, out, version);
}

/// Whether `wire` starts with a packet only a server receives: CONNECT, SUBSCRIBE, UNSUBSCRIBE.
inline bool is_server_bound(bytes_view wire) noexcept {
    if (wire.empty()) return false;
    const auto type = static_cast<PacketType>(wire[0] >> 4);
    return type == PacketType::connect || type == PacketType::subscribe ||
           type == PacketType::unsubscribe;
}

/// The error server::decode() (which takes every packet type) gives `wire`, or `success`. The
/// client's decode() is held to the same answer here, so that every rejection test covers both:
/// it must give the same result, except that it refuses CONNECT, SUBSCRIBE and UNSUBSCRIBE
/// with server_side_packet once the checks before their body pass.
inline Errc decode_error(bytes_view wire, DecodeLimits limits = DecodeLimits{}) noexcept {
    const Errc server_error = error_code_of(server::decode(wire, limits));
    const Errc client_error = error_code_of(decode(wire, limits));
    if (client_error == Errc::server_side_packet) {
        EXPECT_TRUE(is_server_bound(wire));
    } else {
        EXPECT_EQ(client_error, server_error);
    }
    return server_error;
}

/// Builds small packets byte by byte for the rejection tests, where the encoder (which refuses
/// invalid packets) cannot be used. The remaining length must fit one byte (< 128).
class WireBuilder {
public:
    explicit WireBuilder(std::uint8_t first_byte) noexcept { bytes_[0] = first_byte; }

    WireBuilder& byte(std::uint8_t value) noexcept {
        if (size_ < sizeof(bytes_)) bytes_[size_++] = value;
        return *this;
    }
    WireBuilder& u16(std::uint16_t value) noexcept {
        byte(static_cast<std::uint8_t>(value >> 8));
        return byte(static_cast<std::uint8_t>(value & 0xffu));
    }
    /// A length-prefixed field (MQTT 3.1.1 section 1.5.3).
    WireBuilder& field(std::string_view value) noexcept {
        u16(static_cast<std::uint16_t>(value.size()));
        for (const char c : value) byte(static_cast<std::uint8_t>(c));
        return *this;
    }
    /// The packet with its true remaining length.
    bytes_view finish() noexcept { return finish_claiming(static_cast<std::uint8_t>(size_ - 2)); }
    /// The packet with a remaining length that may disagree with the bytes that follow.
    bytes_view finish_claiming(std::uint8_t remaining_length) noexcept {
        bytes_[1] = remaining_length;
        return bytes_view(bytes_, size_);
    }

private:
    std::uint8_t bytes_[128] = {};
    std::size_t size_ = 2;  // the first byte and a one-byte remaining length
};

/// What happened when a packet was sized and encoded into a buffer with guard bytes around it.
struct EncodeOutcome {
    Errc size_error = success;
    std::size_t size = 0;
    Errc encode_error = success;
    std::size_t written = 0;
    bool matches_expected = false;
    /// Nothing outside the exact-size output window was touched.
    bool guards_intact = false;
    /// Encoding into a window larger than needed wrote exactly `size` bytes and no more.
    bool larger_window_untouched_past_size = false;
};

inline constexpr std::uint8_t guard_byte = 0xA5;
inline constexpr std::size_t guard_margin = 32;

/// Large enough for every portable vector plus guards; static because the targets have small
/// stacks.
inline std::uint8_t guarded_buffer[512 + 2 * guard_margin];

inline void fill_guarded_buffer() noexcept {
    for (auto& b : guarded_buffer) b = guard_byte;
}

/// Whether every byte of guarded_buffer outside [begin, end) still holds the guard.
inline bool guards_intact_outside(std::size_t begin, std::size_t end) noexcept {
    for (std::size_t i = 0; i < sizeof(guarded_buffer); ++i) {
        if ((i < begin || i >= end) && guarded_buffer[i] != guard_byte) return false;
    }
    return true;
}

inline EncodeOutcome encode_with_guards(
    const Packet& packet, bytes_view expected,
    ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept {
    EncodeOutcome outcome;
    const auto size = encoded_size_any(packet, version);
    outcome.size_error = error_code_of(size);
    if (size) outcome.size = *size;
    if (expected.size() + 2 * guard_margin > sizeof(guarded_buffer)) return outcome;

    fill_guarded_buffer();
    const mutable_bytes exact(guarded_buffer + guard_margin, expected.size());
    const auto written = encode_any(packet, exact, version);
    outcome.encode_error = error_code_of(written);
    if (written) outcome.written = *written;
    outcome.matches_expected =
        written.has_value() && equal_bytes(bytes_view(exact.data(), *written), expected);
    outcome.guards_intact = guards_intact_outside(guard_margin, guard_margin + expected.size());

    fill_guarded_buffer();
    const mutable_bytes roomy(guarded_buffer + guard_margin,
                              sizeof(guarded_buffer) - 2 * guard_margin);
    const auto written_roomy = encode_any(packet, roomy, version);
    outcome.larger_window_untouched_past_size =
        written_roomy.has_value() && *written_roomy == expected.size() &&
        guards_intact_outside(guard_margin, guard_margin + expected.size());
    return outcome;
}

}  // namespace mqtls::mqtt::test

/// Checks, at the caller's line, that `packet` sizes and encodes to exactly `expected` without
/// touching memory around the output.
#define EXPECT_ENCODES_TO(packet, expected)                                                  \
    do {                                                                                     \
        const auto outcome_ = ::mqtls::mqtt::test::encode_with_guards((packet), (expected)); \
        EXPECT_EQ(outcome_.size_error, ::mqtls::mqtt::test::success);                        \
        EXPECT_EQ(outcome_.size, (expected).size());                                         \
        EXPECT_EQ(outcome_.encode_error, ::mqtls::mqtt::test::success);                      \
        EXPECT_EQ(outcome_.written, (expected).size());                                      \
        EXPECT_TRUE(outcome_.matches_expected);                                              \
        EXPECT_TRUE(outcome_.guards_intact);                                                 \
        EXPECT_TRUE(outcome_.larger_window_untouched_past_size);                             \
    } while (false)

/// Checks that encoded_size() and encode() (the sending side's: encode_any()) both refuse
/// `packet` with `expected_errc`, and that a refused encode leaves memory outside the output
/// window alone.
#define EXPECT_ENCODE_FAILS_WITH(packet, expected_errc)                                        \
    do {                                                                                       \
        EXPECT_EQ(                                                                             \
            ::mqtls::mqtt::test::error_code_of(::mqtls::mqtt::test::encoded_size_any(packet)), \
            (expected_errc));                                                                  \
        ::mqtls::mqtt::test::fill_guarded_buffer();                                            \
        const ::mqtls::mutable_bytes window_(                                                  \
            ::mqtls::mqtt::test::guarded_buffer + ::mqtls::mqtt::test::guard_margin, 64);      \
        EXPECT_EQ(::mqtls::mqtt::test::error_code_of(                                          \
                      ::mqtls::mqtt::test::encode_any((packet), window_)),                     \
                  (expected_errc));                                                            \
        EXPECT_TRUE(::mqtls::mqtt::test::guards_intact_outside(                                \
            ::mqtls::mqtt::test::guard_margin, ::mqtls::mqtt::test::guard_margin + 64));       \
    } while (false)

/// Checks at the caller's line that decoding the listed bytes fails with `expected_errc`.
#define EXPECT_DECODE_FAILS_WITH(expected_errc, ...)                                               \
    do {                                                                                           \
        const std::uint8_t wire_[] = {__VA_ARGS__};                                                \
        EXPECT_EQ(::mqtls::mqtt::test::decode_error(::mqtls::bytes_view(wire_)), (expected_errc)); \
    } while (false)
