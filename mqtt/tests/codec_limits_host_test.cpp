// Host-only tests that need buffers too big for the bare-metal targets: the 65535-byte string
// limit (1.5.3), the multi-byte remaining length forms (2.2.3) and the largest packet MQTT can
// describe.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec_test_support.hpp"
#include "mqtls/mqtt/codec.hpp"

namespace mqtls::mqtt::test {
namespace {

constexpr std::size_t max_field = 65'535;
constexpr DecodeLimits generous{1u << 24};

TEST(CodecLimits, TopicOfExactly65535BytesEncodesAndDecodes) {
    const std::string topic(max_field, 't');
    Publish publish;
    publish.topic = topic;
    const auto size = encoded_size(Packet{publish});
    ASSERT_TRUE(size.has_value()) << name(error_code_of(size));
    // Remaining length 2 + 65535 = 65537 needs three bytes (16384..2097151).
    EXPECT_EQ(*size, 1u + 3u + 2u + max_field);

    std::vector<std::uint8_t> wire(*size);
    ASSERT_TRUE(encode(Packet{publish}, mutable_bytes(wire.data(), wire.size())).has_value());
    EXPECT_EQ(wire[4], 0xFF);  // topic length FF FF
    EXPECT_EQ(wire[5], 0xFF);
    const auto decoded = decode(bytes_view(wire.data(), wire.size()), generous);
    ASSERT_TRUE(decoded.has_value()) << name(error_code_of(decoded));
    const auto* back = std::get_if<Publish>(&decoded->packet);
    ASSERT_TRUE(back != nullptr);
    EXPECT_EQ(back->topic.size(), max_field);
}

TEST(CodecLimits, StringsLongerThan65535BytesAreRefused) {
    const std::string too_long(max_field + 1, 'a');
    const std::vector<std::uint8_t> too_long_binary(max_field + 1, 0x5A);
    const bytes_view long_blob(too_long_binary.data(), too_long_binary.size());

    Publish publish;
    publish.topic = too_long;
    EXPECT_ENCODE_FAILS_WITH(Packet{publish}, Errc::string_too_long);

    Connect client_id;
    client_id.client_id = too_long;
    EXPECT_ENCODE_FAILS_WITH(Packet{client_id}, Errc::string_too_long);

    Connect username;
    username.client_id = "c";
    username.username = std::string_view(too_long);
    EXPECT_ENCODE_FAILS_WITH(Packet{username}, Errc::string_too_long);

    Connect password;
    password.client_id = "c";
    password.username = std::string_view("u");
    password.password = long_blob;
    EXPECT_ENCODE_FAILS_WITH(Packet{password}, Errc::string_too_long);

    Connect will_topic;
    will_topic.client_id = "c";
    will_topic.will = Will{too_long, bytes_view(), QoS::at_most_once, false};
    EXPECT_ENCODE_FAILS_WITH(Packet{will_topic}, Errc::string_too_long);

    Connect will_payload;
    will_payload.client_id = "c";
    will_payload.will = Will{"w", long_blob, QoS::at_most_once, false};
    EXPECT_ENCODE_FAILS_WITH(Packet{will_payload}, Errc::string_too_long);

    const Subscription subscription{too_long, QoS::at_most_once};
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Subscribe{1, SubscriptionList(span<const Subscription>(&subscription, 1))})},
        Errc::string_too_long);

    const std::string_view filter = too_long;
    EXPECT_ENCODE_FAILS_WITH(
        Packet{(Unsubscribe{1, FilterList(span<const std::string_view>(&filter, 1))})},
        Errc::string_too_long);
}

TEST(CodecLimits, PublishPayloadIsNotAStringAndMayExceed65535) {
    // The PUBLISH payload is the rest of the packet, not a length-prefixed field (3.3.3).
    const std::vector<std::uint8_t> payload(max_field + 10, 0x42);
    Publish publish;
    publish.topic = "t";
    publish.payload = bytes_view(payload.data(), payload.size());
    const auto size = encoded_size(Packet{publish});
    ASSERT_TRUE(size.has_value()) << name(error_code_of(size));
    EXPECT_EQ(*size, 1u + 3u + 3u + payload.size());
}

struct LengthBoundary {
    std::size_t payload_size;  // with topic "t", remaining length = payload_size + 3
    std::vector<std::uint8_t> length_bytes;
};

