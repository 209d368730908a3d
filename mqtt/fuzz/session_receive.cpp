// Fuzz target: the whole receive path of a client Session (framer, decoder, state machine)
// after a scripted CONNECT/CONNACK. The broker's bytes arrive in pieces whose sizes the fuzzer
// chooses, mixed with publishes, subscriptions, timers and reconnects.
//
// Input layout:
//   byte 0         options: bit 0 clean session; bits 1-2 keep-alive (0, 5, 60 or 65535 s);
//                  bit 3 session-present in our CONNACKs (non-clean sessions only);
//                  bit 4 hold the output (do not drain it) from the start;
//                  bit 5 speak MQTT 5 (builds with MQTLS_MQTT5; ignored otherwise)
//   byte 1         n, the script length
//   next n bytes   the script, one step per byte (see Harness::step), run once; then the
//                  script's receive steps are repeated, as chunk sizes only, until the broker
//                  stream is used up (no receive steps: the rest arrives in one piece)
//   the rest       the broker's byte stream
//
// Invariants, beyond "no crash": receive() consumes at most what it is given and never stalls;
// a fatal error leaves the session disconnected with no output; the output never exceeds the tx
// buffer, only ever holds whole, valid client packets, and never survives into the disconnected
// state; in-flight counts stay within capacity; a call that fails with a documented non-fatal
// error changes nothing; every acknowledgement event matches a request we made, with the right
// QoS and return-code count; a QoS 2 message is delivered once until its PUBREL; and a request
// still pending when the transport closes is reported as abandoned. Under MQTT 5 also: a
// message the broker refuses (PublishRejected) is one we published and is never acknowledged
// too, reason codes belong to their packet, the output is valid MQTT 5, and a message sent
// under an incoming Topic Alias is delivered under its topic, never an empty one.
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "fuzz_check.hpp"
#include "mqtls/mqtt.hpp"
#include "mqtls/mqtt/server_decode.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::mqtt;

// Small capacities, so that full windows and full buffers are reached quickly.
constexpr std::size_t tx_capacity = 256;
constexpr std::size_t outgoing_capacity = 4;
constexpr std::size_t incoming_alias_slots = 2;  // MQTT 5: the broker may use aliases 1 and 2
using Storage =
    SessionStorage</*rx*/ 512, tx_capacity, /*store*/ 512, outgoing_capacity,
                   /*incoming QoS 2*/ 4, /*requests*/ 2, /*events*/ 6, incoming_alias_slots>;

constexpr int max_connections = 8;
constexpr std::uint8_t last_receive_step = 0x9f;
constexpr std::string_view client_id = "fuzz-client";
constexpr std::string_view publish_topic = "fuzz/t";
constexpr std::uint16_t keep_alive_choices[] = {0, 5, 60, 65535};
constexpr std::size_t payload_sizes[] = {0, 8, 64, 250};  // 250 never fits the tx buffer
const Subscription subscriptions[] = {
    {"a/+/c", QoS::at_least_once}, {"sensors/#", QoS::exactly_once}, {"$SYS/#", QoS::at_most_once}};
const std::string_view filters[] = {"a/+/c", "sensors/#", "$SYS/#"};
const std::uint8_t payload_bytes[256] = {0x7b, 0x22, 0x74, 0x22, 0x3a, 0x32, 0x31, 0x7d};

bool one_of(Errc code, std::initializer_list<Errc> allowed) {
    for (const Errc e : allowed) {
        if (code == e) return true;
    }
    return false;
}

// Packet identifiers we are waiting to hear about, with what they were for; a small multiset.
class Ledger {
public:
    struct Entry {
        PacketId id = 0;
        std::uint8_t kind = 0;  // QoS for messages, PacketType for requests
        std::size_t entries = 0;
    };
    bool add(Entry entry) {
        if (count_ == capacity) return false;
        items_[count_++] = entry;
        return true;
    }
    bool contains(PacketId id) const {
        for (std::size_t i = 0; i < count_; ++i) {
            if (items_[i].id == id) return true;
        }
        return false;
    }
    // Removes and returns the first entry with `id` and `kind`; an entry with id 0 if none.
    Entry take(PacketId id, std::uint8_t kind) {
        for (std::size_t i = 0; i < count_; ++i) {
            if (items_[i].id == id && items_[i].kind == kind) {
                const Entry found = items_[i];
                items_[i] = items_[--count_];
                return found;
            }
        }
        return {};
    }
    void remove_all(PacketId id) {
        for (std::size_t i = 0; i < count_;) {
            if (items_[i].id == id) {
                items_[i] = items_[--count_];
            } else {
                ++i;
            }
        }
    }
    bool empty() const { return count_ == 0; }
    void clear() { count_ = 0; }

private:
    static constexpr std::size_t capacity = 16;
    Entry items_[capacity];
    std::size_t count_ = 0;
};

