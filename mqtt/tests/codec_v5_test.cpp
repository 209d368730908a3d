// MQTT 5 codec: byte-exact vectors for every packet type (encoded with guards, decoded, round
// tripped, fed one byte at a time), the decoder's liberal-but-valid forms, and the encoder's
// refusals, including MQTT 5 fields on a 3.1.1 connection.
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "codec_v5_vectors.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/server_decode.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt::test {
namespace {

constexpr ProtocolVersion v5 = ProtocolVersion::v5;

DecodeLimits v5_limits() {
    DecodeLimits limits;
    limits.protocol = v5;
    return limits;
}

Errc decode_v5_error(bytes_view wire) { return decode_error(wire, v5_limits()); }

TEST(CodecV5, EveryVectorEncodesByteExactWithinItsBuffer) {
    for (const WireVector& vector : v5_vectors::all()) {
        const auto outcome = encode_with_guards(vector.packet, vector.wire, v5);
        EXPECT_EQ(outcome.size_error, success);
        EXPECT_EQ(outcome.size, vector.wire.size());
        EXPECT_EQ(outcome.encode_error, success);
        EXPECT_TRUE(outcome.matches_expected) << vector.name;
        EXPECT_TRUE(outcome.guards_intact);
        EXPECT_TRUE(outcome.larger_window_untouched_past_size);
    }
}

TEST(CodecV5, EveryVectorDecodesToItsPacket) {
    for (const WireVector& vector : v5_vectors::all()) {
        const auto decoded = server::decode(vector.wire, v5_limits());
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(decoded->consumed, vector.wire.size());
        EXPECT_EQ(decoded->version, v5);
        EXPECT_EQ(packet_type(decoded->packet), packet_type(vector.packet));
        EXPECT_TRUE(decoded->packet == vector.packet) << vector.name;
    }
}

TEST(CodecV5, DecodedPacketsReEncodeToTheSameBytes) {
    static std::uint8_t out[256];
    for (const WireVector& vector : v5_vectors::all()) {
        const auto decoded = server::decode(vector.wire, v5_limits());
        ASSERT_TRUE(decoded.has_value());
        const auto written = encode_any(decoded->packet, mutable_bytes(out, sizeof(out)), v5);
        ASSERT_TRUE(written.has_value());
        EXPECT_TRUE(equal_bytes(bytes_view(out, *written), vector.wire));
    }
}

TEST(CodecV5, EveryProperPrefixNeedsMore) {
    // A receiver fed one byte at a time sees need_more until the last byte, never an error.
    for (const WireVector& vector : v5_vectors::all()) {
        for (std::size_t length = 0; length < vector.wire.size(); ++length) {
            EXPECT_EQ(decode_v5_error(vector.wire.first(length)), Errc::need_more);
        }
        EXPECT_EQ(decode_v5_error(vector.wire), success);
    }
}

TEST(CodecV5, OneByteShortBufferIsRefusedUntouched) {
    for (const WireVector& vector : v5_vectors::all()) {
        fill_guarded_buffer();
        const mutable_bytes short_window(guarded_buffer + guard_margin, vector.wire.size() - 1);
        EXPECT_EQ(error_code_of(encode_any(vector.packet, short_window, v5)),
                  Errc::buffer_too_small);
        EXPECT_TRUE(guards_intact_outside(0, 0));
    }
}

TEST(CodecV5, ConnectLevelDecidesItsFormWhateverTheLimitsSay) {
    // A broker decodes CONNECT before it knows the connection's version [MQTT-3.1.2-2].
    const WireVector& connect = v5_vectors::all()[0];
    const auto decoded = server::decode(connect.wire, DecodeLimits{});
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->version, v5);
    EXPECT_TRUE(decoded->packet == connect.packet);
}

TEST(CodecV5, ClientRefusesWhatOnlyAServerReceivesNamingItsType) {
    // Section 2.2.1's direction: CONNECT, SUBSCRIBE and UNSUBSCRIBE go to the server only, in
    // MQTT 5 as in 3.1.1; server::decode() decodes them, decode() names them.
    std::size_t refused = 0;
    for (const WireVector& vector : v5_vectors::all()) {
        if (!is_server_bound(vector.wire)) continue;
        const DecodeLimits limits_of_both[] = {v5_limits(), DecodeLimits{}};
        for (const DecodeLimits& limits : limits_of_both) {
            const auto client = decode(vector.wire, limits);
            ASSERT_FALSE(client.has_value()) << vector.name;
            EXPECT_EQ(client.error().code, Errc::server_side_packet) << vector.name;
            EXPECT_EQ(client.error().detail, static_cast<std::int32_t>(packet_type(vector.packet)))
                << vector.name;
        }
        EXPECT_TRUE(server::decode(vector.wire, v5_limits()).has_value()) << vector.name;
        ++refused;
    }
    EXPECT_GE(refused, 3u);  // CONNECT, SUBSCRIBE, UNSUBSCRIBE at least
}

