// Session tests, part 2: the QoS 0/1/2 flows in both directions (MQTT 3.1.1 section 4.3),
// SUBSCRIBE/UNSUBSCRIBE (3.8-3.11), and re-delivery after a reconnect (4.4). Expected bytes are
// written from the specification; the broker is a script of literal bytes.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

// ---- outgoing PUBLISH ---------------------------------------------------------------------------

TEST(SessionQos0Out, IsSentOnceAndNotTracked) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    Publish m = message_t_hi(QoS::at_most_once);
    m.retain = true;
    m.dup = true;      // ignored: DUP must be 0 for QoS 0 [MQTT-3.3.1-2]
    m.packet_id = 77;  // ignored: QoS 0 has no packet identifier [MQTT-2.3.1-5]
    const auto id = s.publish(m, at(10));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{0});
    static const std::uint8_t expected[] = {0x31, 0x05, 0x00, 0x01, 't', 'h', 'i'};
    EXPECT_TRUE(output_is(s, wire(expected)));
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_FALSE(s.packet_id_in_use(77));
}

TEST(SessionQos1Out, PublishThenPubackIsAcked) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    Publish m = message_t_hi(QoS::at_least_once);
    m.dup = true;       // ignored on a first transmission
    m.packet_id = 999;  // ignored: the session allocates
    const auto id = s.publish(m, at(10));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    const PublishTHi expected(0x32, 1);  // QoS 1, DUP 0, retain 0
    EXPECT_TRUE(output_is(s, expected.view()));
    EXPECT_EQ(s.inflight_count(), 1u);
    EXPECT_TRUE(s.packet_id_in_use(1));
    send_all(s);

    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(20), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::publish_acked);
    EXPECT_EQ(log.items[0].packet_id, PacketId{1});
    EXPECT_TRUE(log.items[0].qos == QoS::at_least_once);
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_FALSE(s.packet_id_in_use(1));
    EXPECT_EQ(s.pending_output().size(), 0u);  // a PUBACK needs no answer

    // The same PUBACK again acknowledges nothing.
    EXPECT_EQ(error_code(feed(s, Ack(puback_byte, 1).view(), at(30), log)),
              Errc::unknown_packet_id);
    EXPECT_EQ(log.count_of(Seen::Kind::publish_acked), 1u);
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

TEST(SessionQos2Out, PublishPubrecPubrelPubcompIsAcked) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const auto id = s.publish(message_t_hi(QoS::exactly_once), at(10));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    EXPECT_TRUE(output_is(s, PublishTHi(0x34, 1).view()));  // QoS 2
    send_all(s);

    ASSERT_TRUE(feed(s, Ack(pubrec_byte, 1).view(), at(20), log));
    EXPECT_TRUE(output_is(s, Ack(pubrel_byte, 1).view()));  // PUBREL, flags 0010
    EXPECT_EQ(log.count, 0u);                               // not done yet
    EXPECT_EQ(s.inflight_count(), 1u);
    EXPECT_TRUE(s.packet_id_in_use(1));
    send_all(s);

    ASSERT_TRUE(feed(s, Ack(pubcomp_byte, 1).view(), at(30), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::publish_acked);
    EXPECT_EQ(log.items[0].packet_id, PacketId{1});
    EXPECT_TRUE(log.items[0].qos == QoS::exactly_once);
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_FALSE(s.packet_id_in_use(1));
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionQos2Out, PubcompBeforePubrecIsRejected) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(10)));
    send_all(s);
    EXPECT_FALSE(feed(s, Ack(pubcomp_byte, 1).view(), at(20), log));
    EXPECT_EQ(log.count_of(Seen::Kind::publish_acked), 0u);
    EXPECT_EQ(s.inflight_count(), 1u);  // still owed to the broker
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

TEST(SessionQos2Out, PubackForQos2MessageIsRejected) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(10)));
    send_all(s);
    EXPECT_FALSE(feed(s, Ack(puback_byte, 1).view(), at(20), log));
    EXPECT_EQ(log.count_of(Seen::Kind::publish_acked), 0u);
    EXPECT_EQ(s.inflight_count(), 1u);
}

TEST(SessionQos1Out, UnknownPubackIdIsUnknownPacketId) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(10)));
    send_all(s);
    const auto r = feed(s, Ack(puback_byte, 2).view(), at(20), log);
    EXPECT_EQ(error_code(r), Errc::unknown_packet_id);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.inflight_count(), 1u);
}

