#include "mqtls/node/telemetry_node.hpp"

#include <cstring>

#include "mqtls/node/json_writer.hpp"

namespace mqtls::node {

TelemetryNode::TelemetryNode(std::string_view device_id, ReconnectBackoff backoff,
                             PublishSchedule schedule) noexcept
    : backoff_(backoff), schedule_(schedule), device_id_length_(device_id.size()) {
    std::memcpy(device_id_, device_id.data(), device_id.size());
    // The buffers hold any valid id (checked by create), so composing cannot fail here.
    const auto telemetry = compose_topic("telemetry", device_id, telemetry_topic_);
    const auto status = compose_topic("status", device_id, status_topic_);
    telemetry_topic_length_ = telemetry ? telemetry->size() : 0;
    status_topic_length_ = status ? status->size() : 0;
}

Result<TelemetryNode> TelemetryNode::create(std::string_view device_id,
                                            const TelemetryNodeConfig& config) noexcept {
    MQTLS_TRY(validate_device_id(device_id));
    MQTLS_TRY_ASSIGN(ReconnectBackoff backoff, ReconnectBackoff::create(config.reconnect));
    MQTLS_TRY_ASSIGN(PublishSchedule schedule, PublishSchedule::create(config.publish_period));
    return TelemetryNode(device_id, backoff, schedule);
}

NodeStep TelemetryNode::next_step(Instant now) const noexcept {
    if (!connected_) {
        if (now >= retry_at_) return {NodeAction::connect, now};
        return {NodeAction::wait, retry_at_};
    }
    if (has_unacknowledged_ || schedule_.due(now)) return {NodeAction::publish_reading, now};
    return {NodeAction::wait, schedule_.next_due()};
}

void TelemetryNode::on_connected(Instant now) noexcept {
    connected_ = true;
    backoff_.reset();
    if (!schedule_started_) {
        schedule_.start(now);
        schedule_started_ = true;
    }
}

Result<Duration> TelemetryNode::on_disconnected(Instant now, std::uint32_t random) noexcept {
    connected_ = false;
    MQTLS_TRY_ASSIGN(const Duration delay, backoff_.next_delay(random));
    retry_at_ = now + delay;
    return delay;
}

Result<std::string_view> TelemetryNode::reading_to_publish(SensorSource& sensor, Instant now,
                                                           std::int64_t wall_clock_ms) noexcept {
    if (has_unacknowledged_) return std::string_view(reading_, reading_length_);
    // The slot is used up whether or not the sensor answers, so a failing sensor is retried at
    // the next period instead of in a tight loop.
    schedule_.mark_published(now);
    return compose_reading(sensor, now, wall_clock_ms);
}

Result<std::string_view> TelemetryNode::compose_reading(SensorSource& sensor, Instant now,
                                                        std::int64_t wall_clock_ms) noexcept {
    SensorValue values[max_sensor_values];
    MQTLS_TRY_ASSIGN(const std::size_t count, sensor.read(values, now));
    if (count > max_sensor_values) return Errc::too_many_sensor_values;
    JsonObjectWriter json(reading_);
    json.add_string("device", device_id());
    json.add_unsigned("seq", next_sequence_);
    json.add_signed("ts", wall_clock_ms);
    for (std::size_t i = 0; i < count; ++i) {
        json.add_fixed(values[i].name, values[i].scaled, values[i].decimals);
    }
    MQTLS_TRY_ASSIGN(const std::string_view text, json.finish());
    reading_length_ = text.size();
    unacknowledged_sequence_ = next_sequence_++;
    has_unacknowledged_ = true;
    return text;
}

void TelemetryNode::on_reading_acknowledged() noexcept { has_unacknowledged_ = false; }

}  // namespace mqtls::node
