#pragma once
/// @file
/// A fault-injecting TCP proxy on loopback, for tests that need a network that misbehaves: delay,
/// link drop (cut), cut mid-packet, black hole, stall and refusal. It relays bytes opaquely (the
/// traffic is usually TLS; it never parses it). Host-only (Linux): POSIX sockets, poll(2) and one
/// background thread owned by the proxy object.
///
///     auto proxy = mqtls::testing::FaultProxy::start("127.0.0.1:" + std::to_string(broker_port));
///     ASSERT_TRUE(proxy) << mqtls::name(proxy.error().code);
///     // connect to 127.0.0.1:(*proxy)->port() instead of the broker
///     (*proxy)->set_delay(std::chrono::milliseconds(100));   // 100 ms each way
///     (*proxy)->cut_all();                                    // the link drops
///
/// Model: every accepted client connection gets its own TCP connection to the upstream (opened
/// with a non-blocking connect). Each direction (client -> upstream, upstream -> client) is a
/// queue of chunks (due time, bytes), so a delay never lowers the throughput beyond what it
/// implies; at most max_queued_bytes() wait per direction before the proxy stops reading (TCP
/// flow control then slows the sender). An end of stream (FIN) is queued like data and forwarded
/// as a shutdown(SHUT_WR) once due, so half-closed connections work. A read or write error on one
/// side aborts the connection: both sockets are closed with RST (SO_LINGER 0). TCP_NODELAY is set
/// on every socket so the proxy adds no Nagle delay of its own.
///
/// Thread safety: every public method may be called from any thread (the test thread, usually)
/// while the proxy runs. The fault setters return once the proxy thread has applied them (bounded
/// wait, at most 2 s), so the next line of a test sees the fault in force. Counters are atomics.
///
/// Only loopback addresses (127.0.0.0/8) are accepted, and the proxy listens on 127.0.0.1 only.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::testing {

/// One direction of a proxied connection.
enum class Direction : std::uint8_t {
    to_upstream,  ///< bytes the client sends, towards the upstream (the broker)
    to_client,    ///< bytes the upstream sends, towards the client (the device)
};

/// A snapshot of the proxy's counters (each is read atomically on its own).
struct FaultProxyCounters {
    std::uint64_t connections_accepted = 0;  ///< client connections accepted (all of them)
    std::uint64_t connections_cut = 0;       ///< closed by cut_all() or a cut_after_bytes budget
    std::uint64_t upstream_failures = 0;     ///< connections to the upstream that failed
    std::uint64_t bytes_to_upstream = 0;     ///< bytes written to upstream sockets
    std::uint64_t bytes_to_client = 0;       ///< bytes written to client sockets
    std::uint64_t bytes_dropped = 0;         ///< bytes discarded by the black hole (both ways)
    std::uint64_t open_connections = 0;      ///< client connections open right now
};

/// The proxy (see the file comment). Create it with start(); the destructor stops it.
class FaultProxy {
public:
    /// Listens on a free port of 127.0.0.1 and starts relaying to `upstream`, written
    /// "127.0.0.1:8883" (any 127.x.y.z address; no names). Errors:
    ///  - invalid_argument: not "IPv4:port", not a loopback address, or port 0;
    ///  - socket_error (detail: errno): socket, bind, listen, eventfd or the thread failed.
    static Result<std::unique_ptr<FaultProxy>> start(const std::string& upstream);
    /// start("127.0.0.1:<upstream_port>").
    static Result<std::unique_ptr<FaultProxy>> start(std::uint16_t upstream_port);

    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;
    FaultProxy(FaultProxy&&) = delete;
    FaultProxy& operator=(FaultProxy&&) = delete;
    /// stop().
    ~FaultProxy();

    /// Closes every connection (with RST) and the listener, and joins the thread (it notices
    /// within 50 ms). Idempotent; the setters do nothing afterwards.
    void stop() noexcept;