TEST(SessionQos1Out, AcksOutOfOrderReleaseTheRightMessages) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    Publish a = message_t_hi(QoS::at_least_once);
    Publish b = message_t_hi(QoS::at_least_once);
    b.payload = text("second");
    Publish c = message_t_hi(QoS::exactly_once);
    ASSERT_TRUE(s.publish(a, at(1)));  // id 1
    ASSERT_TRUE(s.publish(b, at(2)));  // id 2
    ASSERT_TRUE(s.publish(c, at(3)));  // id 3
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(10), log));
    ASSERT_TRUE(feed(s, Ack(pubrec_byte, 3).view(), at(11), log));
    EXPECT_TRUE(output_is(s, Ack(pubrel_byte, 3).view()));
    send_all(s);
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_FALSE(s.packet_id_in_use(1));
    EXPECT_TRUE(s.packet_id_in_use(2));
    EXPECT_TRUE(s.packet_id_in_use(3));

    // Message 2 is still stored intact: a reconnect re-sends it with its own payload.
    s.on_transport_closed(at(20));
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(30)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x3a, 0x0b, 0x00, 0x01, 't', 0x00, 0x02, 's', 'e', 'c', 'o', 'n', 'd',  // DUP QoS 1 id 2
        0x62, 0x02, 0x00, 0x03,                                                 // PUBREL id 3
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

// ---- incoming PUBLISH ---------------------------------------------------------------------------

TEST(SessionQos1In, IsAcknowledgedAndDelivered) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    static const std::uint8_t publish[] = {0x33, 0x07, 0x00, 0x01, 't', 0x00, 0x05, 'h', 'i'};
    ASSERT_TRUE(feed(s, wire(publish), at(10), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::message);
    EXPECT_EQ(log.items[0].packet_id, PacketId{5});
    EXPECT_TRUE(log.items[0].qos == QoS::at_least_once);
    EXPECT_TRUE(log.items[0].retain);
    EXPECT_TRUE(log.items[0].topic_is("t"));
    EXPECT_TRUE(log.items[0].data_is(text("hi")));
    EXPECT_TRUE(output_is(s, Ack(puback_byte, 5).view()));
}

TEST(SessionQos0In, IsDeliveredWithoutAcknowledgement) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    static const std::uint8_t publish[] = {0x30, 0x05, 0x00, 0x01, 't', 'h', 'i'};
    ASSERT_TRUE(feed(s, wire(publish), at(10), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::message);
    EXPECT_TRUE(log.items[0].qos == QoS::at_most_once);
    EXPECT_TRUE(log.items[0].data_is(text("hi")));
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionQos2In, DuplicateBeforePubrelIsAcknowledgedButDeliveredOnce) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();

    ASSERT_TRUE(feed(s, PublishTHi(0x34, 7).view(), at(10), log));  // QoS 2, id 7
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    EXPECT_TRUE(log.find(Seen::Kind::message).qos == QoS::exactly_once);
    EXPECT_EQ(log.find(Seen::Kind::message).packet_id, PacketId{7});
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 7).view()));
    send_all(s);

    // The broker did not see our PUBREC and re-sends with DUP: acknowledge again, deliver never.
    ASSERT_TRUE(feed(s, PublishTHi(0x3c, 7).view(), at(20), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 7).view()));
    send_all(s);

    ASSERT_TRUE(feed(s, Ack(pubrel_byte, 7).view(), at(30), log));
    EXPECT_TRUE(output_is(s, Ack(pubcomp_byte, 7).view()));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    send_all(s);

    // After PUBREL the identifier is free: a new message with it is a new delivery.
    ASSERT_TRUE(feed(s, PublishTHi(0x34, 7).view(), at(40), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 2u);
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 7).view()));
}

TEST(SessionQos2In, PubrelForUnknownIdIsStillCompleted) {
    // Section 4.3.3, receiver side: a PUBREL is answered with a PUBCOMP of the same identifier,
    // whether or not that identifier is still stored.
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(feed(s, Ack(pubrel_byte, 0x0102).view(), at(10), log));
    EXPECT_TRUE(output_is(s, Ack(pubcomp_byte, 0x0102).view()));
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionQos2In, TooManyUnreleasedMessagesIsIncomingWindowFull) {
    // SmallStorage tracks 4 incoming QoS 2 identifiers.
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    for (PacketId id = 1; id <= 4; ++id) {
        ASSERT_TRUE(feed(s, PublishTHi(0x34, id).view(), at(10), log)) << "id " << id;
        send_all(s);
    }
    const auto r = feed(s, PublishTHi(0x34, 5).view(), at(11), log);
    EXPECT_EQ(error_code(r), Errc::incoming_window_full);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 4u);  // the fifth was not delivered
}

