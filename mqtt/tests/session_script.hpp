#pragma once
/// @file
/// A scripted broker for the Session tests: literal timestamps, literal broker bytes fed to
/// Session::receive() the way the caller's loop in session.hpp does it, and every event copied
/// (views included) into a fixed log so that it can be checked after later receive() calls.
///
/// Portable: no heap, no std::string/std::vector, nothing from GoogleTest; the same helpers run in
/// the host GoogleTest build and in the bare-metal minitest build.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/server_decode.hpp"
#include "mqtls/mqtt/session.hpp"

namespace mqtls::mqtt::script {

/// A literal timestamp in milliseconds.
inline Instant at(std::int64_t ms) noexcept { return Instant::from_millis(ms); }

/// Views a literal byte array.
template <std::size_t N>
bytes_view wire(const std::uint8_t (&bytes)[N]) noexcept {
    return bytes_view(bytes, N);
}

/// Views a string literal's characters (no terminator) as bytes.
inline bytes_view text(std::string_view s) noexcept { return as_bytes(s.data(), s.size()); }

/// Storage small enough to live in a bare-metal test image. One instance is shared by every test
/// that needs no special capacities (a Session never reads memory it did not write).
using SmallStorage = SessionStorage</*Rx*/ 256, /*Tx*/ 512, /*Store*/ 512, /*OutgoingMax*/ 8,
                                    /*IncomingQos2Max*/ 4, /*RequestsMax*/ 2>;
inline SessionMemory shared_memory() noexcept {
    static SmallStorage storage;
    return storage.memory();
}

/// A copy of one Event that outlives the receive() that produced it.
struct Seen {
    enum class Kind : std::uint8_t {
        none,
        connected,
        message,
        publish_acked,
        subscribe_acked,
        unsubscribe_acked,
        abandoned,
        publish_rejected,  // MQTT 5
        broker_closed,     // MQTT 5
    };
    static constexpr std::size_t max_bytes = 24;

    Kind kind = Kind::none;
    bool session_present = false;                // connected
    PacketId packet_id = 0;                      // message, publish_acked, *_acked, abandoned
    QoS qos = QoS::at_most_once;                 // message, publish_acked
    bool retain = false;                         // message
    bool dup = false;                            // message
    PacketType request = PacketType::subscribe;  // abandoned; broker_closed: CONNACK or DISCONNECT
    std::uint8_t reason = 0;                     // MQTT 5: publish_*, broker_closed
    std::size_t properties = 0;                  // MQTT 5: how many the event carried
    std::uint8_t topic[max_bytes] = {};          // message
    std::size_t topic_size = 0;
    std::uint8_t data[max_bytes] = {};  // message payload, or SUBACK return codes
    std::size_t data_size = 0;
    bool truncated = false;  // topic or data did not fit the copy

    [[nodiscard]] bool topic_is(std::string_view expected) const noexcept {
        return !truncated && equal_bytes(bytes_view(topic, topic_size), text(expected));
    }
    [[nodiscard]] bool data_is(bytes_view expected) const noexcept {
        return !truncated && equal_bytes(bytes_view(data, data_size), expected);
    }
};

inline void copy_into(std::uint8_t* out, std::size_t& out_size, bytes_view in,
                      bool& truncated) noexcept {
    out_size = in.size() < Seen::max_bytes ? in.size() : Seen::max_bytes;
    if (in.size() > Seen::max_bytes) truncated = true;
    for (std::size_t i = 0; i < out_size; ++i) out[i] = in[i];
}

/// Every event polled from a session, in order.
struct EventLog {
    static constexpr std::size_t capacity = 8;
    Seen items[capacity];
    std::size_t count = 0;
    bool overflow = false;  // more events than `capacity` arrived

