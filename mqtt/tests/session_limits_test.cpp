// Session tests, part 4: bounded resources. Packet identifier allocation and wrap-around
// (MQTT 3.1.1 section 2.3.1), the in-flight window and the store, tx back-pressure (output_full,
// held-back messages), the event queue, and argument validation.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

PacketId id_on_wire(bytes_view publish_t_hi) {
    // PUBLISH "t": fixed header (2), topic length (2), 't', then the identifier.
    return static_cast<PacketId>((publish_t_hi[5] << 8) | publish_t_hi[6]);
}

// ---- packet identifiers -------------------------------------------------------------------------

TEST(SessionPacketIds, GoFrom1To65535ThenWrapTo1AndNeverUse0) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const Publish m = message_t_hi(QoS::at_least_once);
    std::uint32_t wrong = 0;
    std::uint32_t first_wrong = 0;
    std::uint32_t zeros = 0;
    std::uint32_t wraps = 0;
    PacketId previous = 0;
    const std::uint32_t total = 70000;
    for (std::uint32_t i = 0; i < total; ++i) {
        const PacketId expected = static_cast<PacketId>(i % 65535 + 1);
        const auto id = s.publish(m, at(1));
        ASSERT_TRUE(id) << "publish " << i;
        const bytes_view out = s.pending_output();
        ASSERT_EQ(out.size(), 9u) << "publish " << i;
        if (*id != expected || id_on_wire(out) != *id) {
            if (wrong == 0) first_wrong = i;
            ++wrong;
        }
        if (*id == 0 || id_on_wire(out) == 0) ++zeros;
        if (*id < previous) ++wraps;
        previous = *id;
        send_all(s);

        const auto taken = s.receive(Ack(puback_byte, *id).view(), at(2));
        ASSERT_TRUE(taken) << "puback " << i;
        ASSERT_EQ(*taken, 4u) << "puback " << i;
        const auto event = s.poll_event();
        ASSERT_TRUE(event.has_value()) << "puback " << i;
        const auto* acked = std::get_if<PublishAcked>(&*event);
        ASSERT_TRUE(acked != nullptr) << "puback " << i;
        ASSERT_EQ(acked->packet_id, *id) << "puback " << i;
        ASSERT_EQ(s.inflight_count(), 0u) << "puback " << i;
    }
    EXPECT_EQ(wrong, 0u) << "first wrong identifier at publish " << first_wrong;
    EXPECT_EQ(zeros, 0u);
    EXPECT_EQ(wraps, 1u);
    EXPECT_EQ(previous, static_cast<PacketId>(total - 65535));  // 4465 after the wrap
}

TEST(SessionPacketIds, IdentifierHeldInFlightIsSkippedAfterWrapAround) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const Publish m = message_t_hi(QoS::at_least_once);
    std::uint32_t wrong = 0;
    std::uint32_t first_wrong = 0;
    for (std::uint32_t k = 1; k <= 65535; ++k) {
        const auto id = s.publish(m, at(1));
        ASSERT_TRUE(id) << "publish " << k;
        if (*id != k) {
            if (wrong == 0) first_wrong = k;
            ++wrong;
        }
        send_all(s);
        if (*id == 3) continue;  // its PUBACK never comes
        ASSERT_TRUE(s.receive(Ack(puback_byte, *id).view(), at(2))) << "puback " << k;
        ASSERT_TRUE(s.poll_event().has_value()) << "puback " << k;
    }
    EXPECT_EQ(wrong, 0u) << "first wrong identifier at publish " << first_wrong;
    ASSERT_EQ(s.inflight_count(), 1u);
    EXPECT_TRUE(s.packet_id_in_use(3));

    // After 65535: 1, 2, then 4, because 3 is still in flight.
    const PacketId after_wrap[] = {1, 2, 4, 5};
    for (const PacketId expected : after_wrap) {
        const auto id = s.publish(m, at(3));
        ASSERT_TRUE(id);
        EXPECT_EQ(*id, expected);
        EXPECT_EQ(id_on_wire(s.pending_output()), expected);
        send_all(s);
        ASSERT_TRUE(s.receive(Ack(puback_byte, *id).view(), at(4)));
        ASSERT_TRUE(s.poll_event().has_value());
    }
    EXPECT_TRUE(s.packet_id_in_use(3));
    EXPECT_EQ(s.inflight_count(), 1u);
}

