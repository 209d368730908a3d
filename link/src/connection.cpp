#include "mqtls/link/connection.hpp"

#include <algorithm>
#include <limits>
#include <variant>

#include "mqtls/mqtt/codec.hpp"

namespace mqtls::link {
namespace {

// publish() hands output to the stream each time this much more is pending: many TLS records
// per write, yet a burst of small messages never fills (and touches) the whole tx buffer. Only
// once per this many bytes: while the socket is full, each attempt is a wasted system call
// (44,353 failed sendto for 100,000 QoS 0 messages when it tried on every one).
constexpr std::size_t eager_send_bytes = std::size_t{64} * 1024;
// How long disconnect() waits for a TLS 1.3 NewSessionTicket that has not come yet.
constexpr Duration ticket_wait = Duration::from_millis(500);

// Bounds on the pump's loops: each round moves bytes or ends the loop, so these are never
// reached by a working peer; they turn a bug into an error instead of a hang.
constexpr int flush_rounds = 10'000;
constexpr int deliver_rounds = 100'000;
constexpr int input_rounds = 10'000;
constexpr int handshake_rounds = 10'000;
constexpr int pump_rounds = 1'000'000;
constexpr int event_rounds = 1'024;

std::int32_t size_detail(std::size_t size) noexcept {
    return static_cast<std::int32_t>(
        size < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())
            ? size
            : static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()));
}

// The codec reports an oversized incoming packet by its remaining length; callers compare
// whole packets with their max_packet_size, so say the whole size (fixed header included).
Error incoming_error(Error error) noexcept {
    if (error.code != Errc::packet_too_large || error.detail <= 0) return error;
    const auto remaining = static_cast<std::uint32_t>(error.detail);
    return Error{Errc::packet_too_large,
                 size_detail(1 + mqtt::remaining_length_size(remaining) + remaining)};
}

bool key_unset(const tls::SessionKey& key) noexcept { return key.bytes == tls::SessionKey{}.bytes; }

bool never(void* /*context*/) { return false; }

}  // namespace

std::size_t session_memory_bytes(const mqtt::SessionMemory& memory) noexcept {
    return memory.rx.size() + memory.tx.size() + memory.store.size() +
           memory.outgoing.size() * sizeof(mqtt::detail::OutgoingSlot) +
           memory.incoming_qos2.size() * sizeof(mqtt::PacketId) +
           memory.requests.size() * sizeof(mqtt::detail::PendingRequest) +
           memory.events.size() * sizeof(mqtt::Event) + memory.packet_id_bits.size() +
           memory.incoming_topic_aliases.size() * sizeof(mqtt::TopicAliasSlot);
}

Connection::Connection(SecureChannel& channel, ByteStream& stream, MonotonicClock clock,
                       const ConnectionSettings& settings, ConnectionMemory memory) noexcept
    : channel_(channel),
      stream_(stream),
      clock_(clock),
      settings_(settings),
      memory_(memory),
      session_(settings.session, memory.session) {}

Connection::~Connection() {
    if (stream_.is_open() || channel_active_) close_transport();
}

void Connection::reconfigure(const ConnectionSettings& settings) noexcept {
    const mqtt::SessionConfig kept = settings_.session;
    settings_ = settings;
    settings_.session = kept;
}

void Connection::set_event_handler(EventHandler handler) noexcept { handler_ = handler; }

Result<void> Connection::set_protocol(mqtt::ProtocolVersion protocol) noexcept {
    MQTLS_TRY(session_.set_protocol(protocol));
    settings_.session.protocol = protocol;
    return ok();
}

// The scratch buffer's halves: stream reads in the first, decrypted bytes in the second, so a
// read can still be fed to the channel while its plaintext goes to the session.
mutable_bytes Connection::input_buffer() const noexcept {
    return memory_.scratch.first(memory_.scratch.size() / 2);
}

mutable_bytes Connection::plaintext_buffer() const noexcept {
    return memory_.scratch.subspan(memory_.scratch.size() / 2);
}