TEST(CodecLimits, RemainingLengthFormsAtTheirBoundaries) {
    // Table 2.4: 16383 is the last two-byte value (FF 7F), 16384 the first three-byte one
    // (80 80 01); 2097151 the last three-byte (FF FF 7F), 2097152 the first four-byte one.
    const LengthBoundary boundaries[] = {
        {16'383 - 3, {0xFF, 0x7F}},
        {16'384 - 3, {0x80, 0x80, 0x01}},
        {2'097'151 - 3, {0xFF, 0xFF, 0x7F}},
        {2'097'152 - 3, {0x80, 0x80, 0x80, 0x01}},
    };
    for (const auto& boundary : boundaries) {
        std::vector<std::uint8_t> payload(boundary.payload_size);
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
        Publish publish;
        publish.topic = "t";
        publish.payload = bytes_view(payload.data(), payload.size());

        const auto size = encoded_size(Packet{publish});
        ASSERT_TRUE(size.has_value());
        const std::size_t expected_size = 1 + boundary.length_bytes.size() + 3 + payload.size();
        EXPECT_EQ(*size, expected_size) << boundary.payload_size;

        std::vector<std::uint8_t> wire(*size);
        ASSERT_TRUE(encode(Packet{publish}, mutable_bytes(wire.data(), wire.size())).has_value());
        const std::vector<std::uint8_t> length_field(
            wire.begin() + 1,
            wire.begin() + 1 + static_cast<std::ptrdiff_t>(boundary.length_bytes.size()));
        EXPECT_EQ(length_field, boundary.length_bytes) << boundary.payload_size;

        const auto decoded = decode(bytes_view(wire.data(), wire.size()), generous);
        ASSERT_TRUE(decoded.has_value()) << name(error_code_of(decoded));
        const auto* back = std::get_if<Publish>(&decoded->packet);
        ASSERT_TRUE(back != nullptr);
        EXPECT_TRUE(equal_bytes(back->payload, publish.payload));
    }
}

// The largest remaining length is 268435455 (2.2.3). These tests size a PUBLISH whose payload view
// claims that many bytes without allocating them: sizing and header encoding only need the
// payload's length, and must not read it.
const std::uint8_t never_read_payload = 0;

bytes_view unbacked_payload(std::size_t size) { return bytes_view(&never_read_payload, size); }

TEST(CodecLimits, LargestDescribablePacket) {
    Publish publish;
    publish.topic = "t";
    publish.payload = unbacked_payload(max_remaining_length - 3);
    const auto size = encoded_size(Packet{publish});
    ASSERT_TRUE(size.has_value()) << name(error_code_of(size));
    EXPECT_EQ(*size, 5u + max_remaining_length);

    const auto header_size = encoded_publish_header_size(publish);
    ASSERT_TRUE(header_size.has_value());
    EXPECT_EQ(*header_size, 5u + 3u);
    std::uint8_t header[16] = {};
    const auto written = encode_publish_header(publish, mutable_bytes(header));
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(*written, 8u);
    const std::uint8_t expected[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x01, 't'};
    EXPECT_TRUE(equal_bytes(bytes_view(header, 8), expected));
}

TEST(CodecLimits, OneByteBeyondTheLargestPacketIsRefused) {
    Publish publish;
    publish.topic = "t";
    publish.payload = unbacked_payload(max_remaining_length - 3 + 1);
    EXPECT_EQ(error_code_of(encoded_size(Packet{publish})), Errc::packet_too_large);
    EXPECT_EQ(error_code_of(encoded_publish_header_size(publish)), Errc::packet_too_large);
    std::uint8_t header[16] = {};
    EXPECT_EQ(error_code_of(encode_publish_header(publish, mutable_bytes(header))),
              Errc::packet_too_large);
}

TEST(CodecLimits, DefaultDecodeLimitRefusesCompletePacketsOverIt) {
    // All bytes present, yet one byte over the default 4096: still packet_too_large.
    const std::vector<std::uint8_t> payload(4096 - 3 - 3 + 1, 0x01);
    Publish publish;
    publish.topic = "t";
    publish.payload = bytes_view(payload.data(), payload.size());
    std::vector<std::uint8_t> wire(4097);
    const auto written = encode(Packet{publish}, mutable_bytes(wire.data(), wire.size()));
    ASSERT_TRUE(written.has_value());
    ASSERT_EQ(*written, 4097u);
    EXPECT_EQ(decode_error(bytes_view(wire.data(), wire.size())), Errc::packet_too_large);
    EXPECT_EQ(decode_error(bytes_view(wire.data(), wire.size()), DecodeLimits{4097}), success);
}

}  // namespace
}  // namespace mqtls::mqtt::test