TEST(SessionPacketIds, PendingSubscribeIdentifierIsSkippedToo) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    const auto sub = s.subscribe(subs, at(1));  // id 1, never answered
    ASSERT_TRUE(sub);
    ASSERT_EQ(*sub, PacketId{1});
    send_all(s);
    const Publish m = message_t_hi(QoS::at_least_once);
    PacketId last = 0;
    bool used_1 = false;
    for (std::uint32_t k = 0; k < 65535; ++k) {  // ids 2..65535, then the wrap
        const auto id = s.publish(m, at(2));
        ASSERT_TRUE(id) << k;
        if (*id == 1) used_1 = true;
        last = *id;
        send_all(s);
        ASSERT_TRUE(s.receive(Ack(puback_byte, *id).view(), at(3))) << k;
        ASSERT_TRUE(s.poll_event().has_value()) << k;
    }
    EXPECT_FALSE(used_1);
    EXPECT_EQ(last, PacketId{2});  // 2..65535 is 65534 publishes; the next skips 1
}

// ---- the in-flight window and the store --------------------------------------------------------

TEST(SessionWindow, PublishingBeyondOutgoingMaxIsInflightFullAndChangesNothing) {
    static SessionStorage<128, 256, 256, /*OutgoingMax*/ 2, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(1)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(2)));
    // clang-format off
    static const std::uint8_t two[] = {
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',
        0x34, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 'h', 'i',
    };
    // clang-format on
    ASSERT_TRUE(output_is(s, wire(two)));

    const auto full = s.publish(message_t_hi(QoS::at_least_once), at(3));
    EXPECT_EQ(error_code(full), Errc::inflight_full);
    EXPECT_TRUE(output_is(s, wire(two)));
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_FALSE(s.packet_id_in_use(3));
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::exactly_once), at(3))), Errc::inflight_full);

    // QoS 0 is not limited by the window.
    EXPECT_TRUE(s.publish(message_t_hi(QoS::at_most_once), at(4)));
    send_all(s);

    // One acknowledgement opens one slot.
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(10), log));
    EXPECT_EQ(s.inflight_count(), 1u);
    const auto id = s.publish(message_t_hi(QoS::at_least_once), at(11));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{3});
    EXPECT_TRUE(output_is(s, PublishTHi(0x32, 3).view()));
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_least_once), at(12))), Errc::inflight_full);
}

TEST(SessionWindow, FullStoreIsInflightFullAndTooLargeIsMessageTooLarge) {
    static SessionStorage<128, 256, /*Store*/ 20, 8, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    log.clear();
    Publish a = message_t_hi(QoS::at_least_once);
    Publish b = message_t_hi(QoS::at_least_once);
    b.payload = text("xy");
    ASSERT_TRUE(s.publish(a, at(1)));  // 9 bytes stored
    ASSERT_TRUE(s.publish(b, at(2)));  // 18 bytes stored
    send_all(s);
    EXPECT_EQ(error_code(s.publish(a, at(3))), Errc::inflight_full);  // 27 > 20
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_EQ(s.pending_output().size(), 0u);

    Publish huge = message_t_hi(QoS::at_least_once);
    huge.payload = text("0123456789abcdef");  // 23 bytes encoded: can never fit 20
    EXPECT_EQ(error_code(s.publish(huge, at(4))), Errc::message_too_large);
    EXPECT_EQ(s.inflight_count(), 2u);

    // PUBACK 1 frees the first 9 bytes; message 2 must survive the compaction intact.
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(5), log));
    ASSERT_TRUE(s.publish(a, at(6)));  // id 3
    send_all(s);
    s.on_transport_closed(at(7));
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(8)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 'x', 'y',
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x03, 'h', 'i',
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionWindow, PubrecReleasesTheStoredCopy) {
    // Once PUBREC arrives the PUBLISH is never sent again, so its bytes leave the store.
    static SessionStorage<128, 256, /*Store*/ 20, 8, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(1)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(2)));
    send_all(s);
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::exactly_once), at(3))), Errc::inflight_full);
    ASSERT_TRUE(feed(s, Ack(pubrec_byte, 1).view(), at(4), log));
    EXPECT_EQ(s.inflight_count(), 2u);  // still awaiting PUBCOMP
    const auto id = s.publish(message_t_hi(QoS::exactly_once), at(5));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{3});
}

