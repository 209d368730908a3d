#include "mqtls/node/telemetry_node.hpp"

#include <cstring>

namespace mqtls::node {
namespace {

// The most readings in flight at once: MQTT's packet identifiers (65,535) less room for the
// status messages the node publishes on the same session.
constexpr std::size_t max_window = 65'000;

}  // namespace

TelemetryNode::TelemetryNode(std::string_view device_id, ReconnectBackoff backoff,
                             PublishSchedule schedule, Outbox& outbox) noexcept
    : outbox_(&outbox),
      backoff_(backoff),
      schedule_(schedule),
      device_id_length_(device_id.size()) {
    std::memcpy(device_id_, device_id.data(), device_id.size());
}

Result<TelemetryNode> TelemetryNode::create(std::string_view device_id,
                                            const TelemetryNodeConfig& config,
                                            Outbox& outbox) noexcept {
    MQTLS_TRY(validate_device_id(device_id));
    MQTLS_TRY_ASSIGN(ReconnectBackoff backoff, ReconnectBackoff::create(config.reconnect));
    MQTLS_TRY_ASSIGN(PublishSchedule schedule, PublishSchedule::create(config.publish_period));
    TelemetryNode node(device_id, backoff, schedule, outbox);
    MQTLS_TRY_ASSIGN(const std::string_view telemetry,
                     expand_topic_template(config.telemetry_topic, device_id,
                                           span<char>(node.telemetry_topic_)));
    node.telemetry_topic_length_ = telemetry.size();
    if (!config.status_topic.empty()) {
        MQTLS_TRY_ASSIGN(
            const std::string_view status,
            expand_topic_template(config.status_topic, device_id, span<char>(node.status_topic_)));
        node.status_topic_length_ = status.size();
    }
    node.run_id_ = config.run_id;
    node.readings_on_schedule_ = config.readings_on_schedule;
    if (config.max_in_flight == 0 || config.max_in_flight > max_window) {
        return Errc::invalid_argument;
    }
    node.max_in_flight_ = config.max_in_flight;
    return node;
}

void TelemetryNode::start(Instant now) noexcept { schedule_.start(now); }

Instant TelemetryNode::next_reading_due() const noexcept {
    // Readings that come as they please are never due: the platform watches their source.
    return readings_on_schedule_ ? schedule_.next_due() : Instant::never();
}

NodeStep TelemetryNode::next_step(Instant now) const noexcept {
    if (readings_on_schedule_ && schedule_.due(now)) return {NodeAction::take_reading, now};
    if (!connected_) {
        if (now >= retry_at_) return {NodeAction::connect, now};
        return {NodeAction::wait, earliest(retry_at_, next_reading_due())};
    }
    if (in_flight_ < max_in_flight_ && in_flight_ < outbox_->size()) {
        return {NodeAction::publish_reading, now};
    }
    return {NodeAction::wait, next_reading_due()};
}

void TelemetryNode::on_connected(Instant /*now*/) noexcept {
    connected_ = true;
    in_flight_ = 0;
    backoff_.reset();
}

Result<Duration> TelemetryNode::on_disconnected(Instant now, std::uint32_t random) noexcept {
    connected_ = false;
    // What was in flight is still in the outbox: it goes out again (the platform resends it
    // under the identifier it was noted under while the MQTT session still holds it).
    in_flight_ = 0;
    MQTLS_TRY_ASSIGN(const Duration delay, backoff_.next_delay(random));
    retry_at_ = now + delay;
    return delay;
}

void TelemetryNode::begin_reading(JsonObjectWriter& json,
                                  std::int64_t wall_clock_ms) const noexcept {
    json.add_string("device", device_id());
    if (run_id_ != 0) {
        char run[run_id_text_length];
        // The buffer holds exactly a run id: formatting cannot fail.
        const Result<std::string_view> text = format_run_id(run_id_, run);
        json.add_string("run", text ? *text : std::string_view{});
    }
    json.add_unsigned("seq", outbox_->next_sequence());
    json.add_signed("ts", wall_clock_ms);
}

Result<OutboxPush> TelemetryNode::push_reading(Result<std::string_view> composed) noexcept {
    if (!composed) {
        ++sensor_errors_;
        return composed.error();
    }
    const std::string_view text = *composed;
    const std::size_t live_before = outbox_->size();
    Result<OutboxPush> pushed =
        outbox_->push(bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    // Too large for an outbox record: the reading is at fault, not the storage.
    if (!pushed && pushed.error().code == Errc::outbox_record_too_large) ++sensor_errors_;
    // drop_oldest may have dropped readings of the window: the window shrinks with them.
    if (pushed && pushed->stored && pushed->dropped != 0) {
        const std::size_t dropped_live = live_before + 1 - outbox_->size();
        in_flight_ -= dropped_live < in_flight_ ? dropped_live : in_flight_;
    }
    return pushed;
}

Result<OutboxPush> TelemetryNode::take_reading(SensorSource& sensor, Instant now,
                                               std::int64_t wall_clock_ms) noexcept {
    // The slot is used up whether or not the sensor answers, so a failing sensor is retried at
    // the next period instead of in a tight loop.
    schedule_.mark_published(now);
    SensorValue values[max_sensor_values];
    const Result<std::size_t> count = sensor.read(values, now);
    if (!count || *count > max_sensor_values) {
        ++sensor_errors_;
        return count ? Error{Errc::too_many_sensor_values, 0} : count.error();
    }
    JsonObjectWriter json(reading_);
    begin_reading(json, wall_clock_ms);
    for (std::size_t i = 0; i < *count; ++i) {
        json.add_fixed(values[i].name, values[i].scaled, values[i].decimals);
    }
    return push_reading(json.finish());
}

void TelemetryNode::use_slot(Instant now) noexcept {
    // Unscheduled readings have no slots; marking them would count the gaps between arrivals
    // as missed slots.
    if (readings_on_schedule_) schedule_.mark_published(now);
}

Result<OutboxPush> TelemetryNode::take_json_reading(std::string_view fields, Instant now,
                                                    std::int64_t wall_clock_ms,
                                                    span<char> buffer) noexcept {
    use_slot(now);
    if (fields.empty() || fields.front() == ',' || fields.back() == ',') {
        ++sensor_errors_;
        return Errc::invalid_argument;
    }
    JsonObjectWriter json(buffer);
    begin_reading(json, wall_clock_ms);
    json.add_raw_members(fields);
    return push_reading(json.finish());
}

void TelemetryNode::on_sensor_error(Instant now) noexcept {
    use_slot(now);
    ++sensor_errors_;
}

Result<OutboxReading> TelemetryNode::reading_to_publish(mutable_bytes buffer) noexcept {
    MQTLS_TRY_ASSIGN(const OutboxReading reading, outbox_->peek(in_flight_, buffer));
    ++in_flight_;
    return reading;
}

Result<void> TelemetryNode::on_reading_acknowledged(std::uint64_t seq) noexcept {
    const Result<void> released = outbox_->release(seq);
    // Not live: dropped by the overflow policy while in flight (the window already shrank).
    if (!released && released.error().code == Errc::invalid_argument) return ok();
    if (released && in_flight_ > 0) --in_flight_;
    return released;
}

std::int64_t reading_timestamp_ms(bytes_view reading) noexcept {
    constexpr std::string_view key = "\"ts\":";
    const std::string_view text(reinterpret_cast<const char*>(reading.data()), reading.size());
    const std::size_t at = text.find(key);
    if (at == std::string_view::npos) return 0;
    std::int64_t value = 0;
    std::size_t digits = 0;
    // At most 18 digits: any Unix time in milliseconds, and no overflow.
    for (std::size_t i = at + key.size(); i < text.size() && digits < 18; ++i, ++digits) {
        const char c = text[i];
        if (c < '0' || c > '9') break;
        value = value * 10 + (c - '0');
    }
    return value;
}

Result<void> TelemetryNode::on_reading_denied(std::uint64_t seq) noexcept {
    MQTLS_TRY(on_reading_acknowledged(seq));
    ++denied_;
    return ok();
}

Result<void> TelemetryNode::on_reading_expired(std::uint64_t seq) noexcept {
    MQTLS_TRY(on_reading_acknowledged(seq));
    ++expired_;
    return ok();
}

Result<std::string_view> TelemetryNode::compose_status(bool online, span<char> out) const noexcept {
    JsonObjectWriter json(out);
    json.add_string("status", online ? status_online : status_offline);
    if (run_id_ != 0) {
        char run[run_id_text_length];
        const Result<std::string_view> text = format_run_id(run_id_, run);
        json.add_string("run", text ? *text : std::string_view{});
    }
    json.add_unsigned("dropped", outbox_->dropped());
    json.add_unsigned("pending", outbox_->size());
    json.add_unsigned("next_seq", outbox_->next_sequence());
    json.add_unsigned("sensor_errors", sensor_errors_);
    json.add_unsigned("denied", denied_);
    json.add_unsigned("expired", expired_);
    return json.finish();
}

}  // namespace mqtls::node
