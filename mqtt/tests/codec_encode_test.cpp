// Encoding: byte-exact output for every packet type, exact sizing, no writes outside the output
// buffer, and refusal of packets that a strict receiver would reject (MQTT 3.1.1).
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "codec_vectors.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/server_decode.hpp"
#include "mqtls/mqtt/server_encode.hpp"

namespace mqtls::mqtt::test {
namespace {

// --- Byte-exact vectors, one test per packet type -------------------------------------------

TEST(CodecEncode, ConnectMinimal) {
    EXPECT_ENCODES_TO(vectors::connect_minimal.packet, vectors::connect_minimal.wire);
}
TEST(CodecEncode, ConnectWithWillUsernameAndPassword) {
    EXPECT_ENCODES_TO(vectors::connect_will_credentials.packet,
                      vectors::connect_will_credentials.wire);
}
TEST(CodecEncode, ConnectWillQos2EmptyClientId) {
    EXPECT_ENCODES_TO(vectors::connect_will_qos2_empty_client_id.packet,
                      vectors::connect_will_qos2_empty_client_id.wire);
}
TEST(CodecEncode, ConnectUsernameWithoutPassword) {
    EXPECT_ENCODES_TO(vectors::connect_username_only.packet, vectors::connect_username_only.wire);
}
TEST(CodecEncode, ConnectEmptyPasswordIsStillAPassword) {
    EXPECT_ENCODES_TO(vectors::connect_empty_password.packet, vectors::connect_empty_password.wire);
}
TEST(CodecEncode, ConnAck) {
    EXPECT_ENCODES_TO(vectors::connack_accepted.packet, vectors::connack_accepted.wire);
    EXPECT_ENCODES_TO(vectors::connack_session_present.packet,
                      vectors::connack_session_present.wire);
    EXPECT_ENCODES_TO(vectors::connack_not_authorized.packet, vectors::connack_not_authorized.wire);
}
TEST(CodecEncode, PublishQos0) {
    EXPECT_ENCODES_TO(vectors::publish_qos0.packet, vectors::publish_qos0.wire);
}
TEST(CodecEncode, PublishQos0RetainEmptyPayload) {
    EXPECT_ENCODES_TO(vectors::publish_qos0_retain_empty_payload.packet,
                      vectors::publish_qos0_retain_empty_payload.wire);
}
TEST(CodecEncode, PublishQos1) {
    EXPECT_ENCODES_TO(vectors::publish_qos1.packet, vectors::publish_qos1.wire);
}
TEST(CodecEncode, PublishQos1Dup) {
    EXPECT_ENCODES_TO(vectors::publish_qos1_dup_empty_payload.packet,
                      vectors::publish_qos1_dup_empty_payload.wire);
}
TEST(CodecEncode, PublishQos2DupRetain) {
    EXPECT_ENCODES_TO(vectors::publish_qos2_dup_retain.packet,
                      vectors::publish_qos2_dup_retain.wire);
}
TEST(CodecEncode, PublishMultibyteUtf8Topic) {
    EXPECT_ENCODES_TO(vectors::publish_multibyte_utf8_topic.packet,
                      vectors::publish_multibyte_utf8_topic.wire);
}
TEST(CodecEncode, PublishTwoByteRemainingLength) {
    EXPECT_ENCODES_TO(vectors::publish_two_byte_remaining_length.packet,
                      vectors::publish_two_byte_remaining_length.wire);
}
TEST(CodecEncode, PubAck) { EXPECT_ENCODES_TO(vectors::puback.packet, vectors::puback.wire); }
TEST(CodecEncode, PubRec) { EXPECT_ENCODES_TO(vectors::pubrec.packet, vectors::pubrec.wire); }
TEST(CodecEncode, PubRelHasFlags0010) {
    EXPECT_ENCODES_TO(vectors::pubrel.packet, vectors::pubrel.wire);
}
TEST(CodecEncode, PubComp) { EXPECT_ENCODES_TO(vectors::pubcomp.packet, vectors::pubcomp.wire); }
TEST(CodecEncode, SubscribeSeveralFilters) {
    EXPECT_ENCODES_TO(vectors::subscribe_three_filters.packet,
                      vectors::subscribe_three_filters.wire);
    EXPECT_ENCODES_TO(vectors::subscribe_single.packet, vectors::subscribe_single.wire);
}
TEST(CodecEncode, SubAckWithFailureCode) {
    EXPECT_ENCODES_TO(vectors::suback_with_failure.packet, vectors::suback_with_failure.wire);
}
TEST(CodecEncode, Unsubscribe) {
    EXPECT_ENCODES_TO(vectors::unsubscribe_two_filters.packet,
                      vectors::unsubscribe_two_filters.wire);
}
TEST(CodecEncode, UnsubAck) { EXPECT_ENCODES_TO(vectors::unsuback.packet, vectors::unsuback.wire); }
TEST(CodecEncode, PingReq) { EXPECT_ENCODES_TO(vectors::pingreq.packet, vectors::pingreq.wire); }
TEST(CodecEncode, PingResp) { EXPECT_ENCODES_TO(vectors::pingresp.packet, vectors::pingresp.wire); }
TEST(CodecEncode, Disconnect) {
    EXPECT_ENCODES_TO(vectors::disconnect.packet, vectors::disconnect.wire);
}

TEST(CodecEncode, VectorsCoverAllFourteenPacketTypes) {
    // Guards the sweeps below against a vector table that silently lost a packet type.
    bool seen[15] = {};
    for (const WireVector* vector : all_vectors()) {
        const auto type = static_cast<unsigned>(packet_type(vector->packet));
        ASSERT_GE(type, 1u);
        ASSERT_LE(type, 14u);
        seen[type] = true;
        // The vector's own first byte must name the same type, or the vector itself is wrong.
        EXPECT_EQ(static_cast<unsigned>(vector->wire[0] >> 4), type) << vector->name;
    }
    for (unsigned type = 1; type <= 14; ++type) EXPECT_TRUE(seen[type]) << type;
}

TEST(CodecEncode, EncodedSizeEqualsBytesWrittenForEveryVector) {
    for (const WireVector* vector : all_vectors()) {
        const auto size = encoded_size_any(vector->packet);
        ASSERT_TRUE(size.has_value()) << vector->name;
        EXPECT_EQ(*size, vector->wire.size()) << vector->name;
        fill_guarded_buffer();
        const auto written = encode_any(vector->packet, mutable_bytes(guarded_buffer, *size));
        ASSERT_TRUE(written.has_value()) << vector->name;
        EXPECT_EQ(*written, *size) << vector->name;
    }
}

// --- The client's codec and the server's (server_encode.hpp) ------------------------------------

TEST(CodecEncode, ClientRefusesWhatOnlyAServerSends) {
    const WireVector* const server_packets[] = {&vectors::connack_accepted,
                                                &vectors::suback_with_failure, &vectors::unsuback};
    const ProtocolVersion versions[] = {ProtocolVersion::v3_1_1, ProtocolVersion::v5};
    std::uint8_t out[64] = {};
    for (const WireVector* vector : server_packets) {
        const auto type = static_cast<std::int32_t>(packet_type(vector->packet));
        for (const ProtocolVersion version : versions) {
            // A build without MQTT 5 refuses the version first (mqtt5_unavailable).
            if (version == ProtocolVersion::v5 && !mqtt5_available) continue;
            const auto size = encoded_size(vector->packet, version);
            ASSERT_FALSE(size.has_value()) << vector->name;
            EXPECT_EQ(size.error().code, Errc::server_side_packet) << vector->name;
            EXPECT_EQ(size.error().detail, type) << vector->name;
            const auto written = encode(vector->packet, mutable_bytes(out), version);
            ASSERT_FALSE(written.has_value()) << vector->name;
            EXPECT_EQ(written.error().code, Errc::server_side_packet) << vector->name;
            EXPECT_EQ(written.error().detail, type) << vector->name;
        }
    }
}

TEST(CodecEncode, ServerEncodesEveryVectorByteExactly) {
    // The server's encoder takes every packet: its own three, and the client's by delegation.
    for (const WireVector* vector : all_vectors()) {
        const auto size = server::encoded_size(vector->packet);
        ASSERT_TRUE(size.has_value()) << vector->name;
        EXPECT_EQ(*size, vector->wire.size()) << vector->name;
        fill_guarded_buffer();
        const mutable_bytes exact(guarded_buffer + guard_margin, vector->wire.size());
        const auto written = server::encode(vector->packet, exact);
        ASSERT_TRUE(written.has_value()) << vector->name;
        EXPECT_TRUE(equal_bytes(bytes_view(exact.data(), *written), vector->wire)) << vector->name;
        EXPECT_TRUE(guards_intact_outside(guard_margin, guard_margin + vector->wire.size()))
            << vector->name;
    }
}

// --- Output buffer discipline ---------------------------------------------------------------

TEST(CodecEncode, TooSmallBufferFailsWithoutWritingPastIt) {
    for (const WireVector* vector : all_vectors()) {
        for (std::size_t room = 0; room < vector->wire.size(); ++room) {
            fill_guarded_buffer();
            const auto result =
                encode_any(vector->packet, mutable_bytes(guarded_buffer + guard_margin, room));
            EXPECT_EQ(error_code_of(result), Errc::buffer_too_small)
                << vector->name << " with room " << room;
            EXPECT_TRUE(guards_intact_outside(guard_margin, guard_margin + room))
                << vector->name << " with room " << room;
        }
    }
}

TEST(CodecEncode, EmptyBufferIsTooSmall) {
    EXPECT_EQ(error_code_of(encode(Packet{PingReq{}}, mutable_bytes())), Errc::buffer_too_small);
}

// --- Remaining length (2.2.3) ---------------------------------------------------------------

TEST(CodecEncode, RemainingLengthSizeAtEveryBoundary) {
    EXPECT_EQ(remaining_length_size(0), 1u);
    EXPECT_EQ(remaining_length_size(127), 1u);
    EXPECT_EQ(remaining_length_size(128), 2u);
    EXPECT_EQ(remaining_length_size(16'383), 2u);
    EXPECT_EQ(remaining_length_size(16'384), 3u);
    EXPECT_EQ(remaining_length_size(2'097'151), 3u);
    EXPECT_EQ(remaining_length_size(2'097'152), 4u);
    EXPECT_EQ(remaining_length_size(max_remaining_length), 4u);
    EXPECT_EQ(remaining_length_size(max_remaining_length + 1), 0u);
    EXPECT_EQ(remaining_length_size(0xFFFF'FFFFu), 0u);
}

// Topic "t" takes 3 bytes, so a payload of 124 gives remaining length 127 (one length byte)
// and 125 gives 128, the first value that needs two: 80 01.
TEST(CodecEncode, PublishAtOneToTwoByteLengthBoundary) {
    static std::uint8_t payload[125];
    static std::uint8_t out[3 + 3 + 125];
    Publish publish;
    publish.topic = "t";

    publish.payload = bytes_view(payload, 124);
    auto written = encode(Packet{publish}, mutable_bytes(out));
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(*written, 2u + 127u);
    EXPECT_EQ(out[0], 0x30);
    EXPECT_EQ(out[1], 0x7F);
    EXPECT_EQ(out[2], 0x00);
    EXPECT_EQ(out[3], 0x01);

    publish.payload = bytes_view(payload, 125);
    written = encode(Packet{publish}, mutable_bytes(out));
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(*written, 3u + 128u);
    EXPECT_EQ(out[1], 0x80);
    EXPECT_EQ(out[2], 0x01);
    EXPECT_EQ(out[3], 0x00);
    EXPECT_EQ(out[4], 0x01);
    EXPECT_EQ(out[5], 't');
}

// --- PUBLISH header for scatter-gather sends ------------------------------------------------

void expect_header_plus_payload_is_whole_packet(const WireVector& vector) {
    const auto* publish = std::get_if<Publish>(&vector.packet);
    ASSERT_TRUE(publish != nullptr) << vector.name;
    const std::size_t header_size = vector.wire.size() - publish->payload.size();

    const auto predicted = encoded_publish_header_size(*publish);
    ASSERT_TRUE(predicted.has_value()) << vector.name;
    EXPECT_EQ(*predicted, header_size) << vector.name;

    fill_guarded_buffer();
    const auto written =
        encode_publish_header(*publish, mutable_bytes(guarded_buffer + guard_margin, header_size));
    ASSERT_TRUE(written.has_value()) << vector.name;
    EXPECT_EQ(*written, header_size) << vector.name;
    EXPECT_TRUE(equal_bytes(bytes_view(guarded_buffer + guard_margin, header_size),
                            vector.wire.first(header_size)))
        << vector.name;
    EXPECT_TRUE(guards_intact_outside(guard_margin, guard_margin + header_size)) << vector.name;
    // The header followed by the payload is the whole packet, byte for byte.
    EXPECT_TRUE(equal_bytes(publish->payload, vector.wire.subspan(header_size))) << vector.name;

    for (std::size_t room = 0; room < header_size; ++room) {
        fill_guarded_buffer();
        EXPECT_EQ(error_code_of(encode_publish_header(
                      *publish, mutable_bytes(guarded_buffer + guard_margin, room))),
                  Errc::buffer_too_small)
            << vector.name << " with room " << room;
        EXPECT_TRUE(guards_intact_outside(guard_margin, guard_margin + room)) << vector.name;
    }
}

TEST(CodecEncode, PublishHeaderPlusPayloadEqualsFullEncoding) {
    expect_header_plus_payload_is_whole_packet(vectors::publish_qos0);
    expect_header_plus_payload_is_whole_packet(vectors::publish_qos1);
    expect_header_plus_payload_is_whole_packet(vectors::publish_qos2_dup_retain);
    expect_header_plus_payload_is_whole_packet(vectors::publish_qos0_retain_empty_payload);
    expect_header_plus_payload_is_whole_packet(vectors::publish_two_byte_remaining_length);
}

TEST(CodecEncode, PublishHeaderCountsThePayloadInRemainingLength) {
    // The header alone is 8 bytes, but its remaining length must announce the 200-byte payload
    // that the caller sends separately: CD 01 = 205.
    const auto* publish = std::get_if<Publish>(&vectors::publish_two_byte_remaining_length.packet);
    ASSERT_TRUE(publish != nullptr);
    std::uint8_t header[16] = {};
    const auto written = encode_publish_header(*publish, mutable_bytes(header));
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(*written, 8u);
    EXPECT_EQ(header[1], 0xCD);
    EXPECT_EQ(header[2], 0x01);
}

TEST(CodecEncode, PublishHeaderValidatesLikeEncode) {
    Publish publish;
    publish.topic = "a/+";
    EXPECT_EQ(error_code_of(encoded_publish_header_size(publish)), Errc::wildcard_in_topic);
    std::uint8_t out[32];
    EXPECT_EQ(error_code_of(encode_publish_header(publish, mutable_bytes(out))),
              Errc::wildcard_in_topic);

    publish.topic = "a";
    publish.qos = QoS::at_least_once;
    publish.packet_id = 0;
    EXPECT_EQ(error_code_of(encode_publish_header(publish, mutable_bytes(out))),
              Errc::zero_packet_id);
}

// --- Encode-side validation -----------------------------------------------------------------

Publish publish_to(std::string_view topic) {
    Publish publish;
    publish.topic = topic;
    publish.payload = bytes_of("x");
    return publish;
}

TEST(CodecEncodeRejects, WildcardInPublishTopic) {
    // MQTT-3.3.2-2: the topic name in a PUBLISH must not contain wildcards.
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("a/+")}, Errc::wildcard_in_topic);
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("#")}, Errc::wildcard_in_topic);
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("a/#")}, Errc::wildcard_in_topic);
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("sport+")}, Errc::wildcard_in_topic);
}

