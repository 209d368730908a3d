#pragma once
/// @file
/// The client side of one MQTT 3.1.1 or MQTT 5 session (SessionConfig::protocol), sans-I/O: bytes
/// and time go in, bytes, deadlines and events come out. The caller owns the socket and the clock;
/// the session never blocks, never allocates after construction, and never throws.
///
/// The caller's loop:
/// @code
///   session.start_connect(connect, now);          // CONNECT is now in pending_output()
///   session.publish(reading, now);                // may be queued before CONNACK (one flight)
///   for (;;) {
///       send(session.pending_output()); session.consume_output(bytes_sent);
///       wait for readable socket or session.next_deadline();
///       on bytes: while (!in.empty()) { n = session.receive(in, now); in = in.subspan(*n);
///                                       while (auto ev = session.poll_event()) handle(*ev); }
///       on deadline: session.on_deadline(now);
///       on close: session.on_transport_closed(now);
///   }
/// @endcode
///
/// Errors. A function that returns `output_full`, `inflight_full` or `event_queue_full` changed
/// nothing: drain the output or the events and call it again. Any other error from receive() or
/// on_deadline() is fatal to the connection: the session is `disconnected`, its output is
/// discarded, and the caller must close the transport; events queued before it (MQTT 5's
/// BrokerClosed with the broker's reasons, RequestAbandoned) are still there to poll.
/// Unacknowledged QoS 1/2 messages survive in the session and are sent again, with DUP set, after
/// the next start_connect().

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/framer.hpp"
#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt {

/// The broker accepted CONNECT.
struct Connected {
    bool session_present = false;
#if MQTLS_MQTT5
    /// MQTT 5: the CONNACK's properties (Assigned Client Identifier, Session Expiry Interval,
    /// Reason String, User Properties...), valid until the next receive(). The session applies
    /// Server Keep Alive, Receive Maximum, Maximum Packet Size, Maximum QoS and Retain Available
    /// itself (Session::broker_limits()).
    PropertyList properties{};
#endif
};
/// A PUBLISH from the broker. Views are valid until the next receive().
struct MessageReceived {
    Publish message;
};
/// An outgoing QoS 1 message got its PUBACK, or a QoS 2 message its PUBCOMP: the broker owns it.
struct PublishAcked {
    PacketId packet_id = 0;
    QoS qos = QoS::at_least_once;
#if MQTLS_MQTT5
    /// MQTT 5: the PUBACK's or PUBCOMP's code: success, 0x10 No matching subscribers, or (PUBCOMP)
    /// 0x92 Packet Identifier not found, after the broker had taken the message with PUBREC.
    ReasonCode reason_code = ReasonCode::success;
#endif
};
#if MQTLS_MQTT5
/// MQTT 5: the broker refused an outgoing QoS 1/2 message with a PUBACK or PUBREC Reason Code of
/// 0x80 or more (0x87 Not authorized: an ACL denial; 0x97 Quota exceeded...), or it was too large
/// for the Maximum Packet Size the broker announced (0x95, never sent). The message is gone from
/// the session and was not delivered. `properties` (a Reason String) is valid until the next
/// receive().
struct PublishRejected {
    PacketId packet_id = 0;
    QoS qos = QoS::at_least_once;
    ReasonCode reason_code = ReasonCode::unspecified_error;
    PropertyList properties{};
};
/// MQTT 5: the broker refused CONNECT (a CONNACK Reason Code of 0x80 or more) or ended the
/// connection with DISCONNECT, and said why; receive() fails right after with broker_refused,
/// broker_disconnected or broker_redirected (0x9C Use another server, 0x9D Server moved). Its
/// properties (Reason String, Server Reference: where to go instead) are valid until the next
/// receive().
struct BrokerClosed {
    PacketType packet = PacketType::disconnect;
    ReasonCode reason_code = ReasonCode::normal_disconnection;
    PropertyList properties{};
};
#endif
/// SUBACK: one return code per filter, in request order (granted QoS, or `suback_failure`).
/// The view is valid until the next receive().
struct SubscribeAcked {
    PacketId packet_id = 0;
    bytes_view return_codes;
};
struct UnsubscribeAcked {
    PacketId packet_id = 0;
#if MQTLS_MQTT5
    /// MQTT 5: one Reason Code per filter (0x11 No subscription existed, 0x87...); valid until
    /// the next receive(). Empty under 3.1.1.
    bytes_view reason_codes{};
#endif
};
/// A SUBSCRIBE or UNSUBSCRIBE was still unacknowledged when the connection closed. MQTT 3.1.1
/// does not resend these; send it again after reconnecting if it still matters.
struct RequestAbandoned {
    PacketId packet_id = 0;
    PacketType kind = PacketType::subscribe;
};

