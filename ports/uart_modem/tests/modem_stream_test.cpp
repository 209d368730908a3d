// ModemStream (link::ByteStream over the UART modem link) against a scripted modem: dialing,
// the ByteStream contract (partial sends, would-block, end of stream, errors), hanging up, and
// a damaged or silent link failing the connection.
#include "mqtls/port/uart_modem/modem_stream.hpp"

#include "mqtls_test.hpp"
#include "scripted_modem.hpp"

namespace mqtls::port::uart_modem {
namespace {

using test::StreamRig;

constexpr Duration second = Duration::from_seconds(1);

TEST(ModemStream, DialsThroughTheModemAndOpens) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    EXPECT_TRUE(rig.stream.is_open());
    EXPECT_EQ(rig.modem.dials, std::size_t{1});
    EXPECT_EQ(rig.modem.dialed_port, 8883);
    EXPECT_TRUE(std::string_view(rig.modem.dialed_host) == "broker.test");
    EXPECT_GE(rig.modem.idle_spans, std::size_t{1});
}

TEST(ModemStream, ReportsTheModemsDialFailureAsTheMatchingError) {
    const DialFailure failures[] = {DialFailure::refused, DialFailure::resolve_failed,
                                    DialFailure::timed_out, DialFailure::unreachable,
                                    DialFailure::busy};
    const Errc expected[] = {Errc::connection_refused, Errc::resolve_failed,
                             Errc::connect_timed_out, Errc::network_unreachable,
                             Errc::socket_error};
    for (int i = 0; i < 5; ++i) {
        StreamRig rig;
        rig.modem.dial_succeeds = false;
        rig.modem.failure = failures[i];
        const Result<void> opened = rig.stream.open("broker.test", 8883, second);
        ASSERT_FALSE(opened);
        EXPECT_TRUE(opened.error().code == expected[i]);
        EXPECT_FALSE(rig.stream.is_open());
    }
}

TEST(ModemStream, ASilentModemTimesOutTheDialAndIsToldToHangUp) {
    StreamRig rig;
    rig.modem.answer_dials = false;
    const Result<void> opened = rig.stream.open("broker.test", 8883, Duration::from_millis(50));
    ASSERT_FALSE(opened);
    EXPECT_TRUE(opened.error().code == Errc::modem_link_failed);
    EXPECT_EQ(opened.error().detail, static_cast<std::int32_t>(LinkFault::silent));
    EXPECT_EQ(rig.modem.hang_ups, std::size_t{1});
}

TEST(ModemStream, RefusesBadArgumentsAndCallsWhileClosed) {
    StreamRig rig;
    EXPECT_TRUE(rig.stream.open("", 8883, second).error().code == Errc::invalid_argument);
    EXPECT_TRUE(rig.stream.open("h", 0, second).error().code == Errc::invalid_argument);
    const std::uint8_t byte = 1;
    EXPECT_TRUE(rig.stream.send_some(bytes_view(&byte, 1)).error().code == Errc::not_connected);
    std::uint8_t in[4];
    EXPECT_TRUE(rig.stream.receive_some(mutable_bytes(in, 4)).error().code == Errc::not_connected);
    EXPECT_TRUE(rig.stream.wait(true, false, second).error().code == Errc::not_connected);
    EXPECT_EQ(rig.modem.dials, std::size_t{0});
}

TEST(ModemStream, SendsAtMostOneFramePerCallAndEveryByteArrives) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    static std::uint8_t data[1300];
    for (std::size_t i = 0; i < sizeof data; ++i) data[i] = static_cast<std::uint8_t>(i * 7);
    std::size_t sent = 0;
    for (int calls = 0; calls < 10 && sent < sizeof data; ++calls) {
        auto taken = rig.stream.send_some(bytes_view(data + sent, sizeof data - sent));
        ASSERT_TRUE(taken);
        EXPECT_LE(*taken, max_frame_payload);
        sent += *taken;
    }
    EXPECT_EQ(sent, sizeof data);
    EXPECT_EQ(rig.modem.send_frames, std::size_t{3});
    EXPECT_EQ(rig.modem.largest_send, max_frame_payload);
    ASSERT_EQ(rig.modem.sent_length, sizeof data);
    bool same = true;
    for (std::size_t i = 0; i < sizeof data; ++i) same = same && rig.modem.sent[i] == data[i];
    EXPECT_TRUE(same);
}