std::uint8_t kind_of(PacketType type) { return static_cast<std::uint8_t>(type); }
std::uint8_t kind_of(QoS qos) { return static_cast<std::uint8_t>(qos); }

class Harness {
public:
    explicit Harness(std::uint8_t options)
        : protocol_(protocol_of(options)), session_(config_for(protocol_), storage_.memory()) {
        connect_.client_id = client_id;
        connect_.clean_session = (options & 0x01) != 0;
        connect_.keep_alive_s = keep_alive_choices[(options >> 1) & 0x03];
        session_present_ = !connect_.clean_session && (options & 0x08) != 0;
        hold_output_ = (options & 0x10) != 0;
    }

    void run(bytes_view script, bytes_view stream) {
        stream_ = stream;
        connect(true);
        std::uint8_t chunks[256];
        std::size_t chunk_count = 0;
        for (const std::uint8_t op : script) {
            if (op <= last_receive_step) chunks[chunk_count++] = op;
            if (stopped_) break;
            step(op);
            if (reconnect_pending_) reconnect();
        }
        for (std::size_t i = 0; !stream_.empty() && !stopped_; ++i) {
            feed(take(chunk_count == 0 ? stream_.size() : chunks[i % chunk_count] + 1U));
            if (reconnect_pending_) reconnect();
        }
        finish();
    }

private:
    static ProtocolVersion protocol_of(std::uint8_t options) {
        return mqtt5_available && (options & 0x20) != 0 ? ProtocolVersion::v5
                                                        : ProtocolVersion::v3_1_1;
    }
    static SessionConfig config_for(ProtocolVersion protocol) {
        SessionConfig config;
        config.protocol = protocol;
        return config;
    }
    bool v5() const { return protocol_ == ProtocolVersion::v5; }

    // Script steps:
    //   00..9f  receive the next op + 1 broker bytes (1..160)
    //   a0..bf  publish to "fuzz/t": QoS op & 3 (3 is invalid), payload size picked by bits 2-3,
    //           retain bit 4
    //   c0..cf  2^(op & 15) ms pass, then on_deadline()
    //   d0..d7  subscribe to 1 or 2 filters         d8..df  unsubscribe 1 or 2 filters
    //   e0 disconnect()   e1 reconnect (our CONNACK follows)   e2 reconnect (the stream must
    //   bring the CONNACK)   e3 transport closed   e4 hold/release the output   e5 send half of
    //   the output   e6 stop/resume polling events   e7..ff receive all remaining broker bytes
    void step(std::uint8_t op) {
        if (op <= last_receive_step) {
            feed(take(op + 1U));
        } else if (op < 0xc0) {
            publish(op);
        } else if (op < 0xd0) {
            now_ = now_ + Duration::from_millis(std::int64_t{1} << (op & 0x0f));
            deadline();
        } else if (op < 0xd8) {
            subscribe(op);
        } else if (op < 0xe0) {
            unsubscribe(op);
        } else {
            control(op);
        }
    }

    void control(std::uint8_t op) {
        switch (op) {
            case 0xe0: {
                const std::size_t pending = session_.pending_output().size();
                const auto done = session_.disconnect(now_);
                if (!done) {
                    MQTLS_FUZZ_CHECK(
                        one_of(done.error().code, {Errc::not_connected, Errc::output_full}));
                    MQTLS_FUZZ_CHECK(session_.pending_output().size() == pending);
                } else {
                    MQTLS_FUZZ_CHECK(session_.state() == SessionState::disconnecting);
                }
                after_call();
                break;
            }
            case 0xe1:
                close();
                connect(true);
                break;
            case 0xe2:
                close();
                connect(false);
                break;
            case 0xe3:
                close();
                break;
            case 0xe4:
                hold_output_ = !hold_output_;
                break;
            case 0xe5:
                drain(session_.pending_output().size() / 2);
                break;
            case 0xe6:
                polling_ = !polling_;
                well_behaved_ = false;  // a caller that leaves events unpolled may lose some
                break;
            default:
                feed(take(stream_.size()));
                break;
        }
    }

