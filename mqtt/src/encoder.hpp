#pragma once
// The encoder's machinery, shared by the client's half of the codec (codec_encode.cpp, in
// mqtls_mqtt) and the server's (server/encode.cpp, in mqtls_mqtt_server): the Emitter that first
// counts a body and then writes it, the rules more than one packet's emit() needs, and the two
// drivers that size and write a whole packet around a body function. Each half passes its own
// body function, so one copy of the drivers serves both and a device (an MQTT client) links no
// code for the packets only a server sends.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/config.hpp"
#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt::detail {

// Counts (no output) or writes a packet. Writing only follows a count that accepted the packet
// and an output that has room for all of it, so the writes need no bounds checks of their own.
class Emitter {
public:
    // Counting a body: more than max_remaining_length bytes is packet_too_large.
    explicit Emitter(ProtocolVersion version) noexcept
        : v5_(version == ProtocolVersion::v5), room_(max_remaining_length) {}
    // Writing a whole packet of `size` bytes (fixed header included) at the start of `out`.
    Emitter(ProtocolVersion version, mutable_bytes out, std::size_t size) noexcept
        : v5_(version == ProtocolVersion::v5), out_(out.data()), room_(size) {}

    [[nodiscard]] bool v5() const noexcept { return mqtt5_available && v5_; }
    [[nodiscard]] bool counting() const noexcept { return out_ == nullptr; }
    [[nodiscard]] std::size_t size() const noexcept { return used_; }
    [[nodiscard]] bool oversized() const noexcept { return used_ > room_; }

    void u8(std::uint8_t value) noexcept;
    void u16(std::uint16_t value) noexcept {
        u8(static_cast<std::uint8_t>(value >> 8));
        u8(static_cast<std::uint8_t>(value & 0xff));
    }
    void bytes(bytes_view data) noexcept;
    /// Length-prefixed binary data; the caller has validated length <= 65535.
    void binary(bytes_view data) noexcept {
        u16(static_cast<std::uint16_t>(data.size()));
        bytes(data);
    }
    void string(std::string_view text) noexcept;
    /// MQTT's variable-length "remaining length": 7 bits per byte, low group first.
    void remaining_length(std::uint32_t value) noexcept;

#if MQTLS_MQTT5
    /// A property section (Property Length, then the list), validated and sized on both passes
    /// (properties.cpp, where table 2-4 lives).
    Result<void> properties(const PropertyList& list, PropertyContext context) noexcept;
#endif

private:
    // Saturates one past room_, so that no sum of field lengths can wrap (size_t is 32 bits on
    // the devices) and an oversized body stays oversized until its end is checked.
    void advance(std::size_t count) noexcept {
        const std::size_t left = room_ + 1 - used_;
        used_ = count >= left ? room_ + 1 : used_ + count;
    }

    bool v5_;
    std::uint8_t* out_ = nullptr;
    std::size_t room_;
    std::size_t used_ = 0;
};

/// CONNACK, SUBACK and UNSUBACK: sent only by a server (MQTT 3.1.1 sections 3.2, 3.9, 3.11), so
/// the client's half of the codec leaves them to the server's.
template <class P>
inline constexpr bool server_sends_only =
    std::is_same_v<P, ConnAck> || std::is_same_v<P, SubAck> || std::is_same_v<P, UnsubAck>;

#if MQTLS_MQTT5
using Context = PropertyContext;

/// `code` is one of table 2-6's codes for `packet`, or invalid_reason_code with the code.
Result<void> check_reason(ReasonCode code, ReasonPacket packet) noexcept;

/// A reason code other than Success or properties: what an acknowledgement cannot carry in
/// MQTT 3.1.1.
template <class P>
bool has_mqtt5_fields(const P& p) noexcept {
    return p.reason_code != ReasonCode::success || !p.properties.empty();
}
#endif

/// Validates the body of `packet` in `w`'s version and counts or writes it.
using BodyFunction = Result<void> (*)(const Packet& packet, Emitter& w) noexcept;

/// The body of a packet a client sends; Error{server_side_packet, type} for CONNACK, SUBACK and
/// UNSUBACK. encoded_size() and encode() (codec.hpp) put every body through it.
Result<void> emit_client_body(const Packet& packet, Emitter& w) noexcept;

/// encoded_size() and encode() (codec.hpp) with the body put through `body`.
Result<std::size_t> encoded_size_with(const Packet& packet, ProtocolVersion version,
                                      BodyFunction body) noexcept;
Result<std::size_t> encode_with(const Packet& packet, mutable_bytes out, ProtocolVersion version,
                                BodyFunction body) noexcept;

}  // namespace mqtls::mqtt::detail
