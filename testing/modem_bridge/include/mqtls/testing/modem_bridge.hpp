#pragma once
/// @file
/// The host side of the UART modem link (ports/uart_modem/include/mqtls/port/uart_modem/frame.hpp):
/// the "modem" that QEMU's serial socket connects to. Firmware under QEMU asks it, in frames, to
/// dial a TCP connection, carry bytes and hang up; the bridge does so on loopback and records
/// every connection's bytes in both directions, which is the tests' evidence of what the device
/// said on the wire (e.g. whether a TLS session was resumed: tls_records.hpp).
///
///     mqtls::testing::BridgeOptions options;
///     options.host_aliases["broker.test"] = "127.0.0.1";
///     auto bridge = mqtls::testing::ModemBridge::start(options);
///     ASSERT_TRUE(bridge) << mqtls::name(bridge.error().code);
///     // qemu ... -chardev socket,host=127.0.0.1,port=<(*bridge)->port()> -serial chardev:u0
///     auto captured = (*bridge)->connections();
///
/// Model: one background thread runs a poll(2) loop (every wait at most 50 ms) over the
/// listener, at most one device connection (one QEMU process) and at most one broker connection
/// (the modem has one TCP connection at a time, like a real module in single-socket mode). A
/// device connection that arrives while one is active is closed at once. When the device
/// connection ends, its broker connection is closed too. A broken frame (start byte, length,
/// CRC) or a frame type the device may not send closes the device connection: the link is
/// lossless under QEMU, so a broken frame is a bug that must surface, not be resynchronised.
///
/// Only loopback addresses (127.0.0.0/8, ::1) are dialed: anything else is answered with
/// dial_failed(unreachable) before any packet leaves. The bridge listens on 127.0.0.1 only.
///
/// Back-pressure: the bridge stops reading from the broker while more than
/// max_buffered_bytes wait to be written to the device, and from the device while more than
/// that wait for the broker, so TCP flow control slows the sender instead of memory growing.
///
/// Thread safety: every public method may be called from any thread while the bridge runs.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::testing {

struct BridgeOptions {
    /// 0: any free port of 127.0.0.1 (port() tells which).
    std::uint16_t listen_port = 0;
    /// Host names resolved without DNS: name -> numeric address ("broker.test" -> "127.0.0.1").
    /// Consulted before getaddrinfo; an alias whose address is not numeric fails to resolve.
    std::map<std::string, std::string> host_aliases;
    /// How long a non-blocking connect may take before dial_failed(timed_out).
    std::chrono::milliseconds dial_timeout{5000};
    /// When not empty: each broker connection's bytes are also written, once it ends, to
    /// <capture_dir>/conn-<n>.to-broker and conn-<n>.from-broker (n = CapturedConnection::number).
    std::string capture_dir;
    /// Called (on the bridge thread) with each event-log line as it happens, e.g. to print it.
    std::function<void(const std::string&)> log_sink;
};

/// How a broker connection ended.
enum class ConnectionEnd : std::uint8_t {
    open,            ///< it has not ended yet
    hung_up,         ///< the device hung up
    broker_closed,   ///< the broker closed it in order (end of stream)
    broker_reset,    ///< it broke: RST or a socket error
    device_gone,     ///< the device connection ended (QEMU exited) or broke a frame
    bridge_stopped,  ///< the bridge was stopped while it was open
};

/// "open", "hung_up", ... for logs and test messages.
const char* to_string(ConnectionEnd end) noexcept;

/// One broker connection as the bridge saw it.
struct CapturedConnection {
    std::size_t number = 0;  ///< 1, 2, ... in dial order (successful dials only)
    std::string host;        ///< the name the device dialed
    std::string address;     ///< the numeric address it resolved to
    std::uint16_t port = 0;
    /// The bytes written to the broker socket (what the device sent, as far as it got).
    std::vector<std::uint8_t> to_broker;
    /// The bytes read from the broker socket (what the broker sent towards the device).
    std::vector<std::uint8_t> from_broker;
    ConnectionEnd end = ConnectionEnd::open;
};

/// A snapshot of the bridge's counters.
struct BridgeCounters {
    std::uint64_t device_sessions = 0;  ///< device connections accepted (and served)
    std::uint64_t devices_refused = 0;  ///< device connections closed because one was active
    std::uint64_t dials = 0;            ///< dial frames received
    std::uint64_t dial_failures = 0;    ///< dials answered with dial_failed
    std::uint64_t frame_errors = 0;     ///< broken or unexpected frames from the device
};

/// The bridge (see the file comment). Create it with start(); the destructor stops it.
class ModemBridge {
public:
    /// Most bytes buffered per direction before the bridge stops reading from the source.
    static constexpr std::size_t max_buffered_bytes = std::size_t{64} * 1024U;

    /// Listens on 127.0.0.1:options.listen_port and starts the bridge thread. Errors:
    /// socket_error (detail: errno) when the socket, bind, listen or the thread failed.
    static Result<std::unique_ptr<ModemBridge>> start(const BridgeOptions& options);

    ModemBridge(const ModemBridge&) = delete;
    ModemBridge& operator=(const ModemBridge&) = delete;
    ModemBridge(ModemBridge&&) = delete;
    ModemBridge& operator=(ModemBridge&&) = delete;
    /// stop().
    ~ModemBridge();

    /// Closes every connection and the listener and joins the thread (it notices within
    /// 50 ms). Idempotent.
    void stop() noexcept;

    /// The listening port on 127.0.0.1.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    /// A copy of every broker connection so far, in dial order (open ones too).
    [[nodiscard]] std::vector<CapturedConnection> connections() const;
    [[nodiscard]] BridgeCounters counters() const;
    /// The event log so far, one event a line.
    [[nodiscard]] std::string log() const;

    struct Loop;  // the bridge thread's state (in the .cpp)

private:
    ModemBridge(BridgeOptions options, int listener, std::uint16_t port);

    // Called by the bridge thread.
    void note(const std::string& line);
    std::size_t open_capture(const std::string& host, const std::string& address,
                             std::uint16_t port);
    void capture_to_broker(std::size_t number, const std::uint8_t* data, std::size_t size);
    void capture_from_broker(std::size_t number, const std::uint8_t* data, std::size_t size);
    void end_capture(std::size_t number, ConnectionEnd end);
    template <class Change>
    void count(Change change) {
        const std::lock_guard<std::mutex> lock(mutex_);
        change(counters_);
    }

    const BridgeOptions options_;
    const std::uint16_t port_;
    int initial_listener_;  ///< handed to the thread at start

    mutable std::mutex mutex_;
    std::vector<CapturedConnection> captures_;  // guarded by mutex_
    std::vector<std::string> log_lines_;        // guarded by mutex_
    BridgeCounters counters_;                   // guarded by mutex_
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

    std::atomic<bool> stopping_{false};
    std::mutex stop_mutex_;  ///< serialises stop()
    std::thread thread_;
};

}  // namespace mqtls::testing