using Event = std::variant<std::monostate, Connected, MessageReceived, PublishAcked, SubscribeAcked,
                           UnsubscribeAcked, RequestAbandoned
#if MQTLS_MQTT5
                           ,
                           PublishRejected, BrokerClosed
#endif
                           >;

enum class SessionState : std::uint8_t {
    disconnected,   ///< no transport; start_connect() begins a connection
    connecting,     ///< CONNECT queued, waiting for CONNACK (publishing is allowed)
    connected,      ///< CONNACK accepted
    disconnecting,  ///< DISCONNECT queued; flush the output, then close the transport
};

struct SessionConfig {
    /// How long to wait for CONNACK after start_connect().
    Duration connect_timeout = Duration::from_seconds(10);
    /// How long to wait for PINGRESP after sending PINGREQ.
    Duration ping_timeout = Duration::from_seconds(10);
    /// Largest incoming packet; also bounded by the rx buffer size. Its `protocol` is set from
    /// `protocol` below.
    DecodeLimits limits{};
    /// The MQTT version every connection of this session speaks: its CONNECT's level and the
    /// form of every packet. MQTT 3.1.1 unless the user opts in; MQTT 5 needs MQTLS_MQTT5.
    ProtocolVersion protocol = ProtocolVersion::v3_1_1;
    /// MQTT 5: a topic sent again on the same connection goes as a Topic Alias (3.3.2.3.4), two
    /// bytes instead of the name, once the broker's CONNACK allows aliases (Topic Alias Maximum
    /// above 0; before CONNACK none is used). The first max_outgoing_topic_aliases topics of
    /// up to max_aliased_topic_bytes get one; the mapping starts over with every connection
    /// [MQTT-3.3.2-7], and the stored copies of QoS 1/2 messages keep the whole topic, so a
    /// resend on a new connection never depends on an alias the broker forgot.
    bool outgoing_topic_aliases = true;
};

/// Topics per connection that get an outgoing Topic Alias, and the longest such topic: what a
/// device repeats (its telemetry and status topics), at a fixed cost in the Session.
inline constexpr std::size_t max_outgoing_topic_aliases = 4;
inline constexpr std::size_t max_aliased_topic_bytes = 64;

/// The topic a Topic Alias stands for on this connection (MQTT 5, 3.3.2.3.4).
struct TopicAliasSlot {
    /// Bytes of `topic` in use; 0: the alias is not set on this connection;
    /// topic_alias_too_long: set for a topic longer than max_aliased_topic_bytes.
    std::uint8_t length = 0;
    char topic[max_aliased_topic_bytes] = {};
    static constexpr std::uint8_t topic_alias_too_long = 0xff;
};

/// What the broker's CONNACK allowed (MQTT 5 section 3.2.2.3); MQTT 3.1.1 has no such limits, so
/// there every field keeps the value that means "no limit".
struct BrokerLimits {
    std::uint16_t receive_maximum = 65535;  ///< QoS 1/2 PUBLISHes in flight to the broker
    std::uint32_t maximum_packet_size = 0;  ///< 0: no limit beyond the protocol's
    QoS maximum_qos = QoS::exactly_once;
    bool retain_available = true;
    std::uint16_t topic_alias_maximum = 0;
};

