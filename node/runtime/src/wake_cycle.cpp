#include "mqtls/node/wake_cycle.hpp"

#include <variant>

#include "mqtls/node/in_flight.hpp"

namespace mqtls::node {

const char* handshake_name(WakeHandshake handshake) noexcept {
    switch (handshake) {
        case WakeHandshake::full:
            return "full";
        case WakeHandshake::resumed:
            return "resumed";
        case WakeHandshake::none:
            break;
    }
    return "none";
}

namespace {

// The most readings one wake's flight carries and keeps in flight: bounds the flight and the
// session's buffers. TelemetryNodeConfig::max_in_flight bounds it further.
constexpr std::size_t wake_buffer_bytes = 1024;

class WakeCycle {
public:
    WakeCycle(TelemetryNode& node, link::Connection& connection, const Platform& platform,
              const WakeConfig& config) noexcept
        : node_(node),
          connection_(connection),
          platform_(platform),
          config_(config),
          started_(platform.clock.now()),
          deadline_(started_ + config.deadline) {}

    WakeReport run() noexcept;

private:
    Result<void> deliver() noexcept;
    Result<void> connect() noexcept;
    Result<void> fill_window() noexcept;
    bool window_full() noexcept;
    Result<void> await_acknowledgements() noexcept;
    Result<void> take_acknowledgements() noexcept;
    Result<void> release_and_refill() noexcept;
    Result<void> finish_one_flight() noexcept;
    Result<void> release_at_most_once() noexcept;
    void on_acknowledged(mqtt::PacketId packet_id) noexcept;
#if MQTLS_MQTT5
    void on_denied(mqtt::PacketId packet_id, std::uint8_t reason_code) noexcept;
#endif
    [[nodiscard]] ReadingDelivery delivery() const noexcept;
    static void on_event(void* context, const mqtt::Event& event) noexcept;
    void released(std::uint64_t seq) noexcept;
    void note_tls() noexcept;
    [[nodiscard]] Instant now() const noexcept { return platform_.clock.now(); }
    Outbox& outbox() noexcept { return node_.outbox(); }

