#pragma once
// The bridge thread's state (internal to the modem bridge): one poll(2) loop over the listener,
// the device connection and the broker connection.

#include <poll.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mqtls/port/uart_modem/frame.hpp"
#include "mqtls/testing/modem_bridge.hpp"
#include "socket_util.hpp"

namespace mqtls::testing {

struct ModemBridge::Loop {
    using Clock = std::chrono::steady_clock;
    using FrameType = port::uart_modem::FrameType;
    using DialFailure = port::uart_modem::DialFailure;

    enum class BrokerState : std::uint8_t {
        none,        ///< idle: no broker connection
        connecting,  ///< non-blocking connect in progress (the dial is not answered yet)
        connected,   ///< relaying
        draining,    ///< hung up by the device: writing what is left, then closing
    };

    Loop(ModemBridge& owner, int listening) noexcept;
    void run();

private:
    void build_poll_set();
    [[nodiscard]] int poll_timeout_ms(Clock::time_point now) const;
    void service(Clock::time_point now);
    void accept_pending();
    void flush();
    void shut_down();

    // The device side.
    void read_device();
    bool feed_device(const std::uint8_t* data, std::size_t size);
    bool handle_frame();
    void handle_dial(bytes_view payload);
    void handle_send(bytes_view payload);
    void handle_hang_up();
    void frame_error(const std::string& what);
    void close_device(const std::string& why);
    void write_device();
    void queue_frame(FrameType type, bytes_view payload);
    void answer_dial_failed(DialFailure failure, const std::string& target);

    // The broker side.
    void start_connect(const bridge_detail::Endpoint& endpoint, const std::string& target);
    void finish_connect();
    void on_connected();
    void read_broker();
    void write_broker();
    void end_broker(ConnectionEnd end);
    void finish_hang_up();
    [[nodiscard]] bool broker_open() const noexcept { return broker_state_ != BrokerState::none; }

    ModemBridge& bridge_;
    int listener_;
    int device_ = -1;
    int broker_ = -1;
    BrokerState broker_state_ = BrokerState::none;
    Clock::time_point deadline_{};  ///< of the connect (connecting) or of the drain (draining)
    std::size_t capture_ = 0;       ///< capture number of the broker connection, 0 before
    std::string dial_host_;
    std::string dial_address_;
    std::uint16_t dial_port_ = 0;
    /// A `closed` frame was sent since the last connection ended: a stray send is dropped
    /// without another one.
    bool closed_reported_ = false;
    bridge_detail::ByteQueue to_device_;
    bridge_detail::ByteQueue to_broker_;
    std::array<std::uint8_t, port::uart_modem::max_frame_payload> frame_buffer_{};
    port::uart_modem::FrameDecoder decoder_;
    std::vector<std::uint8_t> read_buffer_;
    std::array<pollfd, 3> fds_{};  ///< listener, device, broker
};

}  // namespace mqtls::testing
