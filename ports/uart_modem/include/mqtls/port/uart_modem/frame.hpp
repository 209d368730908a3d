#pragma once
/// @file
/// The UART modem link: how a device without a network stack of its own asks a modem (a Wi-Fi
/// or cellular module, or here the host-side bridge that QEMU's serial port is wired to) to
/// open a TCP connection, carry its bytes, and hang up. The device's side is
/// port::uart_modem::ModemStream (a link::ByteStream); the host's is testing/modem_bridge.
/// docs/uart-modem.md describes the protocol; this header is its one definition.
///
/// A frame on the wire:
///   0x7E | type (1) | payload length (2, big-endian, <= max_frame_payload) | payload |
///   CRC-32 (4, big-endian; IEEE, over type, length and payload)
/// The start byte lets a receiver see a desynchronised stream at once; the CRC catches a line
/// error (QEMU's socket is lossless, a real UART is not). Either is a link failure: the device
/// drops the connection, it never resynchronises inside a TLS stream.
///
/// Header-only and portable (no heap, no exceptions): the firmware and the host bridge compile
/// the same code.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/span.hpp"
#include "mqtls/node/crc32.hpp"

namespace mqtls::port::uart_modem {

inline constexpr std::uint8_t frame_start = 0x7E;
inline constexpr std::size_t frame_header_bytes = 4;   // start, type, length
inline constexpr std::size_t frame_trailer_bytes = 4;  // CRC-32
inline constexpr std::size_t frame_overhead = frame_header_bytes + frame_trailer_bytes;
/// The most payload one frame carries. Small enough for a device's receive buffer, big enough
/// that the framing costs under 2 % of a TLS record.
inline constexpr std::size_t max_frame_payload = 512;
inline constexpr std::size_t max_frame_bytes = frame_overhead + max_frame_payload;

enum class FrameType : std::uint8_t {
    // Device to modem.
    dial = 0x01,     ///< port (2, big-endian) then the host name: open a TCP connection
    send = 0x02,     ///< bytes for the open connection
    hang_up = 0x03,  ///< close the connection (answered by hung_up)
    // Modem to device.
    connected = 0x81,    ///< the dial succeeded
    dial_failed = 0x82,  ///< the dial failed: one DialFailure byte
    received = 0x83,     ///< bytes from the peer
    closed = 0x84,       ///< the peer closed (one CloseReason byte); the modem is idle again
    hung_up = 0x85,      ///< the hang-up is done: nothing of the old connection follows
};

enum class DialFailure : std::uint8_t {
    resolve_failed = 1,
    refused = 2,
    timed_out = 3,
    unreachable = 4,
    busy = 5,  ///< a connection is already open
    other = 6,
    malformed = 7,  ///< the dial frame itself was malformed
};

enum class CloseReason : std::uint8_t {
    end_of_stream = 0,  ///< the peer's orderly close (FIN)
    reset = 1,          ///< the connection broke (RST, error)
};

/// Writes one frame into `out` and returns its length, or 0 when the payload is too long or
/// `out` too small (frame_overhead + payload.size() bytes are needed).
inline std::size_t encode_frame(FrameType type, bytes_view payload, mutable_bytes out) noexcept {
    if (payload.size() > max_frame_payload || out.size() < frame_overhead + payload.size()) {
        return 0;
    }
    out[0] = frame_start;
    out[1] = static_cast<std::uint8_t>(type);
    out[2] = static_cast<std::uint8_t>(payload.size() >> 8);
    out[3] = static_cast<std::uint8_t>(payload.size() & 0xFF);
    for (std::size_t i = 0; i < payload.size(); ++i) out[frame_header_bytes + i] = payload[i];
    const std::uint32_t crc = node::crc32_update(0, bytes_view(out.data() + 1, 3 + payload.size()));
    std::uint8_t* trailer = out.data() + frame_header_bytes + payload.size();
    for (int i = 0; i < 4; ++i) trailer[i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
    return frame_overhead + payload.size();
}

/// The payload of a dial frame: port then host name. 0 when the name is empty or too long.
inline std::size_t encode_dial(std::string_view host, std::uint16_t port,
                               mutable_bytes out) noexcept {
    if (host.empty() || host.size() + 2 > max_frame_payload || out.size() < host.size() + 2) {
        return 0;
    }
    out[0] = static_cast<std::uint8_t>(port >> 8);
    out[1] = static_cast<std::uint8_t>(port & 0xFF);
    for (std::size_t i = 0; i < host.size(); ++i) out[2 + i] = static_cast<std::uint8_t>(host[i]);
    return host.size() + 2;
}

struct DialRequest {
    std::string_view host;
    std::uint16_t port = 0;
};

/// The dial frame's request, or false when it is malformed (no name, port 0).
inline bool decode_dial(bytes_view payload, DialRequest& request) noexcept {
    if (payload.size() < 3) return false;
    request.port = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
    request.host =
        std::string_view(reinterpret_cast<const char*>(payload.data() + 2), payload.size() - 2);
    return request.port != 0;
}

/// Reassembles frames from a byte stream, one byte at a time, into a caller's buffer.
class FrameDecoder {
public:
    enum class Status : std::uint8_t {
        incomplete,  ///< feed more bytes
        frame,       ///< type() and payload() hold a whole, checked frame
        bad_start,   ///< a byte other than 0x7E where a frame must begin
        bad_length,  ///< a length above max_frame_payload or the buffer
        bad_crc,     ///< the CRC does not match
    };

    /// `buffer` receives the payload (max_frame_payload bytes hold any frame).
    explicit FrameDecoder(mutable_bytes buffer) noexcept : buffer_(buffer) {}

    /// Takes one byte. After frame or an error the next byte starts a new frame.
    Status feed(std::uint8_t byte) noexcept {
        switch (state_) {
            case State::start:
                if (byte != frame_start) return Status::bad_start;
                state_ = State::type;
                return Status::incomplete;
            case State::type:
                type_ = byte;
                crc_ = node::crc32_update(0, bytes_view(&byte, 1));
                state_ = State::length_high;
                return Status::incomplete;
            case State::length_high:
                length_ = static_cast<std::size_t>(byte) << 8;
                crc_ = node::crc32_update(crc_, bytes_view(&byte, 1));
                state_ = State::length_low;
                return Status::incomplete;
            case State::length_low:
                return take_length_low(byte);
            case State::payload:
                buffer_[filled_++] = byte;
                if (filled_ == length_) {
                    crc_ = node::crc32_update(crc_, bytes_view(buffer_.data(), length_));
                    state_ = State::trailer;
                }
                return Status::incomplete;
            case State::trailer:
                return take_trailer(byte);
        }
        return Status::incomplete;
    }

    [[nodiscard]] std::uint8_t type() const noexcept { return type_; }
    [[nodiscard]] bytes_view payload() const noexcept { return {buffer_.data(), length_}; }
    /// Whether a frame has begun and not ended.
    [[nodiscard]] bool mid_frame() const noexcept { return state_ != State::start; }

private:
    enum class State : std::uint8_t { start, type, length_high, length_low, payload, trailer };

    Status take_length_low(std::uint8_t byte) noexcept {
        length_ |= byte;
        crc_ = node::crc32_update(crc_, bytes_view(&byte, 1));
        if (length_ > max_frame_payload || length_ > buffer_.size()) {
            state_ = State::start;
            return Status::bad_length;
        }
        filled_ = 0;
        received_crc_ = 0;
        trailer_filled_ = 0;
        state_ = length_ == 0 ? State::trailer : State::payload;
        return Status::incomplete;
    }

    Status take_trailer(std::uint8_t byte) noexcept {
        received_crc_ = (received_crc_ << 8) | byte;
        if (++trailer_filled_ < frame_trailer_bytes) return Status::incomplete;
        state_ = State::start;
        return received_crc_ == crc_ ? Status::frame : Status::bad_crc;
    }

    mutable_bytes buffer_;
    State state_ = State::start;
    std::uint8_t type_ = 0;
    std::size_t length_ = 0;
    std::size_t filled_ = 0;
    std::uint32_t crc_ = 0;
    std::uint32_t received_crc_ = 0;
    std::size_t trailer_filled_ = 0;
};

}  // namespace mqtls::port::uart_modem