    TelemetryNode& node_;
    link::Connection& connection_;
    const Platform& platform_;
    const WakeConfig& config_;
    Instant started_;
    Instant deadline_;
    WakeReport report_;
    std::optional<Error> storage_error_;
    std::optional<Error> refusal_;  // a refused reading kept (DenialPolicy::keep)
    std::size_t settled_ = 0;       // readings acknowledged, or refused and dropped
#if MQTLS_MQTT5
    mqtt::Property connect_properties_[1] = {};  // viewed by the CONNECT
#endif
    std::uint64_t sent_at_most_once_[64] = {};
    std::size_t sent_at_most_once_count_ = 0;
    std::uint8_t buffer_[wake_buffer_bytes] = {};
};

void WakeCycle::released(std::uint64_t seq) noexcept {
    if (report_.delivered == 0) report_.first_seq = seq;
    report_.last_seq = seq;
    ++report_.delivered;
}

void WakeCycle::on_acknowledged(mqtt::PacketId packet_id) noexcept {
    const std::uint64_t seq = outbox().seq_noted_under(packet_id);
    if (seq == 0) return;
    if (Result<void> done = node_.on_reading_acknowledged(seq); !done) {
        storage_error_ = done.error();
        return;
    }
    ++settled_;
    released(seq);
}

#if MQTLS_MQTT5
void WakeCycle::on_denied(mqtt::PacketId packet_id, std::uint8_t reason_code) noexcept {
    const std::uint64_t seq = outbox().seq_noted_under(packet_id);
    if (seq == 0) return;
    report_.denied_seq = seq;
    if (config_.on_denied == DenialPolicy::keep) {
        if (!refusal_) refusal_ = Error{Errc::message_rejected, reason_code};
        return;
    }
    if (Result<void> done = node_.on_reading_denied(seq); !done) {
        storage_error_ = done.error();
        return;
    }
    ++settled_;
    ++report_.denied;
}
#endif

ReadingDelivery WakeCycle::delivery() const noexcept {
    ReadingDelivery delivery;
    delivery.qos = config_.qos;
    delivery.ttl_s = config_.reading_ttl_s;
    if (delivery.ttl_s != 0) delivery.now_wall_ms = platform_.now_wall_ms();
    return delivery;
}

// Acknowledgements are taken as the pump decodes them (an EventHandler), not held for
// poll_event(): a held event stops the pump from decrypting the records the channel already
// took, so a PUBACK that arrived in the same read as CONNACK (two TLS records in one segment)
// would wait there, undecrypted, until the deadline.
void WakeCycle::on_event(void* context, const mqtt::Event& event) noexcept {
    auto* wake = static_cast<WakeCycle*>(context);
    if (const auto* acked = std::get_if<mqtt::PublishAcked>(&event)) {
        wake->on_acknowledged(acked->packet_id);
    }
#if MQTLS_MQTT5
    if (const auto* refused = std::get_if<mqtt::PublishRejected>(&event)) {
        wake->on_denied(refused->packet_id, static_cast<std::uint8_t>(refused->reason_code));
    }
#endif
}

Result<void> WakeCycle::connect() noexcept {
    mqtt::Connect connect = config_.connect;
    connect.clean_session = false;
    connect.will.reset();
#if MQTLS_MQTT5
    if (connection_.session().protocol() == mqtt::ProtocolVersion::v5) {
        connect_properties_[0] =
            mqtt::Property::integer(mqtt::PropertyId::session_expiry_interval,
                                    config_.session_expiry_s.value_or(0xFFFF'FFFFU));
        connect.properties = mqtt::PropertyList(span<const mqtt::Property>(connect_properties_));
    }
#endif
    MQTLS_TRY(connection_.start(connect, deadline_, config_.one_flight));
    note_tls();
    if (config_.one_flight) return ok();
    MQTLS_TRY(connection_.finish_connect(deadline_));
    report_.connect_time = now() - started_;
    return ok();
}

bool WakeCycle::window_full() noexcept {
    const std::size_t at_most_once_room = sizeof sent_at_most_once_ / sizeof sent_at_most_once_[0];
    if (node_.in_flight() >= node_.max_in_flight() || node_.in_flight() >= outbox().size()) {
        return true;
    }
    return config_.qos == mqtt::QoS::at_most_once && sent_at_most_once_count_ == at_most_once_room;
}

// Hands the window's next readings to the session (restored ones count as in flight).
Result<void> WakeCycle::fill_window() noexcept {
    // Bounded: each turn puts a reading in flight or releases an expired one.
    const std::size_t turns = node_.max_in_flight() + outbox().size();
    for (std::size_t turn = 0; turn < turns && !window_full(); ++turn) {
        const Result<SentReading> sent = send_next_reading(node_, connection_, delivery(),
                                                           mutable_bytes(buffer_, sizeof buffer_));
        if (!sent) {
            const Errc code = sent.error().code;
            return code == Errc::inflight_full || code == Errc::output_full ? ok() : sent.error();
        }
        if (sent->expired) {
            ++report_.expired;
            continue;
        }
        if (config_.qos == mqtt::QoS::at_most_once) {
            sent_at_most_once_[sent_at_most_once_count_++] = sent->seq;
        }
    }
    return ok();
}

// QoS 0 has no acknowledgements: the readings are released once the connection was accepted
// and their bytes were handed to the stream.
Result<void> WakeCycle::release_at_most_once() noexcept {
    MQTLS_TRY(connection_.pump_until_true(
        deadline_, [this] { return connection_.pending_output_size() == 0; }));
    for (std::size_t i = 0; i < sent_at_most_once_count_; ++i) {
        MQTLS_TRY(node_.on_reading_acknowledged(sent_at_most_once_[i]));
        released(sent_at_most_once_[i]);
    }
    sent_at_most_once_count_ = 0;
    node_.on_connected(now());  // the window starts over at the next reading
    return ok();
}

// Waits for the next acknowledgement(s), releases them and refills the window.
Result<void> WakeCycle::take_acknowledgements() noexcept {
    const std::size_t before = settled_;
    MQTLS_TRY(connection_.pump_until_true(deadline_, [this, before] {
        return settled_ != before || outbox().empty() || storage_error_.has_value() ||
               refusal_.has_value();
    }));
    if (storage_error_) return *storage_error_;
    if (refusal_) return *refusal_;
    return fill_window();
}

Result<void> WakeCycle::release_and_refill() noexcept {
    MQTLS_TRY(release_at_most_once());
    return fill_window();
}

Result<void> WakeCycle::await_acknowledgements() noexcept {
    // Each turn takes acknowledgements and refills the window: bounded by the outbox's size
    // (every reading is acknowledged once) and the deadline (pump_until returns by it).
    const std::size_t turns = 4 * outbox().size() + 16;
    const bool at_most_once = config_.qos == mqtt::QoS::at_most_once;
    for (std::size_t turn = 0; turn < turns && !outbox().empty(); ++turn) {
        MQTLS_TRY(at_most_once ? release_and_refill() : take_acknowledgements());
    }
    if (!outbox().empty()) return Error{Errc::io_timed_out, 0};
    return ok();
}

void WakeCycle::note_tls() noexcept {
    report_.channel = connection_.channel_info();
    const link::ResumptionCounters& counts = connection_.resumption();
    report_.handshake = report_.channel.resumed ? WakeHandshake::resumed : WakeHandshake::full;
    report_.session_declined = counts.declined != 0;
    report_.session_offered = report_.channel.resumed || counts.declined != 0;
    if (counts.last_problem) report_.session_problem = counts.last_problem;
}

Result<void> WakeCycle::finish_one_flight() noexcept {
    if (!config_.one_flight) return ok();
    // CONNACK is awaited at QoS 0 too (the readings already left with CONNECT): a broker that
    // refuses the connection drops them, and they must stay in the outbox then.
    MQTLS_TRY(connection_.finish_connect(deadline_));
    report_.connect_time = now() - started_;
    return ok();
}

Result<void> WakeCycle::deliver() noexcept {
    MQTLS_TRY_ASSIGN(report_.restored,
                     restore_in_flight(outbox(), connection_, node_.telemetry_topic(), delivery(),
                                       mutable_bytes(buffer_, sizeof buffer_)));
    MQTLS_TRY(connect());
    node_.on_connected(now());  // the window: restored readings first, then new ones
    MQTLS_TRY(fill_window());
    MQTLS_TRY(finish_one_flight());
    MQTLS_TRY(await_acknowledgements());
    return connection_.disconnect(deadline_);
}

WakeReport WakeCycle::run() noexcept {
    report_.one_flight = config_.one_flight;
    connection_.set_event_handler(link::EventHandler{&WakeCycle::on_event, this});
    if (!outbox().empty()) {
        if (Result<void> delivered = deliver(); !delivered) report_.error = delivered.error();
    }
    connection_.drop();
    connection_.set_event_handler(link::EventHandler{});
    if (storage_error_ && !report_.error) report_.error = storage_error_;
    // The session is saved after the flight left: a problem with that shows only now.
    const link::ResumptionCounters& counts = connection_.resumption();
    if (report_.handshake != WakeHandshake::none && counts.last_problem) {
        report_.session_problem = counts.last_problem;
    }
    if (Result<void> synced = outbox().sync(); !synced && !report_.error) {
        report_.error = synced.error();
    }
    report_.pending = outbox().size();
    report_.dropped = outbox().dropped();
    report_.channel_memory_peak = connection_.memory_usage().channel_peak;
    report_.wake_time = now() - started_;
    return report_;
}

}  // namespace

WakeReport run_wake_cycle(TelemetryNode& node, link::Connection& connection,
                          const Platform& platform, const WakeConfig& config) noexcept {
    WakeCycle wake(node, connection, platform, config);
    return wake.run();
}

}  // namespace mqtls::node