TEST(CodecEncodeRejects, EmptyPublishTopic) {
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("")}, Errc::empty_topic);  // MQTT-4.7.3-1
}

TEST(CodecEncodeRejects, BadUtf8InPublishTopic) {
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("\xC0\x80")}, Errc::malformed_utf8);
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to(text("a\0b"))}, Errc::utf8_null_character);
    EXPECT_ENCODE_FAILS_WITH(Packet{publish_to("\xED\xA0\x80")}, Errc::utf8_surrogate);
}

TEST(CodecEncodeRejects, ZeroPacketIdOnQos1And2Publish) {
    // MQTT-2.3.1-1: QoS 1 and 2 PUBLISH packets carry a non-zero packet identifier.
    Publish publish = publish_to("a");
    publish.qos = QoS::at_least_once;
    EXPECT_ENCODE_FAILS_WITH(Packet{publish}, Errc::zero_packet_id);
    publish.qos = QoS::exactly_once;
    EXPECT_ENCODE_FAILS_WITH(Packet{publish}, Errc::zero_packet_id);
}

TEST(CodecEncodeRejects, QosThree) {
    Publish publish = publish_to("a");
    publish.qos = static_cast<QoS>(3);
    publish.packet_id = 1;
    EXPECT_ENCODE_FAILS_WITH(Packet{publish}, Errc::invalid_qos);

    const Subscription subscription{"a", static_cast<QoS>(3)};
    const Subscribe subscribe{1, SubscriptionList(span<const Subscription>(&subscription, 1))};
    EXPECT_ENCODE_FAILS_WITH(Packet{subscribe}, Errc::invalid_qos);
}