TEST(SessionQos2In, ReleasedIdentifiersMakeRoom) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    for (PacketId id = 1; id <= 4; ++id) {
        ASSERT_TRUE(feed(s, PublishTHi(0x34, id).view(), at(10), log));
        send_all(s);
    }
    ASSERT_TRUE(feed(s, Ack(pubrel_byte, 2).view(), at(11), log));
    send_all(s);
    EXPECT_TRUE(feed(s, PublishTHi(0x34, 5).view(), at(12), log));
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 5).view()));
    // id 4 is still awaiting PUBREL: a duplicate of it is not delivered again.
    send_all(s);
    ASSERT_TRUE(feed(s, PublishTHi(0x3c, 4).view(), at(13), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 5u);
}

// ---- SUBSCRIBE / SUBACK, UNSUBSCRIBE / UNSUBACK ------------------------------------------------

TEST(SessionSubscribe, SubackFailureCodeIsSurfaced) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const Subscription subs[] = {{"a/#", QoS::at_least_once}, {"b/+", QoS::exactly_once}};
    const auto id = s.subscribe(subs, at(10));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    // clang-format off
    static const std::uint8_t expected[] = {
        0x82, 0x0e, 0x00, 0x01,                    // SUBSCRIBE (flags 0010), id 1
        0x00, 0x03, 'a', '/', '#', 0x01,           // "a/#" QoS 1
        0x00, 0x03, 'b', '/', '+', 0x02,           // "b/+" QoS 2
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    EXPECT_TRUE(s.packet_id_in_use(1));
    send_all(s);

    static const std::uint8_t suback[] = {0x90, 0x04, 0x00, 0x01, 0x01, 0x80};
    ASSERT_TRUE(feed(s, wire(suback), at(20), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::subscribe_acked);
    EXPECT_EQ(log.items[0].packet_id, PacketId{1});
    static const std::uint8_t codes[] = {0x01, suback_failure};
    EXPECT_TRUE(log.items[0].data_is(wire(codes)));
    EXPECT_FALSE(s.packet_id_in_use(1));
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionSubscribe, SubackWithTooFewCodesIsProtocolViolation) {
    // [MQTT-3.9.3-1] one return code per topic filter.
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const Subscription subs[] = {{"a/#", QoS::at_least_once}, {"b/+", QoS::exactly_once}};
    ASSERT_TRUE(s.subscribe(subs, at(10)));
    send_all(s);
    static const std::uint8_t suback[] = {0x90, 0x03, 0x00, 0x01, 0x01};
    EXPECT_EQ(error_code(feed(s, wire(suback), at(20), log)), Errc::protocol_violation);
    EXPECT_EQ(log.count_of(Seen::Kind::subscribe_acked), 0u);
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

TEST(SessionSubscribe, SubackWithTooManyCodesIsProtocolViolation) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    ASSERT_TRUE(s.subscribe(subs, at(10)));
    send_all(s);
    static const std::uint8_t suback[] = {0x90, 0x04, 0x00, 0x01, 0x00, 0x00};
    EXPECT_EQ(error_code(feed(s, wire(suback), at(20), log)), Errc::protocol_violation);
    EXPECT_EQ(log.count_of(Seen::Kind::subscribe_acked), 0u);
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

TEST(SessionSubscribe, UnsubscribeAndUnsuback) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const std::string_view filters[] = {"a/#", "b/+"};
    const auto id = s.unsubscribe(filters, at(10));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    // clang-format off
    static const std::uint8_t expected[] = {
        0xa2, 0x0c, 0x00, 0x01,            // UNSUBSCRIBE (flags 0010), id 1
        0x00, 0x03, 'a', '/', '#',         //
        0x00, 0x03, 'b', '/', '+',         //
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(unsuback_byte, 1).view(), at(20), log));
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::unsubscribe_acked);
    EXPECT_EQ(log.items[0].packet_id, PacketId{1});
    EXPECT_FALSE(s.packet_id_in_use(1));
}

TEST(SessionSubscribe, UnsubackForASubscribeIsNotAnAnswer) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    ASSERT_TRUE(s.subscribe(subs, at(10)));
    send_all(s);
    EXPECT_FALSE(feed(s, Ack(unsuback_byte, 1).view(), at(20), log));
    EXPECT_EQ(log.count_of(Seen::Kind::unsubscribe_acked), 0u);
    EXPECT_EQ(log.count_of(Seen::Kind::subscribe_acked), 0u);
}

