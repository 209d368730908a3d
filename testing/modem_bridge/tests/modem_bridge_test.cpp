// Tests of the modem bridge (ModemBridge.*): a local TCP server on 127.0.0.1 plays the broker,
// a plain TCP client plays the device and speaks frames with encode_frame / FrameDecoder.
// Every wait is bounded (io_timeout); only loopback sockets.
#include "mqtls/testing/modem_bridge.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mqtls/port/uart_modem/frame.hpp"

namespace mqtls::testing {
namespace {

using Clock = std::chrono::steady_clock;
using port::uart_modem::CloseReason;
using port::uart_modem::DialFailure;
using port::uart_modem::FrameType;
using Bytes = std::vector<std::uint8_t>;

constexpr auto io_timeout = std::chrono::seconds(10);
constexpr int poll_slice_ms = 50;

Bytes to_bytes(const std::string& text) { return {text.begin(), text.end()}; }

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, poll_slice_ms));
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A port nobody listens on: bound once, then closed.
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// The broker stand-in: accepts connections one after another on 127.0.0.1:0.
class TestServer {
public:
    enum class Mode : std::uint8_t {
        echo,              ///< writes back whatever it reads
        reply_then_close,  ///< reads `expect` bytes, writes `reply`, closes in order (FIN)
        reset_after,       ///< reads `expect` bytes, closes with RST
    };

    explicit TestServer(Mode mode, std::size_t expect = 0, Bytes reply = {})
        : mode_(mode), expect_(expect), reply_(std::move(reply)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address = loopback(0);
        socklen_t length = sizeof address;
        (void)::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        (void)::listen(listener_, 8);
        (void)::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;
    TestServer(TestServer&&) = delete;
    TestServer& operator=(TestServer&&) = delete;
    ~TestServer() {
        stop_.store(true);
        thread_.join();
        ::close(listener_);
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] Bytes received() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return received_;
    }
    [[nodiscard]] int peer_closes() const { return peer_closes_.load(); }

private:
    void run() {
        while (!stop_.load()) {
            pollfd pfd{listener_, POLLIN, 0};
            if (::poll(&pfd, 1, poll_slice_ms) <= 0) continue;
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd >= 0) serve(fd);
        }
    }

    // Reads once (bounded wait); false at the end of the connection or on stop.
    bool read_once(int fd, std::array<std::uint8_t, 8192>& buffer, std::size_t& got) {
        pollfd pfd{fd, POLLIN, 0};
        got = 0;
        if (::poll(&pfd, 1, poll_slice_ms) <= 0) return !stop_.load();
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
            peer_closes_.fetch_add(1);
            return false;
        }
        got = static_cast<std::size_t>(n);
        const std::lock_guard<std::mutex> lock(mutex_);
        received_.insert(received_.end(), buffer.begin(), buffer.begin() + n);
        return true;
    }

    void serve(int fd) {
        const timeval send_timeout{5, 0};
        (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
        std::array<std::uint8_t, 8192> buffer{};
        std::size_t got = 0;
        std::size_t total = 0;
        const auto deadline = Clock::now() + io_timeout;
        while (Clock::now() < deadline && read_once(fd, buffer, got)) {
            total += got;
            if (mode_ == Mode::echo && got > 0) {
                (void)::send(fd, buffer.data(), got, MSG_NOSIGNAL);
            }
            if (mode_ != Mode::echo && total >= expect_) break;
        }
        if (mode_ == Mode::reply_then_close) {
            (void)::send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL);
            (void)::shutdown(fd, SHUT_WR);
        }
        if (mode_ == Mode::reset_after) {
            const linger abort_on_close{1, 0};
            (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        }
        ::close(fd);
    }

    const Mode mode_;
    const std::size_t expect_;
    const Bytes reply_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> peer_closes_{0};
    mutable std::mutex mutex_;
    Bytes received_;
    std::thread thread_;
};

struct Frame {
    std::uint8_t type = 0;
    Bytes payload;
};

// The device: a non-blocking TCP client of the bridge that speaks frames.
class Device {
public:
    explicit Device(std::uint16_t bridge_port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        const sockaddr_in address = loopback(bridge_port);
        connected_ =
            ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    }
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
    Device(Device&&) = delete;
    Device& operator=(Device&&) = delete;
    ~Device() { close(); }