TEST(CodecV5, ClientAgreesWithTheServerOnEveryPacketAClientReceives) {
    std::size_t checked = 0;
    for (const WireVector& vector : v5_vectors::all()) {
        if (is_server_bound(vector.wire)) continue;
        const auto client = decode(vector.wire, v5_limits());
        const auto server = server::decode(vector.wire, v5_limits());
        ASSERT_TRUE(client.has_value() && server.has_value()) << vector.name;
        EXPECT_EQ(client->consumed, server->consumed) << vector.name;
        EXPECT_EQ(client->version, server->version) << vector.name;
        EXPECT_TRUE(client->packet == server->packet) << vector.name;
        ++checked;
    }
    EXPECT_GT(checked, 5u);
}

TEST(CodecV5, PublishHeaderAndPayloadSplitMatchesTheWholePacket) {
    const WireVector& publish = v5_vectors::all()[5];
    const auto* p = std::get_if<Publish>(&publish.packet);
    ASSERT_TRUE(p != nullptr);
    static std::uint8_t header[64];
    const auto size = encoded_publish_header_size(*p, v5);
    ASSERT_TRUE(size.has_value());
    EXPECT_EQ(*size, publish.wire.size() - p->payload.size());
    const auto written = encode_publish_header(*p, mutable_bytes(header, sizeof(header)), v5);
    ASSERT_TRUE(written.has_value());
    EXPECT_TRUE(equal_bytes(bytes_view(header, *written), publish.wire.first(*size)));
}

// ---- forms a receiver must accept though we never send them -----------------------------------

TEST(CodecV5, AcknowledgementWithExplicitSuccessAndEmptyProperties) {
    // 3.4.2.1 lets a sender include what it could leave out.
    constexpr std::uint8_t wire[] = {0x40, 0x04, 0x00, 0x09, 0x00, 0x00};
    const auto decoded = decode(bytes_view(wire), v5_limits());
    ASSERT_TRUE(decoded.has_value());
    const auto* ack = std::get_if<PubAck>(&decoded->packet);
    ASSERT_TRUE(ack != nullptr);
    EXPECT_EQ(ack->packet_id, 9);
    EXPECT_EQ(ack->reason_code, ReasonCode::success);
    EXPECT_TRUE(ack->properties.empty());
}

TEST(CodecV5, DisconnectWithExplicitNormalAndEmptyProperties) {
    constexpr std::uint8_t wire[] = {0xE0, 0x02, 0x00, 0x00};
    const auto decoded = decode(bytes_view(wire), v5_limits());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->packet == Packet{Disconnect{}});
}

TEST(CodecV5, DecodedPropertiesAreReadFromTheWire) {
    const WireVector& connack = v5_vectors::all()[3];
    const auto decoded = decode(connack.wire, v5_limits());
    ASSERT_TRUE(decoded.has_value());
    const auto* a = std::get_if<ConnAck>(&decoded->packet);
    ASSERT_TRUE(a != nullptr);
    const auto alias_max = find_property(a->properties, PropertyId::topic_alias_maximum);
    ASSERT_TRUE(alias_max.has_value());
    EXPECT_EQ(alias_max->number, 10U);
    const auto assigned = find_property(a->properties, PropertyId::assigned_client_identifier);
    ASSERT_TRUE(assigned.has_value());
    EXPECT_EQ(assigned->text, std::string_view("id"));
}

// ---- the encoder's refusals -------------------------------------------------------------------

TEST(CodecV5Encode, MqttFiveFieldsOnA311ConnectionAreRefusedNotDropped) {
    const Property expiry[] = {Property::integer(PropertyId::message_expiry_interval, 5)};
    Publish publish;
    publish.topic = "t";
    publish.properties = PropertyList(span<const Property>(expiry));
    EXPECT_ENCODE_FAILS_WITH(Packet{publish}, Errc::mqtt5_only);
    EXPECT_EQ(error_code_of(encoded_publish_header_size(publish)), Errc::mqtt5_only);

    PubAck denied;
    denied.packet_id = 1;
    denied.reason_code = ReasonCode::not_authorized;
    EXPECT_ENCODE_FAILS_WITH(Packet{denied}, Errc::mqtt5_only);

    Subscription no_local;
    no_local.filter = "a";
    no_local.no_local = true;
    Subscribe subscribe;
    subscribe.packet_id = 1;
    subscribe.subscriptions = SubscriptionList(span<const Subscription>(&no_local, 1));
    EXPECT_ENCODE_FAILS_WITH(Packet{subscribe}, Errc::mqtt5_only);

    constexpr std::uint8_t codes[] = {0x00};
    UnsubAck unsuback;
    unsuback.packet_id = 1;
    unsuback.reason_codes = bytes_view(codes);
    EXPECT_ENCODE_FAILS_WITH(Packet{unsuback}, Errc::mqtt5_only);

    Disconnect disconnect;
    disconnect.reason_code = ReasonCode::disconnect_with_will_message;
    EXPECT_ENCODE_FAILS_WITH(Packet{disconnect}, Errc::mqtt5_only);
    EXPECT_ENCODE_FAILS_WITH(Packet{Auth{}}, Errc::mqtt5_only);

    Connect connect;
    connect.client_id = "c";
    Will will;
    will.topic = "w";
    will.properties = PropertyList(span<const Property>(expiry));
    connect.will = will;
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::mqtt5_only);
}