    bytes_view take(std::size_t count) {
        if (count > stream_.size()) count = stream_.size();
        const bytes_view chunk = stream_.first(count);
        stream_ = stream_.subspan(count);
        return chunk;
    }

    // The caller loop of session.hpp: receive, poll, send, until the chunk is used up.
    void feed(bytes_view chunk) {
        int retries = 0;  // non-fatal errors in a row
        int zeros = 0;    // successful calls in a row that took no bytes
        while (!chunk.empty()) {
            const auto consumed = session_.receive(chunk, now_);
            if (!consumed) {
                if (!recover(consumed.error()) || ++retries > 3) return;
                continue;
            }
            retries = 0;
            MQTLS_FUZZ_CHECK(*consumed <= chunk.size());
            // A 0 is fine once (a packet buffered earlier was handled), but not twice in a row:
            // the caller loop in session.hpp would spin.
            zeros = *consumed == 0 ? zeros + 1 : 0;
            MQTLS_FUZZ_CHECK(zeros < 2);
            chunk = chunk.subspan(*consumed);
            after_call();
        }
    }

    // After an error from receive() or on_deadline(): true if the call may be retried.
    bool recover(const Error& error) {
        if (error.code == Errc::output_full || error.code == Errc::event_queue_full) {
            after_call();
            poll_all();
            drain(session_.pending_output().size());
            return true;
        }
        MQTLS_FUZZ_CHECK(session_.state() == SessionState::disconnected);
        MQTLS_FUZZ_CHECK(session_.pending_output().empty());
        observed_ = 0;
        after_call();
        reconnect_pending_ = true;
        return false;
    }

    void deadline() {
        for (int attempt = 0; attempt < 2; ++attempt) {
            const auto handled = session_.on_deadline(now_);
            if (handled) {
                MQTLS_FUZZ_CHECK(session_.next_deadline() > now_);
                after_call();
                return;
            }
            if (!recover(handled.error())) return;
        }
    }

    void publish(std::uint8_t op) {
        Publish message;
        message.topic = publish_topic;
        message.qos = static_cast<QoS>(op & 0x03);  // 3 is invalid on purpose
        message.payload = bytes_view{payload_bytes}.first(payload_sizes[(op >> 2) & 0x03]);
        message.retain = (op & 0x10) != 0;
        const std::size_t pending = session_.pending_output().size();
        const std::size_t inflight = session_.inflight_count();
        const auto id = session_.publish(message, now_);
        if (!id) {
            MQTLS_FUZZ_CHECK(
                one_of(id.error().code,
                       {Errc::not_connected, Errc::output_full, Errc::inflight_full,
                        Errc::message_too_large, Errc::invalid_qos, Errc::broker_limit_exceeded}));
            MQTLS_FUZZ_CHECK(v5() || id.error().code != Errc::broker_limit_exceeded);
            MQTLS_FUZZ_CHECK(session_.pending_output().size() == pending);
            MQTLS_FUZZ_CHECK(session_.inflight_count() == inflight);
        } else if (message.qos == QoS::at_most_once) {
            MQTLS_FUZZ_CHECK(*id == 0 && session_.inflight_count() == inflight);
        } else {
            MQTLS_FUZZ_CHECK(message.qos != static_cast<QoS>(3));
            MQTLS_FUZZ_CHECK(*id != 0 && session_.packet_id_in_use(*id));
            MQTLS_FUZZ_CHECK(session_.inflight_count() == inflight + 1);
            MQTLS_FUZZ_CHECK(published_.add({*id, kind_of(message.qos), 0}));
            (message.qos == QoS::at_least_once ? ever_qos1_ : ever_qos2_).set(*id);
        }
        after_call();
    }

