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
///   service(until) / poll_event()   keeps the connection alive, delivers events (or an
///                                   EventHandler gets them as they are decoded)
///   pump_until(deadline, condition) the same, until the caller's condition holds
///   disconnect(deadline)            DISCONNECT + close_notify + end of stream, in one segment
/// Any error is final for the connection: the stream is closed, the session told, and the next
/// start() begins a new one (in-flight messages stay in the session for restore/resend).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

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
    /// When set, the TLS name instead of `host`: sent as SNI (a DNS name) and the name the
    /// certificate must be for (RFC 6125), while `host` is only where the stream connects. For
    /// a broker reached by IP address, or through a tunnel or port forward on another host.
    std::string_view verify_name;
    mqtt::SessionConfig session;
    /// Where the sealed TLS session is kept; nullptr: no resumption.
    tls::SessionStore* session_store = nullptr;
    /// Refuses resumption (fail closed) when all zero: a store under a key anyone knows could be
    /// planted.
    tls::SessionKey session_key;
    /// Bounds the wait for the stream to take output when the session's tx is full while input
    /// is being decoded (its acknowledgements need room).
    Duration operation_timeout = Duration::from_seconds(10);
};

/// What became of the stored TLS sessions, over a Connection's connections.
struct ResumptionCounters {
    std::uint32_t full_handshakes = 0;  ///< connections that did a full handshake
    std::uint32_t resumed = 0;          ///< connections that resumed a stored session
    std::uint32_t declined = 0;  ///< a session was offered but the broker did a full handshake
    std::uint32_t unusable = 0;  ///< a stored session was not offered (see last_problem)
    std::uint32_t saved = 0;     ///< sessions sealed into the store
    /// The largest sealed session saved, in bytes: how much of ConnectionMemory::sealed_session
    /// the broker's sessions need (its leaf certificate and ticket make most of it).
    std::size_t largest_saved_bytes = 0;
    /// Why the last stored session was not offered, or the store failed to load or save
    /// (connections go on with a full handshake; nothing is lost but time).
    std::optional<Error> last_problem;
};

/// Per-connection memory, as the memory table reports it.
struct ConnectionMemoryUsage {
    std::size_t session_bytes = 0;  ///< ConnectionMemory::session, all of it
    std::size_t scratch_bytes = 0;
    std::size_t sealed_session_bytes = 0;
    std::size_t channel_peak = 0;  ///< SecureChannel::memory_peak() of the last connection
    [[nodiscard]] std::size_t total() const noexcept {
        return session_bytes + scratch_bytes + sealed_session_bytes + channel_peak;
    }
};

/// The bytes `memory` spans: its buffers and tables, as sized by the caller.
std::size_t session_memory_bytes(const mqtt::SessionMemory& memory) noexcept;

/// Called for each event as the pump decodes it (views valid during the call only). With a
/// handler set, events never wait in the Connection: a Linux client that copies messages into
/// its own inbox reads at full speed. Without one, poll_event() hands them out one at a time.
struct EventHandler {
    void (*on_event)(void* context, const mqtt::Event& event) = nullptr;
    void* context = nullptr;
};

/// A condition pump_until() waits for: a function pointer and its context (no heap, no
/// std::function), checked after every flush.
struct Condition {
    bool (*holds)(void* context) = nullptr;
    void* context = nullptr;
};

class Connection {
public:
    /// The settings' host view must stay valid while the Connection uses it (until the next
    /// reconfigure()). `settings.session` sizes nothing: capacities come from `memory`.
    Connection(SecureChannel& channel, ByteStream& stream, MonotonicClock clock,
               const ConnectionSettings& settings, ConnectionMemory memory) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    ~Connection();

    /// Between connections (the stream closed): a new endpoint, store, key or timeout, as a
    /// Linux client learns them only at connect(). The MQTT session (and what is in flight)
    /// stays; settings.session is ignored.
    void reconfigure(const ConnectionSettings& settings) noexcept;
    /// Between connections: the MQTT version of the next ones (mqtt::Session::set_protocol()).
    Result<void> set_protocol(mqtt::ProtocolVersion protocol) noexcept;
    /// Where events go (see EventHandler); an empty handler restores poll_event().
    void set_event_handler(EventHandler handler) noexcept;