void Connection::close_transport() noexcept {
    stream_.close();
    if (channel_active_) {
        last_channel_peak_ = channel_.memory_peak();
        channel_.end();
        channel_active_ = false;
    }
    is_connected_ = false;
    connect_pending_ = false;
    hold_output_ = false;
    pending_after_eager_send_ = 0;
    input_begin_ = input_end_ = 0;
    plaintext_begin_ = plaintext_end_ = 0;
    held_event_.reset();
    session_.on_transport_closed(now());
    // What the session says about the closed connection (abandoned requests) has no reader:
    // MQTT 3.1.1 does not resend them, and the caller learns of the close from the error.
    for (int guard = 0; guard < event_rounds && session_.poll_event(); ++guard) {
    }
}

Error Connection::fail(Error error) noexcept {
    close_transport();
    return error;
}

// One round of flush(): session plaintext into the channel, channel ciphertext into the stream.
// Returns whether anything moved.
Result<bool> Connection::flush_step() noexcept {
    bool progressed = false;
    const bytes_view plaintext = session_.pending_output();
    if (!plaintext.empty() && channel_.handshake_done()) {
        auto taken = channel_.write_plaintext(plaintext);
        if (!taken) return fail(taken.error());
        session_.consume_output(*taken);
        progressed = *taken > 0;
    }
    const bytes_view ciphertext = channel_.pending_ciphertext();
    if (!ciphertext.empty()) {
        auto sent = stream_.send_some(ciphertext);
        if (!sent) return fail(sent.error());
        channel_.consume_ciphertext(*sent);
        progressed = progressed || *sent > 0;
    }
    return progressed;
}

// Between start() and finish_connect() nothing moves, so the one flight stays whole.
Result<void> Connection::flush() noexcept {
    if (hold_output_ || !channel_active_) return ok();
    for (int round = 0; round < flush_rounds; ++round) {
        auto progressed = flush_step();
        if (!progressed) return progressed.error();
        if (!*progressed) break;
    }
    pending_after_eager_send_ = session_.pending_output().size();
    return ok();
}

// Sends our flight (which carries the ACK of the broker's last handshake flight; switching to
// quick ACKs before it would send that ACK on its own), then has the broker's small packets
// (CONNACK, PUBACK) acknowledged at once, so a broker with Nagle's algorithm on (Mosquitto's
// default) never holds one back for our 40 ms delayed ACK.
Result<void> Connection::flush_then_acknowledge_quickly() noexcept {
    MQTLS_TRY(flush());
    stream_.set_quick_acknowledgements(true);
    return ok();
}

// Hands the session's events to the handler, or holds one for poll_event().
void Connection::take_events() noexcept {
    for (int guard = 0; guard < event_rounds && !held_event_; ++guard) {
        std::optional<mqtt::Event> event = session_.poll_event();
        if (!event) return;
        if (std::holds_alternative<mqtt::Connected>(*event)) is_connected_ = true;
        if (handler_.on_event != nullptr) {
            handler_.on_event(handler_.context, *event);
        } else {
            held_event_ = *event;
        }
    }
}

std::optional<mqtt::Event> Connection::poll_event() noexcept {
    if (!held_event_) take_events();
    std::optional<mqtt::Event> event = held_event_;
    held_event_.reset();
    return event;
}

Result<void> Connection::wait_writable() noexcept {
    auto ready = stream_.wait(false, true, settings_.operation_timeout);
    if (!ready) return fail(ready.error());
    return ok();
}

// What to do when the session refused input: make room for its output or its events, or give
// up on the connection.
Result<void> Connection::on_receive_refused(Error error) noexcept {
    if (error.code == Errc::output_full) {
        MQTLS_TRY(flush());
        return wait_writable();
    }
    if (error.code == Errc::event_queue_full) {
        take_events();
        return ok();
    }
    return fail(incoming_error(error));
}

// Gives the decrypted bytes kept in scratch to the session, handling its back-pressure; stops
// while an event waits for poll_event() (its views point into the session's rx buffer, which
// the next receive() reuses).
Result<void> Connection::deliver_pending() noexcept {
    const mutable_bytes buffer = plaintext_buffer();
    for (int guard = 0; plaintext_begin_ < plaintext_end_ && !held_event_ && guard < deliver_rounds;
         ++guard) {
        const bytes_view rest(buffer.data() + plaintext_begin_, plaintext_end_ - plaintext_begin_);
        auto used = session_.receive(rest, now());
        if (used) {
            plaintext_begin_ += *used;
            take_events();
            continue;
        }
        MQTLS_TRY(on_receive_refused(used.error()));
    }
    if (plaintext_begin_ == plaintext_end_) plaintext_begin_ = plaintext_end_ = 0;
    return ok();
}

