#include "mqtls/node/in_flight.hpp"

namespace mqtls::node {

std::uint32_t remaining_lifetime_s(std::uint32_t ttl_s, std::int64_t taken_ms,
                                   std::int64_t now_ms) noexcept {
    const std::int64_t ttl_ms = std::int64_t{ttl_s} * 1000;
    const std::int64_t age_ms =
        taken_ms > 0 && now_ms > 0 && now_ms > taken_ms ? now_ms - taken_ms : 0;
    if (age_ms >= ttl_ms) return 0;
    return static_cast<std::uint32_t>((ttl_ms - age_ms + 999) / 1000);
}

namespace {

// Where a reading's Message Expiry property lives while its PUBLISH is queued (MQTT 5 only).
#if MQTLS_MQTT5
using ExpiryProperty = mqtt::Property;
#else
struct ExpiryProperty {};
#endif

// The PUBLISH of `reading`, with what is left of its lifetime under MQTT 5 (`expiry` holds the
// property its list views, so it must outlive the publish); false: the reading expired.
bool compose_reading(const OutboxReading& reading, std::string_view topic,
                     const ReadingDelivery& delivery, const link::Connection& connection,
                     ExpiryProperty& expiry, mqtt::Publish& message) noexcept {
    message = reading_message(topic, reading.payload, delivery.qos);
    if (delivery.ttl_s == 0) return true;
    const std::uint32_t left = remaining_lifetime_s(
        delivery.ttl_s, reading_timestamp_ms(reading.payload), delivery.now_wall_ms);
    if (left == 0) return false;
#if MQTLS_MQTT5
    if (connection.session().protocol() == mqtt::ProtocolVersion::v5) {
        expiry = mqtt::Property::integer(mqtt::PropertyId::message_expiry_interval, left);
        message.properties = mqtt::PropertyList(span<const mqtt::Property>(&expiry, 1));
    }
#else
    (void)connection;
    (void)expiry;
#endif
    return true;
}

}  // namespace

mqtt::Publish reading_message(std::string_view topic, bytes_view payload, mqtt::QoS qos) noexcept {
    mqtt::Publish message;
    message.topic = topic;
    message.payload = payload;
    message.qos = qos;
    return message;
}

Result<SentReading> send_next_reading(TelemetryNode& node, link::Connection& connection,
                                      const ReadingDelivery& delivery,
                                      mutable_bytes buffer) noexcept {
    const mqtt::QoS qos = delivery.qos;
    MQTLS_TRY_ASSIGN(const OutboxReading reading, node.reading_to_publish(buffer));
    SentReading sent;
    sent.seq = reading.seq;
    sent.packet_id = reading.packet_id;
    sent.noted_before = reading.packet_id != 0;
    sent.payload = reading.payload;
    if (qos != mqtt::QoS::at_most_once && reading.packet_id != 0 &&
        connection.in_flight(reading.packet_id)) {
        sent.already_in_flight = true;
        return sent;
    }
    ExpiryProperty expiry;
    mqtt::Publish message;
    if (!compose_reading(reading, node.telemetry_topic(), delivery, connection, expiry, message)) {
        MQTLS_TRY(node.on_reading_expired(reading.seq));
        sent.expired = true;
        return sent;
    }
    const Result<mqtt::PacketId> id = connection.publish(message);
    if (!id) {
        node.on_publish_deferred();
        return id.error();
    }
    sent.packet_id = *id;
    // Noted (durably) before the PUBLISH leaves: its bytes go out on the next flush.
    if (qos != mqtt::QoS::at_most_once) MQTLS_TRY(node.on_reading_sent(reading.seq, *id));
    return sent;
}

Result<RestoredReading> restore_reading(Outbox& outbox, link::Connection& connection,
                                        std::size_t position, std::string_view topic,
                                        const ReadingDelivery& delivery,
                                        mutable_bytes buffer) noexcept {
    MQTLS_TRY_ASSIGN(const OutboxReading reading, outbox.peek(position, buffer));
    RestoredReading result{reading.seq, reading.packet_id, false};
    if (reading.packet_id == 0 || delivery.qos == mqtt::QoS::at_most_once) return result;
    ExpiryProperty expiry;
    mqtt::Publish message;
    if (!compose_reading(reading, topic, delivery, connection, expiry, message)) return result;
    const Result<void> restored = connection.restore(message, reading.packet_id);
    // The identifier is in use: it went out under a new one since; this copy is sent anew.
    if (!restored && restored.error().code == Errc::invalid_argument) return result;
    if (!restored) return restored.error();
    result.restored = true;
    return result;
}

Result<std::size_t> restore_in_flight(Outbox& outbox, link::Connection& connection,
                                      std::string_view topic, const ReadingDelivery& delivery,
                                      mutable_bytes buffer) noexcept {
    std::size_t count = 0;
    for (std::size_t position = 0; position < outbox.size(); ++position) {
        MQTLS_TRY_ASSIGN(const RestoredReading reading,
                         restore_reading(outbox, connection, position, topic, delivery, buffer));
        if (reading.restored) ++count;
    }
    return count;
}

}  // namespace mqtls::node
