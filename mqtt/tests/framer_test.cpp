// Reassembling packets from a byte stream that arrives in arbitrary pieces.
#include <cstdint>

#include "codec_test_support.hpp"
#include "codec_vectors.hpp"
#include "mqtls/mqtt/framer.hpp"
#include "mqtls/mqtt/server_decode.hpp"

namespace mqtls::mqtt::test {
namespace {

/// xorshift32: a deterministic "random" chunking that behaves the same on every target.
std::uint32_t next_random(std::uint32_t& state) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

/// The packets of the test stream, in order: small and large, with one- and two-byte remaining
/// lengths, with and without bodies, so that packet ends fall everywhere relative to chunk ends.
span<const WireVector* const> stream_packets() {
    static const WireVector* const packets[] = {
        &vectors::connack_session_present,
        &vectors::publish_qos1,
        &vectors::suback_with_failure,
        &vectors::pingresp,
        &vectors::publish_two_byte_remaining_length,
        &vectors::publish_multibyte_utf8_topic,
        &vectors::puback,
        &vectors::pubrel,
        &vectors::connect_will_credentials,
        &vectors::unsuback,
        &vectors::disconnect,
    };
    return span<const WireVector* const>(packets);
}

/// The stream_packets() back to back.
bytes_view test_stream() {
    static std::uint8_t stream[1024];
    std::size_t size = 0;
    for (const WireVector* packet : stream_packets()) {
        for (const std::uint8_t b : packet->wire) {
            if (size < sizeof(stream)) stream[size++] = b;
        }
    }
    return bytes_view(stream, size);
}

/// Feeds the test stream in chunks of 1..max_chunk bytes (exactly 1 when max_chunk is 1) and
/// checks that every packet comes out whole, in order, and decodes.
void expect_reassembles(std::uint32_t seed, std::size_t max_chunk) {
    static std::uint8_t framer_buffer[256];
    Framer framer(mutable_bytes(framer_buffer), DecodeLimits{});
    const bytes_view stream = test_stream();
    const auto expected = stream_packets();

    std::uint32_t state = seed;
    std::size_t position = 0;
    std::size_t frames = 0;
    std::size_t feeds = 0;
    while (position < stream.size()) {
        ASSERT_LT(++feeds, 10'000u) << "the framer stopped taking bytes";
        std::size_t chunk = max_chunk <= 1 ? 1 : 1 + next_random(state) % max_chunk;
        if (chunk > stream.size() - position) chunk = stream.size() - position;

        const auto taken = framer.feed(stream.subspan(position, chunk));
        ASSERT_TRUE(taken.has_value()) << "seed " << seed << ": " << name(error_code_of(taken));
        ASSERT_LE(*taken, chunk);
        position += *taken;

        if (!framer.frame_ready()) {
            // Short of a packet end the framer has no reason to leave bytes behind.
            EXPECT_EQ(*taken, chunk) << "seed " << seed << " at " << position;
            continue;
        }
        ASSERT_LT(frames, expected.size());
        const WireVector& want = *expected[frames];
        EXPECT_TRUE(equal_bytes(framer.frame(), want.wire)) << want.name << " seed " << seed;
        // decode_frame() is the client's decode(), which leaves what only a server receives to
        // server::decode().
        const auto decoded = is_server_bound(framer.frame())
                                 ? server::decode(framer.frame(), DecodeLimits{})
                                 : framer.decode_frame();
        ASSERT_TRUE(decoded.has_value()) << want.name << ": " << name(error_code_of(decoded));
        EXPECT_EQ(decoded->consumed, want.wire.size()) << want.name;
        EXPECT_EQ(packet_type(decoded->packet), packet_type(want.packet)) << want.name;

        if (position < stream.size()) {
            // A ready frame blocks further input until it is released.
            const auto blocked = framer.feed(stream.subspan(position));
            ASSERT_TRUE(blocked.has_value());
            EXPECT_EQ(*blocked, 0u) << want.name;
            EXPECT_TRUE(framer.frame_ready());
        }
        framer.release();
        EXPECT_FALSE(framer.frame_ready());
        ++frames;
    }
    EXPECT_EQ(frames, expected.size()) << "seed " << seed;
    EXPECT_FALSE(framer.frame_ready());
}

TEST(Framer, ReassemblesOneByteAtATime) { expect_reassembles(1, 1); }

TEST(Framer, ReassemblesRandomChunkSizes) {
    const std::size_t max_chunks[] = {2, 3, 5, 8, 17, 64, 300};
    std::uint32_t seed = 0x9E3779B9u;
    for (const std::size_t max_chunk : max_chunks) {
        for (int round = 0; round < 8; ++round) {
            expect_reassembles(seed, max_chunk);
            seed = seed * 747796405u + 2891336453u;
            if (seed == 0) seed = 1;  // xorshift's one fixed point
        }
    }
}

TEST(Framer, TakesOnlyTheFirstPacketOfALongerInput) {
    static std::uint8_t buffer[256];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const bytes_view stream = test_stream();
    const auto taken = framer.feed(stream);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(*taken, vectors::connack_session_present.wire.size());
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_TRUE(equal_bytes(framer.frame(), vectors::connack_session_present.wire));
}

TEST(Framer, PacketWithoutBodyIsReadyAfterTwoBytes) {
    static std::uint8_t buffer[16];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const std::uint8_t pingresp_then_more[] = {0xD0, 0x00, 0x20, 0x02};
    auto taken = framer.feed(bytes_view(pingresp_then_more, 1));
    ASSERT_TRUE(taken.has_value());
    EXPECT_FALSE(framer.frame_ready());
    taken = framer.feed(bytes_view(pingresp_then_more + 1, 3));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(*taken, 1u);
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_EQ(framer.frame().size(), 2u);
}

TEST(Framer, EmptyInputTakesNothing) {
    static std::uint8_t buffer[16];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const auto taken = framer.feed(bytes_view());
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(*taken, 0u);
    EXPECT_FALSE(framer.frame_ready());
}

TEST(Framer, FrameAndDecodedViewsPointIntoTheCallersBuffer) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const auto taken = framer.feed(vectors::publish_qos1.wire);
    ASSERT_TRUE(taken.has_value());
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_EQ(framer.frame().data(), buffer);
    const auto decoded = framer.decode_frame();
    ASSERT_TRUE(decoded.has_value());
    const auto* publish = std::get_if<Publish>(&decoded->packet);
    ASSERT_TRUE(publish != nullptr);
    EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(publish->topic.data()), buffer + 4);
    EXPECT_EQ(publish->packet_id, 10);
}

TEST(Framer, PacketExactlyFillingTheBufferIsAccepted) {
    static std::uint8_t buffer[12];  // publish_qos1 is 12 bytes
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const auto taken = framer.feed(vectors::publish_qos1.wire);
    ASSERT_TRUE(taken.has_value()) << name(error_code_of(taken));
    EXPECT_EQ(*taken, 12u);
    EXPECT_TRUE(framer.frame_ready());
}

TEST(Framer, RefusesPacketLargerThanBufferFromItsHeader) {
    static std::uint8_t buffer[64];
    {
        Framer framer(mutable_bytes(buffer), DecodeLimits{});
        const std::uint8_t fits[] = {0x30, 0x3E};  // 2 + 62 = 64 bytes
        const auto taken = framer.feed(fits);
        ASSERT_TRUE(taken.has_value());
        EXPECT_EQ(*taken, 2u);
        EXPECT_FALSE(framer.frame_ready());
    }
    {
        Framer framer(mutable_bytes(buffer), DecodeLimits{});
        const std::uint8_t too_big[] = {0x30, 0x3F};  // 2 + 63 = 65 bytes
        EXPECT_EQ(error_code_of(framer.feed(too_big)), Errc::packet_too_large);
    }
}

TEST(Framer, RefusesPacketLargerThanLimitEvenIfBufferIsBigger) {
    static std::uint8_t buffer[256];
    {
        Framer framer(mutable_bytes(buffer), DecodeLimits{32});
        const std::uint8_t fits[] = {0x30, 0x1E};  // 32 bytes
        EXPECT_EQ(error_code_of(framer.feed(fits)), success);
    }
    {
        Framer framer(mutable_bytes(buffer), DecodeLimits{32});
        const std::uint8_t too_big[] = {0x30, 0x1F};  // 33 bytes
        EXPECT_EQ(error_code_of(framer.feed(too_big)), Errc::packet_too_large);
    }
}

TEST(Framer, OversizedBodyIsNeverBuffered) {
    // The whole oversized packet is offered at once; the refusal must come from the fixed header,
    // so nothing past it may be copied into the buffer.
    static std::uint8_t buffer[64];
    for (auto& b : buffer) b = guard_byte;
    static std::uint8_t oversized[2 + 64];
    oversized[0] = 0x30;
    oversized[1] = 0x40;  // 2 + 64 = 66 bytes
    for (std::size_t i = 2; i < sizeof(oversized); ++i) oversized[i] = 0x11;

    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    EXPECT_EQ(error_code_of(framer.feed(oversized)), Errc::packet_too_large);
    EXPECT_FALSE(framer.frame_ready());
    bool body_untouched = true;
    for (std::size_t i = max_fixed_header_size; i < sizeof(buffer); ++i) {
        if (buffer[i] != guard_byte) body_untouched = false;
    }
    EXPECT_TRUE(body_untouched);
}

TEST(Framer, OversizedRefusedAtTheLastHeaderByte) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const std::uint8_t header[] = {0x30, 0x80, 0x01};  // 3 + 128 bytes
    auto taken = framer.feed(bytes_view(header, 1));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(*taken, 1u);
    taken = framer.feed(bytes_view(header + 1, 1));
    ASSERT_TRUE(taken.has_value()) << "the length is not known yet";
    EXPECT_EQ(*taken, 1u);
    EXPECT_EQ(error_code_of(framer.feed(bytes_view(header + 2, 1))), Errc::packet_too_large);
}