    [[nodiscard]] bool connected() const { return connected_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    bool write_raw(const Bytes& bytes) {
        std::size_t sent = 0;
        const auto deadline = Clock::now() + io_timeout;
        while (sent < bytes.size() && Clock::now() < deadline) {
            const ssize_t n =
                ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                return false;
            } else {
                pump(remaining_ms(deadline));  // keep reading so the bridge never stalls on us
            }
        }
        return sent == bytes.size();
    }

    static Bytes encode(FrameType type, const Bytes& payload) {
        Bytes frame(port::uart_modem::frame_overhead + payload.size());
        const std::size_t length =
            port::uart_modem::encode_frame(type, bytes_view(payload.data(), payload.size()),
                                           mutable_bytes(frame.data(), frame.size()));
        frame.resize(length);
        return frame;
    }
    bool send_frame(FrameType type, const Bytes& payload = {}) {
        return write_raw(encode(type, payload));
    }
    bool dial(const std::string& host, std::uint16_t port) {
        Bytes payload(host.size() + 2);
        const std::size_t length = port::uart_modem::encode_dial(
            host, port, mutable_bytes(payload.data(), payload.size()));
        payload.resize(length);
        return send_frame(FrameType::dial, payload);
    }

    // The next frame from the bridge, or nothing after io_timeout or the end of the connection.
    std::optional<Frame> next_frame() {
        const auto deadline = Clock::now() + io_timeout;
        while (frames_.empty() && !ended_ && Clock::now() < deadline) {
            pump(remaining_ms(deadline));
        }
        if (frames_.empty()) return std::nullopt;
        Frame frame = std::move(frames_.front());
        frames_.pop_front();
        return frame;
    }

    // Collects `received` payloads until `count` bytes arrived (other frames stay queued).
    Bytes receive_bytes(std::size_t count) {
        Bytes bytes;
        const auto deadline = Clock::now() + io_timeout;
        while (bytes.size() < count && Clock::now() < deadline && !ended_) {
            take_received(bytes);
            if (bytes.size() < count) pump(remaining_ms(deadline));
        }
        take_received(bytes);
        return bytes;
    }

    // Whether the bridge closed this connection (EOF or reset) within io_timeout.
    bool wait_until_closed() {
        const auto deadline = Clock::now() + io_timeout;
        while (!ended_ && Clock::now() < deadline) pump(remaining_ms(deadline));
        return ended_;
    }

    [[nodiscard]] std::size_t bad_frames() const { return bad_frames_; }

private:
    void take_received(Bytes& bytes) {
        while (!frames_.empty() &&
               frames_.front().type == static_cast<std::uint8_t>(FrameType::received)) {
            bytes.insert(bytes.end(), frames_.front().payload.begin(),
                         frames_.front().payload.end());
            frames_.pop_front();
        }
    }