TEST(CodecEncodeRejects, ZeroPacketIdOnAcknowledgementsAndSubscriptions) {
    EXPECT_ENCODE_FAILS_WITH(Packet{PubAck{0}}, Errc::zero_packet_id);
    EXPECT_ENCODE_FAILS_WITH(Packet{PubRec{0}}, Errc::zero_packet_id);
    EXPECT_ENCODE_FAILS_WITH(Packet{PubRel{0}}, Errc::zero_packet_id);
    EXPECT_ENCODE_FAILS_WITH(Packet{PubComp{0}}, Errc::zero_packet_id);
    EXPECT_ENCODE_FAILS_WITH(Packet{UnsubAck{0}}, Errc::zero_packet_id);

    static const Subscription subscription{"a", QoS::at_most_once};
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Subscribe{0, SubscriptionList(span<const Subscription>(&subscription, 1))})},
        Errc::zero_packet_id);
    static const std::string_view filter = "a";
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Unsubscribe{0, FilterList(span<const std::string_view>(&filter, 1))})},
        Errc::zero_packet_id);
    static const std::uint8_t granted[] = {0x00};
    EXPECT_ENCODE_FAILS_WITH(Packet{(SubAck{0, bytes_view(granted)})}, Errc::zero_packet_id);
}

TEST(CodecEncodeRejects, InvalidSubscribeFilters) {
    // 4.7.1.2 and 4.7.1.3: '#' only alone as the last level, '+' only as a whole level.
    static const std::string_view bad_filters[] = {"a/#/b", "a+", "#a", "a/b#", "+a", "##"};
    for (const std::string_view filter : bad_filters) {
        const Subscription subscription{filter, QoS::at_least_once};
        const Subscribe subscribe{5, SubscriptionList(span<const Subscription>(&subscription, 1))};
        EXPECT_EQ(error_code_of(encoded_size(Packet{subscribe})), Errc::invalid_topic_filter)
            << filter;
        EXPECT_ENCODE_FAILS_WITH(Packet{subscribe}, Errc::invalid_topic_filter);
    }
}