namespace detail {
/// Room kept free in tx for the acknowledgement one incoming packet may need (MQTT 5 too: we
/// acknowledge with Success in the 4-byte short form, section 3.4.2.1).
inline constexpr std::size_t ack_size = 4;

enum class OutgoingStage : std::uint8_t { awaiting_puback, awaiting_pubrec, awaiting_pubcomp };
/// One outgoing QoS 1/2 message in flight; its encoded PUBLISH lives in the store buffer until
/// PUBACK (QoS 1) or PUBREC (QoS 2).
struct OutgoingSlot {
    PacketId packet_id = 0;
    OutgoingStage stage = OutgoingStage::awaiting_puback;
    bool sent = false;  // false: (re)transmission still to be queued
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
};
/// A SUBSCRIBE/UNSUBSCRIBE awaiting its acknowledgement.
struct PendingRequest {
    PacketId packet_id = 0;
    PacketType kind = PacketType::subscribe;
    std::uint16_t entries = 0;
};
}  // namespace detail

/// Bytes of SessionMemory::packet_id_bits: one bit per packet identifier.
inline constexpr std::size_t packet_id_bits_size = 65536 / 8;

/// The memory a Session works in, all of it the caller's (see SessionStorage for a ready-made
/// owner). Sizes are the session's capacities.
struct SessionMemory {
    mutable_bytes rx;     ///< one incoming packet at a time: the largest packet accepted
    mutable_bytes tx;     ///< encoded packets not yet taken by the transport
    mutable_bytes store;  ///< copies of unacknowledged outgoing PUBLISHes, for resending
    // Buffers may be large and lazily allocated (pages the session never writes cost no
    // memory on Linux): the session writes them front first and compacts as it goes.
    span<detail::OutgoingSlot> outgoing;    ///< outgoing QoS 1/2 window
    span<PacketId> incoming_qos2;           ///< QoS 2 identifiers received, awaiting PUBREL
    span<detail::PendingRequest> requests;  ///< SUBSCRIBE/UNSUBSCRIBE awaiting acknowledgement
    span<Event> events;                     ///< event queue; at least requests.size() + 2
    /// Optional, for large windows: packet_id_bits_size bytes, all zero, in which the session
    /// marks the identifiers of its window, so that publishing finds a free identifier without
    /// searching the window. Empty (or shorter): the window is searched, which is as fast for
    /// the few dozen slots of a small device.
    mutable_bytes packet_id_bits{};
    /// Optional, MQTT 5: one slot per Topic Alias the broker may use towards us. The session
    /// announces their number as its Topic Alias Maximum in CONNECT (none when empty, so the
    /// broker sends whole topics) and resolves an alias to its topic in MessageReceived. A slot
    /// keeps a topic of up to max_aliased_topic_bytes; a longer one still arrives, but its alias
    /// alone cannot be resolved later (topic_alias_unresolved).
    span<TopicAliasSlot> incoming_topic_aliases{};
};

/// Fixed-capacity memory for one Session, sized at compile time.
template <std::size_t RxBytes = 1024, std::size_t TxBytes = 2048, std::size_t StoreBytes = 4096,
          std::size_t OutgoingMax = 16, std::size_t IncomingQos2Max = 16,
          std::size_t RequestsMax = 4, std::size_t EventsMax = RequestsMax + 4,
          std::size_t IncomingTopicAliases = 0>
struct SessionStorage {
    static_assert(EventsMax >= RequestsMax + 2, "the event queue must hold abandoned requests");
    std::array<std::uint8_t, RxBytes> rx{};
    std::array<std::uint8_t, TxBytes> tx{};
    std::array<std::uint8_t, StoreBytes> store{};
    std::array<detail::OutgoingSlot, OutgoingMax> outgoing{};
    std::array<PacketId, IncomingQos2Max> incoming_qos2{};
    std::array<detail::PendingRequest, RequestsMax> requests{};
    std::array<Event, EventsMax> events{};
    std::array<TopicAliasSlot, IncomingTopicAliases> incoming_topic_aliases{};

    SessionMemory memory() noexcept {
        return {
            rx, tx, store, outgoing, incoming_qos2, requests, events, {}, incoming_topic_aliases};
    }
};