    void request(PacketType kind, Result<PacketId> id, std::size_t entries, std::size_t pending) {
        if (!id) {
            MQTLS_FUZZ_CHECK(one_of(id.error().code,
                                    {Errc::not_connected, Errc::inflight_full, Errc::output_full}));
            MQTLS_FUZZ_CHECK(session_.pending_output().size() == pending);
        } else {
            MQTLS_FUZZ_CHECK(*id != 0 && session_.packet_id_in_use(*id));
            MQTLS_FUZZ_CHECK(requested_.add({*id, kind_of(kind), entries}));
            ever_requested_.set(*id);
        }
        after_call();
    }

    void subscribe(std::uint8_t op) {
        const span<const Subscription> list{subscriptions + ((op >> 1) & 1), (op & 1) + 1U};
        const std::size_t pending = session_.pending_output().size();
        request(PacketType::subscribe, session_.subscribe(list, now_), list.size(), pending);
    }

    void unsubscribe(std::uint8_t op) {
        const span<const std::string_view> list{filters + ((op >> 1) & 1), (op & 1) + 1U};
        const std::size_t pending = session_.pending_output().size();
        request(PacketType::unsubscribe, session_.unsubscribe(list, now_), list.size(), pending);
    }

    void connect(bool feed_connack) {
        if (++connections_ > max_connections) {
            stopped_ = true;
            return;
        }
        // A clean session forgets QoS 2 identifiers awaiting PUBREL (session.hpp).
        if (connect_.clean_session) awaiting_release_.clear();
        MQTLS_FUZZ_CHECK(session_.start_connect(connect_, now_));
        MQTLS_FUZZ_CHECK(session_.state() == SessionState::connecting);
        after_call();
        if (feed_connack) {
            const std::uint8_t present = session_present_ ? 1 : 0;
            const std::uint8_t connack[] = {0x20, 0x02, present, 0x00};
            // MQTT 5: the same with an empty property section.
            const std::uint8_t connack_v5[] = {0x20, 0x03, present, 0x00, 0x00};
            if (v5()) {
                feed(connack_v5);
            } else {
                feed(connack);
            }
        }
    }

    void reconnect() {
        reconnect_pending_ = false;
        close();
        connect(true);
    }

    // The transport closes; a well-behaved caller has polled its events first.
    void close() {
        poll_all();
        session_.on_transport_closed(now_);
        observed_ = 0;
        MQTLS_FUZZ_CHECK(session_.state() == SessionState::disconnected);
        after_call();
        poll_all();
    }

    void finish() {
        poll_all();
        session_.on_transport_closed(now_);
        observed_ = 0;
        poll_all();
        check_state();
        // Every request was answered or reported abandoned (unless events were left unpolled).
        if (well_behaved_) MQTLS_FUZZ_CHECK(requested_.empty());
    }

    void after_call() {
        check_state();
        observe_output();
        if (polling_) poll_all();
        if (!hold_output_) drain(session_.pending_output().size());
    }

    void check_state() {
        MQTLS_FUZZ_CHECK(session_.pending_output().size() <= tx_capacity);
        MQTLS_FUZZ_CHECK(session_.inflight_count() <= outgoing_capacity);
        if (session_.state() == SessionState::disconnected) {
            MQTLS_FUZZ_CHECK(session_.pending_output().empty());
        }
    }

    // Sends `count` bytes of output; whatever was sent had been checked by observe_output().
    void drain(std::size_t count) {
        observe_output();
        for (int round = 0; round < 4 && count > 0; ++round) {
            session_.consume_output(count);
            observed_ -= count;
            observe_output();  // consume_output() may queue held-back messages
            count = hold_output_ ? 0 : session_.pending_output().size();
        }
    }

    // The output only grows at its end and by whole packets; check each new one once.
    void observe_output() {
        const bytes_view output = session_.pending_output();
        MQTLS_FUZZ_CHECK(observed_ <= output.size());
        bytes_view fresh = output.subspan(observed_);
        while (!fresh.empty()) {
            DecodeLimits limits;
            limits.protocol = protocol_;
            // Our own output: CONNECT, SUBSCRIBE and UNSUBSCRIBE need the server's decoder.
            const auto decoded = server::decode(fresh, limits);
            MQTLS_FUZZ_CHECK(decoded);
            check_sent(decoded->packet);
            fresh = fresh.subspan(decoded->consumed);
            observed_ += decoded->consumed;
        }
    }

