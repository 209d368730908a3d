#pragma once
// A modem in memory for the ModemStream tests: it decodes what the device writes, answers dials
// and hang-ups as the test scripts, and feeds the device's UART from a queue (no heap: fixed
// arrays, so the tests also run on the bare-metal runner).

#include <cstddef>
#include <cstdint>

#include "mqtls/core/clock.hpp"
#include "mqtls/port/uart_modem/frame.hpp"
#include "mqtls/port/uart_modem/modem_stream.hpp"

namespace mqtls::port::uart_modem::test {

// A clock that moves 1 ms per reading, so that every wait ends.
struct SteppingClock {
    std::int64_t ms = 0;
    static Instant read(void* context) {
        auto& self = *static_cast<SteppingClock*>(context);
        return Instant::from_millis(self.ms++);
    }
    MonotonicClock clock() { return MonotonicClock{&read, this}; }
};

class ScriptedModem final : public Uart {
public:
    static constexpr std::size_t capacity = 8192;

    // How the modem answers the next dial: connected, or dial_failed with a reason.
    bool answer_dials = true;
    bool dial_succeeds = true;
    DialFailure failure = DialFailure::refused;
    bool answer_hang_ups = true;

    bool readable() noexcept override { return read_at_ < queued_; }
    std::uint8_t read_byte() noexcept override { return to_device_[read_at_++]; }
    void write(bytes_view data) noexcept override {
        for (const std::uint8_t byte : data) take_from_device(byte);
    }
    void begin_idle() noexcept override { ++idle_spans; }

    // Queues a frame for the device.
    void queue(FrameType type, bytes_view payload) noexcept {
        std::uint8_t frame[max_frame_bytes];
        const std::size_t length = encode_frame(type, payload, mutable_bytes(frame, sizeof frame));
        queue_raw(bytes_view(frame, length));
    }
    void queue_raw(bytes_view bytes) noexcept {
        for (const std::uint8_t byte : bytes) {
            if (queued_ < capacity) to_device_[queued_++] = byte;
        }
    }

    // What the device sent.
    std::size_t dials = 0;
    std::size_t hang_ups = 0;
    std::size_t send_frames = 0;
    std::size_t idle_spans = 0;
    std::uint16_t dialed_port = 0;
    char dialed_host[64] = {};
    std::uint8_t sent[capacity] = {};
    std::size_t sent_length = 0;
    std::size_t largest_send = 0;

private:
    void take_from_device(std::uint8_t byte) noexcept {
        if (decoder_.feed(byte) != FrameDecoder::Status::frame) return;
        const bytes_view payload = decoder_.payload();
        switch (static_cast<FrameType>(decoder_.type())) {
            case FrameType::dial:
                on_dial(payload);
                return;
            case FrameType::send:
                ++send_frames;
                if (payload.size() > largest_send) largest_send = payload.size();
                for (const std::uint8_t b : payload) {
                    if (sent_length < capacity) sent[sent_length++] = b;
                }
                return;
            case FrameType::hang_up:
                ++hang_ups;
                if (answer_hang_ups) queue(FrameType::hung_up, {});
                return;
            default:
                return;
        }
    }

    void on_dial(bytes_view payload) noexcept {
        ++dials;
        DialRequest request;
        if (decode_dial(payload, request)) {
            dialed_port = request.port;
            std::size_t i = 0;
            for (; i < request.host.size() && i + 1 < sizeof dialed_host; ++i) {
                dialed_host[i] = request.host[i];
            }
            dialed_host[i] = '\0';
        }
        if (!answer_dials) return;
        if (dial_succeeds) {
            queue(FrameType::connected, {});
            return;
        }
        const auto reason = static_cast<std::uint8_t>(failure);
        queue(FrameType::dial_failed, bytes_view(&reason, 1));
    }

    std::uint8_t decoded_[max_frame_payload] = {};
    FrameDecoder decoder_{mutable_bytes(decoded_, sizeof decoded_)};
    std::uint8_t to_device_[capacity] = {};
    std::size_t queued_ = 0;
    std::size_t read_at_ = 0;
};

// A ModemStream with its memory, over a ScriptedModem.
struct StreamRig {
    ScriptedModem modem;
    SteppingClock clock;
    std::uint8_t received[max_frame_payload] = {};
    std::uint8_t frame[max_frame_bytes] = {};
    ModemStream stream{modem, clock.clock(),
                       ModemStreamMemory{mutable_bytes(received, sizeof received),
                                         mutable_bytes(frame, sizeof frame)}};
};

}  // namespace mqtls::port::uart_modem::test