class Session {
public:
    /// Cannot fail: capacities come from `memory`, which must outlive the session.
    /// `memory.events.size()` must be at least `memory.requests.size() + 2` (asserted).
    Session(const SessionConfig& config, SessionMemory memory) noexcept;

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Queues CONNECT, then every unacknowledged PUBLISH (DUP set) and PUBREL from earlier
    /// connections, in their original order [MQTT-4.4.0-1]. Errors: already_connected,
    /// output_full (CONNECT does not fit the tx buffer), and the codec's validation errors.
    /// With `clean_session`, QoS 2 identifiers received on earlier connections are forgotten.
    /// MQTT 5: the session adds Receive Maximum (its incoming QoS 2 capacity) and Maximum Packet
    /// Size (its rx buffer) unless `connect` has them, and refuses (invalid_argument) values
    /// above what it can hold, a Topic Alias Maximum above its incoming_topic_aliases slots
    /// (which it announces when the caller does not), and more than max_connect_properties
    /// properties. Incoming Topic Aliases start over with every connection [MQTT-3.3.2-7].
    Result<void> start_connect(const Connect& connect, Instant now) noexcept;

    /// Changes the MQTT version of the next connections (SessionConfig::protocol). Only while
    /// disconnected (already_connected otherwise) and with no message stored for resending,
    /// since those copies are encoded in the old version (invalid_argument); mqtt5_unavailable
    /// for MQTT 5 in a build without it, unsupported_protocol_level for another value.
    Result<void> set_protocol(ProtocolVersion protocol) noexcept;
    [[nodiscard]] ProtocolVersion protocol() const noexcept { return config_.protocol; }

    /// The most CONNECT properties start_connect() takes from the caller (MQTT 5).
    static constexpr std::size_t max_connect_properties = 14;

    /// The limits of the current (or last) connection's CONNACK.
    [[nodiscard]] const BrokerLimits& broker_limits() const noexcept { return broker_limits_; }
    /// The keep alive in force: CONNECT's, or MQTT 5's Server Keep Alive [MQTT-3.2.2-21].
    [[nodiscard]] std::uint16_t keep_alive_s() const noexcept { return keep_alive_s_; }

    /// Publishes `message` (its packet_id and dup are ignored). QoS 0 needs a connection and room
    /// in the tx buffer (output_full otherwise). QoS 1/2 are copied into the store, given a
    /// packet identifier (returned; never one still in flight) and sent as soon as the session is
    /// connecting or connected and the tx buffer has room; so they may be published while
    /// disconnected. Errors: inflight_full (window or store full; wait for PublishAcked),
    /// message_too_large (could never fit the store or tx buffer), not_connected (QoS 0 only),
    /// broker_limit_exceeded (MQTT 5: a QoS, retain flag or size the last CONNACK does not
    /// allow; detail: the property), invalid_argument (MQTT 5: a Topic Alias property of the
    /// caller's while SessionConfig::outgoing_topic_aliases lets the session choose them; detail:
    /// the property), and the codec's validation errors.
    Result<PacketId> publish(const Publish& message, Instant now) noexcept;

    /// Restores a QoS 1/2 message that an earlier run of this client (same client id, a
    /// persistent session: clean_session false) sent under `packet_id` and never saw
    /// acknowledged, e.g. before a reboot. After the next start_connect() it goes out again
    /// with DUP set and the same identifier, as [MQTT-4.4.0-1] requires, and completes as usual
    /// (PublishAcked). Only while disconnected. Errors: invalid_argument (QoS 0, identifier 0
    /// or in use, not disconnected), inflight_full, message_too_large, codec validation.
    Result<void> restore_outgoing(const Publish& message, PacketId packet_id) noexcept;

    /// Sends SUBSCRIBE; the answer arrives as SubscribeAcked. Errors: not_connected, inflight_full
    /// (too many requests pending), output_full, codec validation errors. With MQTT 5 built in,
    /// `properties` (viewed until the call returns) go in the packet: a Subscription Identifier
    /// and User Properties (section 3.8.2.1); on an MQTT 3.1.1 connection any is mqtt5_only.
    Result<PacketId> subscribe(span<const Subscription> subscriptions, Instant now
#if MQTLS_MQTT5
                               ,
                               const PropertyList& properties = {}
#endif
                               ) noexcept;