Result<void> Connection::drain_plaintext() noexcept {
    for (int guard = 0; guard < input_rounds; ++guard) {
        MQTLS_TRY(deliver_pending());
        if (held_event_ || plaintext_end_ != 0 || !channel_active_) return ok();
        auto n = channel_.read_plaintext(plaintext_buffer());
        if (!n) return fail(n.error());
        store_session();  // a TLS 1.3 ticket may just have arrived
        if (*n == 0) return ok();
        plaintext_begin_ = 0;
        plaintext_end_ = *n;
    }
    return ok();
}

// After the channel took ciphertext: decrypted bytes to the session, or the handshake advanced.
Result<void> Connection::process_channel_input() noexcept {
    if (channel_.handshake_done()) return drain_plaintext();
    auto done = channel_.handshake();
    if (!done) {
        (void)flush();  // let our alert out
        return fail(done.error());
    }
    return ok();
}

// Runs the stream bytes kept in scratch through the channel (and, once connected, MQTT).
Result<void> Connection::feed_input() noexcept {
    const mutable_bytes buffer = input_buffer();
    for (int guard = 0; input_begin_ < input_end_ && guard < input_rounds; ++guard) {
        if (held_event_) return ok();
        const bytes_view rest(buffer.data() + input_begin_, input_end_ - input_begin_);
        input_begin_ += channel_.feed_ciphertext(rest);
        MQTLS_TRY(process_channel_input());
        if (!channel_active_) return ok();
    }
    if (input_begin_ < input_end_ && !held_event_) {
        // The channel takes nothing more and has nothing to give: it is stuck, not slow.
        return fail(Error{Errc::tls_record_error, 0});
    }
    if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
    return ok();
}

bool Connection::has_pending_input() const noexcept {
    return plaintext_begin_ < plaintext_end_ || input_begin_ < input_end_;
}

Result<void> Connection::resume_input() noexcept {
    MQTLS_TRY(drain_plaintext());
    if (!channel_active_) return ok();
    return feed_input();
}

// Reads what the stream has and runs it through the channel.
Result<void> Connection::read_stream() noexcept {
    auto n = stream_.receive_some(input_buffer());
    if (!n) return fail(n.error());
    input_begin_ = 0;
    input_end_ = *n;
    return feed_input();
}

Result<void> Connection::run_timers() noexcept {
    const Instant t = now();
    if (t < session_.next_deadline()) return ok();
    auto timers = session_.on_deadline(t);
    if (!timers && timers.error().code != Errc::output_full) return fail(timers.error());
    return ok();
}

// One wait on the stream, until `deadline` or the session's next timer, then what it brought.
Result<void> Connection::wait_for_input(Instant deadline) noexcept {
    const Instant t = now();
    const Instant wake = earliest(deadline, session_.next_deadline());
    const bool want_write = !channel_.pending_ciphertext().empty();
    const Duration wait_for = wake > t ? wake - t : Duration{};
    auto ready = stream_.wait(true, want_write, wait_for);
    if (ready && ready->readable) return read_stream();
    if (!ready && ready.error().code != Errc::io_timed_out) return fail(ready.error());
    return ok();
}

// Input kept from before (an event was waiting) first, else a wait; then the timers.
Result<void> Connection::wait_and_read(Instant deadline) noexcept {
    if (has_pending_input()) {
        MQTLS_TRY(resume_input());
    } else {
        MQTLS_TRY(wait_for_input(deadline));
    }
    if (!stream_.is_open()) return ok();
    return run_timers();
}

// One round of pump_until(): true once `done` holds (or an event waits for poll_event()).
Result<bool> Connection::pump_step(Instant deadline, Condition done) noexcept {
    if (!stream_.is_open()) return Error{Errc::not_connected, 0};
    MQTLS_TRY(flush());
    if (done.holds(done.context) || held_event_) return true;
    if (now() >= deadline) return Error{Errc::io_timed_out, 0};
    MQTLS_TRY(wait_and_read(deadline));
    return false;
}