/// Feeds `wire` one byte at a time and returns the first error; no frame may become ready.
Errc first_error_fed_bytewise(bytes_view wire) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    for (std::size_t i = 0; i < wire.size(); ++i) {
        const auto taken = framer.feed(wire.subspan(i, 1));
        if (!taken) return taken.error().code;
        if (framer.frame_ready()) return success;
    }
    return Errc::need_more;
}

Errc error_fed_at_once(bytes_view wire) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const auto taken = framer.feed(wire);
    if (!taken) return taken.error().code;
    return framer.frame_ready() ? success : Errc::need_more;
}

TEST(Framer, FixedHeaderErrorsAreReported) {
    const std::uint8_t reserved_type[] = {0x00, 0x00};
    const std::uint8_t overlong[] = {0x30, 0x80, 0x00};
    const std::uint8_t five_length_bytes[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};

    EXPECT_EQ(first_error_fed_bytewise(reserved_type), Errc::invalid_packet_type);
    EXPECT_EQ(error_fed_at_once(reserved_type), Errc::invalid_packet_type);
    EXPECT_EQ(first_error_fed_bytewise(overlong), Errc::overlong_remaining_length);
    EXPECT_EQ(error_fed_at_once(overlong), Errc::overlong_remaining_length);
    EXPECT_EQ(first_error_fed_bytewise(five_length_bytes), Errc::malformed_remaining_length);
    EXPECT_EQ(error_fed_at_once(five_length_bytes), Errc::malformed_remaining_length);
}