    /// Sends UNSUBSCRIBE; the answer arrives as UnsubscribeAcked. Errors and `properties` (User
    /// Properties, section 3.10.2.1) as for subscribe().
    Result<PacketId> unsubscribe(span<const std::string_view> filters, Instant now
#if MQTLS_MQTT5
                                 ,
                                 const PropertyList& properties = {}
#endif
                                 ) noexcept;

    /// Queues DISCONNECT; afterwards flush pending_output() and close the transport. Unacknowledged
    /// messages stay in the session for the next connection. With MQTT 5 built in, `properties`
    /// go in the packet (section 3.14.2.2: Session Expiry Interval, Reason String, User
    /// Properties); a Session Expiry Interval other than 0 after a CONNECT that had none (or 0) is
    /// invalid_argument [MQTT-3.14.2-2], and on an MQTT 3.1.1 connection any property is
    /// mqtt5_only.
    Result<void> disconnect(Instant now
#if MQTLS_MQTT5
                            ,
                            const PropertyList& properties = {}
#endif
                            ) noexcept;

    /// Takes bytes received from the transport and returns how many it consumed; it stops after
    /// each complete packet so that event views stay valid: call it again with the rest, polling
    /// events in between. Views in events are valid until the next call. Non-fatal errors:
    /// output_full (no room for an acknowledgement), event_queue_full (events not polled).
    /// Fatal: any codec error, protocol_violation, unknown_packet_id, broker_refused (detail: the
    /// CONNACK return code, or MQTT 5 Reason Code), unexpected_session_present (Session Present
    /// 1 in answer to a clean session), incoming_window_full, not_connected; MQTT 5 also
    /// broker_disconnected (detail: the DISCONNECT Reason Code) and broker_redirected, each after
    /// a BrokerClosed event.
    Result<std::size_t> receive(bytes_view bytes, Instant now) noexcept;

    /// Encoded packets waiting for the transport; valid until the next mutating call.
    [[nodiscard]] bytes_view pending_output() const noexcept;
    /// Marks the first `count` bytes of pending_output() as sent, then queues more held-back
    /// messages if they now fit.
    void consume_output(std::size_t count) noexcept;

    /// When on_deadline() must next be called, or Instant::never().
    [[nodiscard]] Instant next_deadline() const noexcept;
    /// Handles timers due at `now`: sends PINGREQ when the keepalive interval passed with nothing
    /// sent; fails (fatally) with connect_timeout or keepalive_timeout.
    Result<void> on_deadline(Instant now) noexcept;

    /// The oldest queued event, if any.
    std::optional<Event> poll_event() noexcept;

    /// The transport closed (or the caller closed it). Pending output and partial input are
    /// dropped; unacknowledged messages are kept for the next connection; pending SUBSCRIBE and
    /// UNSUBSCRIBE requests are reported as RequestAbandoned.
    void on_transport_closed(Instant now) noexcept;

    [[nodiscard]] SessionState state() const noexcept { return state_; }
    /// Outgoing QoS 1/2 messages not yet fully acknowledged.
    [[nodiscard]] std::size_t inflight_count() const noexcept { return outgoing_count_; }
    /// Whether `id` belongs to an outgoing message or request still awaiting acknowledgement.
    [[nodiscard]] bool packet_id_in_use(PacketId id) const noexcept;

private:
    Result<void> handle_packet(const Packet& packet, Instant now) noexcept;
    Result<void> handle_connack(const ConnAck& connack, Instant now) noexcept;
    Result<void> handle_publish(const Publish& publish, Instant now) noexcept;
    Result<void> handle_puback(const PubAck& ack) noexcept;
    Result<void> handle_pubrec(const PubRec& rec, Instant now) noexcept;
    Result<void> handle_pubrel(PacketId id, Instant now) noexcept;
    Result<void> handle_pubcomp(const PubComp& comp) noexcept;
    Result<void> handle_request_ack(PacketType kind, PacketId id, bytes_view codes) noexcept;
#if MQTLS_MQTT5
    Result<void> queue_connect_v5(const Connect& connect, Instant now) noexcept;
    void apply_connack_properties(const ConnAck& connack) noexcept;
    void reject_unsendable_unsent() noexcept;
    Result<void> handle_broker_close(PacketType packet, ReasonCode code,
                                     const PropertyList& properties) noexcept;
    Result<void> check_broker_limits(QoS qos, bool retain, std::size_t size) const noexcept;
    // Topic aliases (session_topic_alias.cpp).
    void alias_queued_publish(std::size_t start) noexcept;
    [[nodiscard]] std::size_t outgoing_alias_entry(std::string_view topic) const noexcept;
    [[nodiscard]] Result<void> check_caller_alias(const Publish& message) const noexcept;
    Result<void> resolve_incoming_alias(Publish& publish) noexcept;
#endif