    // Our one topic, or its Topic Alias (3.3.2.3.4): never above the broker's Topic Alias
    // Maximum [MQTT-3.3.2-9], and used alone only after a PUBLISH of this connection
    // established it.
    void check_topic_or_alias(const Publish& p) {
#if MQTLS_MQTT5
        const auto alias = find_property(p.properties, PropertyId::topic_alias);
        if (alias) {
            MQTLS_FUZZ_CHECK(alias->number == 1);  // one topic: the first alias
            MQTLS_FUZZ_CHECK(alias->number <= session_.broker_limits().topic_alias_maximum);
            if (p.topic.empty()) {
                MQTLS_FUZZ_CHECK(alias_established_);
            } else {
                MQTLS_FUZZ_CHECK(p.topic == publish_topic);
                alias_established_ = true;
            }
            return;
        }
#endif
        MQTLS_FUZZ_CHECK(p.topic == publish_topic);
    }

    void check_sent(const Packet& packet) {
        switch (packet_type(packet)) {
            case PacketType::connect: {
                const auto& c = std::get<Connect>(packet);
                MQTLS_FUZZ_CHECK(c.client_id == client_id);
                MQTLS_FUZZ_CHECK(c.clean_session == connect_.clean_session);
                MQTLS_FUZZ_CHECK(c.keep_alive_s == connect_.keep_alive_s);
                alias_established_ = false;  // [MQTT-3.3.2-7]: a new connection knows none
                break;
            }
            case PacketType::publish: {
                const auto& p = std::get<Publish>(packet);
                check_topic_or_alias(p);
                if (p.qos == QoS::at_least_once) MQTLS_FUZZ_CHECK(ever_qos1_.test(p.packet_id));
                if (p.qos == QoS::exactly_once) MQTLS_FUZZ_CHECK(ever_qos2_.test(p.packet_id));
                break;
            }
            case PacketType::pubrel:
                MQTLS_FUZZ_CHECK(ever_qos2_.test(std::get<PubRel>(packet).packet_id));
                break;
            case PacketType::pubcomp:
                // PUBREL handled: that identifier may carry a new message from now on.
                awaiting_release_.remove_all(std::get<PubComp>(packet).packet_id);
                break;
            case PacketType::subscribe:
                MQTLS_FUZZ_CHECK(ever_requested_.test(std::get<Subscribe>(packet).packet_id));
                break;
            case PacketType::unsubscribe:
                MQTLS_FUZZ_CHECK(ever_requested_.test(std::get<Unsubscribe>(packet).packet_id));
                break;
            case PacketType::puback:
            case PacketType::pubrec:
            case PacketType::pingreq:
            case PacketType::disconnect:
                break;
            default: {
                const bool client_to_server_type = false;
                MQTLS_FUZZ_CHECK(client_to_server_type);
            }
        }
    }

    void poll_all() {
        while (const auto event = session_.poll_event()) on_event(*event);
    }

    void on_event(const Event& event) {
        MQTLS_FUZZ_CHECK(!std::holds_alternative<std::monostate>(event));
        if (const auto* m = std::get_if<MessageReceived>(&event)) {
            on_message(m->message);
        } else if (const auto* a = std::get_if<PublishAcked>(&event)) {
            MQTLS_FUZZ_CHECK(published_.take(a->packet_id, kind_of(a->qos)).id != 0);
        } else if (const auto* s = std::get_if<SubscribeAcked>(&event)) {
            const auto entry = requested_.take(s->packet_id, kind_of(PacketType::subscribe));
            MQTLS_FUZZ_CHECK(entry.id != 0 && entry.entries == s->return_codes.size());
            for (const std::uint8_t code : s->return_codes) {
                MQTLS_FUZZ_CHECK(v5() ? valid_v5_code(code, true)
                                      : code <= 2 || code == suback_failure);
            }
        } else if (const auto* u = std::get_if<UnsubscribeAcked>(&event)) {
            const auto entry = requested_.take(u->packet_id, kind_of(PacketType::unsubscribe));
            MQTLS_FUZZ_CHECK(entry.id != 0);
#if MQTLS_MQTT5
            if (v5()) MQTLS_FUZZ_CHECK(entry.entries == u->reason_codes.size());
            for (const std::uint8_t code : u->reason_codes) {
                MQTLS_FUZZ_CHECK(valid_v5_code(code, false));
            }
#endif
        } else if (const auto* r = std::get_if<RequestAbandoned>(&event)) {
            MQTLS_FUZZ_CHECK(requested_.take(r->packet_id, kind_of(r->kind)).id != 0);
        }
#if MQTLS_MQTT5
        on_mqtt5_event(event);
#endif
    }

