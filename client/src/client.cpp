#include "mqtls/client/client.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>

#include "mqtls/mqtt/session.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"

namespace mqtls::client {
namespace {

using port::posix::monotonic_now;
using port::posix::TcpStream;

constexpr std::size_t kib = 1024;
constexpr std::size_t every_packet_id = 65'535;
// Beside the largest message, the store keeps room for a full window of telemetry-sized
// messages (up to this many bytes each), so a small --max-packet-size does not shrink the window.
constexpr std::size_t store_bytes_per_window_slot = 256;
// Room after the largest packet in tx for the acknowledgement the session always keeps free.
constexpr std::size_t tx_spare = 64;
constexpr std::size_t requests_max = 8;
constexpr std::size_t events_max = 16;

constexpr std::size_t io_chunk = 16 * kib;
// publish_queued() hands output to the socket each time this much more is pending: many TLS
// records per write, yet a burst of small messages never fills (and touches) the whole tx
// buffer. Only once per this many bytes: while the socket is full, each attempt is a wasted
// system call (44,353 failed sendto for 100,000 QoS 0 messages when it tried on every one).
constexpr std::size_t eager_send_bytes = 64 * kib;

ClientLimits clamped(ClientLimits limits) {
    limits.max_packet_size =
        std::clamp(limits.max_packet_size, min_packet_size_limit, mqtt_max_packet_size);
    limits.max_inflight = std::clamp<std::size_t>(limits.max_inflight, 1, every_packet_id);
    return limits;
}

// An array of `count` elements whose bytes are never written here: a large buffer costs memory
// only as far as the session uses it (std::make_unique would zero, and so touch, every page).
template <class T>
std::unique_ptr<T[]> uninitialised_array(std::size_t count) {
    return std::unique_ptr<T[]>(new T[count]);  // NOLINT(cppcoreguidelines-owning-memory)
}

// The memory of one mqtt::Session, sized by the limits and allocated once. The session reads
// only what it wrote, so none of it needs initialising.
struct SessionBuffers {
    explicit SessionBuffers(const ClientLimits& limits)
        : rx_size(limits.max_packet_size),
          tx_size(limits.max_packet_size + tx_spare),
          store_size(limits.max_packet_size + limits.max_inflight * store_bytes_per_window_slot),
          outgoing_size(limits.max_inflight),
          rx(uninitialised_array<std::uint8_t>(rx_size)),
          tx(uninitialised_array<std::uint8_t>(tx_size)),
          store(uninitialised_array<std::uint8_t>(store_size)),
          outgoing(uninitialised_array<mqtt::detail::OutgoingSlot>(outgoing_size)),
          // Incoming QoS 2: Mosquitto limits only messages awaiting PUBREC, so a subscriber that
          // reads a burst holds many identifiers awaiting PUBREL at once; one slot per possible
          // identifier means a compliant broker can never overflow the window.
          incoming_qos2(uninitialised_array<mqtt::PacketId>(every_packet_id)),
          requests(uninitialised_array<mqtt::detail::PendingRequest>(requests_max)),
          events(std::make_unique<mqtt::Event[]>(events_max)),
          // Zeroed: no identifier is in use yet.
          packet_id_bits(std::make_unique<std::uint8_t[]>(mqtt::packet_id_bits_size)) {}

    [[nodiscard]] mqtt::SessionMemory memory() const noexcept {
        return {mutable_bytes(rx.get(), rx_size),
                mutable_bytes(tx.get(), tx_size),
                mutable_bytes(store.get(), store_size),
                span<mqtt::detail::OutgoingSlot>(outgoing.get(), outgoing_size),
                span<mqtt::PacketId>(incoming_qos2.get(), every_packet_id),
                span<mqtt::detail::PendingRequest>(requests.get(), requests_max),
                span<mqtt::Event>(events.get(), events_max),
                mutable_bytes(packet_id_bits.get(), mqtt::packet_id_bits_size)};
    }

