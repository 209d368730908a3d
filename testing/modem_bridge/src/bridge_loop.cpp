// The bridge thread (bridge_loop.hpp). Each round: poll the listener, the device and the broker
// (each wait at most 50 ms), serve what is ready (broker first, so that a dial opened while
// serving the device never sees stale poll results), try the pending writes, check deadlines.
#include "bridge_loop.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mqtls::testing {
namespace {

using bridge_detail::close_fd;
using bridge_detail::IoStatus;
using port::uart_modem::max_frame_bytes;
using port::uart_modem::max_frame_payload;

constexpr std::size_t read_chunk_size = std::size_t{16} * 1024U;
constexpr auto max_poll_wait = std::chrono::milliseconds(50);
// A hang-up writes what the device sent before it, but waits no longer than this for the broker.
constexpr auto drain_timeout = std::chrono::seconds(2);
constexpr int max_accepts_per_round = 16;
constexpr short hangup_events = POLLERR | POLLHUP | POLLNVAL;

void set_nodelay(int fd) noexcept {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string frame_type_name(std::uint8_t type) {
    return "0x" + std::string(1, "0123456789abcdef"[type >> 4U]) +
           std::string(1, "0123456789abcdef"[type & 0x0FU]);
}

// A dial's host name must be a printable name or address, never NUL or control bytes (which
// getaddrinfo would cut or misread).
bool printable_host(std::string_view host) noexcept {
    return std::all_of(host.begin(), host.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

}  // namespace

ModemBridge::Loop::Loop(ModemBridge& owner, int listening) noexcept
    : bridge_(owner),
      listener_(listening),
      decoder_(mutable_bytes(frame_buffer_)),
      read_buffer_(read_chunk_size) {}

void ModemBridge::Loop::run() {
    while (!bridge_.stopping_.load()) {
        build_poll_set();
        const int ready = ::poll(fds_.data(), fds_.size(), poll_timeout_ms(Clock::now()));
        if (ready < 0 && errno != EINTR) break;  // cannot happen with valid descriptors
        if (ready <= 0) {
            for (auto& pfd : fds_) pfd.revents = 0;
        }
        service(Clock::now());
    }
    shut_down();
}

void ModemBridge::Loop::build_poll_set() {
    fds_[0] = {listener_, POLLIN, 0};
    short device_events = 0;
    if (to_broker_.size() <= max_buffered_bytes) device_events |= POLLIN;
    if (!to_device_.empty()) device_events |= POLLOUT;
    fds_[1] = {device_, device_events, 0};
    short broker_events = 0;
    if (broker_state_ == BrokerState::connecting) broker_events = POLLOUT;
    if (broker_state_ == BrokerState::connected && to_device_.size() <= max_buffered_bytes) {
        broker_events |= POLLIN;
    }
    if (broker_state_ != BrokerState::connecting && !to_broker_.empty()) broker_events |= POLLOUT;
    // A back-pressured socket is left out entirely, so that an error on it cannot make poll
    // return at once round after round; it is noticed once the buffer has drained.
    fds_[2] = {broker_events != 0 ? broker_ : -1, broker_events, 0};
    if (device_events == 0) fds_[1].fd = -1;
}

int ModemBridge::Loop::poll_timeout_ms(Clock::time_point now) const {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(max_poll_wait);
    if (broker_state_ == BrokerState::connecting || broker_state_ == BrokerState::draining) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
        wait = std::clamp(left + std::chrono::milliseconds(1), std::chrono::milliseconds(0), wait);
    }
    return static_cast<int>(wait.count());
}

void ModemBridge::Loop::service(Clock::time_point now) {
    const short broker_ready = fds_[2].fd >= 0 ? fds_[2].revents : short{0};
    const short device_ready = fds_[1].fd >= 0 ? fds_[1].revents : short{0};
    if (broker_state_ == BrokerState::connecting && broker_ready != 0) {
        finish_connect();
    } else if ((broker_ready & (POLLIN | hangup_events)) != 0 &&
               broker_state_ == BrokerState::connected) {
        read_broker();
    }
    if ((device_ready & (POLLIN | hangup_events)) != 0) read_device();
    if ((fds_[0].revents & POLLIN) != 0) accept_pending();
    flush();
    if (broker_state_ == BrokerState::connecting && Clock::now() >= deadline_) {
        close_fd(broker_);
        broker_state_ = BrokerState::none;
        answer_dial_failed(DialFailure::timed_out, dial_host_ + ":" + std::to_string(dial_port_));
    }
    if (broker_state_ == BrokerState::draining && now >= deadline_) {
        bridge_.note("hang_up: " + std::to_string(to_broker_.size()) +
                     " bytes not taken by the broker in time, dropped");
        finish_hang_up();
    }
}

void ModemBridge::Loop::accept_pending() {
    for (int i = 0; i < max_accepts_per_round; ++i) {
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (device_ >= 0) {
            // Counted before the close, so that whoever sees the close sees the count.
            bridge_.count([](BridgeCounters& c) { ++c.devices_refused; });
            bridge_.note("device connection refused: one is already active");
            ::close(fd);
            continue;
        }
        set_nodelay(fd);
        device_ = fd;
        decoder_ = port::uart_modem::FrameDecoder(mutable_bytes(frame_buffer_));
        closed_reported_ = false;
        bridge_.count([](BridgeCounters& c) { ++c.device_sessions; });
        bridge_.note("device connected");
    }
}

void ModemBridge::Loop::flush() {
    if (broker_state_ == BrokerState::connected || broker_state_ == BrokerState::draining) {
        write_broker();
    }
    if (broker_state_ == BrokerState::draining && to_broker_.empty()) finish_hang_up();
    write_device();
}

void ModemBridge::Loop::shut_down() {
    if (broker_state_ == BrokerState::connecting) {
        close_fd(broker_);
        broker_state_ = BrokerState::none;
    }
    if (broker_open()) end_broker(ConnectionEnd::bridge_stopped);
    close_fd(device_);
    close_fd(listener_);
    bridge_.note("stopped");
}

// --- The device side ---------------------------------------------------------------------

void ModemBridge::Loop::read_device() {
    const auto result = bridge_detail::read_some(device_, read_buffer_.data(), read_buffer_.size());
    if (result.status == IoStatus::progress) {
        (void)feed_device(read_buffer_.data(), result.bytes);
    } else if (result.status == IoStatus::end_of_stream) {
        close_device("device disconnected");
    } else if (result.status == IoStatus::failed) {
        close_device("device connection failed (errno " + std::to_string(result.error) + ")");
    }
}

bool ModemBridge::Loop::feed_device(const std::uint8_t* data, std::size_t size) {
    using Status = port::uart_modem::FrameDecoder::Status;
    for (std::size_t i = 0; i < size && device_ >= 0; ++i) {
        switch (decoder_.feed(data[i])) {
            case Status::incomplete:
                break;
            case Status::frame:
                if (!handle_frame()) return false;
                break;
            case Status::bad_start:
                frame_error("bad start byte " + frame_type_name(data[i]));
                return false;
            case Status::bad_length:
                frame_error("bad frame length");
                return false;
            case Status::bad_crc:
                frame_error("bad CRC in a frame of type " + frame_type_name(decoder_.type()));
                return false;
        }
    }
    return device_ >= 0;
}

bool ModemBridge::Loop::handle_frame() {
    const bytes_view payload = decoder_.payload();
    switch (static_cast<FrameType>(decoder_.type())) {
        case FrameType::dial:
            handle_dial(payload);
            return true;
        case FrameType::send:
            handle_send(payload);
            return true;
        case FrameType::hang_up:
            handle_hang_up();
            return true;
        default:
            // A modem-to-device type or an unknown one: the device speaks another protocol.
            frame_error("unexpected frame type " + frame_type_name(decoder_.type()));
            return false;
    }
}

void ModemBridge::Loop::handle_dial(bytes_view payload) {
    bridge_.count([](BridgeCounters& c) { ++c.dials; });
    port::uart_modem::DialRequest request;
    if (!port::uart_modem::decode_dial(payload, request) || !printable_host(request.host)) {
        answer_dial_failed(DialFailure::malformed, "(malformed dial frame)");
        return;
    }
    const std::string target = std::string(request.host) + ":" + std::to_string(request.port);
    if (broker_open()) {
        answer_dial_failed(DialFailure::busy, target);
        return;
    }
    dial_host_ = std::string(request.host);
    dial_port_ = request.port;
    const auto resolution =
        bridge_detail::resolve_loopback(dial_host_, dial_port_, bridge_.options_.host_aliases);
    if (!resolution.ok) {
        answer_dial_failed(resolution.failure, target);
        return;
    }
    dial_address_ = resolution.endpoint.numeric;
    start_connect(resolution.endpoint, target);
}

void ModemBridge::Loop::handle_send(bytes_view payload) {
    if (broker_state_ == BrokerState::connecting || broker_state_ == BrokerState::connected) {
        to_broker_.append(payload.data(), payload.size());
        return;
    }
    if (broker_state_ == BrokerState::draining) return;  // after its own hang-up: nowhere to go
    bridge_.note("send without a connection: " + std::to_string(payload.size()) + " bytes dropped");
    if (!closed_reported_) {
        const auto reason = static_cast<std::uint8_t>(port::uart_modem::CloseReason::reset);
        queue_frame(FrameType::closed, bytes_view(&reason, 1));
        closed_reported_ = true;
    }
}

void ModemBridge::Loop::handle_hang_up() {
    switch (broker_state_) {
        case BrokerState::none:
            bridge_.note("hang_up without a connection");
            queue_frame(FrameType::hung_up, {});
            break;
        case BrokerState::connecting:
            bridge_.note("hang_up while dialing " + dial_host_ + ": dial abandoned");
            close_fd(broker_);
            broker_state_ = BrokerState::none;
            to_broker_.clear();
            queue_frame(FrameType::hung_up, {});
            break;
        case BrokerState::connected:
            // The bytes the device sent before hanging up still go out (flush()).
            broker_state_ = BrokerState::draining;
            deadline_ = Clock::now() + drain_timeout;
            break;
        case BrokerState::draining:
            break;  // one hang-up is in progress; it is answered once
    }
}

void ModemBridge::Loop::frame_error(const std::string& what) {
    bridge_.count([](BridgeCounters& c) { ++c.frame_errors; });
    close_device("frame error: " + what);
}

void ModemBridge::Loop::close_device(const std::string& why) {
    bridge_.note(why + ": closing the device connection");
    close_fd(device_);
    to_device_.clear();
    if (broker_state_ == BrokerState::connecting) {
        close_fd(broker_);
        broker_state_ = BrokerState::none;
    }
    if (broker_open()) end_broker(ConnectionEnd::device_gone);
    to_broker_.clear();
    closed_reported_ = false;
}

void ModemBridge::Loop::write_device() {
    if (device_ < 0 || to_device_.empty()) return;
    const auto result = bridge_detail::send_some(device_, to_device_.data(), to_device_.size());
    if (result.status == IoStatus::progress) {
        to_device_.consume(result.bytes);
    } else if (result.status == IoStatus::failed) {
        close_device("writing to the device failed (errno " + std::to_string(result.error) + ")");
    }
}

void ModemBridge::Loop::queue_frame(FrameType type, bytes_view payload) {
    if (device_ < 0) return;
    std::array<std::uint8_t, max_frame_bytes> frame{};
    const std::size_t length = port::uart_modem::encode_frame(type, payload, mutable_bytes(frame));
    to_device_.append(frame.data(), length);
}

void ModemBridge::Loop::answer_dial_failed(DialFailure failure, const std::string& target) {
    bridge_.count([](BridgeCounters& c) { ++c.dial_failures; });
    bridge_.note("dial " + target + " -> dial_failed(" + bridge_detail::to_string(failure) + ")");
    const auto reason = static_cast<std::uint8_t>(failure);
    queue_frame(FrameType::dial_failed, bytes_view(&reason, 1));
}

// --- The broker side ---------------------------------------------------------------------

void ModemBridge::Loop::start_connect(const bridge_detail::Endpoint& endpoint,
                                      const std::string& target) {
    const int fd =
        ::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        answer_dial_failed(DialFailure::other, target);
        return;
    }
    set_nodelay(fd);
    broker_ = fd;
    to_broker_.clear();
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) == 0) {
        on_connected();
        return;
    }
    if (errno == EINPROGRESS) {
        broker_state_ = BrokerState::connecting;
        deadline_ = Clock::now() + bridge_.options_.dial_timeout;
        return;
    }
    const int error = errno;
    close_fd(broker_);
    answer_dial_failed(bridge_detail::dial_failure_of(error), target);
}