    static bool valid_v5_code([[maybe_unused]] std::uint8_t code, [[maybe_unused]] bool suback) {
#if MQTLS_MQTT5
        return reason_code_allowed(code, suback ? ReasonPacket::suback : ReasonPacket::unsuback);
#else
        return false;
#endif
    }

#if MQTLS_MQTT5
    void on_mqtt5_event(const Event& event) {
        if (const auto* rejected = std::get_if<PublishRejected>(&event)) {
            // A refusal is the end of a message we published, as an acknowledgement would be.
            MQTLS_FUZZ_CHECK(v5() && is_failure(rejected->reason_code));
            MQTLS_FUZZ_CHECK(published_.take(rejected->packet_id, kind_of(rejected->qos)).id != 0);
        } else if (const auto* closed = std::get_if<BrokerClosed>(&event)) {
            MQTLS_FUZZ_CHECK(v5());
            MQTLS_FUZZ_CHECK(
                closed->packet == PacketType::disconnect ||
                (closed->packet == PacketType::connack && is_failure(closed->reason_code)));
        }
    }
#endif

    void on_message(const Publish& message) {
        // An alias alone is always resolved to a topic before it is delivered (3.3.2.3.4).
        MQTLS_FUZZ_CHECK(validate_topic_name(message.topic));
#if MQTLS_MQTT5
        const auto alias = find_property(message.properties, PropertyId::topic_alias);
        MQTLS_FUZZ_CHECK(!alias || (alias->number >= 1 && alias->number <= incoming_alias_slots));
#endif
        MQTLS_FUZZ_CHECK(message.qos == QoS::at_most_once || message.qos == QoS::at_least_once ||
                         message.qos == QoS::exactly_once);
        MQTLS_FUZZ_CHECK((message.qos == QoS::at_most_once) == (message.packet_id == 0));
        if (message.qos != QoS::exactly_once || !well_behaved_) return;
        // [MQTT-4.3.3-2] until PUBREL, a re-sent QoS 2 PUBLISH must not be delivered again.
        MQTLS_FUZZ_CHECK(!awaiting_release_.contains(message.packet_id));
        if (!awaiting_release_.add({message.packet_id, 0, 0})) well_behaved_ = false;
    }

    ProtocolVersion protocol_;
    Storage storage_;
    Session session_;
    Connect connect_;
    bool session_present_ = false;
    bool hold_output_ = false;
    bool alias_established_ = false;  // on this connection (check_topic_or_alias)
    bool polling_ = true;
    bool well_behaved_ = true;  // events always polled: the strictest checks apply
    bool stopped_ = false;
    bool reconnect_pending_ = false;
    int connections_ = 0;
    std::size_t observed_ = 0;  // leading bytes of pending_output() already checked
    Instant now_ = Instant::from_millis(1'000'000);
    bytes_view stream_;

    Ledger published_;         // QoS 1/2 messages awaiting PublishAcked
    Ledger requested_;         // SUBSCRIBE/UNSUBSCRIBE awaiting an answer or RequestAbandoned
    Ledger awaiting_release_;  // incoming QoS 2 identifiers delivered, PUBCOMP not yet sent
    std::bitset<65536> ever_qos1_;
    std::bitset<65536> ever_qos2_;
    std::bitset<65536> ever_requested_;
};

}  // namespace

// The libFuzzer entry point; its name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const bytes_view input{data, size};
    const std::size_t script_size = input[1] < size - 2 ? input[1] : size - 2;
    Harness harness(input[0]);
    harness.run(input.subspan(2, script_size), input.subspan(2 + script_size));
    return 0;
}