TEST(SessionSubscribe, NeedsAConnection) {
    Session s(SessionConfig{}, shared_memory());
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    EXPECT_EQ(error_code(s.subscribe(subs, at(0))), Errc::not_connected);
    const std::string_view filters[] = {"a"};
    EXPECT_EQ(error_code(s.unsubscribe(filters, at(0))), Errc::not_connected);
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionSubscribe, RequestsAndMessagesShareTheIdentifierSpace) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const auto p1 = s.publish(message_t_hi(QoS::at_least_once), at(1));
    const Subscription subs[] = {{"a", QoS::at_most_once}};
    const auto sub = s.subscribe(subs, at(2));
    const auto p2 = s.publish(message_t_hi(QoS::exactly_once), at(3));
    ASSERT_TRUE(p1);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(p2);
    EXPECT_NE(*p1, *sub);
    EXPECT_NE(*p2, *sub);
    EXPECT_NE(*p1, *p2);
    EXPECT_TRUE(s.packet_id_in_use(*sub));
}

// ---- re-delivery after a lost connection (section 4.4) ------------------------------------------

TEST(SessionReconnect, ResendsUnackedPublishWithDupAndPubrelRightAfterConnect) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    log.clear();
    const auto a = s.publish(message_t_hi(QoS::exactly_once), at(10));   // gets PUBREC
    const auto b = s.publish(message_t_hi(QoS::at_least_once), at(11));  // PUBACK lost
    const auto c = s.publish(message_t_hi(QoS::exactly_once), at(12));   // PUBREC lost
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    ASSERT_TRUE(c);
    EXPECT_EQ(*a, PacketId{1});
    EXPECT_EQ(*b, PacketId{2});
    EXPECT_EQ(*c, PacketId{3});
    send_all(s);
    ASSERT_TRUE(feed(s, Ack(pubrec_byte, 1).view(), at(20), log));
    EXPECT_TRUE(output_is(s, Ack(pubrel_byte, 1).view()));
    send_all(s);

    s.on_transport_closed(at(30));
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.inflight_count(), 3u);
    EXPECT_EQ(s.pending_output().size(), 0u);

    // [MQTT-4.4.0-1] same identifiers; [MQTT-3.3.1-1] DUP = 1 on a re-delivered PUBLISH; the
    // PUBLISH of message 1 is never sent again once its PUBREL was [MQTT-4.3.3-1].
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(40)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x62, 0x02, 0x00, 0x01,                                 // PUBREL id 1
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x02, 'h', 'i',      // PUBLISH DUP QoS 1 id 2
        0x3c, 0x07, 0x00, 0x01, 't', 0x00, 0x03, 'h', 'i',      // PUBLISH DUP QoS 2 id 3
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    send_all(s);

    // clang-format off
    static const std::uint8_t answers[] = {
        0x20, 0x02, 0x01, 0x00,  // CONNACK, session present
        0x70, 0x02, 0x00, 0x01,  // PUBCOMP 1
        0x40, 0x02, 0x00, 0x02,  // PUBACK 2
        0x50, 0x02, 0x00, 0x03,  // PUBREC 3
    };
    // clang-format on
    ASSERT_TRUE(feed(s, wire(answers), at(50), log));
    EXPECT_EQ(log.count_of(Seen::Kind::connected), 1u);
    ASSERT_EQ(log.count_of(Seen::Kind::publish_acked), 2u);
    EXPECT_EQ(log.find(Seen::Kind::publish_acked, 0).packet_id, PacketId{1});
    EXPECT_TRUE(log.find(Seen::Kind::publish_acked, 0).qos == QoS::exactly_once);
    EXPECT_EQ(log.find(Seen::Kind::publish_acked, 1).packet_id, PacketId{2});
    EXPECT_TRUE(output_is(s, Ack(pubrel_byte, 3).view()));
    EXPECT_EQ(s.inflight_count(), 1u);
}

TEST(SessionReconnect, RestoredMessagesFromAnEarlierRunGoOutWithDupAndTheirIdentifiers) {
    // A new Session, as after a reboot: the application restores what its outbox says was in
    // flight under ids 7 (QoS 1) and 9 (QoS 2), then connects with a persistent session.
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.restore_outgoing(message_t_hi(QoS::at_least_once), 7));
    ASSERT_TRUE(s.restore_outgoing(message_t_hi(QoS::exactly_once), 9));
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_TRUE(s.packet_id_in_use(7));
    EXPECT_EQ(s.pending_output().size(), 0u);  // nothing goes out before CONNECT
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(0)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x07, 'h', 'i',  // PUBLISH DUP QoS 1 id 7
        0x3c, 0x07, 0x00, 0x01, 't', 0x00, 0x09, 'h', 'i',  // PUBLISH DUP QoS 2 id 9
    };
    static const std::uint8_t answers[] = {
        0x20, 0x02, 0x01, 0x00,  // CONNACK, session present
        0x40, 0x02, 0x00, 0x07,  // PUBACK 7
        0x50, 0x02, 0x00, 0x09,  // PUBREC 9
        0x70, 0x02, 0x00, 0x09,  // PUBCOMP 9
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(answers), at(10), log));
    ASSERT_EQ(log.count_of(Seen::Kind::publish_acked), 2u);
    EXPECT_EQ(log.find(Seen::Kind::publish_acked, 0).packet_id, PacketId{7});
    EXPECT_EQ(log.find(Seen::Kind::publish_acked, 1).packet_id, PacketId{9});
    EXPECT_EQ(s.inflight_count(), 0u);
    // New messages get identifiers after the restored ones.
    const auto next = s.publish(message_t_hi(QoS::at_least_once), at(20));
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, PacketId{10});
}