    void pump(int wait_ms) {
        if (ended_) return;
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, wait_ms) <= 0) return;
        std::array<std::uint8_t, 16384> buffer{};
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            ended_ = true;
            return;
        }
        for (ssize_t i = 0; i < n; ++i) feed(buffer[static_cast<std::size_t>(i)]);
    }

    void feed(std::uint8_t byte) {
        using Status = port::uart_modem::FrameDecoder::Status;
        const auto status = decoder_.feed(byte);
        if (status == Status::frame) {
            const bytes_view payload = decoder_.payload();
            frames_.push_back({decoder_.type(), Bytes(payload.begin(), payload.end())});
        } else if (status != Status::incomplete) {
            ++bad_frames_;
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    bool ended_ = false;
    std::size_t bad_frames_ = 0;
    std::array<std::uint8_t, port::uart_modem::max_frame_payload> buffer_{};
    port::uart_modem::FrameDecoder decoder_{mutable_bytes(buffer_)};
    std::deque<Frame> frames_;
};

std::uint8_t type_of(FrameType type) { return static_cast<std::uint8_t>(type); }

// Asserts the next frame is `type` with the one-byte payload `code` (or no payload when -1).
::testing::AssertionResult next_is(Device& device, FrameType type, int code = -1) {
    const auto frame = device.next_frame();
    if (!frame) return ::testing::AssertionFailure() << "no frame within the timeout";
    if (frame->type != type_of(type)) {
        return ::testing::AssertionFailure()
               << "frame type " << int{frame->type} << ", expected " << int{type_of(type)};
    }
    const Bytes expected = code < 0 ? Bytes{} : Bytes{static_cast<std::uint8_t>(code)};
    if (frame->payload != expected) {
        return ::testing::AssertionFailure()
               << "payload of " << frame->payload.size() << " bytes, first "
               << (frame->payload.empty() ? -1 : frame->payload[0]);
    }
    return ::testing::AssertionSuccess();
}

// Polls `condition` until it holds or io_timeout passes.
template <class Condition>
bool eventually(Condition condition) {
    const auto deadline = Clock::now() + io_timeout;
    while (Clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

std::unique_ptr<ModemBridge> start_bridge(const BridgeOptions& options = {}) {
    auto bridge = ModemBridge::start(options);
    EXPECT_TRUE(bridge) << (bridge ? "" : name(bridge.error().code));
    return bridge ? std::move(*bridge) : nullptr;
}

TEST(ModemBridge, DialSendEchoAndHangUp) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.connected());

    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected)) << bridge->log();
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("ping")));
    EXPECT_EQ(device.receive_bytes(4), to_bytes("ping"));
    ASSERT_TRUE(device.send_frame(FrameType::hang_up));
    ASSERT_TRUE(next_is(device, FrameType::hung_up)) << bridge->log();

    const auto connections = bridge->connections();
    ASSERT_EQ(connections.size(), 1U);
    EXPECT_EQ(connections[0].number, 1U);
    EXPECT_EQ(connections[0].host, "127.0.0.1");
    EXPECT_EQ(connections[0].address, "127.0.0.1");
    EXPECT_EQ(connections[0].port, server.port());
    EXPECT_EQ(connections[0].to_broker, to_bytes("ping"));
    EXPECT_EQ(connections[0].from_broker, to_bytes("ping"));
    EXPECT_EQ(connections[0].end, ConnectionEnd::hung_up);
    EXPECT_TRUE(eventually([&] { return server.peer_closes() == 1; }));
    const auto counters = bridge->counters();
    EXPECT_EQ(counters.device_sessions, 1U);
    EXPECT_EQ(counters.dials, 1U);
    EXPECT_EQ(counters.dial_failures, 0U);
    EXPECT_EQ(counters.frame_errors, 0U);
    EXPECT_NE(bridge->log().find("connected, conn-1"), std::string::npos) << bridge->log();
}

TEST(ModemBridge, AliasDialAndBrokerCloseGivesEndOfStreamWithExactCapture) {
    TestServer server(TestServer::Mode::reply_then_close, 5, to_bytes("WORLD"));
    BridgeOptions options;
    options.host_aliases["broker.test"] = "127.0.0.1";
    auto bridge = start_bridge(options);
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());

    ASSERT_TRUE(device.dial("broker.test", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected)) << bridge->log();
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("hel")));
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("lo")));
    EXPECT_EQ(device.receive_bytes(5), to_bytes("WORLD"));
    ASSERT_TRUE(next_is(device, FrameType::closed, static_cast<int>(CloseReason::end_of_stream)))
        << bridge->log();

    const auto connections = bridge->connections();
    ASSERT_EQ(connections.size(), 1U);
    EXPECT_EQ(connections[0].host, "broker.test");
    EXPECT_EQ(connections[0].address, "127.0.0.1");
    EXPECT_EQ(connections[0].to_broker, to_bytes("hello"));
    EXPECT_EQ(connections[0].from_broker, to_bytes("WORLD"));
    EXPECT_EQ(connections[0].end, ConnectionEnd::broker_closed);
    EXPECT_EQ(server.received(), to_bytes("hello"));

    // The modem is idle again: a new dial works.
    TestServer echo(TestServer::Mode::echo);
    ASSERT_TRUE(device.dial("127.0.0.1", echo.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected)) << bridge->log();
    EXPECT_EQ(bridge->connections().size(), 2U);
}

TEST(ModemBridge, BrokerResetGivesClosedReset) {
    TestServer server(TestServer::Mode::reset_after, 3);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected)) << bridge->log();
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("abc")));
    ASSERT_TRUE(next_is(device, FrameType::closed, static_cast<int>(CloseReason::reset)))
        << bridge->log();
    ASSERT_EQ(bridge->connections().size(), 1U);
    EXPECT_EQ(bridge->connections()[0].end, ConnectionEnd::broker_reset);
}

TEST(ModemBridge, DialToClosedPortIsRefused) {
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", closed_port()));
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::refused)))
        << bridge->log();
    EXPECT_TRUE(bridge->connections().empty());
    EXPECT_EQ(bridge->counters().dial_failures, 1U);
}