    void add(const Event& event) noexcept {
        if (count == capacity) {
            overflow = true;
            return;
        }
        Seen& s = items[count++];
        s = Seen{};
        if (const auto* e = std::get_if<Connected>(&event)) {
            s.kind = Seen::Kind::connected;
            s.session_present = e->session_present;
        } else if (const auto* m = std::get_if<MessageReceived>(&event)) {
            s.kind = Seen::Kind::message;
            s.packet_id = m->message.packet_id;
            s.qos = m->message.qos;
            s.retain = m->message.retain;
            s.dup = m->message.dup;
            copy_into(s.topic, s.topic_size, text(m->message.topic), s.truncated);
            copy_into(s.data, s.data_size, m->message.payload, s.truncated);
        } else if (const auto* a = std::get_if<PublishAcked>(&event)) {
            s.kind = Seen::Kind::publish_acked;
            s.packet_id = a->packet_id;
            s.qos = a->qos;
        } else if (const auto* sa = std::get_if<SubscribeAcked>(&event)) {
            s.kind = Seen::Kind::subscribe_acked;
            s.packet_id = sa->packet_id;
            copy_into(s.data, s.data_size, sa->return_codes, s.truncated);
        } else if (const auto* ua = std::get_if<UnsubscribeAcked>(&event)) {
            s.kind = Seen::Kind::unsubscribe_acked;
            s.packet_id = ua->packet_id;
        } else if (const auto* ra = std::get_if<RequestAbandoned>(&event)) {
            s.kind = Seen::Kind::abandoned;
            s.packet_id = ra->packet_id;
            s.request = ra->kind;
        }
#if MQTLS_MQTT5
        add_mqtt5(event, s);
#endif
    }

#if MQTLS_MQTT5
    // The MQTT 5 parts: reason codes, and the first string property (Reason String, Server
    // Reference, Assigned Client Identifier) copied into `topic`.
    static void first_text(const PropertyList& properties, Seen& s) noexcept {
        s.properties = properties.size();
        for (const Property p : properties) {
            if (p.text.empty() || p.id == PropertyId::user_property) continue;
            copy_into(s.topic, s.topic_size, text(p.text), s.truncated);
            return;
        }
    }
    static void add_mqtt5(const Event& event, Seen& s) noexcept {
        if (const auto* c = std::get_if<Connected>(&event)) {
            first_text(c->properties, s);
        } else if (const auto* a = std::get_if<PublishAcked>(&event)) {
            s.reason = static_cast<std::uint8_t>(a->reason_code);
        } else if (const auto* ua = std::get_if<UnsubscribeAcked>(&event)) {
            copy_into(s.data, s.data_size, ua->reason_codes, s.truncated);
        } else if (const auto* r = std::get_if<PublishRejected>(&event)) {
            s.kind = Seen::Kind::publish_rejected;
            s.packet_id = r->packet_id;
            s.qos = r->qos;
            s.reason = static_cast<std::uint8_t>(r->reason_code);
            first_text(r->properties, s);
        } else if (const auto* b = std::get_if<BrokerClosed>(&event)) {
            s.kind = Seen::Kind::broker_closed;
            s.request = b->packet;
            s.reason = static_cast<std::uint8_t>(b->reason_code);
            first_text(b->properties, s);
        }
    }
#endif

    [[nodiscard]] std::size_t count_of(Seen::Kind kind) const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count; ++i) n += items[i].kind == kind ? 1 : 0;
        return n;
    }

    /// The `nth` (0-based) event of `kind`, or an empty Seen (kind none) if there is none.
    [[nodiscard]] Seen find(Seen::Kind kind, std::size_t nth = 0) const noexcept {
        for (std::size_t i = 0; i < count; ++i) {
            if (items[i].kind != kind) continue;
            if (nth == 0) return items[i];
            --nth;
        }
        return Seen{};
    }

    void clear() noexcept {
        count = 0;
        overflow = false;
    }
};

/// Polls every queued event into `log`.
inline void poll_all(Session& session, EventLog& log) noexcept {
    while (auto event = session.poll_event()) log.add(*event);
}

/// Polls what the session queued, then gives back `error`.
inline Error polled_then(Session& session, EventLog& log, Error error) noexcept {
    poll_all(session, log);
    return error;
}

/// The broker's bytes arrive: the documented caller loop, `chunk` bytes per read (0: all at once).
/// Events are polled after every receive(). Returns the first error of receive().
inline Result<void> feed(Session& session, bytes_view bytes, Instant now, EventLog& log,
                         std::size_t chunk = 0) noexcept {
    int zero_streak = 0;
    while (!bytes.empty()) {
        const std::size_t size = chunk == 0 || chunk > bytes.size() ? bytes.size() : chunk;
        bytes_view piece = bytes.first(size);
        // One transport read: hand it to the session until it has taken all of it.
        while (!piece.empty()) {
            auto taken = session.receive(piece, now);
            // What was queued before a fatal error (BrokerClosed, RequestAbandoned) is still
            // the caller's to read.
            if (!taken) return polled_then(session, log, taken.error());
            // Taking more than offered, or nothing twice in a row, would be a session bug; stop
            // rather than loop forever.
            if (*taken > piece.size()) return Errc::invalid_argument;
            zero_streak = *taken == 0 ? zero_streak + 1 : 0;
            if (zero_streak > 1) return Errc::invalid_argument;
            piece = piece.subspan(*taken);
            bytes = bytes.subspan(*taken);
            poll_all(session, log);
        }
    }
    return ok();
}

/// The transport takes everything pending; returns how many bytes that was.
inline std::size_t send_all(Session& session) noexcept {
    const std::size_t size = session.pending_output().size();
    session.consume_output(size);
    return size;
}

/// The other end of the transport: records every byte the session hands over.
struct Transport {
    static constexpr std::size_t capacity = 256;
    std::uint8_t sent[capacity] = {};
    std::size_t size = 0;
    bool overflow = false;

    /// Takes everything pending from the session.
    void take(Session& session) noexcept {
        const bytes_view out = session.pending_output();
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (size == capacity) {
                overflow = true;
                break;
            }
            sent[size++] = out[i];
        }
        session.consume_output(out.size());
    }
    [[nodiscard]] bytes_view bytes() const noexcept { return bytes_view(sent, size); }
};