TEST(SessionReconnect, RestoreIsRefusedWhenItCannotBeRight) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    const Result<void> qos0 = s.restore_outgoing(message_t_hi(QoS::at_most_once), 1);
    ASSERT_FALSE(qos0);
    EXPECT_EQ(qos0.error().code, Errc::invalid_argument);
    EXPECT_FALSE(s.restore_outgoing(message_t_hi(QoS::at_least_once), 0));
    ASSERT_TRUE(s.restore_outgoing(message_t_hi(QoS::at_least_once), 5));
    EXPECT_FALSE(s.restore_outgoing(message_t_hi(QoS::at_least_once), 5));  // id in use
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    EXPECT_FALSE(s.restore_outgoing(message_t_hi(QoS::at_least_once), 6));  // connected
    EXPECT_EQ(s.inflight_count(), 1u);
}

TEST(SessionReconnect, SecondReconnectResendsTheSameBytesAgain) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(10)));
    send_all(s);
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',
    };
    // clang-format on
    for (int round = 0; round < 3; ++round) {
        s.on_transport_closed(at(20 + round * 10));
        ASSERT_TRUE(s.start_connect(basic_connect(false), at(25 + round * 10)));
        EXPECT_TRUE(output_is(s, wire(expected))) << "round " << round;
        send_all(s);
    }
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(100), log));
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(101), log));
    EXPECT_EQ(s.inflight_count(), 0u);
}

TEST(SessionReconnect, FatalErrorAlsoKeepsMessagesForTheNextConnection) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(10)));
    send_all(s);
    static const std::uint8_t pingreq[] = {0xc0, 0x00};  // server-only: fatal
    ASSERT_FALSE(feed(s, wire(pingreq), at(20), log));
    ASSERT_EQ(s.state(), SessionState::disconnected);
    s.on_transport_closed(at(21));  // the caller closes the transport
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(30)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 'c',
        0x3a, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionReconnect, PublishWhileDisconnectedIsStoredAndSentAfterStartConnect) {
    Session s(SessionConfig{}, shared_memory());
    const auto id = s.publish(message_t_hi(QoS::at_least_once), at(0));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.inflight_count(), 1u);
    EXPECT_EQ(s.state(), SessionState::disconnected);

    ASSERT_TRUE(s.start_connect(basic_connect(), at(10)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x01, 'c',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',  // never sent before: DUP 0
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionReconnect, Qos0WhileDisconnectedIsNotConnected) {
    Session s(SessionConfig{}, shared_memory());
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_most_once), at(0))), Errc::not_connected);
    EXPECT_EQ(s.inflight_count(), 0u);
    ASSERT_TRUE(s.start_connect(basic_connect(), at(10)));
    EXPECT_TRUE(output_is(s, wire(connect_c_clean)));  // nothing was kept
}

TEST(SessionReconnect, IncomingQos2StateSurvivesOnlyWithoutCleanSession) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(false)));
    ASSERT_TRUE(feed(s, PublishTHi(0x34, 9).view(), at(10), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    s.on_transport_closed(at(20));  // our PUBREC may have been lost

    // Persistent session: the broker re-sends with DUP; acknowledged, not delivered again.
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(30)));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(31), log));
    ASSERT_TRUE(feed(s, PublishTHi(0x3c, 9).view(), at(32), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 9).view()));
    s.on_transport_closed(at(40));

    // Clean session [MQTT-3.1.2-6]: the old state is gone, so id 9 is a new message.
    ASSERT_TRUE(s.start_connect(basic_connect(true), at(50)));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_accepted), at(51), log));
    ASSERT_TRUE(feed(s, PublishTHi(0x34, 9).view(), at(52), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 2u);
    EXPECT_TRUE(output_is(s, Ack(pubrec_byte, 9).view()));
}

}  // namespace
}  // namespace mqtls::mqtt
