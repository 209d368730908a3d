#pragma once
/// @file
/// Reassembles whole MQTT packets from a byte stream that arrives in arbitrary pieces (one byte at
/// a time included) into a buffer the caller provides. The packet size is checked against the
/// limit as soon as the fixed header is complete, so an oversized packet is refused before its
/// body is buffered.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/codec.hpp"

namespace mqtls::mqtt {

class Framer {
public:
    /// `buffer` holds one packet at a time and must outlive the framer. Packets larger than
    /// min(buffer.size(), limits.max_packet_size) are refused with packet_too_large.
    Framer(mutable_bytes buffer, DecodeLimits limits) noexcept;

    /// Takes bytes from the front of `input` up to the end of the current packet and returns how
    /// many it took (it never reads past one packet, so the rest of `input` stays with the caller).
    /// Once frame_ready() is true it takes nothing until release(). Errors (from the fixed header:
    /// invalid_packet_type, malformed_remaining_length, overlong_remaining_length,
    /// packet_too_large) are final: the stream cannot be resynchronised, close the connection.
    Result<std::size_t> feed(bytes_view input) noexcept;

    /// Whether a whole packet is buffered.
    [[nodiscard]] bool frame_ready() const noexcept { return ready_; }

    /// The buffered packet's bytes, fixed header included; valid until release() or feed().
    [[nodiscard]] bytes_view frame() const noexcept;

    /// Decodes the buffered packet (views point into the framer's buffer).
    Result<Decoded> decode_frame() const noexcept;

    /// Drops the buffered packet so the next one can be assembled.
    void release() noexcept;

    /// Forgets any partial packet (after the transport closed).
    void reset() noexcept;
    /// Decodes later frames with `limits` (a session that changed its protocol version).
    void set_limits(DecodeLimits limits) noexcept { limits_ = limits; }

private:
    mutable_bytes buffer_;
    DecodeLimits limits_;
    std::size_t filled_ = 0;    // bytes of the current packet in buffer_
    std::size_t expected_ = 0;  // whole packet size once the fixed header is known, else 0
    bool ready_ = false;
};

}  // namespace mqtls::mqtt
