#include "mqtls/port/uart_modem/modem_stream.hpp"

#include <algorithm>
#include <optional>

namespace mqtls::port::uart_modem {
namespace {

// Frames taken per receive_some()/wait() poll before returning: bounds the work of one call even
// when the modem sends empty frames.
constexpr int max_frames_per_poll = 64;

Error dial_error(std::uint8_t reason) noexcept {
    switch (static_cast<DialFailure>(reason)) {
        case DialFailure::resolve_failed:
            return Error{Errc::resolve_failed, reason};
        case DialFailure::refused:
            return Error{Errc::connection_refused, reason};
        case DialFailure::timed_out:
            return Error{Errc::connect_timed_out, reason};
        case DialFailure::unreachable:
            return Error{Errc::network_unreachable, reason};
        default:
            break;
    }
    return Error{Errc::socket_error, reason};
}

LinkFault fault_of(FrameDecoder::Status status) noexcept {
    switch (status) {
        case FrameDecoder::Status::bad_start:
            return LinkFault::bad_start;
        case FrameDecoder::Status::bad_length:
            return LinkFault::bad_length;
        case FrameDecoder::Status::bad_crc:
            return LinkFault::bad_crc;
        default:
            break;
    }
    return LinkFault::none;
}

// Spins the Uart's idle accounting on and off around one wait.
class IdleScope {
public:
    explicit IdleScope(Uart& uart) noexcept : uart_(uart) { uart_.begin_idle(); }
    ~IdleScope() { uart_.end_idle(); }
    IdleScope(const IdleScope&) = delete;
    IdleScope& operator=(const IdleScope&) = delete;

private:
    Uart& uart_;
};

}  // namespace

ModemStream::ModemStream(Uart& uart, MonotonicClock clock, ModemStreamMemory memory) noexcept
    : uart_(uart),
      clock_(clock),
      memory_(memory),
      decoder_(memory.received),
      memory_ok_(memory.received.size() >= max_frame_payload &&
                 memory.frame.size() >= max_frame_bytes) {}

Error ModemStream::link_error(LinkFault fault) const noexcept {
    return Error{Errc::modem_link_failed, static_cast<std::int32_t>(fault)};
}

ModemStream::Poll ModemStream::poll_frame() noexcept {
    while (uart_.readable()) {
        const std::uint8_t byte = uart_.read_byte();
        ++line_bytes_received_;
        const FrameDecoder::Status status = decoder_.feed(byte);
        if (status == FrameDecoder::Status::frame) return Poll::frame;
        if (status != FrameDecoder::Status::incomplete) {
            fault_ = fault_of(status);
            return Poll::fault;
        }
    }
    return Poll::nothing;
}

void ModemStream::send_frame(FrameType type, bytes_view payload) noexcept {
    const std::size_t length = encode_frame(type, payload, memory_.frame);
    uart_.write(bytes_view(memory_.frame.data(), length));
    line_bytes_sent_ += length;
}

bool ModemStream::data_or_end_waiting() const noexcept {
    return offset_ < pending_ || peer_closed_ || fault_ != LinkFault::none;
}

// A frame while the connection is open: data, or the peer's close; anything else means the two
// ends disagree about the link's state.
void ModemStream::take_stream_frame() noexcept {
    const bytes_view payload = decoder_.payload();
    switch (static_cast<FrameType>(decoder_.type())) {
        case FrameType::received:
            pending_ = payload.size();
            offset_ = 0;
            return;
        case FrameType::closed:
            peer_closed_ = true;
            close_reason_ = !payload.empty() && payload[0] == static_cast<std::uint8_t>(
                                                                  CloseReason::end_of_stream)
                                ? CloseReason::end_of_stream
                                : CloseReason::reset;
            return;
        default:
            fault_ = LinkFault::unexpected;
            return;
    }
}

// Moves received frames into the stream until data (or the end) waits or the line is empty.
void ModemStream::refill() noexcept {
    for (int frames = 0; frames < max_frames_per_poll && !data_or_end_waiting(); ++frames) {
        if (poll_frame() != Poll::frame) return;
        take_stream_frame();
    }
}

std::optional<Result<void>> ModemStream::answer_of_dial() noexcept {
    const bytes_view payload = decoder_.payload();
    switch (static_cast<FrameType>(decoder_.type())) {
        case FrameType::connected:
            open_ = true;
            return Result<void>(ok());
        case FrameType::dial_failed:
            return Result<void>(dial_error(
                payload.empty() ? static_cast<std::uint8_t>(DialFailure::other) : payload[0]));
        default:
            // Left over from before (a hang-up the modem answered late): not this dial's.
            return std::nullopt;
    }
}

Result<void> ModemStream::await_dial_answer(Instant deadline) noexcept {
    const IdleScope idle(uart_);
    while (clock_.now() < deadline) {
        const Poll poll = poll_frame();
        if (poll == Poll::fault) return link_error(fault_);
        if (poll == Poll::nothing) continue;
        if (std::optional<Result<void>> answer = answer_of_dial()) return *answer;
    }
    // The modem may still be dialing: cancel, so that a late "connected" is answered by hung_up.
    send_frame(FrameType::hang_up, {});
    return Error{Errc::modem_link_failed, static_cast<std::int32_t>(LinkFault::silent)};
}

Result<void> ModemStream::open(std::string_view host, std::uint16_t port,
                               Duration timeout) noexcept {
    if (!memory_ok_ || host.empty() || port == 0) return Error{Errc::invalid_argument, 0};
    if (open_) close();
    decoder_ = FrameDecoder(memory_.received);
    pending_ = 0;
    offset_ = 0;
    peer_closed_ = false;
    fault_ = LinkFault::none;
    std::uint8_t dial[max_frame_payload];
    const std::size_t length = encode_dial(host, port, mutable_bytes(dial, sizeof dial));
    if (length == 0) return Error{Errc::invalid_argument, 0};
    send_frame(FrameType::dial, bytes_view(dial, length));
    return await_dial_answer(clock_.now() + timeout);
}

Result<std::size_t> ModemStream::send_some(bytes_view data) noexcept {
    if (!open_) return Error{Errc::not_connected, 0};
    if (fault_ != LinkFault::none) return link_error(fault_);
    if (peer_closed_) {
        return Error{Errc::connection_reset, close_reason_ == CloseReason::end_of_stream ? 0 : 1};
    }
    const std::size_t count = std::min(data.size(), max_frame_payload);
    if (count == 0) return std::size_t{0};
    send_frame(FrameType::send, bytes_view(data.data(), count));
    return count;
}

Result<std::size_t> ModemStream::receive_some(mutable_bytes buffer) noexcept {
    if (!open_) return Error{Errc::not_connected, 0};
    refill();
    if (offset_ < pending_) {
        const std::size_t count = std::min(buffer.size(), pending_ - offset_);
        std::copy_n(memory_.received.data() + offset_, count, buffer.data());
        offset_ += count;
        return count;
    }
    if (fault_ != LinkFault::none) return link_error(fault_);
    if (peer_closed_) {
        // Detail 0 is the orderly end of stream (link::is_end_of_stream), 1 a reset.
        return Error{Errc::connection_reset, close_reason_ == CloseReason::end_of_stream ? 0 : 1};
    }
    return std::size_t{0};
}

Result<link::Readiness> ModemStream::wait(bool want_read, bool want_write,
                                          Duration timeout) noexcept {
    if (!want_read && !want_write) return Error{Errc::invalid_argument, 0};
    if (!open_) return Error{Errc::not_connected, 0};
    refill();
    // The UART always takes bytes (write() waits for the transmitter), so writing never waits.
    if (want_write || data_or_end_waiting()) {
        return link::Readiness{data_or_end_waiting(), want_write};
    }
    const Instant deadline = clock_.now() + timeout;
    const IdleScope idle(uart_);
    while (clock_.now() < deadline) {
        refill();
        if (data_or_end_waiting()) return link::Readiness{true, false};
    }
    return Error{Errc::io_timed_out, 0};
}

void ModemStream::close() noexcept {
    if (!open_) return;
    open_ = false;
    pending_ = 0;
    offset_ = 0;
    send_frame(FrameType::hang_up, {});
    // Whatever the old connection still delivers is dropped until the modem confirms.
    const Instant deadline = clock_.now() + hang_up_timeout;
    const IdleScope idle(uart_);
    while (clock_.now() < deadline) {
        const Poll poll = poll_frame();
        if (poll == Poll::fault) return;
        if (poll == Poll::frame && static_cast<FrameType>(decoder_.type()) == FrameType::hung_up) {
            return;
        }
    }
}

}  // namespace mqtls::port::uart_modem
