// Session tests, part 5: the outgoing window as a ring and the lazily compacted store and tx
// buffers. Whatever order acknowledgements arrive in and however often the window wraps, the
// copies kept for resending stay intact and in publishing order [MQTT-4.6.0-1], and pending output
// leaves byte for byte as queued.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

constexpr std::size_t max_expected = 256;

// The bytes a session must send: built with the codec (tested on its own), appended in order.
struct Expected {
    std::uint8_t bytes[max_expected] = {};
    std::size_t size = 0;
    bool overflow = false;

    void add(const Packet& packet) noexcept {
        auto written = encode(packet, mutable_bytes(bytes + size, max_expected - size));
        if (!written) {
            overflow = true;
            return;
        }
        size += *written;
    }
    void add_bytes(bytes_view more) noexcept {
        for (const std::uint8_t byte : more) {
            if (size == max_expected) {
                overflow = true;
                return;
            }
            bytes[size++] = byte;
        }
    }
    [[nodiscard]] bytes_view view() const noexcept { return {bytes, size}; }
};

// PUBLISH "t" with `payload`, resent after a reconnect: DUP set [MQTT-3.3.1-1].
Publish resent(PacketId id, QoS qos, bytes_view payload) noexcept {
    Publish p;
    p.topic = "t";
    p.payload = payload;
    p.qos = qos;
    p.packet_id = id;
    p.dup = true;
    return p;
}

Publish message_with(QoS qos, bytes_view payload) noexcept {
    Publish p = message_t_hi(qos);
    p.payload = payload;
    return p;
}

// Reconnects with a persistent session and returns whether the output is CONNECT + `rest`.
bool resends_exactly(Session& s, bytes_view rest) noexcept {
    s.on_transport_closed(at(1000));
    if (!s.start_connect(basic_connect(false), at(1001))) return false;
    Expected all;
    all.add_bytes(wire(connect_c_keep));
    all.add_bytes(rest);
    return !all.overflow && output_is(s, all.view());
}

TEST(SessionWindowRing, WrapsManyTimesWithAcknowledgementsInOrder) {
    static SessionStorage<128, 256, /*Store*/ 64, /*OutgoingMax*/ 4, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    PacketId oldest = 1;
    PacketId newest = 0;
    std::size_t acknowledged = 0;
    for (int i = 0; i < 41; ++i) {  // ten trips round a window of four, and one more
        if (s.inflight_count() == 4) {
            EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_least_once), at(2))),
                      Errc::inflight_full);
            log.clear();
            ASSERT_TRUE(feed(s, Ack(puback_byte, oldest).view(), at(3), log));
            EXPECT_EQ(log.find(Seen::Kind::publish_acked).packet_id, oldest);
            acknowledged += log.count_of(Seen::Kind::publish_acked);
            ++oldest;
        }
        const auto id = s.publish(message_t_hi(QoS::at_least_once), at(4));
        ASSERT_TRUE(id);
        EXPECT_TRUE(output_is(s, PublishTHi(0x32, *id).view()));
        send_all(s);
        newest = *id;
    }
    EXPECT_EQ(newest, PacketId{41});
    EXPECT_EQ(s.inflight_count(), 4u);
    EXPECT_EQ(acknowledged, 37u);
    Expected rest;
    for (PacketId id = 38; id <= 41; ++id) rest.add(resent(id, QoS::at_least_once, text("hi")));
    EXPECT_TRUE(resends_exactly(s, rest.view()));
}

TEST(SessionWindowRing, AcknowledgementsOutOfOrderLeaveTheRestInOrder) {
    static SessionStorage<128, 256, /*Store*/ 128, /*OutgoingMax*/ 4, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(1)));
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(puback_byte, 3).view(), at(2), log));
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(3), log));
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_TRUE(s.packet_id_in_use(2));
    EXPECT_FALSE(s.packet_id_in_use(3));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(4)));  // 5
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(5)));  // 6
    send_all(s);
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_least_once), at(6))), Errc::inflight_full);
    Expected rest;
    for (const PacketId id : {PacketId{2}, PacketId{4}, PacketId{5}, PacketId{6}}) {
        rest.add(resent(id, QoS::at_least_once, text("hi")));
    }
    EXPECT_TRUE(resends_exactly(s, rest.view()));
}