    /// Opens the stream, completes the TLS handshake and queues CONNECT (and what is in flight
    /// from earlier connections, DUP set). With `hold_last_flight`, nothing more is sent until
    /// finish_connect() (our Finished of an abbreviated handshake, CONNECT and what was
    /// published meanwhile leave together). A stream still open is closed first. Errors: the
    /// stream's (resolve_failed, connection_refused, ...), the channel's
    /// (certificate_untrusted, ...), client_certificate_required (the server hung up after
    /// asking for a certificate we lack), io_timed_out (deadline), invalid_argument (no host).
    Result<void> start(const mqtt::Connect& connect, Instant deadline,
                       bool hold_last_flight) noexcept;
    /// Sends what start() held, stores the TLS session (once per connection, after that flight
    /// left), and waits for CONNACK. Errors: broker_refused (detail: the CONNACK code),
    /// connect_timeout (no CONNACK by `deadline`), not_connected (no start()), any connection
    /// error.
    Result<void> finish_connect(Instant deadline) noexcept;

    /// Queues a PUBLISH; its bytes leave on the next flush (publish() itself hands output to the
    /// stream each time about 64 KiB more is pending, capped at a quarter of tx). Never waits:
    /// errors as mqtt::Session::publish (inflight_full, output_full: drain with pump_until()
    /// and call again; message_too_large, ...).
    Result<mqtt::PacketId> publish(const mqtt::Publish& message) noexcept;
    /// Puts back a message sent on an earlier connection under its packet id (MQTT-4.4.0-1):
    /// before CONNACK on a persistent session. Errors: already_connected, and those of
    /// mqtt::Session::restore_outgoing.
    Result<void> restore(const mqtt::Publish& message, mqtt::PacketId packet_id) noexcept;
    /// SUBSCRIBE and UNSUBSCRIBE; with MQTT 5 built in, with `properties` (mqtt::Session's
    /// subscribe() and unsubscribe() say which). Errors: not_connected, and the session's.
#if MQTLS_MQTT5
    Result<mqtt::PacketId> subscribe(span<const mqtt::Subscription> filters,
                                     const mqtt::PropertyList& properties = {}) noexcept;
    Result<mqtt::PacketId> unsubscribe(span<const std::string_view> filters,
                                       const mqtt::PropertyList& properties = {}) noexcept;
#else
    Result<mqtt::PacketId> subscribe(span<const mqtt::Subscription> filters) noexcept;
    Result<mqtt::PacketId> unsubscribe(span<const std::string_view> filters) noexcept;
#endif

    /// Moves session output through the channel to the stream as far as each stage accepts,
    /// without waiting. Nothing moves while start() holds the one flight.
    Result<void> flush() noexcept;
    /// Services the connection (flush, wait for input or a session timer, read, timers) until
    /// `done` holds after a flush, or `deadline` (io_timed_out). Without an EventHandler it also
    /// returns (ok) when, after `done` was checked, an event waits in poll_event(): a condition
    /// that polls events itself keeps the pump going. Waiting ends a held one flight (it is as
    /// full as it gets). Bounded: returns by `deadline` (plus one stream operation). Errors:
    /// not_connected (stream closed), io_timed_out, any connection error.
    Result<void> pump_until(Instant deadline, Condition done) noexcept;
    /// pump_until() with a callable (a lambda); no heap.
    template <class Done>
    Result<void> pump_until_true(Instant deadline, Done&& done) noexcept {
        using Callable = std::remove_reference_t<Done>;
        return pump_until(
            deadline, Condition{[](void* context) {
                                    return static_cast<bool>((*static_cast<Callable*>(context))());
                                },
                                const_cast<void*>(static_cast<const void*>(&done))});
    }
    /// Services the connection until `until` or until an event waits in poll_event() (without
    /// an EventHandler). Reaching `until` is not an error. Errors: as pump_until().
    Result<void> service(Instant until) noexcept;
    /// The next event (Connected, PublishAcked, MessageReceived, ...) when no EventHandler is
    /// set; views inside it are valid until the next call on this Connection. While an event
    /// waits here, no more input is decoded (its views point into the session's buffer).
    std::optional<mqtt::Event> poll_event() noexcept;

    /// DISCONNECT, close_notify and end of stream, sent together; then closed. Errors: the
    /// connection's when the output could not be sent by `deadline`; closed either way.
    /// not_connected when the stream was not open. With MQTT 5 built in, DISCONNECT carries
    /// `properties`; if the session refuses them (mqtt::Session::disconnect()), the connection
    /// closes without DISCONNECT (the broker then publishes the Will) and that error is returned.
#if MQTLS_MQTT5
    Result<void> disconnect(Instant deadline, const mqtt::PropertyList& properties = {}) noexcept;
#else
    Result<void> disconnect(Instant deadline) noexcept;
#endif
    /// Closes at once (no goodbye, as a crash would); in-flight messages stay in the session.
    void drop() noexcept;