Result<void> Connection::pump_until(Instant deadline, Condition done) noexcept {
    // Waiting for anything means the held one flight is as full as it gets.
    hold_output_ = false;
    for (int round = 0; round < pump_rounds; ++round) {
        auto finished = pump_step(deadline, done);
        if (!finished) return finished.error();
        if (*finished) return ok();
    }
    return Errc::io_timed_out;
}

Result<void> Connection::service(Instant until) noexcept {
    auto serviced = pump_until(until, Condition{&never, nullptr});
    if (!serviced && serviced.error().code == Errc::io_timed_out) return ok();
    return serviced;
}

// A store without a key would seal sessions under a key anyone knows, and let whoever can write
// the store plant one: no resumption then (fail closed), and say why.
bool Connection::resumption_usable() noexcept {
    if (settings_.session_store == nullptr) return false;
    if (key_unset(settings_.session_key) || memory_.sealed_session.empty()) {
        resumption_.last_problem = Error{Errc::invalid_argument, 0};
        return false;
    }
    return true;
}

// Offers the stored session, if there is a usable one; problems only cost a full handshake.
void Connection::offer_stored_session() noexcept {
    session_offered_ = false;
    if (!resumption_usable()) return;
    auto loaded = settings_.session_store->load(memory_.sealed_session);
    if (!loaded) {
        resumption_.last_problem = loaded.error();
        return;
    }
    if (*loaded == 0) return;
    auto offered =
        channel_.offer_session(memory_.sealed_session.first(*loaded), settings_.session_key);
    if (!offered) {
        ++resumption_.unusable;
        resumption_.last_problem = offered.error();
        return;
    }
    session_offered_ = true;
}

void Connection::count_handshake() noexcept {
    if (channel_.info().resumed) {
        ++resumption_.resumed;
    } else {
        ++resumption_.full_handshakes;
        if (session_offered_) ++resumption_.declined;
    }
}

// Seals this connection's session into the store, once per connection, after the flight that
// follows the handshake has left (storing must not delay it), and only once the channel has a
// session to give: under TLS 1.3 that is after the broker's NewSessionTicket, which
// drain_plaintext() notices.
void Connection::store_session() noexcept {
    if (session_stored_ || !channel_active_ || !channel_.handshake_done() ||
        !channel_.session_ready() || hold_output_ || !resumption_usable()) {
        return;
    }
    session_stored_ = true;
    auto size = channel_.save_session(settings_.session_key, memory_.sealed_session);
    Result<void> saved = size ? settings_.session_store->save(memory_.sealed_session.first(*size))
                              : Result<void>(size.error());
    if (saved) {
        ++resumption_.saved;
        resumption_.largest_saved_bytes = std::max(resumption_.largest_saved_bytes, *size);
    } else {
        resumption_.last_problem = saved.error();
    }
}

// Feeds the stream bytes kept in scratch to the channel during the handshake; returns whether
// it took any.
std::size_t Connection::feed_handshake_input() noexcept {
    const mutable_bytes buffer = input_buffer();
    if (input_begin_ >= input_end_) return 0;
    const bytes_view rest(buffer.data() + input_begin_, input_end_ - input_begin_);
    const std::size_t fed = channel_.feed_ciphertext(rest);
    input_begin_ += fed;
    if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
    return fed;
}

// Reads what the stream has into scratch, during the handshake.
Result<void> Connection::receive_handshake_bytes() noexcept {
    auto n = stream_.receive_some(input_buffer());
    if (!n) {
        // A server that wanted the certificate we lack may just hang up.
        return fail(channel_.client_certificate_missing()
                        ? Error{Errc::client_certificate_required, 0}
                        : n.error());
    }
    input_begin_ = 0;
    input_end_ = *n;
    return ok();
}

Result<void> Connection::await_handshake_bytes(Instant deadline) noexcept {
    const Instant t = now();
    if (t >= deadline) return fail(Errc::io_timed_out);
    const bool want_write = !channel_.pending_ciphertext().empty();
    auto ready = stream_.wait(true, want_write, deadline - t);
    if (ready && ready->readable) return receive_handshake_bytes();
    if (!ready && ready.error().code != Errc::io_timed_out) return fail(ready.error());
    return ok();
}