// ---- tx back-pressure ---------------------------------------------------------------------------

const std::uint8_t payload20[] = {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J',
                                  'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T'};

// PUBLISH QoS 1 "t" with payload20 and identifier `id`: 27 bytes.
struct Publish27 {
    std::uint8_t bytes[27];
    explicit Publish27(PacketId id) noexcept : bytes{} {
        const std::uint8_t head[] = {0x32, 0x19, 0x00, 0x01, 't', id_msb(id), id_lsb(id)};
        for (std::size_t i = 0; i < sizeof head; ++i) bytes[i] = head[i];
        for (std::size_t i = 0; i < sizeof payload20; ++i) bytes[sizeof head + i] = payload20[i];
    }
    [[nodiscard]] bytes_view view() const noexcept { return bytes_view(bytes, sizeof bytes); }
};

using TinyTxStorage = SessionStorage<128, /*Tx*/ 32, 256, 4, 2, 1, 3>;

TEST(SessionBackPressure, HeldBackMessageIsSentAfterConsumeOutput) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    Publish big = message_t_hi(QoS::at_least_once);
    big.payload = bytes_view(payload20, sizeof payload20);

    const auto id1 = s.publish(big, at(1));
    ASSERT_TRUE(id1);
    EXPECT_TRUE(output_is(s, Publish27(1).view()));
    const auto id2 = s.publish(big, at(2));  // stored; 27 + 27 > 32, so held back
    ASSERT_TRUE(id2);
    EXPECT_EQ(*id2, PacketId{2});
    EXPECT_TRUE(output_is(s, Publish27(1).view()));
    EXPECT_EQ(s.inflight_count(), 2u);

    // QoS 0 and SUBSCRIBE need room now: output_full, and nothing changes.
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_most_once), at(3))), Errc::output_full);
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    EXPECT_EQ(error_code(s.subscribe(subs, at(3))), Errc::output_full);
    EXPECT_TRUE(output_is(s, Publish27(1).view()));

    s.consume_output(27);
    EXPECT_TRUE(output_is(s, Publish27(2).view()));  // first transmission: DUP 0

    // A partial send keeps the rest, in order.
    s.consume_output(10);
    EXPECT_TRUE(output_is(s, Publish27(2).view().subspan(10)));
    s.consume_output(17);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_TRUE(s.publish(message_t_hi(QoS::at_most_once), at(4)));
}

TEST(SessionBackPressure, StoredMessagesFollowConnectAsRoomAppears) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(0)));  // 1
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(1)));  // 2
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));  // 3
    ASSERT_TRUE(s.start_connect(basic_connect(), at(10)));
    // CONNECT (15) + PUBLISH 1 (9) = 24; PUBLISH 2 would need 33 > 32.
    // clang-format off
    static const std::uint8_t flight[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x01, 'c',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 'h', 'i',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x03, 'h', 'i',
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(flight).first(24)));
    s.consume_output(5);  // 19 pending, room for PUBLISH 2 but not 3
    EXPECT_TRUE(output_is(s, wire(flight).subspan(5, 28)));
    s.consume_output(28);
    EXPECT_TRUE(output_is(s, wire(flight).subspan(33)));
}

TEST(SessionBackPressure, MessageLargerThanTxIsMessageTooLarge) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    static const std::uint8_t payload40[40] = {};
    Publish m = message_t_hi(QoS::at_least_once);
    m.payload = bytes_view(payload40, sizeof payload40);  // 47 bytes > 32
    EXPECT_EQ(error_code(s.publish(m, at(1))), Errc::message_too_large);
    EXPECT_EQ(s.inflight_count(), 0u);
    m.qos = QoS::at_most_once;
    EXPECT_EQ(error_code(s.publish(m, at(1))), Errc::message_too_large);
    EXPECT_EQ(s.pending_output().size(), 0u);
}