void ModemBridge::Loop::finish_connect() {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(broker_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error == 0) {
        on_connected();
        return;
    }
    close_fd(broker_);
    broker_state_ = BrokerState::none;
    to_broker_.clear();
    answer_dial_failed(bridge_detail::dial_failure_of(error),
                       dial_host_ + ":" + std::to_string(dial_port_));
}

void ModemBridge::Loop::on_connected() {
    broker_state_ = BrokerState::connected;
    capture_ = bridge_.open_capture(dial_host_, dial_address_, dial_port_);
    closed_reported_ = false;
    bridge_.note("dial " + dial_host_ + ":" + std::to_string(dial_port_) + " (" + dial_address_ +
                 ") -> connected, conn-" + std::to_string(capture_));
    queue_frame(FrameType::connected, {});
}

void ModemBridge::Loop::read_broker() {
    const auto result = bridge_detail::read_some(broker_, read_buffer_.data(), read_buffer_.size());
    if (result.status == IoStatus::progress) {
        bridge_.capture_from_broker(capture_, read_buffer_.data(), result.bytes);
        for (std::size_t offset = 0; offset < result.bytes; offset += max_frame_payload) {
            const std::size_t size = std::min(max_frame_payload, result.bytes - offset);
            queue_frame(FrameType::received, bytes_view(read_buffer_.data() + offset, size));
        }
        return;
    }
    if (result.status == IoStatus::would_block) return;
    const bool orderly = result.status == IoStatus::end_of_stream;
    end_broker(orderly ? ConnectionEnd::broker_closed : ConnectionEnd::broker_reset);
    const auto reason =
        static_cast<std::uint8_t>(orderly ? port::uart_modem::CloseReason::end_of_stream
                                          : port::uart_modem::CloseReason::reset);
    queue_frame(FrameType::closed, bytes_view(&reason, 1));
    closed_reported_ = true;
}