/// The error code of a failed Result, or Errc{} (no error) if it succeeded.
template <class T>
Errc error_code(const Result<T>& result) noexcept {
    return result ? Errc{} : result.error().code;
}
/// The error detail of a failed Result, or -1 if it succeeded.
template <class T>
std::int32_t error_detail(const Result<T>& result) noexcept {
    return result ? -1 : result.error().detail;
}

/// Whether the pending output is exactly `expected`.
inline bool output_is(const Session& session, bytes_view expected) noexcept {
    return equal_bytes(session.pending_output(), expected);
}

/// Splits the pending output into packets: their types go into `types` (up to `max`); returns the
/// number of packets, or 0 if the output is not a whole number of valid packets.
inline std::size_t output_packet_types(
    const Session& session, PacketType* types, std::size_t max,
    ProtocolVersion session_protocol = ProtocolVersion::v3_1_1) noexcept {
    bytes_view rest = session.pending_output();
    std::size_t n = 0;
    while (!rest.empty()) {
        DecodeLimits limits{1024};
        limits.protocol = session_protocol;
        // The session's own output: CONNECT, SUBSCRIBE and UNSUBSCRIBE need the server decoder.
        auto decoded = server::decode(rest, limits);
        if (!decoded) return 0;
        if (n < max) types[n] = packet_type(decoded->packet);
        ++n;
        rest = rest.subspan(decoded->consumed);
    }
    return n;
}

/// The smallest CONNECT: client id "c", keep alive as given.
inline Connect basic_connect(bool clean_session = true, std::uint16_t keep_alive_s = 0) noexcept {
    Connect c;
    c.client_id = "c";
    c.clean_session = clean_session;
    c.keep_alive_s = keep_alive_s;
    return c;
}

/// Wire bytes of basic_connect(true, 0) and basic_connect(false, 0): fixed header, "MQTT", level 4,
/// flags (clean session or none), keep alive 0, client identifier "c".
// clang-format off
inline constexpr std::uint8_t connect_c_clean[] = {
    0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x01, 'c'};
inline constexpr std::uint8_t connect_c_keep[] = {
    0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c'};
// clang-format on
inline constexpr std::uint8_t connack_accepted[] = {0x20, 0x02, 0x00, 0x00};
inline constexpr std::uint8_t connack_session_present[] = {0x20, 0x02, 0x01, 0x00};

/// start_connect at `start`, the transport takes CONNECT (and anything queued behind it), and the
/// broker accepts at `start` + 1 ms. True if all of that worked and the session is connected.
inline bool establish(Session& session, EventLog& log, Instant start,
                      const Connect& connect = basic_connect()) noexcept {
    if (!session.start_connect(connect, start)) return false;
    send_all(session);
    if (!feed(session, wire(connack_accepted), start + Duration::from_millis(1), log)) return false;
    return session.state() == SessionState::connected && log.count_of(Seen::Kind::connected) == 1;
}

/// The two bytes of a packet identifier on the wire, most significant first (section 1.5.2).
constexpr std::uint8_t id_msb(PacketId id) noexcept { return static_cast<std::uint8_t>(id >> 8); }
constexpr std::uint8_t id_lsb(PacketId id) noexcept { return static_cast<std::uint8_t>(id & 0xff); }

/// A QoS 0/1/2 message on topic "t" with payload "hi".
inline Publish message_t_hi(QoS qos) noexcept {
    Publish p;
    p.topic = "t";
    p.payload = text("hi");
    p.qos = qos;
    return p;
}

/// PUBLISH "t" "hi" with the given first byte and packet identifier (QoS 1/2).
struct PublishTHi {
    std::uint8_t bytes[9];
    constexpr PublishTHi(std::uint8_t first, PacketId id) noexcept
        : bytes{first, 0x07, 0x00, 0x01, 't', id_msb(id), id_lsb(id), 'h', 'i'} {}
    [[nodiscard]] bytes_view view() const noexcept { return bytes_view(bytes, sizeof bytes); }
};

/// A two-byte-identifier acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK).
struct Ack {
    std::uint8_t bytes[4];
    constexpr Ack(std::uint8_t first, PacketId id) noexcept
        : bytes{first, 0x02, id_msb(id), id_lsb(id)} {}
    [[nodiscard]] bytes_view view() const noexcept { return bytes_view(bytes, sizeof bytes); }
};
inline constexpr std::uint8_t puback_byte = 0x40;
inline constexpr std::uint8_t pubrec_byte = 0x50;
inline constexpr std::uint8_t pubrel_byte = 0x62;  // PUBREL flags are 0010 [MQTT-3.6.1-1]
inline constexpr std::uint8_t pubcomp_byte = 0x70;
inline constexpr std::uint8_t unsuback_byte = 0xb0;

}  // namespace mqtls::mqtt::script