    /// CONNACK accepted and the stream open.
    [[nodiscard]] bool connected() const noexcept;
    /// The stream is open (also between start() and CONNACK).
    [[nodiscard]] bool open() const noexcept;
    /// Between start() and finish_connect().
    [[nodiscard]] bool connect_pending() const noexcept { return connect_pending_; }
    [[nodiscard]] bool in_flight(mqtt::PacketId packet_id) const noexcept;
    [[nodiscard]] std::size_t in_flight_count() const noexcept;
    /// Plaintext waiting in the session plus ciphertext waiting in the channel.
    [[nodiscard]] std::size_t pending_output_size() const noexcept;
    [[nodiscard]] ChannelInfo channel_info() const noexcept;
    [[nodiscard]] const ResumptionCounters& resumption() const noexcept { return resumption_; }
    [[nodiscard]] ConnectionMemoryUsage memory_usage() const noexcept;
    /// The session, for what the Connection does not wrap (state, limits).
    [[nodiscard]] const mqtt::Session& session() const noexcept { return session_; }

private:
    Error fail(Error error) noexcept;
    void close_transport() noexcept;
    [[nodiscard]] Instant now() const noexcept { return clock_.now(); }
    Result<bool> flush_step() noexcept;
    Result<void> flush_then_acknowledge_quickly() noexcept;
    void take_events() noexcept;
    Result<void> wait_writable() noexcept;
    Result<void> on_receive_refused(Error error) noexcept;
    Result<void> deliver_pending() noexcept;
    Result<void> drain_plaintext() noexcept;
    Result<void> process_channel_input() noexcept;
    Result<void> feed_input() noexcept;
    [[nodiscard]] bool has_pending_input() const noexcept;
    Result<void> resume_input() noexcept;
    Result<void> read_stream() noexcept;
    Result<void> run_timers() noexcept;
    Result<void> wait_for_input(Instant deadline) noexcept;
    Result<void> wait_and_read(Instant deadline) noexcept;
    Result<bool> pump_step(Instant deadline, Condition done) noexcept;
    [[nodiscard]] bool resumption_usable() noexcept;
    void offer_stored_session() noexcept;
    void count_handshake() noexcept;
    void store_session() noexcept;
    void await_session_ticket(Instant deadline) noexcept;
    std::size_t feed_handshake_input() noexcept;
    Result<void> receive_handshake_bytes() noexcept;
    Result<void> await_handshake_bytes(Instant deadline) noexcept;
    Result<bool> on_handshake_complete(bool hold_last_flight) noexcept;
    Result<bool> handshake_step(Instant deadline, bool hold_last_flight) noexcept;
    Result<void> handshake(Instant deadline, bool hold_last_flight) noexcept;
    [[nodiscard]] mutable_bytes input_buffer() const noexcept;
    [[nodiscard]] mutable_bytes plaintext_buffer() const noexcept;

    SecureChannel& channel_;
    ByteStream& stream_;
    MonotonicClock clock_;
    ConnectionSettings settings_;
    ConnectionMemory memory_;
    mqtt::Session session_;
    ResumptionCounters resumption_;
    EventHandler handler_;
    std::optional<mqtt::Event> held_event_;  // without a handler: the event poll_event() gives
    // Stream bytes read but not yet taken by the channel, and decrypted bytes not yet taken by
    // the session (both in scratch): kept while an event waits in held_event_.
    std::size_t input_begin_ = 0;
    std::size_t input_end_ = 0;
    std::size_t plaintext_begin_ = 0;
    std::size_t plaintext_end_ = 0;
    std::size_t pending_after_eager_send_ = 0;  // tx bytes left after the last flush()
    std::size_t last_channel_peak_ = 0;
    bool channel_active_ = false;
    bool is_connected_ = false;
    // Between start() and finish_connect(): CONNACK not awaited yet, and (unless something had
    // to wait) output held for the one flight.
    bool connect_pending_ = false;
    bool hold_output_ = false;
    bool session_stored_ = false;  // this connection's TLS session went to the store
    bool session_offered_ = false;
};

}  // namespace mqtls::link
