#include "mqtls/node/node_runner.hpp"

#include <variant>

#include "mqtls/node/in_flight.hpp"
#include "mqtls/node/retry_rule.hpp"

namespace mqtls::node {
namespace {

bytes_view text_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

NodeRunner::NodeRunner(TelemetryNode& node, link::Connection& connection, const Platform& platform,
                       const NodeRunnerConfig& config, SensorSource* sensor) noexcept
    : node_(&node),
      connection_(&connection),
      platform_(&platform),
      config_(config),
      sensor_(sensor) {
    connection.set_event_handler(link::EventHandler{&NodeRunner::on_connection_event, this});
}

NodeRunner::~NodeRunner() { connection_->set_event_handler(link::EventHandler{}); }

// Called by the pump as it decodes (views valid during the call only): only the identifier of
// an acknowledgement (and a refusal's Reason Code) is kept, and handled at the next step.
void NodeRunner::on_connection_event(void* context, const mqtt::Event& event) noexcept {
    auto* runner = static_cast<NodeRunner*>(context);
    if (const auto* acked = std::get_if<mqtt::PublishAcked>(&event)) {
        runner->queue_acknowledgement({acked->packet_id, 0});
    }
#if MQTLS_MQTT5
    if (const auto* refused = std::get_if<mqtt::PublishRejected>(&event)) {
        runner->queue_acknowledgement(
            {refused->packet_id, static_cast<std::uint8_t>(refused->reason_code)});
    }
#endif
}

void NodeRunner::queue_acknowledgement(Acknowledgement acknowledgement) noexcept {
    if (acknowledgement_count_ == max_pending_acknowledgements) return;
    const std::size_t at =
        (acknowledgement_begin_ + acknowledgement_count_) % max_pending_acknowledgements;
    acknowledgements_[at] = acknowledgement;
    ++acknowledgement_count_;
}

std::optional<NodeRunner::Acknowledgement> NodeRunner::next_acknowledgement() noexcept {
    if (acknowledgement_count_ == 0) return std::nullopt;
    const Acknowledgement acknowledgement = acknowledgements_[acknowledgement_begin_];
    acknowledgement_begin_ = (acknowledgement_begin_ + 1) % max_pending_acknowledgements;
    --acknowledgement_count_;
    return acknowledgement;
}

std::optional<NodeEvent> NodeRunner::poll_event() noexcept {
    std::optional<NodeEvent> event = event_;
    event_.reset();
    return event;
}

void NodeRunner::step(Instant until) noexcept {
    if (stopped_) return;
    if (pending_stop_) {  // a refused reading kept (DenialPolicy::keep), reported last step
        stop_with(*pending_stop_, false);
        return;
    }
    if (stopping_) {
        step_stopping(until);
        return;
    }
    if (restoring_) {
        restore_next();
        return;
    }
    // The acknowledgements first, one per step: each may become a NodeEvent.
    if (const std::optional<Acknowledgement> acked = next_acknowledgement()) {
        on_acknowledgement(*acked);
        return;
    }
    if (connection_->connected() && acknowledgement_overdue()) {
        link_down(Error{Errc::io_timed_out, 0});
        return;
    }
    const NodeStep next = node_->next_step(now());
    switch (next.action) {
        case NodeAction::take_reading:
            take_reading();
            break;
        case NodeAction::connect:
            connect();
            break;
        case NodeAction::publish_reading:
            publish_next();
            break;
        case NodeAction::wait:
            wait(earliest(next.at, until));
            break;
    }
}

// Before the first connection: the readings an earlier run left in flight go back into the
// session, one per step, so the first CONNECT resends them (DUP, same identifier).
void NodeRunner::restore_next() noexcept {
    Outbox& outbox = node_->outbox();
    if (restore_position_ >= outbox.size()) {
        restoring_ = false;
        last_progress_ = now();
        return;
    }
    const Result<RestoredReading> restored =
        restore_reading(outbox, *connection_, restore_position_++, node_->telemetry_topic(),
                        delivery(), mutable_bytes(reading_, sizeof reading_));
    if (!restored) {
        stop_with(restored.error(), false);
        return;
    }
    if (!restored->restored) return;
    NodeEvent event;
    event.type = NodeEventType::restored;
    event.seq = restored->seq;
    event.packet_id = restored->packet_id;
    emit(event);
}

void NodeRunner::take_reading() noexcept {
    NodeEvent event;
    if (sensor_ == nullptr) {
        event.type = NodeEventType::reading_due;
        emit(event);
        return;
    }
    const Result<OutboxPush> taken = node_->take_reading(*sensor_, now(), platform_->now_wall_ms());
    event.type = NodeEventType::reading_taken;
    if (taken) {
        event.seq = taken->seq;
    } else {
        event.error = taken.error();
        // The storage failed: a reading could be lost; stop rather than go on without it.
        if (error_class(taken.error().code) == ErrorClass::storage) {
            stop_with(taken.error(), false);
            return;
        }
    }
    emit(event);
}

Result<void> NodeRunner::open_connection() noexcept {
    mqtt::Connect connect;
    connect.client_id = config_.client_id;
    connect.clean_session = config_.clean_session;
    connect.keep_alive_s = config_.keep_alive_s;
    if (!config_.username.empty()) connect.username = config_.username;
    if (!config_.password.empty()) connect.password = config_.password;
#if MQTLS_MQTT5
    if (connection_->session().protocol() == mqtt::ProtocolVersion::v5) {
        // 3.1.2.11.2: 0xFFFFFFFF never expires, as a 3.1.1 session without clean_session.
        const std::uint32_t expiry =
            config_.session_expiry_s.value_or(config_.clean_session ? 0 : 0xFFFF'FFFFU);
        connect_properties_[0] =
            mqtt::Property::integer(mqtt::PropertyId::session_expiry_interval, expiry);
        connect.properties = mqtt::PropertyList(span<const mqtt::Property>(connect_properties_));
    }
#endif
    if (node_->has_status()) {
        // The will carries the counters as they are now; the broker publishes it if we vanish.
        MQTLS_TRY_ASSIGN(const std::string_view offline,
                         node_->compose_status(false, span<char>(status_)));
        connect.will =
            mqtt::Will{node_->status_topic(), text_bytes(offline), mqtt::QoS::at_least_once, true};
    }
    const Instant deadline = now() + config_.connect_timeout;
    MQTLS_TRY(connection_->start(connect, deadline, false));
    return connection_->finish_connect(deadline);
}

Result<void> NodeRunner::publish_status(bool online) noexcept {
    if (!node_->has_status()) return ok();
    MQTLS_TRY_ASSIGN(const std::string_view status,
                     node_->compose_status(online, span<char>(status_)));
    mqtt::Publish message =
        reading_message(node_->status_topic(), text_bytes(status), mqtt::QoS::at_least_once);
    message.retain = true;
    MQTLS_TRY(connection_->publish(message));
    return ok();
}

void NodeRunner::connect() noexcept {
    ++connect_attempts_;
    if (Result<void> opened = open_connection(); !opened) {
        link_down(opened.error());
        return;
    }
    // The retained "online" replaces the "offline" will of an earlier, vanished connection.
    if (Result<void> online = publish_status(true); !online) {
        link_down(online.error());
        return;
    }
    node_->on_connected(now());
    last_progress_ = now();
    NodeEvent event;
    event.type = NodeEventType::connected;
    event.channel = connection_->channel_info();
    event.resumed = event.channel.resumed;
    event.attempt = connect_attempts_;
    emit(event);
}

Result<void> NodeRunner::release_at_most_once(std::uint64_t seq) noexcept {
    // No acknowledgement at QoS 0: released once its bytes were handed to the stream.
    MQTLS_TRY(connection_->pump_until_true(
        now() + config_.ack_timeout, [this] { return connection_->pending_output_size() == 0; }));
    MQTLS_TRY(node_->on_reading_acknowledged(seq));
    ++acknowledged_;
    return ok();
}

ReadingDelivery NodeRunner::delivery() const noexcept {
    ReadingDelivery delivery;
    delivery.qos = config_.qos;
    delivery.ttl_s = config_.reading_ttl_s;
    if (delivery.ttl_s != 0) delivery.now_wall_ms = platform_->now_wall_ms();
    return delivery;
}

void NodeRunner::publish_next() noexcept {
    const Result<SentReading> sent = send_next_reading(*node_, *connection_, delivery(),
                                                       mutable_bytes(reading_, sizeof reading_));
    if (!sent) {
        on_publish_failed(sent.error());
        return;
    }
    NodeEvent event;
    if (sent->expired) {
        event.type = NodeEventType::expired;
        event.seq = sent->seq;
        event.payload = sent->payload;
        emit(event);
        return;
    }
    event.type = NodeEventType::published;
    event.seq = sent->seq;
    event.packet_id = sent->packet_id;
    event.resent = sent->noted_before || sent->seq <= last_published_seq_;
    if (sent->seq > last_published_seq_) last_published_seq_ = sent->seq;
    if (config_.qos == mqtt::QoS::at_most_once) {
        if (Result<void> released = release_at_most_once(sent->seq); !released) {
            link_down(released.error());
            return;
        }
        event.type = NodeEventType::acknowledged;
        event.payload = sent->payload;
    }
    if (node_->in_flight() == 1) last_progress_ = now();
    emit(event);
}

void NodeRunner::on_publish_failed(const Error& error) noexcept {
    switch (error.code) {
        case Errc::inflight_full:
        case Errc::output_full:
            wait(now() + Duration::from_millis(50));  // acknowledgements make room
            return;
        default:
            break;
    }
    // The outbox could not note or read the reading: a crash now could lose or duplicate it.
    if (error_class(error.code) == ErrorClass::storage) {
        stop_with(error, false);
        return;
    }
    link_down(error);
}

void NodeRunner::wait(Instant until) noexcept {
    if (!connection_->connected()) {
        platform_->idle(until);  // nothing to service: let time pass
        return;
    }
    // Until `until`, or sooner when an acknowledgement came in (it is handled at the next step).
    const Result<void> serviced =
        connection_->pump_until_true(until, [this] { return acknowledgement_count_ != 0; });
    if (!serviced && serviced.error().code != Errc::io_timed_out) link_down(serviced.error());
}

void NodeRunner::on_acknowledgement(Acknowledgement acknowledgement) noexcept {
    if (acknowledgement.reason_code >= 0x80) {
        on_denied(acknowledgement);
    } else {
        on_acknowledged(acknowledgement.packet_id);
    }
}

void NodeRunner::on_denied(Acknowledgement refusal) noexcept {
    const std::uint64_t seq = node_->outbox().seq_noted_under(refusal.packet_id);
    const Error refused{Errc::message_rejected, refusal.reason_code};
    last_progress_ = now();
    NodeEvent event;
    event.type = NodeEventType::denied;
    event.seq = seq;
    event.packet_id = refusal.packet_id;
    event.error = refused;
    // A refused status message is reported and the run goes on: no reading is at stake.
    if (seq != 0 && config_.on_denied == DenialPolicy::keep) {
        emit(event);
        pending_stop_ = refused;
        return;
    }
    if (seq != 0) {
        if (Result<void> released = node_->on_reading_denied(seq); !released) {
            stop_with(released.error(), false);
            return;
        }
        event.dropped = true;
    }
    emit(event);
}

void NodeRunner::on_acknowledged(mqtt::PacketId packet_id) noexcept {
    Outbox& outbox = node_->outbox();
    const std::uint64_t seq = outbox.seq_noted_under(packet_id);
    if (seq == 0) return;  // a status message, or a reading the overflow policy dropped
    last_progress_ = now();
    NodeEvent event;
    event.type = NodeEventType::acknowledged;
    event.seq = seq;
    event.packet_id = packet_id;
    for (std::size_t i = 0; i < outbox.size(); ++i) {
        const Result<OutboxReading> reading =
            outbox.peek(i, mutable_bytes(reading_, sizeof reading_));
        if (reading && reading->seq == seq) event.payload = reading->payload;
        if (reading && reading->seq == seq) break;
    }
    if (Result<void> released = node_->on_reading_acknowledged(seq); !released) {
        stop_with(released.error(), false);
        return;
    }
    ++acknowledged_;
    emit(event);
}

bool NodeRunner::acknowledgement_overdue() const noexcept {
    return node_->in_flight() != 0 && config_.qos != mqtt::QoS::at_most_once &&
           now() - last_progress_ >= config_.ack_timeout;
}

void NodeRunner::link_down(const Error& error) noexcept {
    connection_->drop();
    if (should_stop(error)) {
        stop_with(error, false);
        return;
    }
    const Result<Duration> delay = node_->on_disconnected(now(), platform_->random32());
    if (!delay) {
        stop_with(error, true);
        return;
    }
    ++reconnects_;
    NodeEvent event;
    event.type = NodeEventType::link_down;
    event.error = error;
    event.retry_delay = *delay;
    event.backoff_bound = node_->last_backoff_bound();
    event.attempt = node_->reconnect_attempt();
    emit(event);
}

void NodeRunner::stop_with(const Error& error, bool gave_up) noexcept {
    connection_->drop();
    stopped_ = true;
    NodeEvent event;
    event.type = NodeEventType::stopped;
    event.error = error;
    event.gave_up = gave_up;
    emit(event);
}

void NodeRunner::request_stop(Instant deadline) noexcept {
    if (stopped_ || stopping_) return;
    stopping_ = true;
    stop_deadline_ = deadline;
    // Bounded: each step publishes a reading, takes an acknowledgement or waits; the turns are
    // capped (every reading may need a publish, an acknowledgement and waits between), and the
    // deadline ends them sooner.
    stop_turns_left_ = 4 * node_->outbox().size() + 16;
}

void NodeRunner::step_stopping(Instant until) noexcept {
    if (stop_turns_left_ == 0 || !connection_->connected() || node_->outbox().empty() ||
        now() >= stop_deadline_) {
        say_goodbye();
        return;
    }
    --stop_turns_left_;
    if (const std::optional<Acknowledgement> acked = next_acknowledgement()) {
        on_acknowledgement(*acked);
    } else if (node_->next_step(now()).action == NodeAction::publish_reading) {
        publish_next();
    } else {
        wait(earliest(until, stop_deadline_));
    }
}

void NodeRunner::say_goodbye() noexcept {
    if (connection_->connected()) {
        // The broker does not publish the will after DISCONNECT: say "offline" ourselves.
        if (publish_status(false)) (void)connection_->disconnect(stop_deadline_);
    }
    connection_->drop();
    stopped_ = true;
    stopping_ = false;
    NodeEvent event;
    event.type = NodeEventType::stopped;
    emit(event);
}

void NodeRunner::stop(Instant deadline) noexcept {
    request_stop(deadline);
    // One more turn than request_stop allows: the goodbye itself.
    for (std::size_t turn = stop_turns_left_ + 1; turn > 0 && !stopped_; --turn) {
        step(deadline);
        if (!stopped_) event_.reset();  // the goodbye reports itself once, at the end
    }
    if (!stopped_) say_goodbye();
}

}  // namespace mqtls::node