// A complete packet whose handling is deferred for lack of tx room must not be lost when the
// caller follows the documented loop of session.hpp: feed until the input is used up, poll
// events, send pending_output(), and treat output_full as "send, then call again".
void feed_documented(Session& s, bytes_view in, Instant now, EventLog& log, Transport& transport) {
    for (int guard = 0; !in.empty() && guard < 16; ++guard) {
        const auto n = s.receive(in, now);
        if (!n) {
            ASSERT_EQ(error_code(n), Errc::output_full);
            transport.take(s);
            continue;
        }
        in = in.subspan(*n);
        poll_all(s, log);
    }
    EXPECT_TRUE(in.empty());
    transport.take(s);
    poll_all(s, log);
}

// Application packets leave room for one acknowledgement (4 bytes); acknowledgements may use it.
// Fills a 32-byte tx buffer to 28 bytes with a QoS 0 message, the most an application may use.
void fill_tx_to_28(Session& s, Instant now) {
    Publish m = message_t_hi(QoS::at_most_once);
    static const std::uint8_t payload23[23] = {};
    m.payload = bytes_view(payload23, sizeof payload23);  // 2 + 3 + 23 = 28 bytes
    ASSERT_TRUE(s.publish(m, now));
    ASSERT_EQ(s.pending_output().size(), 28u);
}

TEST(SessionBackPressure, ApplicationPacketsLeaveRoomForAnAcknowledgement) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    Publish m = message_t_hi(QoS::at_most_once);
    static const std::uint8_t payload24[24] = {};
    m.payload = bytes_view(payload24, sizeof payload24);  // 29 bytes: would leave only 3
    // Even an empty tx buffer could never take it with the reserve kept: too large, not "full".
    EXPECT_EQ(error_code(s.publish(m, at(1))), Errc::message_too_large);
    EXPECT_EQ(s.pending_output().size(), 0u);
    fill_tx_to_28(s, at(1));
}

TEST(SessionBackPressure, PingreqWaitsForRoom) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    fill_tx_to_28(s, at(100));
    static const std::uint8_t publish[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 'h', 'i'};
    ASSERT_TRUE(s.receive(wire(publish), at(101)));  // its PUBACK fills the last 4 bytes
    poll_all(s, log);
    ASSERT_EQ(s.pending_output().size(), 32u);
    EXPECT_EQ(error_code(s.on_deadline(at(10101))), Errc::output_full);
    EXPECT_EQ(s.state(), SessionState::connected);
    EXPECT_EQ(s.pending_output().size(), 32u);
    send_all(s);
    ASSERT_TRUE(s.on_deadline(at(10102)));
    static const std::uint8_t pingreq[] = {0xc0, 0x00};
    EXPECT_TRUE(output_is(s, wire(pingreq)));
}

TEST(SessionBackPressure, AcknowledgementWaitsForRoomWithoutLosingThePacket) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    fill_tx_to_28(s, at(1));
    static const std::uint8_t first[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 'h', 'i'};
    static const std::uint8_t second[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x06, 'h', 'i'};
    ASSERT_TRUE(s.receive(wire(first), at(2)));  // PUBACK 5 fills the tx buffer
    poll_all(s, log);
    // No room for another acknowledgement: nothing of the next packet is taken.
    EXPECT_EQ(error_code(s.receive(wire(second), at(2))), Errc::output_full);
    EXPECT_EQ(s.state(), SessionState::connected);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    send_all(s);
    const auto r = s.receive(wire(second), at(3));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, sizeof second);
    poll_all(s, log);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 2u);
    EXPECT_TRUE(output_is(s, Ack(puback_byte, 6).view()));
}

TEST(SessionBackPressure, Qos1PublishArrivingWhileTxIsNearlyFullIsNotLost) {
    static TinyTxStorage storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    fill_tx_to_28(s, at(1));

    // The first PUBACK fills the tx buffer; the second publish must wait, not be lost.
    static const std::uint8_t stream[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 'h', 'i',
                                          0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x06, 'h', 'i'};
    Transport transport;
    feed_documented(s, wire(stream), at(2), log, transport);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 2u) << "a QoS 1 message was never delivered";
    // The transport saw our QoS 0 message, then PUBACK 5 and PUBACK 6.
    const bytes_view sent = transport.bytes();
    ASSERT_EQ(sent.size(), 36u);
    EXPECT_TRUE(equal_bytes(sent.subspan(28, 4), Ack(puback_byte, 5).view()));
    EXPECT_TRUE(equal_bytes(sent.last(4), Ack(puback_byte, 6).view()))
        << "the PUBACK for id 6 was never sent";
}

