#pragma once
/// @file
/// One MQTT-over-TLS connection, pumped: link::Connection moves bytes between an
/// mqtt::Session, a SecureChannel and a ByteStream, under deadlines read from a MonotonicClock.
/// It is the loop that used to live inside client::Client, without POSIX: the device runtime
/// (node::NodeRunner, node::run_wake_cycle), the Linux client and the simulation all use it.
///
/// Memory: everything is the caller's (ConnectionMemory): the session's buffers and tables, and
/// one scratch buffer for stream reads and decrypted bytes. No heap after construction, no
/// exceptions, no buffers on the stack beyond small fixed locals (the worst-case stack is stated
/// in docs/design.md, measured by the embedded build).
///
/// Sequence:
///   start(connect, deadline, hold)  TCP open, TLS handshake (offering the stored session),
///                                   CONNECT queued; with `hold`, our last handshake flight and
///                                   CONNECT wait for PUBLISHes to join them (one flight)
///   publish()/restore() ...         queued in the session
///   finish_connect(deadline)        sends everything, awaits CONNACK
///   service(until) / poll_event()   keeps the connection alive, delivers events
///   disconnect(deadline)            DISCONNECT + close_notify + end of stream, in one segment
/// Any error is final for the connection: the stream is closed, the session told, and the next
/// start() begins a new one (in-flight messages stay in the session for restore/resend).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/clock.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/byte_stream.hpp"
#include "mqtls/link/secure_channel.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::link {

/// All memory one connection uses besides the TLS library's heap and the channel's queues.
struct ConnectionMemory {
    mqtt::SessionMemory session;
    /// Stream reads and decrypted plaintext pass through here; its size bounds one read. At least
    /// 512 bytes; a TLS record (16,413 bytes) lets one read take a whole record.
    mutable_bytes scratch;
    /// Where a sealed session is loaded and saved: tls::max_sealed_session_size bytes, or empty
    /// when there is no session store.
    mutable_bytes sealed_session;
};

struct ConnectionSettings {
    std::string_view host;  ///< DNS name or IP literal; the certificate must be for exactly this
    std::uint16_t port = 8883;
    mqtt::SessionConfig session;
    /// Where the sealed TLS session is kept; nullptr: no resumption.
    tls::SessionStore* session_store = nullptr;
    /// Refuses resumption (fail closed) when all zero: a store under a key anyone knows could be
    /// planted.
    tls::SessionKey session_key;
    /// Bounds each blocking step inside publish()/flush when the session's tx is full.
    Duration operation_timeout = Duration::from_seconds(10);
};

/// How stored sessions fared, across connections.
struct ResumptionCounters {
    std::uint32_t full_handshakes = 0;
    std::uint32_t resumed = 0;
    std::uint32_t declined = 0;  ///< offered, but the broker did a full handshake
    std::uint32_t unusable = 0;  ///< stored, but not offered (see last_problem)
    std::uint32_t saved = 0;
    std::optional<Error> last_problem;
};

/// Per-connection memory, as the memory table reports it.
struct ConnectionMemoryUsage {
    std::size_t session_bytes = 0;  ///< ConnectionMemory::session, all of it
    std::size_t scratch_bytes = 0;
    std::size_t sealed_session_bytes = 0;
    std::size_t channel_peak = 0;  ///< SecureChannel::memory_peak() of the last connection
};

class Connection {
public:
    Connection(SecureChannel& channel, ByteStream& stream, MonotonicClock clock,
               const ConnectionSettings& settings, ConnectionMemory memory) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    /// Opens the stream, completes the TLS handshake and queues CONNECT. With
    /// `hold_last_flight`, nothing more is sent until finish_connect() (our Finished of an
    /// abbreviated handshake, CONNECT and what was published meanwhile leave together).
    Result<void> start(const mqtt::Connect& connect, Instant deadline,
                       bool hold_last_flight) noexcept;
    /// Sends what start() held and waits for CONNACK. connection_refused_by_broker-style
    /// errors carry the CONNACK code.
    Result<void> finish_connect(Instant deadline) noexcept;

    /// Queues a PUBLISH; its bytes leave on the next service()/finish_connect(). Errors as
    /// mqtt::Session::publish (window_full, message_too_large, ...).
    Result<mqtt::PacketId> publish(const mqtt::Publish& message) noexcept;
    /// Puts back a message sent on an earlier connection under its packet id (MQTT-4.4.0-1):
    /// before finish_connect() on a persistent session.
    Result<void> restore(const mqtt::Publish& message, mqtt::PacketId packet_id) noexcept;
    Result<mqtt::PacketId> subscribe(span<const mqtt::Subscription> filters) noexcept;
    Result<mqtt::PacketId> unsubscribe(span<const std::string_view> filters) noexcept;

    /// Flushes output, waits for input until `until` or until an event is ready, runs the
    /// session's timers (keep-alive, retries). Bounded: returns by `until`.
    Result<void> service(Instant until) noexcept;
    /// The next event (Connected, PublishAcked, MessageReceived, ...); views inside it are
    /// valid until the next call on this Connection.
    std::optional<mqtt::Event> poll_event() noexcept;

    /// DISCONNECT, close_notify and end of stream, sent together; then closed.
    Result<void> disconnect(Instant deadline) noexcept;
    /// Closes at once (no goodbye); in-flight messages stay in the session.
    void drop() noexcept;

    [[nodiscard]] bool connected() const noexcept;
    [[nodiscard]] bool in_flight(mqtt::PacketId packet_id) const noexcept;
    [[nodiscard]] std::size_t in_flight_count() const noexcept;
    [[nodiscard]] ChannelInfo channel_info() const noexcept;
    [[nodiscard]] const ResumptionCounters& resumption() const noexcept;
    [[nodiscard]] ConnectionMemoryUsage memory_usage() const noexcept;

private:
    // Implementation state lives here (no pimpl: no heap). Filled in by link/src.
};

}  // namespace mqtls::link