TEST(CodecEncodeRejects, BadFilterAfterGoodOnes) {
    // Validation must look at every entry, not only the first.
    static const Subscription subscriptions[] = {
        {"ok/1", QoS::at_most_once}, {"ok/+", QoS::at_least_once}, {"bad/#/x", QoS::at_most_once}};
    const Subscribe subscribe{5, SubscriptionList(span<const Subscription>(subscriptions))};
    EXPECT_ENCODE_FAILS_WITH(Packet{subscribe}, Errc::invalid_topic_filter);

    static const std::string_view filters[] = {"ok", "bad+"};
    const Unsubscribe unsubscribe{6, FilterList(span<const std::string_view>(filters))};
    EXPECT_ENCODE_FAILS_WITH(Packet{unsubscribe}, Errc::invalid_topic_filter);
}

TEST(CodecEncodeRejects, EmptyFilter) {
    static const Subscription subscription{"", QoS::at_most_once};
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Subscribe{1, SubscriptionList(span<const Subscription>(&subscription, 1))})},
        Errc::empty_topic);
    static const std::string_view filter = "";
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Unsubscribe{1, FilterList(span<const std::string_view>(&filter, 1))})},
        Errc::empty_topic);
}

TEST(CodecEncodeRejects, EmptySubscriptionLists) {
    // MQTT-3.8.3-3 and MQTT-3.10.3-2: at least one entry.
    EXPECT_ENCODE_FAILS_WITH(Packet{(Subscribe{1, SubscriptionList()})},
                             Errc::empty_subscription_list);
    EXPECT_ENCODE_FAILS_WITH(Packet{(Unsubscribe{1, FilterList()})}, Errc::empty_subscription_list);
    EXPECT_ENCODE_FAILS_WITH(Packet{(SubAck{1, bytes_view()})}, Errc::empty_subscription_list);
}