    Result<void> queue_request(const Packet& packet, Instant now) noexcept;
    Result<void> queue_response(const Packet& packet, Instant now) noexcept;
    Result<void> queue_packet(const Packet& packet, Instant now, std::size_t reserve) noexcept;
    void queue_unsent_messages(Instant now) noexcept;
    bool queue_stored_copy(const detail::OutgoingSlot& slot, Instant now) noexcept;
    PacketId allocate_packet_id() noexcept;
    Result<PacketId> queue_tracked(Packet packet, std::size_t entries, Instant now) noexcept;
    detail::OutgoingSlot& outgoing_at(std::size_t index) noexcept;
    [[nodiscard]] const detail::OutgoingSlot& outgoing_at(std::size_t index) const noexcept;
    [[nodiscard]] std::size_t find_outgoing_index(PacketId id,
                                                  detail::OutgoingStage stage) const noexcept;
    detail::OutgoingSlot* find_outgoing(PacketId id) noexcept;
    [[nodiscard]] Result<void> check_storable(std::size_t size) const noexcept;
    Result<PacketId> store_outgoing(Publish& message, std::size_t size, PacketId id,
                                    bool sent) noexcept;
    void compact_store() noexcept;
    void release_store_bytes(detail::OutgoingSlot& slot) noexcept;
    void remove_outgoing(std::size_t index) noexcept;
    void mark_packet_id(PacketId id, bool in_use) noexcept;
    bool push_event(const Event& event) noexcept;
    Error fail(Error error) noexcept;
    [[nodiscard]] std::size_t tx_free() const noexcept;
    void compact_tx() noexcept;
    void make_tx_room(std::size_t size) noexcept;

    SessionConfig config_;
    SessionMemory memory_;
    Framer framer_;
    SessionState state_ = SessionState::disconnected;

    std::size_t tx_begin_ = 0;  // first unsent byte in memory_.tx
    std::size_t tx_end_ = 0;    // one past the last queued byte
    // The outgoing window is a ring of outgoing_count_ slots from outgoing_head_, oldest first.
    std::size_t outgoing_head_ = 0;
    std::size_t outgoing_count_ = 0;
    std::size_t first_unsent_ = 0;  // window slots before this one are all sent
    std::size_t store_end_ = 0;     // one past the last stored byte (copies are appended here)
    std::size_t store_live_ = 0;    // stored bytes still needed; the rest are holes
    std::size_t incoming_count_ = 0;
    std::size_t request_count_ = 0;
    std::size_t event_head_ = 0;
    std::size_t event_count_ = 0;
    std::size_t view_events_ = 0;  // queued events that point into the rx frame
    bool frame_handled_ = false;  // the framer's ready frame was processed; release on next receive

    PacketId last_packet_id_ = 0;
    std::uint16_t keep_alive_s_ = 0;
    BrokerLimits broker_limits_{};
#if MQTLS_MQTT5
    // This connection's outgoing Topic Aliases: alias i + 1 stands for the topic in entry i.
    TopicAliasSlot topic_aliases_[max_outgoing_topic_aliases] = {};
    std::size_t topic_aliases_used_ = 0;
    std::uint16_t incoming_alias_maximum_ = 0;  // the Topic Alias Maximum of our CONNECT
    bool connect_kept_session_ = false;         // our CONNECT's Session Expiry Interval was not 0
#endif
    bool clean_session_ = true;  // of the CONNECT in flight: decides what CONNACK may say
    Instant last_sent_{};
    Instant connect_deadline_ = Instant::never();
    Instant ping_deadline_ = Instant::never();  // never: no PINGREQ outstanding
};

}  // namespace mqtls::mqtt
