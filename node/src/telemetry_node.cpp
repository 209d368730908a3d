#include "mqtls/node/telemetry_node.hpp"

#include <cstring>

#include "mqtls/node/json_writer.hpp"

namespace mqtls::node {

TelemetryNode::TelemetryNode(std::string_view device_id, ReconnectBackoff backoff,
                             PublishSchedule schedule, Outbox& outbox) noexcept
    : outbox_(&outbox),
      backoff_(backoff),
      schedule_(schedule),
      device_id_length_(device_id.size()) {
    std::memcpy(device_id_, device_id.data(), device_id.size());
    // The buffers hold any valid id (checked by create), so composing cannot fail here.
    const auto telemetry = compose_topic("telemetry", device_id, telemetry_topic_);
    const auto status = compose_topic("status", device_id, status_topic_);
    telemetry_topic_length_ = telemetry ? telemetry->size() : 0;
    status_topic_length_ = status ? status->size() : 0;
}

Result<TelemetryNode> TelemetryNode::create(std::string_view device_id,
                                            const TelemetryNodeConfig& config,
                                            Outbox& outbox) noexcept {
    MQTLS_TRY(validate_device_id(device_id));
    MQTLS_TRY_ASSIGN(ReconnectBackoff backoff, ReconnectBackoff::create(config.reconnect));
    MQTLS_TRY_ASSIGN(PublishSchedule schedule, PublishSchedule::create(config.publish_period));
    return TelemetryNode(device_id, backoff, schedule, outbox);
}

void TelemetryNode::start(Instant now) noexcept { schedule_.start(now); }

NodeStep TelemetryNode::next_step(Instant now) const noexcept {
    if (schedule_.due(now)) return {NodeAction::take_reading, now};
    if (!connected_) {
        if (now >= retry_at_) return {NodeAction::connect, now};
        return {NodeAction::wait, earliest(retry_at_, schedule_.next_due())};
    }
    if (!in_flight_ && !outbox_->empty()) return {NodeAction::publish_reading, now};
    return {NodeAction::wait, schedule_.next_due()};
}

void TelemetryNode::on_connected(Instant /*now*/) noexcept {
    connected_ = true;
    in_flight_ = false;
    backoff_.reset();
}

Result<Duration> TelemetryNode::on_disconnected(Instant now, std::uint32_t random) noexcept {
    connected_ = false;
    in_flight_ = false;  // what was in flight is still in the outbox: it goes out again
    MQTLS_TRY_ASSIGN(const Duration delay, backoff_.next_delay(random));
    retry_at_ = now + delay;
    return delay;
}

Result<OutboxPush> TelemetryNode::take_reading(SensorSource& sensor, Instant now,
                                               std::int64_t wall_clock_ms) noexcept {
    // The slot is used up whether or not the sensor answers, so a failing sensor is retried at
    // the next period instead of in a tight loop.
    schedule_.mark_published(now);
    SensorValue values[max_sensor_values];
    MQTLS_TRY_ASSIGN(const std::size_t count, sensor.read(values, now));
    if (count > max_sensor_values) return Errc::too_many_sensor_values;
    JsonObjectWriter json(reading_);
    json.add_string("device", device_id());
    json.add_unsigned("seq", outbox_->next_sequence());
    json.add_signed("ts", wall_clock_ms);
    for (std::size_t i = 0; i < count; ++i) {
        json.add_fixed(values[i].name, values[i].scaled, values[i].decimals);
    }
    MQTLS_TRY_ASSIGN(const std::string_view text, json.finish());
    return outbox_->push(
        bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<OutboxReading> TelemetryNode::reading_to_publish(mutable_bytes buffer) noexcept {
    MQTLS_TRY_ASSIGN(const OutboxReading reading, outbox_->peek(0, buffer));
    in_flight_ = true;
    return reading;
}

Result<void> TelemetryNode::on_reading_acknowledged(std::uint64_t seq) noexcept {
    in_flight_ = false;
    return outbox_->release(seq);
}

Result<std::string_view> TelemetryNode::compose_status(bool online, span<char> out) const noexcept {
    JsonObjectWriter json(out);
    json.add_string("status", online ? status_online : status_offline);
    json.add_unsigned("dropped", outbox_->dropped());
    json.add_unsigned("pending", outbox_->size());
    json.add_unsigned("next_seq", outbox_->next_sequence());
    return json.finish();
}

}  // namespace mqtls::node
