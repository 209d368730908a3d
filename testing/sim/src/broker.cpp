#include "mqtls/sim/broker.hpp"

#include <algorithm>
#include <variant>

#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/server_decode.hpp"
#include "mqtls/mqtt/server_encode.hpp"

namespace mqtls::sim {
namespace {

constexpr std::size_t read_chunk = std::size_t{16} * 1024;
constexpr std::size_t largest_packet = 1 + 4 + mqtt::max_remaining_length;
constexpr int read_rounds = 10'000;

std::string text_of(bytes_view bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bytes_view bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Broker::Broker(Network& network, ServerSecurity& security) noexcept
    : network_(network), security_(security) {
    network_.attach(*this);
}

void Broker::on_accept() noexcept {
    connection_ = network_.open_attempts() - 1;
    security_.begin();
    frame_.clear();
    connected_ = false;
    handshake_end_delivery_ = 0;
    version_ = mqtt::ProtocolVersion::v3_1_1;
}

void Broker::hang_up() noexcept {
    flush();
    network_.server().close();
    connected_ = false;
}

void Broker::flush() noexcept {
    for (int round = 0; round < read_rounds; ++round) {
        const bytes_view out = security_.pending();
        if (out.empty() || !network_.server().is_open()) return;
        auto sent = network_.server().send_some(out);
        if (!sent || *sent == 0) return;
        security_.consume(*sent);
    }
}

void Broker::send_packet(const mqtt::Packet& packet) noexcept {
    // The server's encoder: the client codec leaves out CONNACK, SUBACK and UNSUBACK.
    auto size = mqtt::server::encoded_size(packet, version_);
    if (!size) return;
    std::vector<std::uint8_t> bytes(*size);
    if (!mqtt::server::encode(packet, mutable_bytes(bytes.data(), bytes.size()), version_)) return;
    bytes_view rest(bytes.data(), bytes.size());
    for (int round = 0; !rest.empty() && round < read_rounds; ++round) {
        auto written = security_.write(rest);
        if (!written) return;
        rest = rest.subspan(*written);
        flush();
    }
}

void Broker::send_publish(const std::string& topic, const std::string& payload, mqtt::QoS qos) {
    mqtt::Publish publish;
    publish.topic = topic;
    publish.payload = bytes_of(payload);
    publish.qos = qos;
    if (qos != mqtt::QoS::at_most_once) {
        publish.packet_id = next_packet_id_;
        next_packet_id_ =
            static_cast<mqtt::PacketId>(next_packet_id_ == 65535 ? 1 : next_packet_id_ + 1);
    }
    send_packet(publish);
}

void Broker::handle_connect(const mqtt::Connect& connect) noexcept {
    ReceivedConnect record;
    record.client_id = std::string(connect.client_id);
    record.clean_session = connect.clean_session;
    record.keep_alive_s = connect.keep_alive_s;
    record.connection = connection_;
    record.delivery = network_.server().last_delivery();
    record.handshake_end_delivery = handshake_end_delivery_;
    record.resumed = security_.resumed();
#if MQTLS_MQTT5
    record.mqtt5 = version_ == mqtt::ProtocolVersion::v5;
    if (const auto expiry =
            mqtt::find_property(connect.properties, mqtt::PropertyId::session_expiry_interval)) {
        record.session_expiry_s = expiry->number;
    }
#endif
    const bool known = std::find(known_clients_.begin(), known_clients_.end(), record.client_id) !=
                       known_clients_.end();
    if (!known) known_clients_.push_back(record.client_id);
    connects_.push_back(record);
    if (!script.answer_connect) return;
    mqtt::ConnAck connack;
    if (connection_ < script.connack_codes.size()) {
        connack.return_code = script.connack_codes[connection_];
    }
    if (connack.return_code == mqtt::ConnectReturnCode::accepted) {
        // [MQTT-3.2.2-1]: a clean session never has one present.
        connack.session_present = !connect.clean_session && script.session_present.value_or(known);
    }
#if MQTLS_MQTT5
    if (version_ == mqtt::ProtocolVersion::v5 &&
        connack.return_code != mqtt::ConnectReturnCode::accepted) {
        // MQTT 5 says the same refusals with CONNACK Reason Codes (3.2.2.2).
        connack.reason_code = mqtt::ReasonCode::unspecified_error;
        switch (connack.return_code) {
            case mqtt::ConnectReturnCode::unacceptable_protocol_version:
                connack.reason_code = mqtt::ReasonCode::unsupported_protocol_version;
                break;
            case mqtt::ConnectReturnCode::identifier_rejected:
                connack.reason_code = mqtt::ReasonCode::client_identifier_not_valid;
                break;
            case mqtt::ConnectReturnCode::server_unavailable:
                connack.reason_code = mqtt::ReasonCode::server_unavailable;
                break;
            case mqtt::ConnectReturnCode::bad_username_or_password:
                connack.reason_code = mqtt::ReasonCode::bad_user_name_or_password;
                break;
            case mqtt::ConnectReturnCode::not_authorized:
                connack.reason_code = mqtt::ReasonCode::not_authorized;
                break;
            case mqtt::ConnectReturnCode::accepted:
                break;
        }
    }
#endif
    send_packet(connack);
    connected_ = connack.return_code == mqtt::ConnectReturnCode::accepted;
    // [MQTT-3.2.2-5]: after a refusal the server closes the connection.
    if (!connected_) hang_up();
}

void Broker::handle_publish(const mqtt::Publish& publish) noexcept {
    ReceivedPublish record;
    record.topic = std::string(publish.topic);
    record.payload = text_of(publish.payload);
    record.qos = publish.qos;
    record.packet_id = publish.packet_id;
    record.dup = publish.dup;
    record.retain = publish.retain;
    record.connection = connection_;
    record.delivery = network_.server().last_delivery();
    record.at = network_.clock().now();
#if MQTLS_MQTT5
    if (const auto expiry =
            mqtt::find_property(publish.properties, mqtt::PropertyId::message_expiry_interval)) {
        record.message_expiry_s = expiry->number;
    }
    record.denied = version_ == mqtt::ProtocolVersion::v5 &&
                    std::find(script.denied_topics.begin(), script.denied_topics.end(),
                              record.topic) != script.denied_topics.end();
#endif
    publishes_.push_back(record);
    if (!script.acknowledge_publishes) return;
    mqtt::PubAck puback{publish.packet_id};
    mqtt::PubRec pubrec{publish.packet_id};
#if MQTLS_MQTT5
    if (record.denied) {  // [MQTT-4.3.3-4]: after a PUBREC >= 0x80 no PUBREL follows
        puback.reason_code = mqtt::ReasonCode::not_authorized;
        pubrec.reason_code = mqtt::ReasonCode::not_authorized;
    }
#endif
    if (publish.qos == mqtt::QoS::at_least_once) send_packet(puback);
    if (publish.qos == mqtt::QoS::exactly_once) send_packet(pubrec);
}

void Broker::handle_packet(const mqtt::Packet& packet) noexcept {
    if (const auto* connect = std::get_if<mqtt::Connect>(&packet)) return handle_connect(*connect);
    if (!connected_) {  // [MQTT-3.1.0-1]: CONNECT first
        ++failures_;
        return hang_up();
    }
    if (const auto* publish = std::get_if<mqtt::Publish>(&packet)) return handle_publish(*publish);
    if (const auto* pubrel = std::get_if<mqtt::PubRel>(&packet)) {
        ++pubrels_;
        if (script.acknowledge_publishes) send_packet(mqtt::PubComp{pubrel->packet_id});
        return;
    }
    if (const auto* subscribe = std::get_if<mqtt::Subscribe>(&packet)) {
        ++subscribes_;
        std::vector<std::uint8_t> codes;
        for (const mqtt::Subscription subscription : subscribe->subscriptions) {
            codes.push_back(static_cast<std::uint8_t>(subscription.qos));
        }
        return send_packet(
            mqtt::SubAck{subscribe->packet_id, bytes_view(codes.data(), codes.size())});
    }
    if (const auto* unsubscribe = std::get_if<mqtt::Unsubscribe>(&packet)) {
        return send_packet(mqtt::UnsubAck{unsubscribe->packet_id});
    }
    if (std::holds_alternative<mqtt::PingReq>(packet)) {
        ++pings_;
        if (script.answer_pings) send_packet(mqtt::PingResp{});
        return;
    }
    if (std::holds_alternative<mqtt::Disconnect>(packet)) {
        ++disconnects_;
        return hang_up();
    }
    // PUBACK/PUBREC/PUBCOMP for send_publish(): nothing to record.
}

void Broker::process_plaintext(bytes_view plaintext) noexcept {
    frame_.insert(frame_.end(), plaintext.begin(), plaintext.end());
    mqtt::DecodeLimits limits;
    limits.max_packet_size = largest_packet;
    for (int round = 0; round < read_rounds && !frame_.empty(); ++round) {
        limits.protocol = version_;
        auto decoded = mqtt::server::decode(bytes_view(frame_.data(), frame_.size()), limits);
        if (!decoded) {
            if (decoded.error().code == Errc::need_more) return;
            ++failures_;
            return hang_up();
        }
        if (std::holds_alternative<mqtt::Connect>(decoded->packet)) version_ = decoded->version;
        handle_packet(decoded->packet);
        frame_.erase(frame_.begin(),
                     frame_.begin() + static_cast<std::ptrdiff_t>(decoded->consumed));
        if (!network_.server().is_open()) return;
    }
}

// Advances the server's handshake with what was fed; false when the connection ended.
bool Broker::advance_handshake() noexcept {
    auto done = security_.advance();
    flush();
    if (!done || security_.hang_up()) {
        ++failures_;
        hang_up();
        return false;
    }
    if (*done) handshake_end_delivery_ = network_.server().last_delivery();
    return true;
}

// Decrypted bytes to the MQTT side; false when the connection ended.
bool Broker::read_plaintext() noexcept {
    const mutable_bytes out(scratch_.data() + read_chunk, read_chunk);
    for (int reads = 0; reads < read_rounds; ++reads) {
        auto plain = security_.read(out);
        if (!plain) {  // close_notify or a bad record
            hang_up();
            return false;
        }
        if (*plain == 0) return true;
        process_plaintext(out.first(*plain));
        if (!network_.server().is_open()) return false;
    }
    return true;
}

void Broker::read_stream() noexcept {
    if (scratch_.size() < 2 * read_chunk) scratch_.resize(2 * read_chunk);
    SimStream& stream = network_.server();
    auto n = stream.receive_some(mutable_bytes(scratch_.data(), read_chunk));
    if (!n) {  // the client closed or the connection was reset
        stream.close();
        connected_ = false;
        return;
    }
    bytes_view input(scratch_.data(), *n);
    for (int round = 0; !input.empty() && round < read_rounds; ++round) {
        input = input.subspan(security_.feed(input));
        if (!security_.handshake_done() && !advance_handshake()) return;
        if (security_.handshake_done() && !read_plaintext()) return;
    }
}

void Broker::on_readable() noexcept {
    if (!network_.server().is_open()) return;
    read_stream();
    flush();
}

}  // namespace mqtls::sim