TEST(Framer, BodyRulesAreLeftToDecodeFrame) {
    // Wrong PUBACK flags: the frame is well delimited, so the framer delivers it and decoding
    // it names the violation.
    static std::uint8_t buffer[16];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const std::uint8_t puback_bad_flags[] = {0x41, 0x02, 0x00, 0x01};
    const auto taken = framer.feed(puback_bad_flags);
    ASSERT_TRUE(taken.has_value());
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_EQ(error_code_of(framer.decode_frame()), Errc::invalid_fixed_header_flags);
}

TEST(Framer, ResetForgetsPartialPacket) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    const auto partial = framer.feed(vectors::publish_qos1.wire.first(5));
    ASSERT_TRUE(partial.has_value());
    EXPECT_FALSE(framer.frame_ready());

    framer.reset();
    const auto taken = framer.feed(vectors::pingresp.wire);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(*taken, 2u);
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_TRUE(equal_bytes(framer.frame(), vectors::pingresp.wire));
}

TEST(Framer, ResetDropsAReadyFrame) {
    static std::uint8_t buffer[64];
    Framer framer(mutable_bytes(buffer), DecodeLimits{});
    ASSERT_TRUE(framer.feed(vectors::puback.wire).has_value());
    ASSERT_TRUE(framer.frame_ready());
    framer.reset();
    EXPECT_FALSE(framer.frame_ready());
    ASSERT_TRUE(framer.feed(vectors::unsuback.wire).has_value());
    ASSERT_TRUE(framer.frame_ready());
    EXPECT_TRUE(equal_bytes(framer.frame(), vectors::unsuback.wire));
}

}  // namespace
}  // namespace mqtls::mqtt::test