TEST(ModemStream, HandsOutReceivedFramesInPiecesThenWouldBlock) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    std::uint8_t in[16];
    auto nothing = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_TRUE(nothing);
    EXPECT_EQ(*nothing, std::size_t{0});
    const std::uint8_t first[] = {1, 2, 3, 4, 5, 6};
    const std::uint8_t second_frame[] = {7, 8};
    rig.modem.queue(FrameType::received, bytes_view(first, sizeof first));
    rig.modem.queue(FrameType::received, {});  // an empty frame is no data
    rig.modem.queue(FrameType::received, bytes_view(second_frame, sizeof second_frame));
    auto ready = rig.stream.wait(true, false, second);
    ASSERT_TRUE(ready);
    EXPECT_TRUE(ready->readable);
    auto a = rig.stream.receive_some(mutable_bytes(in, 4));
    auto b = rig.stream.receive_some(mutable_bytes(in + 4, 12));
    auto c = rig.stream.receive_some(mutable_bytes(in + 6, 10));
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, std::size_t{4});
    EXPECT_EQ(*b, std::size_t{2});
    EXPECT_EQ(*c, std::size_t{2});
    for (std::uint8_t i = 0; i < 8; ++i) EXPECT_EQ(in[i], i + 1);
    auto empty = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, std::size_t{0});
}

TEST(ModemStream, WaitTimesOutWhenNothingArrivesAndWritingNeverWaits) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    auto timed_out = rig.stream.wait(true, false, Duration::from_millis(20));
    ASSERT_FALSE(timed_out);
    EXPECT_TRUE(timed_out.error().code == Errc::io_timed_out);
    auto writable = rig.stream.wait(true, true, second);
    ASSERT_TRUE(writable);
    EXPECT_TRUE(writable->writable);
    EXPECT_FALSE(writable->readable);
    EXPECT_TRUE(rig.stream.wait(false, false, second).error().code == Errc::invalid_argument);
}

TEST(ModemStream, ThePeersCloseIsTheEndOfStreamAfterTheData) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    const std::uint8_t data[] = {42};
    rig.modem.queue(FrameType::received, bytes_view(data, 1));
    const auto end = static_cast<std::uint8_t>(CloseReason::end_of_stream);
    rig.modem.queue(FrameType::closed, bytes_view(&end, 1));
    std::uint8_t in[4];
    auto got = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, std::size_t{1});
    auto closed = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_FALSE(closed);
    EXPECT_TRUE(link::is_end_of_stream(closed.error()));
    auto send_after = rig.stream.send_some(bytes_view(data, 1));
    ASSERT_FALSE(send_after);
    EXPECT_TRUE(send_after.error().code == Errc::connection_reset);
}

TEST(ModemStream, AResetIsNotAnEndOfStream) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    const auto reset = static_cast<std::uint8_t>(CloseReason::reset);
    rig.modem.queue(FrameType::closed, bytes_view(&reset, 1));
    std::uint8_t in[4];
    auto closed = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_FALSE(closed);
    EXPECT_TRUE(closed.error().code == Errc::connection_reset);
    EXPECT_FALSE(link::is_end_of_stream(closed.error()));
}

TEST(ModemStream, ADamagedFrameFailsTheConnection) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    std::uint8_t wire[max_frame_bytes];
    const std::uint8_t data[] = {1, 2, 3};
    const std::size_t length =
        encode_frame(FrameType::received, bytes_view(data, 3), mutable_bytes(wire, sizeof wire));
    wire[5] ^= 0x10;
    rig.modem.queue_raw(bytes_view(wire, length));
    std::uint8_t in[4];
    auto got = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_FALSE(got);
    EXPECT_TRUE(got.error().code == Errc::modem_link_failed);
    EXPECT_EQ(got.error().detail, static_cast<std::int32_t>(LinkFault::bad_crc));
    EXPECT_TRUE(rig.stream.send_some(bytes_view(data, 1)).error().code == Errc::modem_link_failed);
}

TEST(ModemStream, AFrameOutOfPlaceFailsTheConnection) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    rig.modem.queue(FrameType::connected, {});
    auto ready = rig.stream.wait(true, false, second);
    ASSERT_TRUE(ready);  // readable: the next receive reports the fault
    std::uint8_t in[4];
    auto got = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().detail, static_cast<std::int32_t>(LinkFault::unexpected));
}

TEST(ModemStream, CloseHangsUpAndDropsWhatTheOldConnectionStillSends) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    const std::uint8_t stale[] = {0xEE, 0xEE};
    rig.modem.queue(FrameType::received, bytes_view(stale, 2));
    rig.stream.close();
    rig.stream.close();  // idempotent
    EXPECT_EQ(rig.modem.hang_ups, std::size_t{1});
    EXPECT_FALSE(rig.stream.is_open());
    ASSERT_TRUE(rig.stream.open("broker.test", 8883, second));
    std::uint8_t in[4];
    auto got = rig.stream.receive_some(mutable_bytes(in, sizeof in));
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, std::size_t{0});  // the stale bytes are gone
    EXPECT_EQ(rig.modem.dials, std::size_t{2});
}

TEST(ModemStream, CountsTheBytesOnTheLineWithTheirFraming) {
    StreamRig rig;
    ASSERT_TRUE(rig.stream.open("b", 1, second));
    // dial: overhead + port + "b"; connected: overhead.
    EXPECT_EQ(rig.stream.line_bytes_sent(), frame_overhead + 3);
    EXPECT_EQ(rig.stream.line_bytes_received(), frame_overhead);
}

}  // namespace
}  // namespace mqtls::port::uart_modem
