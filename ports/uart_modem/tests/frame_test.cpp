// The UART modem link's frames (frame.hpp): byte-exact encoding, decoding one byte at a time,
// and each way a damaged frame is refused.
#include "mqtls/port/uart_modem/frame.hpp"

#include "mqtls_test.hpp"

namespace mqtls::port::uart_modem {
namespace {

std::size_t encode(FrameType type, bytes_view payload, std::uint8_t (&out)[max_frame_bytes]) {
    return encode_frame(type, payload, mutable_bytes(out, sizeof out));
}

TEST(ModemFrame, EncodesHeaderPayloadAndBigEndianCrc) {
    const std::uint8_t payload[] = {'a', 'b', 'c'};
    std::uint8_t out[max_frame_bytes];
    ASSERT_EQ(encode(FrameType::send, bytes_view(payload, 3), out), std::size_t{11});
    EXPECT_EQ(out[0], 0x7E);
    EXPECT_EQ(out[1], 0x02);
    EXPECT_EQ(out[2], 0x00);
    EXPECT_EQ(out[3], 0x03);
    EXPECT_EQ(out[4], 'a');
    EXPECT_EQ(out[6], 'c');
    // The CRC-32 (IEEE) of 02 00 03 61 62 63, computed independently of the encoder.
    const std::uint8_t covered[] = {0x02, 0x00, 0x03, 'a', 'b', 'c'};
    const std::uint32_t crc = node::crc32_update(0, bytes_view(covered, sizeof covered));
    EXPECT_EQ(out[7], static_cast<std::uint8_t>(crc >> 24));
    EXPECT_EQ(out[10], static_cast<std::uint8_t>(crc & 0xFF));
}

TEST(ModemFrame, RefusesOversizedPayloadAndShortOutput) {
    static std::uint8_t big[max_frame_payload + 1] = {};
    std::uint8_t out[max_frame_bytes];
    EXPECT_EQ(encode(FrameType::send, bytes_view(big, sizeof big), out), std::size_t{0});
    std::uint8_t small[frame_overhead + 2];
    EXPECT_EQ(encode_frame(FrameType::send, bytes_view(big, 3), mutable_bytes(small, sizeof small)),
              std::size_t{0});
    EXPECT_EQ(encode(FrameType::send, bytes_view(big, max_frame_payload), out), max_frame_bytes);
}

TEST(ModemFrame, DecodesOneByteAtATimeIncludingAnEmptyPayload) {
    std::uint8_t wire[2 * max_frame_bytes];
    const std::uint8_t payload[] = {1, 2, 3, 4, 5};
    std::size_t length =
        encode_frame(FrameType::received, bytes_view(payload, 5), mutable_bytes(wire, sizeof wire));
    length +=
        encode_frame(FrameType::hung_up, {}, mutable_bytes(wire + length, sizeof wire - length));
    std::uint8_t buffer[max_frame_payload];
    FrameDecoder decoder{mutable_bytes(buffer, sizeof buffer)};
    int frames = 0;
    for (std::size_t i = 0; i < length; ++i) {
        const FrameDecoder::Status status = decoder.feed(wire[i]);
        if (status == FrameDecoder::Status::incomplete) continue;
        ASSERT_TRUE(status == FrameDecoder::Status::frame);
        ++frames;
        if (frames == 1) {
            EXPECT_EQ(decoder.type(), static_cast<std::uint8_t>(FrameType::received));
            ASSERT_EQ(decoder.payload().size(), std::size_t{5});
            EXPECT_EQ(decoder.payload()[4], 5);
            EXPECT_EQ(i, std::size_t{12});
        } else {
            EXPECT_EQ(decoder.type(), static_cast<std::uint8_t>(FrameType::hung_up));
            EXPECT_EQ(decoder.payload().size(), std::size_t{0});
        }
    }
    EXPECT_EQ(frames, 2);
    EXPECT_FALSE(decoder.mid_frame());
}

FrameDecoder::Status feed_all(FrameDecoder& decoder, const std::uint8_t* bytes,
                              std::size_t length) {
    FrameDecoder::Status status = FrameDecoder::Status::incomplete;
    for (std::size_t i = 0; i < length && status == FrameDecoder::Status::incomplete; ++i) {
        status = decoder.feed(bytes[i]);
    }
    return status;
}

TEST(ModemFrame, RefusesALostStartByteATooLongLengthAndEveryFlippedBit) {
    std::uint8_t buffer[max_frame_payload];
    FrameDecoder decoder{mutable_bytes(buffer, sizeof buffer)};
    const std::uint8_t junk[] = {0x00};
    EXPECT_TRUE(feed_all(decoder, junk, 1) == FrameDecoder::Status::bad_start);
    const std::uint8_t too_long[] = {0x7E, 0x83, 0x02, 0x01};  // 513 bytes
    EXPECT_TRUE(feed_all(decoder, too_long, 4) == FrameDecoder::Status::bad_length);

    std::uint8_t wire[max_frame_bytes];
    const std::uint8_t payload[] = {9, 8, 7};
    const std::size_t length =
        encode_frame(FrameType::received, bytes_view(payload, 3), mutable_bytes(wire, sizeof wire));
    // Any single flipped bit after the start byte (type, length, payload, CRC) is caught: as a
    // CRC mismatch, or a length the frame does not fit (the decoder then waits or refuses).
    for (std::size_t at = 1; at < length; ++at) {
        for (int bit = 0; bit < 8; ++bit) {
            std::uint8_t damaged[max_frame_bytes];
            for (std::size_t i = 0; i < length; ++i) damaged[i] = wire[i];
            damaged[at] = static_cast<std::uint8_t>(damaged[at] ^ (1U << bit));
            FrameDecoder fresh{mutable_bytes(buffer, sizeof buffer)};
            EXPECT_TRUE(feed_all(fresh, damaged, length) != FrameDecoder::Status::frame);
        }
    }
}

TEST(ModemFrame, DialPayloadRoundTripsAndRefusesPortZeroAndNoName) {
    std::uint8_t payload[max_frame_payload];
    const std::size_t length =
        encode_dial("broker.test", 8883, mutable_bytes(payload, sizeof payload));
    ASSERT_EQ(length, std::size_t{13});
    DialRequest request;
    ASSERT_TRUE(decode_dial(bytes_view(payload, length), request));
    EXPECT_EQ(request.port, 8883);
    EXPECT_TRUE(request.host == "broker.test");
    EXPECT_EQ(encode_dial("", 8883, mutable_bytes(payload, sizeof payload)), std::size_t{0});
    const std::uint8_t port_zero[] = {0, 0, 'h'};
    EXPECT_FALSE(decode_dial(bytes_view(port_zero, 3), request));
    const std::uint8_t no_name[] = {0x22, 0xB3};
    EXPECT_FALSE(decode_dial(bytes_view(no_name, 2), request));
}

}  // namespace
}  // namespace mqtls::port::uart_modem