TEST(CodecV5Encode, UnknownVersionIsRefused) {
    static std::uint8_t out[16];
    const auto level3 = static_cast<ProtocolVersion>(3);
    EXPECT_EQ(error_code_of(encoded_size(Packet{PingReq{}}, level3)),
              Errc::unsupported_protocol_level);
    EXPECT_EQ(error_code_of(encode(Packet{PingReq{}}, mutable_bytes(out, sizeof(out)), level3)),
              Errc::unsupported_protocol_level);
    DecodeLimits limits;
    limits.protocol = level3;
    constexpr std::uint8_t ping[] = {0xC0, 0x00};
    EXPECT_EQ(decode_error(bytes_view(ping), limits), Errc::unsupported_protocol_level);
}

Errc v5_encode_error(const Packet& packet) {
    return error_code_of(encoded_size_any(packet, ProtocolVersion::v5));
}

TEST(CodecV5Encode, ReasonCodeMustBelongToThePacket) {
    PubAck ack;
    ack.packet_id = 1;
    ack.reason_code = ReasonCode::disconnect_with_will_message;  // DISCONNECT only
    EXPECT_EQ(v5_encode_error(Packet{ack}), Errc::invalid_reason_code);
    PubRel rel;
    rel.packet_id = 1;
    rel.reason_code = ReasonCode::not_authorized;  // PUBREL has only 0x00 and 0x92
    EXPECT_EQ(v5_encode_error(Packet{rel}), Errc::invalid_reason_code);
    constexpr std::uint8_t unsuback_only[] = {0x11};
    SubAck suback;
    suback.packet_id = 1;
    suback.return_codes = bytes_view(unsuback_only);
    EXPECT_EQ(v5_encode_error(Packet{suback}), Errc::invalid_reason_code);
    Auth auth;
    auth.reason_code = ReasonCode::not_authorized;
    EXPECT_EQ(v5_encode_error(Packet{auth}), Errc::invalid_reason_code);
}

TEST(CodecV5Encode, RefusalNeverClaimsASession) {
    ConnAck a;
    a.session_present = true;
    a.reason_code = ReasonCode::not_authorized;
    EXPECT_EQ(v5_encode_error(Packet{a}), Errc::invalid_connack_flags);  // [MQTT-3.2.2-6]
}

TEST(CodecV5Encode, EmptyTopicNeedsATopicAlias) {
    Publish p;
    EXPECT_EQ(v5_encode_error(Packet{p}), Errc::empty_topic);
    const Property expiry[] = {Property::integer(PropertyId::message_expiry_interval, 5)};
    p.properties = PropertyList(span<const Property>(expiry));
    EXPECT_EQ(v5_encode_error(Packet{p}), Errc::empty_topic);
}

TEST(CodecV5Encode, SubscriptionOptionsTheSpecForbids) {
    Subscription s;
    s.filter = "$share/group/t";
    s.no_local = true;  // [MQTT-3.8.3-4]
    Subscribe subscribe;
    subscribe.packet_id = 1;
    subscribe.subscriptions = SubscriptionList(span<const Subscription>(&s, 1));
    EXPECT_EQ(v5_encode_error(Packet{subscribe}), Errc::invalid_subscription_options);
    s.no_local = false;
    s.retain_handling = static_cast<RetainHandling>(3);
    EXPECT_EQ(v5_encode_error(Packet{subscribe}), Errc::invalid_subscription_options);
}

TEST(CodecV5Encode, PropertiesAreJudgedForTheirPacket) {
    const Property alias[] = {Property::integer(PropertyId::topic_alias, 1)};
    Connect c;
    c.client_id = "c";
    c.properties = PropertyList(span<const Property>(alias));
    EXPECT_EQ(v5_encode_error(Packet{c}), Errc::property_not_allowed);
    const Property data_only[] = {
        Property::data(PropertyId::authentication_data, bytes_of("d")),
    };
    c.properties = PropertyList(span<const Property>(data_only));
    EXPECT_EQ(v5_encode_error(Packet{c}), Errc::property_value_invalid);
    Auth auth;
    auth.reason_code = ReasonCode::continue_authentication;
    auth.properties = PropertyList(span<const Property>(data_only));
    EXPECT_EQ(v5_encode_error(Packet{auth}), Errc::property_value_invalid);
}

}  // namespace
}  // namespace mqtls::mqtt::test
#endif