TEST(ModemBridge, NonLoopbackAddressesAreUnreachableWithoutDialing) {
    BridgeOptions options;
    options.host_aliases["far.test"] = "198.51.100.7";
    auto bridge = start_bridge(options);
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    const auto started = Clock::now();
    ASSERT_TRUE(device.dial("192.0.2.1", 8883));
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::unreachable)))
        << bridge->log();
    ASSERT_TRUE(device.dial("far.test", 8883));
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::unreachable)))
        << bridge->log();
    ASSERT_TRUE(device.dial("2001:db8::1", 8883));
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::unreachable)))
        << bridge->log();
    // Answered at once: no connect was attempted (which would take the dial timeout).
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));
    EXPECT_TRUE(bridge->connections().empty());
    EXPECT_EQ(bridge->counters().dial_failures, 3U);
}

TEST(ModemBridge, AliasToANameFailsToResolveWithoutDns) {
    BridgeOptions options;
    options.host_aliases["broker.test"] = "not-an-address";
    auto bridge = start_bridge(options);
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("broker.test", 8883));
    EXPECT_TRUE(
        next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::resolve_failed)))
        << bridge->log();
}

TEST(ModemBridge, MalformedDialFramesAreAnsweredMalformed) {
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.send_frame(FrameType::dial, Bytes{0x22, 0xB3}));  // no host name
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::malformed)));
    ASSERT_TRUE(device.send_frame(FrameType::dial, Bytes{0x00, 0x00, 'a'}));  // port 0
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::malformed)));
    ASSERT_TRUE(device.send_frame(FrameType::dial, Bytes{0x22, 0xB3, 'a', 0x00, 'b'}));  // NUL
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::malformed)));
    EXPECT_EQ(bridge->counters().frame_errors, 0U);
}

TEST(ModemBridge, SecondDialWhileConnectedIsBusy) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected));
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    EXPECT_TRUE(next_is(device, FrameType::dial_failed, static_cast<int>(DialFailure::busy)));
    // The first connection is unharmed.
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("still here")));
    EXPECT_EQ(device.receive_bytes(10), to_bytes("still here"));
    EXPECT_EQ(bridge->connections().size(), 1U);
}

TEST(ModemBridge, SendWithoutConnectionIsDroppedAndAnsweredClosedResetOnce) {
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("lost")));
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("lost too")));
    ASSERT_TRUE(device.send_frame(FrameType::hang_up));
    EXPECT_TRUE(next_is(device, FrameType::closed, static_cast<int>(CloseReason::reset)));
    EXPECT_TRUE(next_is(device, FrameType::hung_up));  // no second closed in between
}

TEST(ModemBridge, CorruptCrcClosesTheDeviceConnectionAndItsBrokerConnection) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected));
    Bytes frame = Device::encode(FrameType::send, to_bytes("data"));
    frame.back() ^= 0x01U;
    ASSERT_TRUE(device.write_raw(frame));
    EXPECT_TRUE(device.wait_until_closed()) << bridge->log();
    EXPECT_TRUE(eventually([&] { return bridge->counters().frame_errors == 1U; }));
    EXPECT_TRUE(eventually([&] { return server.peer_closes() == 1; }));
    ASSERT_EQ(bridge->connections().size(), 1U);
    EXPECT_EQ(bridge->connections()[0].end, ConnectionEnd::device_gone);
    EXPECT_TRUE(bridge->connections()[0].to_broker.empty());
    EXPECT_NE(bridge->log().find("bad CRC"), std::string::npos) << bridge->log();
}

TEST(ModemBridge, BadStartByteAndUnexpectedTypeCloseTheDeviceConnection) {
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    {
        Device device(bridge->port());
        ASSERT_TRUE(device.write_raw(Bytes{0x55, 0x01}));
        EXPECT_TRUE(device.wait_until_closed());
    }
    EXPECT_TRUE(eventually([&] { return bridge->counters().frame_errors == 1U; }));
    {
        Device device(bridge->port());
        ASSERT_TRUE(device.send_frame(FrameType::connected));  // a modem-to-device type
        EXPECT_TRUE(device.wait_until_closed());
    }
    EXPECT_TRUE(eventually([&] { return bridge->counters().frame_errors == 2U; }));
    EXPECT_EQ(bridge->counters().device_sessions, 2U);
}