    std::size_t rx_size;
    std::size_t tx_size;
    std::size_t store_size;
    std::size_t outgoing_size;
    std::unique_ptr<std::uint8_t[]> rx;
    std::unique_ptr<std::uint8_t[]> tx;
    std::unique_ptr<std::uint8_t[]> store;
    std::unique_ptr<mqtt::detail::OutgoingSlot[]> outgoing;
    std::unique_ptr<mqtt::PacketId[]> incoming_qos2;
    std::unique_ptr<mqtt::detail::PendingRequest[]> requests;
    std::unique_ptr<mqtt::Event[]> events;
    std::unique_ptr<std::uint8_t[]> packet_id_bits;
};

mqtt::SessionConfig session_config(const ClientLimits& limits) {
    mqtt::SessionConfig config;
    config.limits.max_packet_size = limits.max_packet_size;
    return config;
}

std::int32_t size_detail(std::size_t size) {
    return static_cast<std::int32_t>(
        std::min<std::size_t>(size, std::numeric_limits<std::int32_t>::max()));
}

// The codec reports an oversized incoming packet by its remaining length; the caller compares
// whole packets with max_packet_size, so say the whole size (fixed header included).
Error incoming_error(Error error) {
    if (error.code != Errc::packet_too_large || error.detail <= 0) return error;
    const auto remaining = static_cast<std::uint32_t>(error.detail);
    return Error{Errc::packet_too_large,
                 size_detail(1 + mqtt::remaining_length_size(remaining) + remaining)};
}

std::int64_t system_wall_clock(void*) { return port::posix::wall_clock_seconds(); }

Duration to_duration(std::chrono::milliseconds ms) { return Duration::from_millis(ms.count()); }

// Overwritten through a volatile pointer, which the optimiser may not drop as a dead store.
void wipe(std::string& secret) noexcept {
    volatile char* bytes = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = '\0';
}

bytes_view view_of(std::string_view text) { return as_bytes(text.data(), text.size()); }

}  // namespace

struct Client::Impl {
    explicit Impl(const ClientLimits& requested)
        : limits(clamped(requested)),
          buffers(limits),
          session(session_config(limits), buffers.memory()) {}
    // The password and the private key must not outlive the client in freed memory.
    ~Impl() {
        if (options.password) wipe(*options.password);
        wipe(options.private_key_pem);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    ClientLimits limits;
    SessionBuffers buffers;
    mqtt::Session session;
    ClientOptions options;
    std::unique_ptr<tls::Config> tls_config;
    std::unique_ptr<tls::Engine> engine;
    TcpStream stream;
    bool is_connected = false;
    // Between start_connect() and finish_connect(): CONNACK not awaited yet, and (unless the
    // session's buffers filled up) output held for the one flight.
    bool connect_pending = false;
    bool hold_output = false;
    bool session_stored = false;  // this connection's TLS session went to the store
    bool session_offered = false;
    std::size_t pending_after_eager_send = 0;  // tx bytes left after the last flush()
    Instant connect_deadline;
    ResumptionCounters resumption;
    std::size_t last_engine_heap_peak = 0;

    std::deque<Message> inbox;
    std::set<mqtt::PacketId> acknowledged;  // PublishAcked / UnsubscribeAcked ids not yet claimed
    // Ids a blocking call (publish, unsubscribe) waits for. Acks of pipelined messages are not
    // recorded: nobody claims them, and a stale entry would match a later message once the
    // 16-bit identifiers wrap.
    std::set<mqtt::PacketId> awaited;
    std::size_t qos2_in_flight = 0;  // QoS 2 messages published and not yet PUBCOMPed
    std::map<mqtt::PacketId, std::vector<std::uint8_t>> subscribe_results;

    void close_transport() {
        stream.close();
        if (engine) last_engine_heap_peak = engine->heap_usage().peak;
        engine.reset();
        is_connected = false;
        connect_pending = false;
        hold_output = false;
        pending_after_eager_send = 0;
        session.on_transport_closed(monotonic_now());
        while (session.poll_event()) {
        }
    }

    Error fail(Error error) {
        close_transport();
        return error;
    }

    void handle_event(const mqtt::Event& event) {
        if (const auto* message = std::get_if<mqtt::MessageReceived>(&event)) {
            const mqtt::Publish& p = message->message;
            inbox.push_back(Message{
                std::string(p.topic),
                std::string(reinterpret_cast<const char*>(p.payload.data()), p.payload.size()),
                p.qos, p.retain, p.dup});
        } else if (const auto* acked = std::get_if<mqtt::PublishAcked>(&event)) {
            if (acked->qos == mqtt::QoS::exactly_once && qos2_in_flight > 0) --qos2_in_flight;
            if (awaited.count(acked->packet_id) != 0) acknowledged.insert(acked->packet_id);
        } else if (const auto* suback = std::get_if<mqtt::SubscribeAcked>(&event)) {
            subscribe_results[suback->packet_id] =
                std::vector<std::uint8_t>(suback->return_codes.begin(), suback->return_codes.end());
        } else if (const auto* unsuback = std::get_if<mqtt::UnsubscribeAcked>(&event)) {
            if (awaited.count(unsuback->packet_id) != 0) acknowledged.insert(unsuback->packet_id);
        } else if (std::holds_alternative<mqtt::Connected>(event)) {
            is_connected = true;
        }
    }

    void handle_events() {
        while (auto event = session.poll_event()) handle_event(*event);
    }

    // Moves session output through TLS to the socket as far as each stage accepts. Between
    // start_connect() and finish_connect() nothing moves, so the one flight stays whole.
    Result<void> flush() {
        if (hold_output) return ok();
        for (int round = 0; round < 10'000; ++round) {
            bool progressed = false;
            const bytes_view plaintext = session.pending_output();
            if (!plaintext.empty() && engine && engine->handshake_done()) {
                auto taken = engine->write_plaintext(plaintext);
                if (!taken) return fail(taken.error());
                session.consume_output(*taken);
                progressed = *taken > 0;
            }
            const bytes_view ciphertext = engine ? engine->pending_ciphertext() : bytes_view{};
            if (!ciphertext.empty()) {
                auto sent = stream.send_some(ciphertext);
                if (!sent) return fail(sent.error());
                engine->consume_ciphertext(*sent);
                progressed = progressed || *sent > 0;
            }
            if (!progressed) break;
        }
        pending_after_eager_send = session.pending_output().size();
        return ok();
    }

    // Sends our flight (which carries the ACK of the broker's last handshake flight; switching
    // to quick ACKs before it would send that ACK on its own), then has the broker's small
    // packets (CONNACK, PUBACK) acknowledged at once, so a broker with Nagle's algorithm on
    // (Mosquitto's default) never holds one back for our 40 ms delayed ACK.
    Result<void> flush_then_acknowledge_quickly() {
        MQTLS_TRY(flush());
        stream.set_quick_acknowledgements(true);
        return ok();
    }

    // Gives decrypted bytes to the session, handling its back-pressure.
    Result<void> deliver(bytes_view plaintext) {
        for (int guard = 0; !plaintext.empty() && guard < 100'000; ++guard) {
            auto used = session.receive(plaintext, monotonic_now());
            if (used) {
                plaintext = plaintext.subspan(*used);
                handle_events();
                continue;
            }
            if (used.error().code == Errc::output_full) {
                MQTLS_TRY(flush());
                MQTLS_TRY(wait_writable());
                continue;
            }
            if (used.error().code == Errc::event_queue_full) {
                handle_events();
                continue;
            }
            return fail(incoming_error(used.error()));
        }
        return ok();
    }

    Result<void> wait_writable() {
        auto ready = stream.wait(false, true, to_duration(options.operation_timeout));
        if (!ready) return fail(ready.error());
        return ok();
    }

    Result<void> drain_plaintext() {
        std::uint8_t buffer[io_chunk];
        for (int guard = 0; guard < 10'000; ++guard) {
            auto n = engine->read_plaintext(buffer);
            if (!n) return fail(n.error());
            if (*n == 0) return ok();
            MQTLS_TRY(deliver(bytes_view(buffer, *n)));
        }
        return ok();
    }

    // Reads what the socket has and runs it through TLS (and, once connected, MQTT).
    Result<void> read_socket() {
        std::uint8_t buffer[io_chunk];
        auto n = stream.receive_some(buffer);
        if (!n) return fail(n.error());
        bytes_view input(buffer, *n);
        for (int guard = 0; !input.empty() && guard < 10'000; ++guard) {
            const std::size_t fed = engine->feed_ciphertext(input);
            input = input.subspan(fed);
            if (engine->handshake_done()) {
                MQTLS_TRY(drain_plaintext());
            } else {
                auto done = engine->handshake();
                if (!done) {
                    (void)flush();  // let our alert out
                    return fail(done.error());
                }
            }
        }
        return ok();
    }

    // Services the connection until `done()` or `deadline`.
    template <class Done>
    Result<void> pump_until(Instant deadline, Done done) {
        for (int round = 0; round < 1'000'000; ++round) {
            if (!stream.is_open()) return Error{Errc::not_connected, 0};
            MQTLS_TRY(flush());
            if (done()) return ok();
            const Instant now = monotonic_now();
            if (now >= deadline) return Errc::io_timed_out;
            const Instant wake = earliest(deadline, session.next_deadline());
            const bool want_write = engine && !engine->pending_ciphertext().empty();
            const Duration wait_for = wake > now ? wake - now : Duration{};
            auto ready = stream.wait(true, want_write, wait_for);
            if (ready && ready->readable) {
                MQTLS_TRY(read_socket());
            } else if (!ready && ready.error().code != Errc::io_timed_out) {
                return fail(ready.error());
            }
            if (monotonic_now() >= session.next_deadline()) {
                auto timers = session.on_deadline(monotonic_now());
                if (!timers && timers.error().code != Errc::output_full) {
                    return fail(timers.error());
                }
            }
        }
        return Errc::io_timed_out;
    }

    // A store without a key would seal sessions under a key anyone knows, and let whoever can
    // write the store plant one: no resumption then (fail closed), and say why.
    bool resumption_usable() {
        if (options.session_store == nullptr) return false;
        if (options.session_key.bytes == tls::SessionKey{}.bytes) {
            resumption.last_problem = Error{Errc::invalid_argument, 0};
            return false;
        }
        return true;
    }

    // Offers the stored session, if there is a usable one; problems only cost a full handshake.
    void offer_stored_session() {
        session_offered = false;
        if (!resumption_usable()) return;
        std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
        auto loaded = options.session_store->load(sealed);
        if (!loaded) {
            resumption.last_problem = loaded.error();
            return;
        }
        if (*loaded == 0) return;
        auto offered =
            engine->offer_session(bytes_view(sealed.data(), *loaded), options.session_key);
        if (!offered) {
            ++resumption.unusable;
            resumption.last_problem = offered.error();
            return;
        }
        session_offered = true;
    }

    void count_handshake() {
        if (engine->info().resumed) {
            ++resumption.resumed;
        } else {
            ++resumption.full_handshakes;
            if (session_offered) ++resumption.declined;
        }
    }

    // Seals this connection's session into the store, once per connection, after the flight
    // that follows the handshake has left (storing must not delay it).
    void store_session() {
        if (session_stored || !engine || !engine->handshake_done() || !resumption_usable()) {
            return;
        }
        session_stored = true;
        std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
        auto size = engine->save_session(options.session_key, sealed);
        Result<void> saved =
            size ? options.session_store->save(bytes_view(sealed.data(), *size)) : size.error();
        if (saved) {
            ++resumption.saved;
        } else {
            resumption.last_problem = saved.error();
        }
    }

    // Reads what the socket has into the engine, during the handshake.
    Result<void> receive_handshake_bytes() {
        std::uint8_t buffer[io_chunk];
        auto n = stream.receive_some(buffer);
        if (!n) {
            // A server that wanted the certificate we lack may just hang up.
            return fail(engine->client_certificate_missing()
                            ? Error{Errc::client_certificate_required, 0}
                            : n.error());
        }
        if (engine->feed_ciphertext(bytes_view(buffer, *n)) < *n) {
            return fail(Error{Errc::handshake_failed, 0});
        }
        return ok();
    }

    // `hold_last_flight`: when the handshake completes, leave our last flight (the Finished of
    // an abbreviated handshake) unsent, for the caller to append CONNECT and PUBLISHes to.
    Result<void> handshake(Instant deadline, bool hold_last_flight) {
        auto started = engine->start(options.host);
        if (!started) return fail(started.error());
        offer_stored_session();
        for (int round = 0; round < 10'000; ++round) {
            auto done = engine->handshake();
            if (!done) {
                (void)flush();
                return fail(done.error());
            }
            if (*done) {
                count_handshake();
                if (!hold_last_flight) MQTLS_TRY(flush_then_acknowledge_quickly());
                return ok();
            }
            MQTLS_TRY(flush());
            const Instant now = monotonic_now();
            if (now >= deadline) return fail(Errc::io_timed_out);
            const bool want_write = !engine->pending_ciphertext().empty();
            auto ready = stream.wait(true, want_write, deadline - now);
            if (ready && ready->readable) {
                MQTLS_TRY(receive_handshake_bytes());
            } else if (!ready && ready.error().code != Errc::io_timed_out) {
                return fail(ready.error());
            }
        }
        return fail(Errc::io_timed_out);
    }

    Result<void> setup_tls() {
        tls::ConfigOptions tls_options;
        tls_options.role = tls::Role::client;
        tls_options.trusted_roots_pem = options.trusted_roots_pem;
        tls_options.certificate_pem = options.certificate_pem;
        tls_options.private_key_pem = options.private_key_pem;
        tls_options.pinned_spki = options.pinned_spki;
        tls_options.wall_clock = tls::WallClock{&system_wall_clock, nullptr};
        tls_options.entropy = tls::EntropySource{&port::posix::getrandom_entropy, nullptr};
        tls_options.session_tickets = options.session_tickets;
        tls_config = std::make_unique<tls::Config>();
        return tls_config->setup(tls_options);
    }

    Result<void> open_connection(const ClientOptions& new_options, bool hold_last_flight);

    mqtt::Connect connect_packet() const {
        mqtt::Connect connect;
        connect.client_id = options.client_id;
        connect.clean_session = options.clean_session;
        connect.keep_alive_s = options.keep_alive_s;
        if (options.username) connect.username = *options.username;
        if (options.password) connect.password = view_of(*options.password);
        if (options.will) {
            connect.will = mqtt::Will{options.will->topic, view_of(options.will->payload),
                                      options.will->qos, options.will->retain};
        }
        return connect;
    }
};

std::size_t publish_packet_size(std::string_view topic, std::size_t payload_size,
                                mqtt::QoS qos) noexcept {
    // Variable header: topic length (2) and topic, the packet identifier (2) at QoS 1/2.
    const std::size_t remaining =
        2 + topic.size() + (qos == mqtt::QoS::at_most_once ? 0 : 2) + payload_size;
    const std::size_t length_bytes =
        remaining <= mqtt::max_remaining_length
            ? mqtt::remaining_length_size(static_cast<std::uint32_t>(remaining))
            : 4;
    return 1 + length_bytes + remaining;
}

Client::Client() : Client(ClientLimits{}) {}
Client::Client(const ClientLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
Client::~Client() = default;

bool Client::connected() const noexcept { return impl_->is_connected && impl_->stream.is_open(); }

const ClientLimits& Client::limits() const noexcept { return impl_->limits; }

std::size_t Client::in_flight_count() const noexcept { return impl_->session.inflight_count(); }

tls::ConnectionInfo Client::tls_info() const noexcept {
    return impl_->engine ? impl_->engine->info() : tls::ConnectionInfo{};
}

const ResumptionCounters& Client::resumption() const noexcept { return impl_->resumption; }

std::size_t Client::tls_heap_peak() const noexcept {
    const Impl& impl = *impl_;
    const std::size_t engine_peak =
        impl.engine ? impl.engine->heap_usage().peak : impl.last_engine_heap_peak;
    const std::size_t config = impl.tls_config ? impl.tls_config->heap_usage().current : 0;
    return engine_peak + config;
}

Result<void> Client::Impl::open_connection(const ClientOptions& new_options,
                                           bool hold_last_flight) {
    if (stream.is_open()) close_transport();
    options = new_options;
    if (options.host.empty() || (options.client_id.empty() && !options.clean_session)) {
        return Error{Errc::invalid_argument, 0};
    }
    connect_deadline = monotonic_now() + to_duration(options.connect_timeout);
    session_stored = false;
    MQTLS_TRY(setup_tls());

    auto opened =
        TcpStream::connect(options.host, options.port, to_duration(options.connect_timeout));
    if (!opened) return opened.error();
    stream = std::move(*opened);
    engine = std::make_unique<tls::Engine>(*tls_config);
    MQTLS_TRY(handshake(connect_deadline, hold_last_flight));

    auto started = session.start_connect(connect_packet(), monotonic_now());
    if (!started) return fail(started.error());
    connect_pending = true;
    hold_output = hold_last_flight;
    return ok();
}

Result<void> Client::start_connect(const ClientOptions& options) {
    return impl_->open_connection(options, /*hold_last_flight=*/true);
}

Result<void> Client::finish_connect() {
    Impl& impl = *impl_;
    if (!impl.connect_pending) return Errc::not_connected;
    impl.connect_pending = false;
    impl.hold_output = false;
    MQTLS_TRY(impl.flush_then_acknowledge_quickly());
    impl.store_session();
    auto waited = impl.pump_until(impl.connect_deadline, [&] { return impl.is_connected; });
    if (!waited) {
        if (waited.error().code == Errc::io_timed_out) return impl.fail(Errc::connect_timeout);
        return waited.error();
    }
    return ok();
}

Result<void> Client::connect(const ClientOptions& options) {
    MQTLS_TRY(impl_->open_connection(options, /*hold_last_flight=*/false));
    return finish_connect();
}

Result<mqtt::PacketId> Client::publish(std::string_view topic, std::string_view payload,
                                       mqtt::QoS qos, bool retain) {
    Impl& impl = *impl_;
    // Its wait could never end: the one flight leaves only at finish_connect().
    if (impl.connect_pending) return Errc::not_connected;
    auto id = publish_queued(topic, payload, qos, retain);
    if (!id) return id.error();
    const Instant deadline = monotonic_now() + to_duration(impl.options.operation_timeout);
    if (qos == mqtt::QoS::at_most_once) {
        MQTLS_TRY(impl.pump_until(deadline, [&] {
            return impl.session.pending_output().empty() &&
                   impl.engine->pending_ciphertext().empty();
        }));
        return *id;
    }
    // publish_queued() services the connection only before the session accepts the message,
    // so its acknowledgement cannot have arrived yet: registering the wait now is in time.
    impl.awaited.insert(*id);
    auto waited = impl.pump_until(deadline, [&] { return impl.acknowledged.count(*id) != 0; });
    impl.awaited.erase(*id);
    impl.acknowledged.erase(*id);
    if (!waited) return waited.error();
    return *id;
}

Result<mqtt::PacketId> Client::publish_queued(std::string_view topic, std::string_view payload,
                                              mqtt::QoS qos, bool retain) {
    Impl& impl = *impl_;
    if (!connected() && !(impl.connect_pending && impl.stream.is_open())) {
        return Errc::not_connected;
    }
    const std::size_t packet_size = publish_packet_size(topic, payload.size(), qos);
    if (packet_size > impl.limits.max_packet_size) {
        return Error{Errc::message_too_large, size_detail(packet_size)};
    }
    mqtt::Publish message;
    message.topic = topic;
    message.payload = view_of(payload);
    message.qos = qos;
    message.retain = retain;
    const Instant deadline = monotonic_now() + to_duration(impl.options.operation_timeout);
    if (qos == mqtt::QoS::exactly_once && impl.qos2_in_flight >= impl.options.max_inflight_qos2) {
        impl.hold_output = false;
        MQTLS_TRY(impl.pump_until(deadline, [&] {
            return impl.qos2_in_flight < std::max<std::size_t>(impl.options.max_inflight_qos2, 1);
        }));
    }
    Result<mqtt::PacketId> id = impl.session.publish(message, monotonic_now());
    if (id && qos == mqtt::QoS::exactly_once) ++impl.qos2_in_flight;
    if (id) {
        if (impl.session.pending_output().size() >=
            impl.pending_after_eager_send + eager_send_bytes) {
            MQTLS_TRY(impl.flush());
        }
        return id;
    }
    // Full window or buffers: service the connection until something drained, then try again.
    // A full window waits for a quarter of its messages to be acknowledged, not just one: the
    // broker answers each PUBLISH with its own PUBACK, and refilling one slot per wake-up means
    // a few messages per write and per broker read (about 50 with a window of 1024, measured).
    // A held one flight leaves early: it is as full as it can get.
    impl.hold_output = false;
    for (int round = 0; !id && round < 100'000; ++round) {
        const Errc code = id.error().code;
        if (code != Errc::inflight_full && code != Errc::output_full) return id.error();
        const std::size_t inflight = impl.session.inflight_count();
        const std::size_t pending = impl.session.pending_output().size();
        const bool window_full = code == Errc::inflight_full && inflight > 0;
        const std::size_t refill = std::max<std::size_t>(1, inflight / 4);
        MQTLS_TRY(impl.pump_until(deadline, [&] {
            if (window_full) return impl.session.inflight_count() + refill <= inflight;
            return impl.session.pending_output().size() < pending;
        }));
        id = impl.session.publish(message, monotonic_now());
    }
    if (id && qos == mqtt::QoS::exactly_once) ++impl.qos2_in_flight;
    return id;
}

Result<void> Client::restore_publish(std::string_view topic, std::string_view payload,
                                     mqtt::QoS qos, bool retain, mqtt::PacketId packet_id) {
    Impl& impl = *impl_;
    if (connected()) return Errc::already_connected;
    const std::size_t packet_size = publish_packet_size(topic, payload.size(), qos);
    if (packet_size > impl.limits.max_packet_size) {
        return Error{Errc::message_too_large, size_detail(packet_size)};
    }
    mqtt::Publish message;
    message.topic = topic;
    message.payload = as_bytes(payload.data(), payload.size());
    message.qos = qos;
    message.retain = retain;
    return impl.session.restore_outgoing(message, packet_id);
}

bool Client::in_flight(mqtt::PacketId packet_id) const noexcept {
    return packet_id != 0 && impl_->session.packet_id_in_use(packet_id);
}

Result<void> Client::await_acknowledgement(mqtt::PacketId packet_id,
                                           std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    if (!in_flight(packet_id)) return ok();  // acknowledged already
    impl.awaited.insert(packet_id);
    auto waited = impl.pump_until(monotonic_now() + to_duration(timeout), [&] {
        return impl.acknowledged.count(packet_id) != 0 || !in_flight(packet_id);
    });
    impl.awaited.erase(packet_id);
    impl.acknowledged.erase(packet_id);
    return waited;
}

Result<void> Client::flush(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    return impl.pump_until(monotonic_now() + to_duration(timeout), [&] {
        return impl.session.inflight_count() == 0 && impl.session.pending_output().empty() &&
               impl.engine->pending_ciphertext().empty();
    });
}

Result<std::vector<std::uint8_t>> Client::subscribe(
    const std::vector<mqtt::Subscription>& filters) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    const Instant deadline = monotonic_now() + to_duration(impl.options.operation_timeout);
    auto id = impl.session.subscribe(span<const mqtt::Subscription>(filters.data(), filters.size()),
                                     monotonic_now());
    if (!id) return id.error();
    MQTLS_TRY(impl.pump_until(deadline, [&] { return impl.subscribe_results.count(*id) != 0; }));
    std::vector<std::uint8_t> codes = std::move(impl.subscribe_results[*id]);
    impl.subscribe_results.erase(*id);
    return codes;
}

Result<void> Client::unsubscribe(const std::vector<std::string_view>& filters) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    const Instant deadline = monotonic_now() + to_duration(impl.options.operation_timeout);
    auto id = impl.session.unsubscribe(span<const std::string_view>(filters.data(), filters.size()),
                                       monotonic_now());
    if (!id) return id.error();
    impl.awaited.insert(*id);
    auto waited = impl.pump_until(deadline, [&] { return impl.acknowledged.count(*id) != 0; });
    impl.awaited.erase(*id);
    impl.acknowledged.erase(*id);
    return waited;
}

Result<std::optional<Message>> Client::receive(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (impl.inbox.empty()) {
        if (!connected()) return Errc::not_connected;
        auto waited = impl.pump_until(monotonic_now() + to_duration(timeout),
                                      [&] { return !impl.inbox.empty(); });
        if (!waited && waited.error().code != Errc::io_timed_out) return waited.error();
    }
    if (impl.inbox.empty()) return std::optional<Message>{};
    Message message = std::move(impl.inbox.front());
    impl.inbox.pop_front();
    return std::optional<Message>(std::move(message));
}

Result<void> Client::loop(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    auto waited = impl.pump_until(monotonic_now() + to_duration(timeout), [] { return false; });
    if (!waited && waited.error().code != Errc::io_timed_out) return waited.error();
    return ok();
}

Result<void> Client::disconnect() {
    Impl& impl = *impl_;
    if (!impl.stream.is_open()) return Errc::not_connected;
    const Instant deadline = monotonic_now() + to_duration(impl.options.operation_timeout);
    // A one flight may end here, before CONNACK (QoS 0): CONNECT, PUBLISHes and DISCONNECT go
    // together.
    impl.connect_pending = false;
    impl.hold_output = false;
    // DISCONNECT, close_notify and the FIN leave together when the socket closes.
    impl.stream.hold_until_close();
    Result<void> sent = ok();
    if (impl.session.disconnect(monotonic_now())) {
        sent = impl.pump_until(deadline, [&] { return impl.session.pending_output().empty(); });
    }
    impl.store_session();
    if (impl.engine && impl.stream.is_open() && impl.engine->close_notify()) {
        (void)impl.flush();
    }
    impl.close_transport();
    return sent;
}

void Client::drop_connection() { impl_->close_transport(); }

bool all_granted(const std::vector<std::uint8_t>& codes) noexcept {
    return std::none_of(codes.begin(), codes.end(),
                        [](std::uint8_t code) { return code == mqtt::suback_failure; });
}

}  // namespace mqtls::client