Result<bool> Connection::on_handshake_complete(bool hold_last_flight) noexcept {
    count_handshake();
    if (!hold_last_flight) MQTLS_TRY(flush_then_acknowledge_quickly());
    return true;
}

// One round of the handshake: feed what was read, advance, send; then wait for more unless
// input is left over. True once the handshake is complete.
Result<bool> Connection::handshake_step(Instant deadline, bool hold_last_flight) noexcept {
    const std::size_t fed = feed_handshake_input();
    auto done = channel_.handshake();
    if (!done) {
        (void)flush();  // let our alert out
        return fail(done.error());
    }
    if (*done) return on_handshake_complete(hold_last_flight);
    MQTLS_TRY(flush());
    if (input_begin_ < input_end_) {
        // The channel's input is full and the handshake took nothing from it: stuck.
        if (fed == 0) return fail(Error{Errc::handshake_failed, 0});
        return false;
    }
    MQTLS_TRY(await_handshake_bytes(deadline));
    return false;
}

// `hold_last_flight`: when the handshake completes, leave our last flight (the Finished of an
// abbreviated handshake) unsent, for the caller to append CONNECT and PUBLISHes to.
Result<void> Connection::handshake(Instant deadline, bool hold_last_flight) noexcept {
    channel_active_ = true;  // end() is due even when start() fails half-way
    auto started =
        channel_.start(settings_.verify_name.empty() ? settings_.host : settings_.verify_name);
    if (!started) return fail(started.error());
    offer_stored_session();
    for (int round = 0; round < handshake_rounds; ++round) {
        auto done = handshake_step(deadline, hold_last_flight);
        if (!done) return done.error();
        if (*done) return ok();
    }
    return fail(Errc::io_timed_out);
}

Result<void> Connection::start(const mqtt::Connect& connect, Instant deadline,
                               bool hold_last_flight) noexcept {
    if (stream_.is_open() || channel_active_) close_transport();
    if (settings_.host.empty()) return Error{Errc::invalid_argument, 0};
    session_stored_ = false;
    const Instant t = now();
    if (t >= deadline) return Error{Errc::connect_timed_out, 0};
    MQTLS_TRY(stream_.open(settings_.host, settings_.port, deadline - t));
    MQTLS_TRY(handshake(deadline, hold_last_flight));
    auto started = session_.start_connect(connect, now());
    if (!started) return fail(started.error());
    connect_pending_ = true;
    hold_output_ = hold_last_flight;
    return ok();
}

Result<void> Connection::finish_connect(Instant deadline) noexcept {
    if (!connect_pending_) return Errc::not_connected;
    connect_pending_ = false;
    hold_output_ = false;
    MQTLS_TRY(flush_then_acknowledge_quickly());
    store_session();
    auto connected = [this] { return is_connected_; };
    auto waited = pump_until_true(deadline, connected);
    if (!waited) {
        if (waited.error().code == Errc::io_timed_out) return fail(Errc::connect_timeout);
        return waited.error();
    }
    if (!is_connected_) return fail(Error{Errc::protocol_violation, 0});
    return ok();
}

Result<mqtt::PacketId> Connection::publish(const mqtt::Publish& message) noexcept {
    if (!stream_.is_open()) return Error{Errc::not_connected, 0};
    Result<mqtt::PacketId> id = session_.publish(message, now());
    if (!id) return id;
    const std::size_t tx_quarter = memory_.session.tx.size() / 4;
    const std::size_t eager = tx_quarter < eager_send_bytes ? tx_quarter : eager_send_bytes;
    if (session_.pending_output().size() >= pending_after_eager_send_ + eager) {
        MQTLS_TRY(flush());
    }
    return id;
}

Result<void> Connection::restore(const mqtt::Publish& message, mqtt::PacketId packet_id) noexcept {
    if (connected()) return Error{Errc::already_connected, 0};
    return session_.restore_outgoing(message, packet_id);
}