TEST(ModemBridge, SecondDeviceIsRefusedWhileOneIsActiveAndAcceptedAfterIt) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    auto first = std::make_unique<Device>(bridge->port());
    ASSERT_TRUE(first->dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(*first, FrameType::connected));
    {
        Device second(bridge->port());
        EXPECT_TRUE(second.wait_until_closed());
    }
    EXPECT_EQ(bridge->counters().devices_refused, 1U);

    first.reset();  // QEMU exits: its broker connection goes too
    EXPECT_TRUE(eventually([&] { return server.peer_closes() == 1; }));
    EXPECT_TRUE(eventually([&] {
        const auto connections = bridge->connections();
        return connections.size() == 1 && connections[0].end == ConnectionEnd::device_gone;
    })) << bridge->log();

    Device third(bridge->port());
    ASSERT_TRUE(third.dial("127.0.0.1", server.port()));
    EXPECT_TRUE(next_is(third, FrameType::connected)) << bridge->log();
    EXPECT_EQ(bridge->counters().device_sessions, 2U);
}

TEST(ModemBridge, LargeTransferBothWaysArrivesIntactAndInOrder) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected));

    constexpr std::size_t total = std::size_t{200} * 1024U;
    Bytes data(total);
    for (std::size_t i = 0; i < total; ++i)
        data[i] = static_cast<std::uint8_t>((i * 7U + i / 251U) & 0xFFU);
    Bytes frames;
    for (std::size_t offset = 0; offset < total; offset += port::uart_modem::max_frame_payload) {
        const std::size_t size = std::min(port::uart_modem::max_frame_payload, total - offset);
        const Bytes frame = Device::encode(
            FrameType::send, Bytes(data.begin() + static_cast<std::ptrdiff_t>(offset),
                                   data.begin() + static_cast<std::ptrdiff_t>(offset + size)));
        frames.insert(frames.end(), frame.begin(), frame.end());
    }
    ASSERT_TRUE(device.write_raw(frames));  // reads the echo meanwhile
    const Bytes echoed = device.receive_bytes(total);
    EXPECT_EQ(echoed.size(), total);
    EXPECT_TRUE(echoed == data);
    EXPECT_EQ(device.bad_frames(), 0U);

    ASSERT_TRUE(device.send_frame(FrameType::hang_up));
    ASSERT_TRUE(next_is(device, FrameType::hung_up)) << bridge->log();
    const auto connections = bridge->connections();
    ASSERT_EQ(connections.size(), 1U);
    EXPECT_TRUE(connections[0].to_broker == data);
    EXPECT_TRUE(connections[0].from_broker == data);
    EXPECT_TRUE(server.received() == data);
}

TEST(ModemBridge, CaptureDirHoldsBothDirectionsOfEachConnection) {
    char dir_template[] = "/tmp/mqtls-modem-bridge-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    TestServer server(TestServer::Mode::reply_then_close, 4, to_bytes("pong!"));
    BridgeOptions options;
    options.capture_dir = dir;
    auto bridge = start_bridge(options);
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("localhost", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected)) << bridge->log();
    ASSERT_TRUE(device.send_frame(FrameType::send, to_bytes("ping")));
    EXPECT_EQ(device.receive_bytes(5), to_bytes("pong!"));
    ASSERT_TRUE(next_is(device, FrameType::closed, static_cast<int>(CloseReason::end_of_stream)));

    const auto read_file = [](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    EXPECT_EQ(read_file(dir + "/conn-1.to-broker"), to_bytes("ping"));
    EXPECT_EQ(read_file(dir + "/conn-1.from-broker"), to_bytes("pong!"));
    (void)::unlink((dir + "/conn-1.to-broker").c_str());
    (void)::unlink((dir + "/conn-1.from-broker").c_str());
    (void)::rmdir(dir.c_str());
}

TEST(ModemBridge, StopClosesTheDeviceAndBrokerConnections) {
    TestServer server(TestServer::Mode::echo);
    auto bridge = start_bridge();
    ASSERT_NE(bridge, nullptr);
    Device device(bridge->port());
    ASSERT_TRUE(device.dial("127.0.0.1", server.port()));
    ASSERT_TRUE(next_is(device, FrameType::connected));
    bridge->stop();
    EXPECT_TRUE(device.wait_until_closed());
    EXPECT_TRUE(eventually([&] { return server.peer_closes() == 1; }));
    ASSERT_EQ(bridge->connections().size(), 1U);
    EXPECT_EQ(bridge->connections()[0].end, ConnectionEnd::bridge_stopped);
    bridge->stop();  // idempotent
}

}  // namespace
}  // namespace mqtls::testing