Connect connect_with_client_id(std::string_view client_id) {
    Connect connect;
    connect.client_id = client_id;
    return connect;
}

TEST(CodecEncodeRejects, PasswordWithoutUsername) {
    // MQTT-3.1.2-22: if the User Name Flag is 0, the Password Flag must be 0.
    Connect connect = connect_with_client_id("c");
    connect.password = bytes_of("secret");
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::invalid_connect_flags);
}

TEST(CodecEncodeRejects, BadUtf8InConnectStrings) {
    EXPECT_ENCODE_FAILS_WITH(Packet{connect_with_client_id("\xFF")}, Errc::malformed_utf8);

    Connect with_username = connect_with_client_id("c");
    with_username.username = text("u\0");
    EXPECT_ENCODE_FAILS_WITH(Packet{with_username}, Errc::utf8_null_character);

    Connect with_will = connect_with_client_id("c");
    with_will.will = Will{"\xED\xBF\xBF", bytes_view(), QoS::at_most_once, false};
    EXPECT_ENCODE_FAILS_WITH(Packet{with_will}, Errc::utf8_surrogate);
}

TEST(CodecEncodeRejects, WillTopicFollowsTopicNameRules) {
    // The will is published to its topic, so it is a topic name: no wildcards, not empty.
    Connect connect = connect_with_client_id("c");
    connect.will = Will{"status/#", bytes_view(), QoS::at_most_once, false};
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::wildcard_in_topic);
    connect.will = Will{"", bytes_view(), QoS::at_most_once, false};
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::empty_topic);
}

