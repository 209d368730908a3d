#include "mqtls/node/in_flight.hpp"

namespace mqtls::node {

mqtt::Publish reading_message(std::string_view topic, bytes_view payload, mqtt::QoS qos) noexcept {
    mqtt::Publish message;
    message.topic = topic;
    message.payload = payload;
    message.qos = qos;
    return message;
}

Result<SentReading> send_next_reading(TelemetryNode& node, link::Connection& connection,
                                      mqtt::QoS qos, mutable_bytes buffer) noexcept {
    MQTLS_TRY_ASSIGN(const OutboxReading reading, node.reading_to_publish(buffer));
    SentReading sent{reading.seq, reading.packet_id, false, reading.packet_id != 0,
                     reading.payload};
    if (qos != mqtt::QoS::at_most_once && reading.packet_id != 0 &&
        connection.in_flight(reading.packet_id)) {
        sent.already_in_flight = true;
        return sent;
    }
    const Result<mqtt::PacketId> id =
        connection.publish(reading_message(node.telemetry_topic(), reading.payload, qos));
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
                                        std::size_t position, std::string_view topic, mqtt::QoS qos,
                                        mutable_bytes buffer) noexcept {
    MQTLS_TRY_ASSIGN(const OutboxReading reading, outbox.peek(position, buffer));
    RestoredReading result{reading.seq, reading.packet_id, false};
    if (reading.packet_id == 0 || qos == mqtt::QoS::at_most_once) return result;
    const Result<void> restored =
        connection.restore(reading_message(topic, reading.payload, qos), reading.packet_id);
    // The identifier is in use: it went out under a new one since; this copy is sent anew.
    if (!restored && restored.error().code == Errc::invalid_argument) return result;
    if (!restored) return restored.error();
    result.restored = true;
    return result;
}

Result<std::size_t> restore_in_flight(Outbox& outbox, link::Connection& connection,
                                      std::string_view topic, mqtt::QoS qos,
                                      mutable_bytes buffer) noexcept {
    std::size_t count = 0;
    for (std::size_t position = 0; position < outbox.size(); ++position) {
        MQTLS_TRY_ASSIGN(const RestoredReading reading,
                         restore_reading(outbox, connection, position, topic, qos, buffer));
        if (reading.restored) ++count;
    }
    return count;
}

}  // namespace mqtls::node