    /// The address clients connect to: "127.0.0.1", and the port (the same for the proxy's whole
    /// life, also across set_refuse()).
    [[nodiscard]] static const char* host() noexcept { return "127.0.0.1"; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    /// One-way delay, both directions: each chunk read from a socket from now on is forwarded no
    /// earlier than its arrival + `one_way` (and never before the chunk read before it, so order
    /// is kept when the delay shrinks). Chunks already queued keep their due time. An end of
    /// stream is delayed like data. The TCP handshake itself is not delayed (the client's
    /// connect() completes at once), but every TLS/MQTT round trip pays 2 x `one_way`.
    /// Negative values count as 0.
    void set_delay(std::chrono::milliseconds one_way);

    /// A link drop: closes every current connection abruptly, both sides with RST (SO_LINGER 0),
    /// including connections the kernel has completed but the proxy has not accepted yet.
    /// Queued bytes are lost. The client sees ECONNRESET (or EOF) on its next read; new
    /// connections are relayed normally.
    void cut_all();

    /// Cut mid-packet: each current connection is cut once exactly `n` more bytes have been
    /// forwarded in `direction` (counted as written to the destination socket). The destination
    /// then receives those `n` bytes followed by an orderly end of stream (FIN; its unread input
    /// is discarded first so the kernel does not turn the close into a RST that could lose
    /// them); the other side is closed with RST. `n` = 0 cuts at once. Calling it again replaces
    /// the budget of that direction. Connections accepted later are not affected (see
    /// cut_new_connections_after_bytes()).
    void cut_after_bytes(Direction direction, std::uint64_t n);
    /// The same budget for every connection accepted from now on (counted from its first byte),
    /// until called with std::nullopt. For cutting a TLS handshake at a chosen byte.
    void cut_new_connections_after_bytes(Direction direction, std::optional<std::uint64_t> n);

    /// Black hole. While on, every byte read in either direction is discarded (bytes_dropped)
    /// and bytes already queued are dropped too; connections stay open (no FIN, no RST), as
    /// when packets are lost on the way. New connections are accepted but no upstream connection
    /// is made for them. A connection that was in the black hole stays in it for its whole life
    /// even after set_black_hole(false): its byte stream has a hole (which real TCP would
    /// retransmit, and this proxy cannot), so it stays silent until the client gives up, like a
    /// TCP connection after a long outage. Turning it off relays new connections again.
    void set_black_hole(bool on);

    /// Stall: while on, nothing is read from or written to any socket (current and new
    /// connections; new ones are still accepted and connected upstream). Bytes already read
    /// stay queued, and the kernel buffers fill until the senders block. Turning it off
    /// delivers everything in order: a temporary outage that TCP recovers from.
    void set_stall(bool on);

    /// Refusal, for real: on closes the listening socket, so a connect() to port() fails with
    /// ECONNREFUSED (connections waiting in the backlog are reset by the kernel); current
    /// connections go on. Off binds and listens on the same port again (SO_REUSEADDR).
    /// Errors (off only): socket_error (detail: errno) when the port could not be bound again,
    /// e.g. EADDRINUSE because another program took it meanwhile; the proxy then stays refusing.
    Result<void> set_refuse(bool on);

    /// All faults off: delay 0, no black hole, no stall, no refusal, no cut budgets (current or
    /// new). Errors: those of set_refuse(false).
    Result<void> clear_faults();

    /// The counters.
    [[nodiscard]] FaultProxyCounters counters() const noexcept;

    /// Most bytes queued per direction of a connection before the proxy stops reading from the
    /// source (back-pressure): 16 MiB, enough for 100 ms of delay at 160 MB/s.
    [[nodiscard]] static constexpr std::size_t max_queued_bytes() noexcept { return 16U << 20U; }

    struct Connection;  // the proxy thread's state of one client connection (in the .cpp)
    struct Loop;        // the proxy thread's private state (in the .cpp)

private:
    /// Settings the test thread writes and the proxy thread reads, under mutex_.
    struct Settings {
        std::chrono::milliseconds delay{0};
        bool black_hole = false;
        bool stall = false;
        bool refuse = false;
        std::uint64_t cut_all_requests = 0;  ///< incremented by cut_all()
        /// Budgets for current connections, per direction; the proxy thread applies and clears
        /// them.
        std::array<std::optional<std::uint64_t>, 2> cut_current;
        std::array<std::optional<std::uint64_t>, 2> cut_new;  ///< budgets given to new connections
    };

    FaultProxy(int listener, int wake, std::uint32_t upstream_address, std::uint16_t upstream_port,
               std::uint16_t port) noexcept;
    /// Changes the settings with `change`, wakes the thread and waits until it applied them.
    template <class Change>
    void update(Change change);
    void wake() const noexcept;
    void run() noexcept;

    // Fixed at construction.
    const std::uint32_t upstream_address_;  ///< network byte order
    const std::uint16_t upstream_port_;
    const std::uint16_t port_;
    const int wake_fd_;     ///< eventfd the setters write to interrupt poll()
    int initial_listener_;  ///< handed to the thread at start; only the thread touches it after

    // Shared with the proxy thread.
    mutable std::mutex mutex_;
    std::condition_variable applied_cv_;
    Settings settings_;                  // guarded by mutex_
    std::uint64_t requested_ = 0;        // guarded by mutex_: settings version
    std::uint64_t applied_ = 0;          // guarded by mutex_: version the thread applied
    std::optional<Error> listen_error_;  // guarded by mutex_: re-listening failed
    bool thread_done_ = false;           // guarded by mutex_
    std::atomic<bool> stopping_{false};

    struct AtomicCounters {
        std::atomic<std::uint64_t> connections_accepted{0};
        std::atomic<std::uint64_t> connections_cut{0};
        std::atomic<std::uint64_t> upstream_failures{0};
        std::atomic<std::uint64_t> bytes_to_upstream{0};
        std::atomic<std::uint64_t> bytes_to_client{0};
        std::atomic<std::uint64_t> bytes_dropped{0};
        std::atomic<std::uint64_t> open_connections{0};
    };
    AtomicCounters counters_;

    std::mutex stop_mutex_;  ///< serialises stop()
    std::thread thread_;
};

}  // namespace mqtls::testing