TEST(SessionWindowRing, Qos2AwaitingPubcompAtTheFrontIsResentAsPubrelInOrder) {
    static SessionStorage<128, 256, /*Store*/ 128, /*OutgoingMax*/ 4, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(1)));   // 1
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(1)));  // 2
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(1)));  // 3
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(pubrec_byte, 1).view(), at(2), log));
    EXPECT_TRUE(output_is(s, Ack(pubrel_byte, 1).view()));
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(puback_byte, 3).view(), at(3), log));
    ASSERT_TRUE(feed(s, Ack(puback_byte, 2).view(), at(3), log));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(4)));  // 4
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(4)));   // 5
    send_all(s);
    EXPECT_EQ(s.inflight_count(), 3u);
    Expected rest;
    rest.add(PubRel{1});
    rest.add(resent(4, QoS::at_least_once, text("hi")));
    rest.add(resent(5, QoS::exactly_once, text("hi")));
    EXPECT_TRUE(resends_exactly(s, rest.view()));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(1002), log));
    ASSERT_TRUE(feed(s, Ack(pubcomp_byte, 1).view(), at(1003), log));
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_FALSE(s.packet_id_in_use(1));
}

TEST(SessionWindowStore, CopiesSurviveCompactionAfterHolesFromAnyOrder) {
    // 40 bytes of store; "t" messages encode to 7 + payload bytes.
    static SessionStorage<128, 256, /*Store*/ 40, /*OutgoingMax*/ 8, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    static const std::uint8_t a[] = {'a', 'a', 'a'};                           // 10 bytes
    static const std::uint8_t b[] = {'b', 'b', 'b', 'b', 'b'};                 // 12 bytes
    static const std::uint8_t c[] = {'c'};                                     // 8 bytes
    static const std::uint8_t d[] = {'d', 'd', 'd', 'd', 'd', 'd', 'd', 'd'};  // 15 bytes
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, wire(a)), at(1)));  // 1: 0..10
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, wire(b)), at(1)));  // 2: 10..22
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, wire(c)), at(1)));  // 3: 22..30
    send_all(s);
    // 30 of 40 bytes used: 15 more do not fit anywhere.
    EXPECT_EQ(error_code(s.publish(message_with(QoS::at_least_once, wire(d)), at(2))),
              Errc::inflight_full);
    // Freeing the middle copy leaves 22 bytes live and a 12-byte hole: d fits only once the
    // store is compacted (10 bytes free at the end).
    ASSERT_TRUE(feed(s, Ack(puback_byte, 2).view(), at(3), log));
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, wire(d)), at(4)));  // 4
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(5), log));
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, wire(a)), at(6)));  // 5
    // 33 of 40 bytes live again, 7 free at the end after the compaction: an empty payload fits.
    ASSERT_TRUE(s.publish(message_with(QoS::at_least_once, text("")), at(6)));  // 6
    send_all(s);
    EXPECT_EQ(error_code(s.publish(message_with(QoS::at_least_once, text("")), at(7))),
              Errc::inflight_full);
    EXPECT_EQ(s.inflight_count(), 4u);
    Expected rest;
    rest.add(resent(3, QoS::at_least_once, wire(c)));
    rest.add(resent(4, QoS::at_least_once, wire(d)));
    rest.add(resent(5, QoS::at_least_once, wire(a)));
    rest.add(resent(6, QoS::at_least_once, text("")));
    EXPECT_TRUE(resends_exactly(s, rest.view()));
}