#if MQTLS_MQTT5
Result<mqtt::PacketId> Connection::subscribe(span<const mqtt::Subscription> filters,
                                             const mqtt::PropertyList& properties) noexcept {
    if (!connected()) return Error{Errc::not_connected, 0};
    return session_.subscribe(filters, now(), properties);
}

Result<mqtt::PacketId> Connection::unsubscribe(span<const std::string_view> filters,
                                               const mqtt::PropertyList& properties) noexcept {
    if (!connected()) return Error{Errc::not_connected, 0};
    return session_.unsubscribe(filters, now(), properties);
}
#else
Result<mqtt::PacketId> Connection::subscribe(span<const mqtt::Subscription> filters) noexcept {
    if (!connected()) return Error{Errc::not_connected, 0};
    return session_.subscribe(filters, now());
}

Result<mqtt::PacketId> Connection::unsubscribe(span<const std::string_view> filters) noexcept {
    if (!connected()) return Error{Errc::not_connected, 0};
    return session_.unsubscribe(filters, now());
}
#endif

#if MQTLS_MQTT5
Result<void> Connection::disconnect(Instant deadline,
                                    const mqtt::PropertyList& properties) noexcept {
#else
Result<void> Connection::disconnect(Instant deadline) noexcept {
#endif
    if (!stream_.is_open()) return Errc::not_connected;
    // A one flight may end here, before CONNACK (QoS 0): CONNECT, PUBLISHes and DISCONNECT go
    // together.
    connect_pending_ = false;
    hold_output_ = false;
    await_session_ticket(deadline);  // before DISCONNECT: the broker hangs up after it
    // DISCONNECT, close_notify and the end of stream leave together when the stream closes.
    stream_.hold_until_close();
    Result<void> sent = ok();
#if MQTLS_MQTT5
    const Result<void> queued = session_.disconnect(now(), properties);
#else
    const Result<void> queued = session_.disconnect(now());
#endif
    if (queued) {
        auto drained = [this] { return session_.pending_output().empty(); };
        sent = pump_until_true(deadline, drained);
    } else if (queued.error().code != Errc::not_connected) {
        sent = queued.error();  // not a state to leave quietly: what the caller asked was refused
    }
    store_session();
    if (channel_active_ && stream_.is_open() && channel_.close_notify()) (void)flush();
    close_transport();
    return sent;
}

// A TLS 1.3 broker sends its NewSessionTicket right after our Finished, so it has normally
// arrived with CONNACK; if not, a device that is about to sleep waits a little for it rather than
// pay a full handshake at the next wake. Bounded by ticket_wait and the caller's deadline.
void Connection::await_session_ticket(Instant deadline) noexcept {
    if (session_stored_ || !channel_active_ || !stream_.is_open() || !channel_.handshake_done() ||
        channel_.session_ready() || settings_.session_store == nullptr) {
        return;
    }
    const Instant t = now();
    const Instant until = t + ticket_wait < deadline ? t + ticket_wait : deadline;
    auto ticketed = [this] { return channel_.session_ready(); };
    (void)pump_until_true(until, ticketed);
}

void Connection::drop() noexcept { close_transport(); }

bool Connection::connected() const noexcept { return is_connected_ && stream_.is_open(); }

bool Connection::open() const noexcept { return stream_.is_open(); }

bool Connection::in_flight(mqtt::PacketId packet_id) const noexcept {
    return packet_id != 0 && session_.packet_id_in_use(packet_id);
}

std::size_t Connection::in_flight_count() const noexcept { return session_.inflight_count(); }

std::size_t Connection::pending_output_size() const noexcept {
    const std::size_t ciphertext = channel_active_ ? channel_.pending_ciphertext().size() : 0;
    return session_.pending_output().size() + ciphertext;
}

ChannelInfo Connection::channel_info() const noexcept {
    return channel_active_ ? channel_.info() : ChannelInfo{};
}

ConnectionMemoryUsage Connection::memory_usage() const noexcept {
    ConnectionMemoryUsage usage;
    usage.session_bytes = session_memory_bytes(memory_.session);
    usage.scratch_bytes = memory_.scratch.size();
    usage.sealed_session_bytes = memory_.sealed_session.size();
    usage.channel_peak = channel_active_ ? channel_.memory_peak() : last_channel_peak_;
    return usage;
}

}  // namespace mqtls::link