TEST(SessionBackPressure, PingrespArrivingWhileTxIsNearlyFullIsNotLost) {
    static TinyTxStorage storage;
    SessionConfig config;
    config.ping_timeout = Duration::from_seconds(5);
    Session s(config, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    ASSERT_TRUE(s.on_deadline(at(10000)));  // PINGREQ; PINGRESP due by 15000
    send_all(s);
    fill_tx_to_28(s, at(10100));

    // A QoS 1 message whose PUBACK fills the tx buffer, then the PINGRESP.
    static const std::uint8_t stream[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00,
                                          0x05, 'h',  'i',  0xd0, 0x00};
    Transport transport;
    feed_documented(s, wire(stream), at(10200), log, transport);
    // The broker answered in time; the session must not time the connection out.
    const auto r = s.on_deadline(at(15000));
    EXPECT_TRUE(r) << "keepalive_timeout although PINGRESP arrived at 10200 ms";
    EXPECT_EQ(s.state(), SessionState::connected);
}

// ---- the event queue ----------------------------------------------------------------------------

TEST(SessionEvents, UnpolledMessageBlocksReceiveUntilPolled) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    // clang-format off
    static const std::uint8_t two[] = {
        0x30, 0x05, 0x00, 0x01, 'a', '1', '1',
        0x30, 0x05, 0x00, 0x01, 'b', '2', '2',
    };
    // clang-format on
    const auto first = s.receive(wire(two), at(1));
    ASSERT_TRUE(first);
    ASSERT_EQ(*first, 7u);
    // The first message's views point into the rx buffer: no second packet until it is polled.
    const auto blocked = s.receive(wire(two).subspan(7), at(2));
    EXPECT_EQ(error_code(blocked), Errc::event_queue_full);
    EXPECT_EQ(s.state(), SessionState::connected);

    auto event = s.poll_event();
    ASSERT_TRUE(event.has_value());
    const auto* message = std::get_if<MessageReceived>(&*event);
    ASSERT_TRUE(message != nullptr);
    EXPECT_TRUE(message->message.topic == "a");
    EXPECT_TRUE(equal_bytes(message->message.payload, text("11")));

    const auto second = s.receive(wire(two).subspan(7), at(3));
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, 7u);
    event = s.poll_event();
    ASSERT_TRUE(event.has_value());
    message = std::get_if<MessageReceived>(&*event);
    ASSERT_TRUE(message != nullptr);
    EXPECT_TRUE(message->message.topic == "b");
    EXPECT_TRUE(equal_bytes(message->message.payload, text("22")));
    EXPECT_FALSE(s.poll_event().has_value());
}

// ---- argument validation ------------------------------------------------------------------------

TEST(SessionArguments, InvalidTopicsAreRefusedWithoutSideEffects) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    Publish wildcard = message_t_hi(QoS::at_least_once);
    wildcard.topic = "a/+";  // [MQTT-3.3.2-2] no wildcards in a topic name
    EXPECT_EQ(error_code(s.publish(wildcard, at(1))), Errc::wildcard_in_topic);
    Publish empty = message_t_hi(QoS::at_most_once);
    empty.topic = "";  // [MQTT-4.7.3-1]
    EXPECT_EQ(error_code(s.publish(empty, at(1))), Errc::empty_topic);
    const Subscription bad[] = {{"a/#/b", QoS::at_most_once}};  // '#' must be last [MQTT-4.7.1-2]
    EXPECT_EQ(error_code(s.subscribe(bad, at(1))), Errc::invalid_topic_filter);
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_EQ(s.pending_output().size(), 0u);
    // A valid message afterwards is accepted and tracked normally.
    const auto id = s.publish(message_t_hi(QoS::at_least_once), at(2));
    ASSERT_TRUE(id);
    EXPECT_FALSE(s.packet_id_in_use(0));
    EXPECT_TRUE(s.packet_id_in_use(*id));
}

}  // namespace
}  // namespace mqtls::mqtt