void ModemBridge::Loop::write_broker() {
    if (to_broker_.empty()) return;
    const auto result = bridge_detail::send_some(broker_, to_broker_.data(), to_broker_.size());
    if (result.status == IoStatus::progress) {
        bridge_.capture_to_broker(capture_, to_broker_.data(), result.bytes);
        to_broker_.consume(result.bytes);
        return;
    }
    if (result.status != IoStatus::failed) return;
    if (broker_state_ == BrokerState::draining) {
        to_broker_.clear();  // finish_hang_up() follows in flush()
        return;
    }
    end_broker(ConnectionEnd::broker_reset);
    const auto reason = static_cast<std::uint8_t>(port::uart_modem::CloseReason::reset);
    queue_frame(FrameType::closed, bytes_view(&reason, 1));
    closed_reported_ = true;
}

void ModemBridge::Loop::end_broker(ConnectionEnd end) {
    // The capture is final before the broker can see the close (tests wait for the latter).
    if (capture_ != 0) {
        bridge_.note("conn-" + std::to_string(capture_) + " closed: " + to_string(end));
        bridge_.end_capture(capture_, end);
    }
    capture_ = 0;
    if (end == ConnectionEnd::broker_reset) {
        close_fd(broker_);
    } else {
        bridge_detail::close_orderly(broker_);
        broker_ = -1;
    }
    broker_state_ = BrokerState::none;
    to_broker_.clear();
}

void ModemBridge::Loop::finish_hang_up() {
    end_broker(ConnectionEnd::hung_up);
    queue_frame(FrameType::hung_up, {});
}

}  // namespace mqtls::testing
