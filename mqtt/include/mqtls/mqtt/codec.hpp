#pragma once
/// @file
/// The MQTT codec: size, encode and decode for every control packet, in MQTT 3.1.1 or (built with
/// MQTLS_MQTT5) MQTT 5, the version chosen per call. Pure functions over caller buffers; no
/// state, no allocation.
///
/// Encoding is size-then-write: `encoded_size(p)` gives the exact byte count, `encode(p, out)`
/// writes exactly that many bytes or fails without writing past `out`. Both validate the packet
/// first (topic rules, UTF-8, packet identifiers, flag consistency), so mqtls never emits a packet
/// that a strict peer would reject. Only a client's packets are encoded here; the server's
/// (CONNACK, SUBACK, UNSUBACK) are server_encode.hpp's.
///
/// Decoding is strict: every rule of the specification that a receiver can check is checked, and
/// each violation has its own `Errc`. A decoded packet holds views into the input bytes.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt {

/// Bytes of the fixed header: one type/flags byte plus 1..4 remaining-length bytes.
inline constexpr std::size_t max_fixed_header_size = 5;

/// Size of the variable-length encoding of `remaining_length` (1..4), or 0 if it exceeds
/// `max_remaining_length`.
std::size_t remaining_length_size(std::uint32_t remaining_length) noexcept;

/// Exact encoded size of `packet` in `version`, or the validation error that encode() would
/// return (empty_topic, wildcard_in_topic, invalid_topic_filter, malformed_utf8,
/// utf8_null_character, utf8_surrogate, string_too_long, zero_packet_id, invalid_qos,
/// invalid_connect_flags, empty_subscription_list, packet_too_large; for MQTT 5 also the property
/// errors, invalid_reason_code and invalid_subscription_options; mqtt5_only when a 3.1.1 packet
/// sets MQTT 5 fields, which are refused rather than dropped; mqtt5_unavailable when MQTT 5 is
/// asked of a build without it). A CONNECT's Protocol Level is `version`.
///
/// This is a client's codec: the packets only a server sends (CONNACK, SUBACK, UNSUBACK) fail
/// with server_side_packet, the detail their packet type (2, 9, 11); server_encode.hpp
/// (library mqtls_mqtt_server) encodes them.
Result<std::size_t> encoded_size(const Packet& packet,
                                 ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

/// Writes `packet` at the start of `out` and returns the number of bytes written. Fails with
/// buffer_too_small (nothing useful written; bytes past `out` never touched) or any error listed
/// for encoded_size().
Result<std::size_t> encode(const Packet& packet, mutable_bytes out,
                           ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

/// Size of a PUBLISH without its payload: fixed header, topic, packet identifier and (MQTT 5)
/// properties.
Result<std::size_t> encoded_publish_header_size(
    const Publish& publish, ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

/// Writes the PUBLISH fixed header (whose remaining length counts the payload), topic, packet
/// identifier and (MQTT 5) properties, but not the payload, so the caller can send the payload
/// from where it already is (scatter-gather). Returns the header size.
Result<std::size_t> encode_publish_header(
    const Publish& publish, mutable_bytes out,
    ProtocolVersion version = ProtocolVersion::v3_1_1) noexcept;

/// Limits a receiver applies while decoding.
struct DecodeLimits {
    /// Largest whole packet (fixed header included) accepted; larger ones fail with
    /// packet_too_large as soon as their fixed header is read, before their body arrives.
    std::size_t max_packet_size = 4096;
    /// The connection's version, which decides every packet's form but CONNECT's: a CONNECT
    /// carries its own Protocol Level (4, or 5 when MQTT 5 is built in), reported in
    /// Decoded::version.
    ProtocolVersion protocol = ProtocolVersion::v3_1_1;
};

/// A fixed header: the first byte and the decoded remaining length.
struct FixedHeader {
    PacketType type{};
    std::uint8_t flags = 0;  ///< the low four bits of the first byte
    std::uint32_t remaining_length = 0;
    std::size_t header_size = 0;  ///< 2..5 bytes
    [[nodiscard]] std::size_t packet_size() const noexcept {
        return header_size + remaining_length;
    }
};

/// Decodes the fixed header at the start of `in`. Fails with need_more if `in` stops inside it,
/// invalid_packet_type (0, or 15 unless `limits.protocol` is MQTT 5), malformed_remaining_length (a
/// fifth length byte), overlong_remaining_length (a length not in its shortest form), or
/// packet_too_large. The flag bits are checked by decode(), not here.
Result<FixedHeader> decode_fixed_header(bytes_view in, const DecodeLimits& limits) noexcept;

struct Decoded {
    Packet packet;
    std::size_t consumed = 0;  ///< bytes of `in` that the packet occupied
    /// The form the packet was decoded in: `limits.protocol`, or a CONNECT's own level.
    ProtocolVersion version = ProtocolVersion::v3_1_1;
};

/// Decodes the packet at the start of `in`, as a client receives it; bytes after it are left
/// alone (see `Decoded::consumed`). Fails with need_more when `in` holds only part of a packet
/// (call again with more bytes), or with the codec error naming the first rule the packet breaks.
/// The packets only a server receives, CONNECT, SUBSCRIBE and UNSUBSCRIBE, fail with
/// server_side_packet (detail: the packet type) once their fixed header and flags pass: this
/// client library leaves them out; mqtt::server::decode() (server_decode.hpp, library
/// mqtls::mqtt_server) decodes every type.
Result<Decoded> decode(bytes_view in, const DecodeLimits& limits) noexcept;

}  // namespace mqtls::mqtt