TEST(SessionWindowTx, PartlyConsumedOutputLeavesInOrderAndItsRoomIsReused) {
    // 40 bytes of tx; each QoS 0 message below is 14 bytes, and 4 are kept for an acknowledgement.
    static SessionStorage<128, /*Tx*/ 40, 128, 4, 2, 1, 3> storage;
    Session s(SessionConfig{}, storage.memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    static const std::uint8_t first[] = {'1', '1', '1', '1', '1', '1', '1', '1', '1'};
    static const std::uint8_t second[] = {'2', '2', '2', '2', '2', '2', '2', '2', '2'};
    static const std::uint8_t third[] = {'3', '3', '3', '3', '3', '3', '3', '3', '3'};
    ASSERT_TRUE(s.publish(message_with(QoS::at_most_once, wire(first)), at(1)));
    ASSERT_TRUE(s.publish(message_with(QoS::at_most_once, wire(second)), at(1)));
    Expected queued;
    queued.add(message_with(QoS::at_most_once, wire(first)));
    queued.add(message_with(QoS::at_most_once, wire(second)));
    queued.add(message_with(QoS::at_most_once, wire(third)));
    ASSERT_FALSE(queued.overflow);
    ASSERT_EQ(queued.size, 42u);
    // 28 of 40 bytes queued: a third message needs 14 + 4.
    EXPECT_EQ(error_code(s.publish(message_with(QoS::at_most_once, wire(third)), at(2))),
              Errc::output_full);
    Expected sent;
    sent.add_bytes(s.pending_output().first(7));
    s.consume_output(7);
    // 7 bytes consumed, fewer than remain, so nothing moved: 19 bytes are free, but only 12 of
    // them after the queued bytes, so the message needs a compaction.
    ASSERT_TRUE(s.publish(message_with(QoS::at_most_once, wire(third)), at(3)));
    for (const std::size_t piece : {std::size_t{3}, std::size_t{11}, std::size_t{1}}) {
        sent.add_bytes(s.pending_output().first(piece));
        s.consume_output(piece);
    }
    sent.add_bytes(s.pending_output());
    send_all(s);
    EXPECT_TRUE(equal_bytes(sent.view(), queued.view()));
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionWindowIdentifiers, MarkedIdentifiersAreSkippedAfterWrapAroundAndFreedOnAck) {
    static SessionStorage<128, 256, 256, /*OutgoingMax*/ 8, 2, 2, 4> storage;
    static std::uint8_t bits[packet_id_bits_size];  // zero: nothing in use
    SessionMemory memory = storage.memory();
    memory.packet_id_bits = mutable_bytes(bits, sizeof bits);
    Session s(SessionConfig{}, memory);
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const Publish m = message_t_hi(QoS::at_least_once);
    std::uint32_t wrong = 0;
    for (std::uint32_t k = 1; k <= 65535; ++k) {
        const auto id = s.publish(m, at(1));
        ASSERT_TRUE(id) << "publish " << k;
        wrong += *id == k ? 0 : 1;
        send_all(s);
        if (*id == 3 || *id == 5) continue;  // their PUBACKs do not come yet
        ASSERT_TRUE(s.receive(Ack(puback_byte, *id).view(), at(2))) << "puback " << k;
        ASSERT_TRUE(s.poll_event().has_value()) << "puback " << k;
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_TRUE(s.packet_id_in_use(3));
    EXPECT_TRUE(s.packet_id_in_use(5));
    EXPECT_FALSE(s.packet_id_in_use(4));
    EXPECT_EQ((bits[0] >> 3) & 1U, 1U);  // the session keeps its marks in the caller's bytes

    // 1, 2, then 4 and 6: 3 and 5 are still in flight. Acknowledging 3 frees it for the next lap.
    const PacketId after_wrap[] = {1, 2, 4, 6};
    for (const PacketId expected : after_wrap) {
        const auto id = s.publish(m, at(3));
        ASSERT_TRUE(id);
        EXPECT_EQ(*id, expected);
        send_all(s);
        ASSERT_TRUE(s.receive(Ack(puback_byte, *id).view(), at(4)));
        ASSERT_TRUE(s.poll_event().has_value());
    }
    ASSERT_TRUE(s.receive(Ack(puback_byte, 3).view(), at(5)));
    ASSERT_TRUE(s.poll_event().has_value());
    EXPECT_FALSE(s.packet_id_in_use(3));
    EXPECT_EQ((bits[0] >> 3) & 1U, 0U);
    EXPECT_EQ(s.inflight_count(), 1u);
    // A pending SUBSCRIBE's identifier is skipped too (requests are searched, not marked).
    const Subscription filter{"t", QoS::at_most_once};
    const auto subscribe_id = s.subscribe(span<const Subscription>(&filter, 1), at(6));
    ASSERT_TRUE(subscribe_id);
    EXPECT_EQ(*subscribe_id, PacketId{7});
    send_all(s);
    const auto next = s.publish(m, at(7));
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, PacketId{8});
}

}  // namespace
}  // namespace mqtls::mqtt
