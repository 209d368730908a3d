#pragma once
/// @file
/// link::ByteStream over a UART to a modem that speaks the frames of frame.hpp: how a device
/// without a TCP/IP stack of its own (a microcontroller beside a Wi-Fi or cellular module; under
/// QEMU, the bare-metal firmware beside testing/modem_bridge) dials the broker, carries the TLS
/// bytes and hangs up. open() sends dial and waits for connected or dial_failed; send_some()
/// sends one frame of at most max_frame_payload bytes; receive_some() hands out the payload of
/// received frames; close() hangs up and waits for hung_up, so that nothing of the old
/// connection is read as the new one's.
///
/// The stream polls the UART: wait() is the only call that spins, and it tells the Uart when it
/// starts and stops idling (a board counts those instructions apart from the work, or sleeps).
/// No heap: the frame buffers are the caller's (ModemStreamMemory).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/clock.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/link/byte_stream.hpp"
#include "mqtls/port/uart_modem/frame.hpp"

namespace mqtls::port::uart_modem {

/// The serial line to the modem, as a board provides it.
class Uart {
public:
    Uart(const Uart&) = delete;
    Uart& operator=(const Uart&) = delete;

    /// Whether a received byte waits to be read.
    virtual bool readable() noexcept = 0;
    /// The next received byte; only called when readable().
    virtual std::uint8_t read_byte() noexcept = 0;
    /// Sends all of `data` (blocks while the transmitter is full).
    virtual void write(bytes_view data) noexcept = 0;
    /// The stream is about to spin waiting for the modem / stopped spinning (nothing else
    /// happens in between): a board counts those instructions as idle, or sleeps until an
    /// interrupt.
    virtual void begin_idle() noexcept {}
    virtual void end_idle() noexcept {}

protected:
    Uart() = default;
    ~Uart() = default;
};

/// The stream's buffers: `received` holds one frame's payload (max_frame_payload bytes), `frame`
/// one encoded frame to send (max_frame_bytes).
struct ModemStreamMemory {
    mutable_bytes received;
    mutable_bytes frame;
};

/// What went wrong on the link itself (Error::detail of modem_link_failed).
enum class LinkFault : std::uint8_t {
    none = 0,
    bad_start = 1,   ///< the modem's bytes lost frame synchronisation
    bad_length = 2,  ///< a frame longer than max_frame_payload
    bad_crc = 3,     ///< a frame damaged on the line
    unexpected = 4,  ///< a frame that makes no sense now (e.g. connected without a dial)
    silent = 5,      ///< the modem did not answer a dial or hang-up in time
};

class ModemStream final : public link::ByteStream {
public:
    /// How long close() waits for hung_up before it gives the modem up as silent.
    static constexpr Duration hang_up_timeout = Duration::from_millis(2000);

    /// Invalid memory (too small) makes every open() fail with invalid_argument.
    ModemStream(Uart& uart, MonotonicClock clock, ModemStreamMemory memory) noexcept;

    /// Dials host:port through the modem. Errors: invalid_argument (empty host, port 0, a name
    /// too long for a frame); resolve_failed, connection_refused, connect_timed_out,
    /// network_unreachable, socket_error (the modem's DialFailure in detail); modem_link_failed
    /// (a LinkFault in detail: the line broke, or the modem did not answer in time).
    Result<void> open(std::string_view host, std::uint16_t port,
                      Duration timeout) noexcept override;
    Result<std::size_t> send_some(bytes_view data) noexcept override;
    Result<std::size_t> receive_some(mutable_bytes buffer) noexcept override;
    Result<link::Readiness> wait(bool want_read, bool want_write,
                                 Duration timeout) noexcept override;
    void close() noexcept override;
    [[nodiscard]] bool is_open() const noexcept override { return open_; }

    /// Frames sent and received, and their bytes on the line (framing included): the cost of
    /// the link for the benchmarks.
    [[nodiscard]] std::uint64_t line_bytes_sent() const noexcept { return line_bytes_sent_; }
    [[nodiscard]] std::uint64_t line_bytes_received() const noexcept {
        return line_bytes_received_;
    }

private:
    enum class Poll : std::uint8_t { nothing, frame, fault };

    Poll poll_frame() noexcept;
    void send_frame(FrameType type, bytes_view payload) noexcept;
    Result<void> await_dial_answer(Instant deadline) noexcept;
    std::optional<Result<void>> answer_of_dial() noexcept;
    void take_stream_frame() noexcept;
    void refill() noexcept;
    bool data_or_end_waiting() const noexcept;
    Error link_error(LinkFault fault) const noexcept;

    Uart& uart_;
    MonotonicClock clock_;
    ModemStreamMemory memory_;
    FrameDecoder decoder_;
    bool memory_ok_ = false;
    bool open_ = false;
    // The payload of the last received frame, handed out by receive_some from `offset_`.
    std::size_t pending_ = 0;
    std::size_t offset_ = 0;
    bool peer_closed_ = false;
    CloseReason close_reason_ = CloseReason::end_of_stream;
    LinkFault fault_ = LinkFault::none;
    std::uint64_t line_bytes_sent_ = 0;
    std::uint64_t line_bytes_received_ = 0;
};

}  // namespace mqtls::port::uart_modem