TEST(CodecEncodeRejects, WillQosThree) {
    // 3.1.2.6: will QoS 3 is invalid; QoS 3 is invalid_qos wherever it appears.
    Connect connect = connect_with_client_id("c");
    connect.will = Will{"w", bytes_view(), static_cast<QoS>(3), false};
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::invalid_qos);
}

TEST(CodecEncodeRejects, EmptyClientIdRequiresCleanSession) {
    // MQTT-3.1.3-7: a client that sends a zero-byte client id must also set CleanSession, so
    // the clean-session flag is inconsistent with the empty id.
    Connect connect = connect_with_client_id("");
    connect.clean_session = false;
    EXPECT_ENCODE_FAILS_WITH(Packet{connect}, Errc::invalid_connect_flags);
}

// --- The encoder never emits what the decoder would refuse -----------------------------------

// For packets whose refusal code the API leaves open, the promise that matters is that no
// invalid bytes reach the wire: either encoding fails, or the result decodes.
void expect_refused_or_decodable(const Packet& packet, const char* what) {
    static std::uint8_t out[64];
    const auto written = encode_any(packet, mutable_bytes(out));
    if (!written) return;
    EXPECT_EQ(error_code_of(server::decode(bytes_view(out, *written), DecodeLimits{})), success)
        << what;
}

TEST(CodecEncodeRejects, NeverEmitsWhatTheDecoderRefuses) {
    Publish dup_at_qos0 = publish_to("a");
    dup_at_qos0.dup = true;  // MQTT-3.3.1-2
    expect_refused_or_decodable(Packet{dup_at_qos0}, "DUP on QoS 0");

    expect_refused_or_decodable(Packet{ConnAck{true, ConnectReturnCode::not_authorized}},
                                "session present with refusal");  // MQTT-3.2.2-4
    expect_refused_or_decodable(Packet{ConnAck{false, static_cast<ConnectReturnCode>(6)}},
                                "CONNACK return code 6");

    static const std::uint8_t bad_codes[] = {0x03};
    expect_refused_or_decodable(Packet{(SubAck{1, bytes_view(bad_codes)})}, "SUBACK return code 3");
}

}  // namespace
}  // namespace mqtls::mqtt::test
