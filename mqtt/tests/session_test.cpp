// Session tests, part 1: connecting, CONNACK handling, the first flight, packets a client must
// never receive, disconnecting, and a whole broker stream fed in pieces. Expected bytes are
// written from the OASIS MQTT 3.1.1 specification (sections 2 and 3); the broker is a script of
// literal bytes with literal timestamps.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

// ---- CONNECT on the wire (section 3.1) ----------------------------------------------------------

TEST(SessionConnect, AllConnectFieldsAppearByteExact) {
    Session s(SessionConfig{}, shared_memory());
    Connect c;
    c.client_id = "dev1";
    c.clean_session = true;
    c.keep_alive_s = 60;
    c.will = Will{"w/t", text("bye"), QoS::at_least_once, true};
    c.username = std::string_view("u");
    c.password = text("pw");

    ASSERT_TRUE(s.start_connect(c, at(0)));

    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x21,                           // CONNECT, remaining length 33
        0x00, 0x04, 'M', 'Q', 'T', 'T',       // protocol name (3.1.2.1)
        0x04,                                 // protocol level 4 (3.1.2.2)
        0xee,                                 // user+password+will retain+will QoS 1+will+clean
        0x00, 0x3c,                           // keep alive 60 s, big-endian (3.1.2.10)
        0x00, 0x04, 'd', 'e', 'v', '1',       // client identifier (3.1.3.1)
        0x00, 0x03, 'w', '/', 't',            // will topic (3.1.3.2)
        0x00, 0x03, 'b', 'y', 'e',            // will message (3.1.3.3)
        0x00, 0x01, 'u',                      // user name (3.1.3.4)
        0x00, 0x02, 'p', 'w',                 // password (3.1.3.5)
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    EXPECT_EQ(s.state(), SessionState::connecting);
}

TEST(SessionConnect, WillQos2UsernameOnlyAndPersistentSessionByteExact) {
    Session s(SessionConfig{}, shared_memory());
    Connect c;
    c.client_id = "x";
    c.clean_session = false;
    c.keep_alive_s = 0x1234;
    c.will = Will{"a", bytes_view{}, QoS::exactly_once, false};
    c.username = std::string_view("us");

    ASSERT_TRUE(s.start_connect(c, at(0)));

    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x16,                      // remaining length 22
        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x94,                            // user name | will QoS 2 (bits 4-3 = 10) | will; clean = 0
        0x12, 0x34,                      // keep alive MSB first
        0x00, 0x01, 'x',                 // client identifier
        0x00, 0x01, 'a',                 // will topic
        0x00, 0x00,                      // empty will message
        0x00, 0x02, 'u', 's',            // user name; no password field
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionConnect, MinimalConnectHasNoOptionalFields) {
    Session s(SessionConfig{}, shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(false, 10), at(0)));
    static const std::uint8_t expected[] = {0x10, 0x0d, 0x00, 0x04, 'M',  'Q',  'T', 'T',
                                            0x04, 0x00, 0x00, 0x0a, 0x00, 0x01, 'c'};
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionConnect, StartConnectTwiceIsAlreadyConnectedAndChangesNothing) {
    Session s(SessionConfig{}, shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    const auto again = s.start_connect(basic_connect(), at(5));
    EXPECT_EQ(error_code(again), Errc::already_connected);
    EXPECT_TRUE(output_is(s, wire(connect_c_clean)));
    EXPECT_EQ(s.state(), SessionState::connecting);

    EventLog log;
    ASSERT_TRUE(feed(s, wire(connack_accepted), at(6), log));
    EXPECT_EQ(error_code(s.start_connect(basic_connect(), at(7))), Errc::already_connected);
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionConnect, InvalidConnectIsRefusedAndSessionStaysDisconnected) {
    Session s(SessionConfig{}, shared_memory());
    Connect c = basic_connect();
    c.password = text("pw");  // a password without a user name [MQTT-3.1.2-22]
    const auto r = s.start_connect(c, at(0));
    EXPECT_FALSE(r);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_TRUE(s.next_deadline().is_never());
}

// ---- CONNACK (section 3.2) ----------------------------------------------------------------------

TEST(SessionConnack, AcceptedRaisesConnectedWithoutSessionPresent) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    ASSERT_TRUE(feed(s, wire(connack_accepted), at(20), log));
    EXPECT_EQ(s.state(), SessionState::connected);
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::connected);
    EXPECT_FALSE(log.items[0].session_present);
}

TEST(SessionConnack, AcceptedRaisesConnectedWithSessionPresent) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(0)));
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(20), log));
    EXPECT_EQ(s.state(), SessionState::connected);
    ASSERT_EQ(log.count, 1u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::connected);
    EXPECT_TRUE(log.items[0].session_present);
}

TEST(SessionConnack, SessionPresentInAnswerToACleanSessionIsFatal) {
    // [MQTT-3.2.2-1]: the broker must answer clean session 1 with Session Present 0. One that
    // claims a session it cannot have is not trusted with this connection.
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    const auto r = feed(s, wire(connack_session_present), at(20), log);
    EXPECT_EQ(error_code(r), Errc::unexpected_session_present);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(log.count_of(Seen::Kind::connected), 0u);
    // The same broker answer is fine for a persistent session, on the next connection.
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(30)));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(40), log));
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionConnack, EveryRefusalCodeIsBrokerRefusedWithTheCodeAsDetail) {
    // Table 3.1: 1 unacceptable protocol version, 2 identifier rejected, 3 server unavailable,
    // 4 bad user name or password, 5 not authorized.
    for (std::uint8_t code = 1; code <= 5; ++code) {
        Session s(SessionConfig{}, shared_memory());
        EventLog log;
        ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
        const std::uint8_t connack[] = {0x20, 0x02, 0x00, code};
        const auto r = feed(s, wire(connack), at(10), log);
        EXPECT_EQ(error_code(r), Errc::broker_refused) << "return code " << int{code};
        EXPECT_EQ(error_detail(r), std::int32_t{code}) << "return code " << int{code};
        EXPECT_EQ(s.state(), SessionState::disconnected) << "return code " << int{code};
        EXPECT_EQ(log.count_of(Seen::Kind::connected), 0u) << "return code " << int{code};
        EXPECT_EQ(s.pending_output().size(), 0u) << "return code " << int{code};
        EXPECT_TRUE(s.next_deadline().is_never()) << "return code " << int{code};
    }
}

TEST(SessionConnack, UndefinedReturnCodeIsFatal) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    static const std::uint8_t connack6[] = {0x20, 0x02, 0x00, 0x06};
    const auto r = feed(s, wire(connack6), at(10), log);
    EXPECT_FALSE(r);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(log.count_of(Seen::Kind::connected), 0u);
}

TEST(SessionConnack, AnyOtherFirstPacketIsProtocolViolation) {
    // [MQTT-3.2.0-1] the first packet from the server is CONNACK.
    static const std::uint8_t publish_qos0[] = {0x30, 0x05, 0x00, 0x01, 't', 'h', 'i'};
    static const std::uint8_t pingresp[] = {0xd0, 0x00};
    static const std::uint8_t suback[] = {0x90, 0x03, 0x00, 0x01, 0x00};
    static const std::uint8_t pubrel[] = {0x62, 0x02, 0x00, 0x01};
    const bytes_view firsts[] = {wire(publish_qos0), wire(pingresp), wire(suback), wire(pubrel)};
    for (std::size_t i = 0; i < sizeof firsts / sizeof firsts[0]; ++i) {
        Session s(SessionConfig{}, shared_memory());
        EventLog log;
        ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
        const auto r = feed(s, firsts[i], at(10), log);
        EXPECT_EQ(error_code(r), Errc::protocol_violation) << "case " << i;
        EXPECT_EQ(s.state(), SessionState::disconnected) << "case " << i;
        EXPECT_EQ(log.count, 0u) << "case " << i;  // nothing delivered, nothing acknowledged
        EXPECT_EQ(s.pending_output().size(), 0u) << "case " << i;
    }
}

TEST(SessionConnack, SecondConnackIsProtocolViolation) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const auto r = feed(s, wire(connack_accepted), at(50), log);
    EXPECT_EQ(error_code(r), Errc::protocol_violation);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(log.count_of(Seen::Kind::connected), 1u);
}

// ---- one flight: packets queued before CONNACK leave with CONNECT -------------------------------

TEST(SessionFlight, ConnectAndPublishesBeforeConnackShareOnePendingOutput) {
    Session s(SessionConfig{}, shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    const auto id = s.publish(message_t_hi(QoS::at_least_once), at(1));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, PacketId{1});
    const auto id0 = s.publish(message_t_hi(QoS::at_most_once), at(2));
    ASSERT_TRUE(id0);
    EXPECT_EQ(*id0, PacketId{0});

    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x01, 'c',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',  // PUBLISH QoS 1, id 1, DUP 0
        0x30, 0x05, 0x00, 0x01, 't', 'h', 'i',              // PUBLISH QoS 0
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
    EXPECT_EQ(s.state(), SessionState::connecting);

    // The broker answers the whole flight.
    EventLog log;
    static const std::uint8_t answers[] = {0x20, 0x02, 0x00, 0x00, 0x40, 0x02, 0x00, 0x01};
    send_all(s);
    ASSERT_TRUE(feed(s, wire(answers), at(30), log));
    ASSERT_EQ(log.count, 2u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::connected);
    EXPECT_TRUE(log.items[1].kind == Seen::Kind::publish_acked);
    EXPECT_EQ(log.items[1].packet_id, PacketId{1});
    EXPECT_EQ(s.inflight_count(), 0u);
}

// ---- packets only a server may receive (section 2.2.1: direction) -------------------------------

TEST(SessionProtocol, ServerOnlyPacketsFromTheBrokerAreProtocolViolations) {
    static const std::uint8_t subscribe[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00};
    static const std::uint8_t unsubscribe[] = {0xa2, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'};
    static const std::uint8_t pingreq[] = {0xc0, 0x00};
    static const std::uint8_t disconnect[] = {0xe0, 0x00};
    const bytes_view packets[] = {wire(subscribe), wire(unsubscribe), wire(pingreq),
                                  wire(connect_c_clean), wire(disconnect)};
    for (std::size_t i = 0; i < sizeof packets / sizeof packets[0]; ++i) {
        Session s(SessionConfig{}, shared_memory());
        EventLog log;
        ASSERT_TRUE(establish(s, log, at(0))) << "case " << i;
        ASSERT_TRUE(s.publish(message_t_hi(QoS::at_most_once), at(5)));  // output to discard
        const auto r = feed(s, packets[i], at(10), log);
        EXPECT_EQ(error_code(r), Errc::protocol_violation) << "case " << i;
        EXPECT_EQ(s.state(), SessionState::disconnected) << "case " << i;
        EXPECT_EQ(s.pending_output().size(), 0u) << "case " << i;  // output discarded
        EXPECT_EQ(error_code(s.receive(wire(connack_accepted), at(11))), Errc::not_connected)
            << "case " << i;
    }
}

TEST(SessionProtocol, FatalErrorDiscardsOutputAndKeepsUnacknowledgedMessages) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(5)));
    ASSERT_GT(s.pending_output().size(), 0u);
    const Ack unknown(puback_byte, 9);
    const auto r = feed(s, unknown.view(), at(10), log);
    EXPECT_EQ(error_code(r), Errc::unknown_packet_id);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.inflight_count(), 1u);
    EXPECT_TRUE(s.packet_id_in_use(1));
}

TEST(SessionProtocol, ReceiveWhileDisconnectedIsNotConnected) {
    Session s(SessionConfig{}, shared_memory());
    const auto r = s.receive(wire(connack_accepted), at(0));
    EXPECT_EQ(error_code(r), Errc::not_connected);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_FALSE(s.poll_event().has_value());
}

// ---- DISCONNECT (section 3.14) ------------------------------------------------------------------

TEST(SessionDisconnect, EmitsE000AndEntersDisconnecting) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    ASSERT_TRUE(s.disconnect(at(100)));
    static const std::uint8_t disconnect[] = {0xe0, 0x00};
    EXPECT_TRUE(output_is(s, wire(disconnect)));
    EXPECT_EQ(s.state(), SessionState::disconnecting);
    EXPECT_TRUE(s.next_deadline().is_never());  // no PINGREQ after DISCONNECT
    EXPECT_EQ(error_code(s.publish(message_t_hi(QoS::at_most_once), at(101))), Errc::not_connected);
    EXPECT_TRUE(output_is(s, wire(disconnect)));  // nothing may follow DISCONNECT

    s.on_transport_closed(at(200));
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_TRUE(s.start_connect(basic_connect(), at(300)));
    EXPECT_TRUE(output_is(s, wire(connect_c_clean)));
}

TEST(SessionDisconnect, QueuedMessagesAreNotSentAfterDisconnect) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    ASSERT_TRUE(s.disconnect(at(10)));
    const auto id = s.publish(message_t_hi(QoS::at_least_once), at(11));
    ASSERT_TRUE(id);  // kept for the next connection
    static const std::uint8_t disconnect[] = {0xe0, 0x00};
    EXPECT_TRUE(output_is(s, wire(disconnect)));
    send_all(s);
    EXPECT_EQ(s.pending_output().size(), 0u);
    s.on_transport_closed(at(20));
    ASSERT_TRUE(s.start_connect(basic_connect(), at(30)));
    // clang-format off
    static const std::uint8_t expected[] = {
        0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x01, 'c',
        0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i',  // first transmission: DUP 0
    };
    // clang-format on
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionDisconnect, DisconnectWithoutConnectionIsNotConnected) {
    Session s(SessionConfig{}, shared_memory());
    EXPECT_EQ(error_code(s.disconnect(at(0))), Errc::not_connected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

// ---- requests abandoned at transport close ------------------------------------------------------

TEST(SessionClose, PendingSubscribeAndUnsubscribeAreAbandoned) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    log.clear();
    const Subscription subs[] = {{"a/#", QoS::at_least_once}};
    const auto sub = s.subscribe(subs, at(10));
    ASSERT_TRUE(sub);
    const std::string_view filters[] = {"b"};
    const auto unsub = s.unsubscribe(filters, at(11));
    ASSERT_TRUE(unsub);
    EXPECT_TRUE(s.packet_id_in_use(*sub));
    EXPECT_TRUE(s.packet_id_in_use(*unsub));
    send_all(s);

    s.on_transport_closed(at(20));
    poll_all(s, log);
    ASSERT_EQ(log.count, 2u);
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::abandoned);
    EXPECT_EQ(log.items[0].packet_id, *sub);
    EXPECT_TRUE(log.items[0].request == PacketType::subscribe);
    EXPECT_TRUE(log.items[1].kind == Seen::Kind::abandoned);
    EXPECT_EQ(log.items[1].packet_id, *unsub);
    EXPECT_TRUE(log.items[1].request == PacketType::unsubscribe);
    EXPECT_FALSE(s.packet_id_in_use(*sub));
    EXPECT_FALSE(s.packet_id_in_use(*unsub));

    // MQTT 3.1.1 does not resend SUBSCRIBE: a late SUBACK on the next connection is unknown.
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(30)));
    EXPECT_TRUE(output_is(s, wire(connect_c_keep)));
    send_all(s);
    log.clear();
    ASSERT_TRUE(feed(s, wire(connack_session_present), at(31), log));
    const std::uint8_t late_suback[] = {0x90, 0x03, id_msb(*sub), id_lsb(*sub), 0x01};
    EXPECT_EQ(error_code(feed(s, wire(late_suback), at(32), log)), Errc::unknown_packet_id);
    EXPECT_EQ(log.count_of(Seen::Kind::subscribe_acked), 0u);
}

TEST(SessionClose, NothingToAbandonRaisesNoEvent) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    s.on_transport_closed(at(5));
    EXPECT_FALSE(s.poll_event().has_value());
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

// ---- a whole broker stream, in pieces of any size -----------------------------------------------

// CONNACK, SUBACK for id 2 (granted QoS 1), PUBACK for id 1, a QoS 1 PUBLISH with id 0x1234 and a
// QoS 0 PUBLISH, back to back as one TCP stream.
// clang-format off
const std::uint8_t broker_stream[] = {
    0x20, 0x02, 0x00, 0x00,                                   // CONNACK accepted
    0x90, 0x03, 0x00, 0x02, 0x01,                             // SUBACK id 2: QoS 1
    0x40, 0x02, 0x00, 0x01,                                   // PUBACK id 1
    0x32, 0x07, 0x00, 0x01, 't', 0x12, 0x34, 'h', 'i',        // PUBLISH QoS 1 id 0x1234
    0x30, 0x06, 0x00, 0x02, 'u', '/', 'o', 'k',               // PUBLISH QoS 0 "u/" "ok"
};
// clang-format on

void run_broker_stream(std::size_t chunk) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    const auto pub = s.publish(message_t_hi(QoS::at_least_once), at(1));
    ASSERT_TRUE(pub);
    ASSERT_EQ(*pub, PacketId{1});
    const Subscription subs[] = {{"t", QoS::at_least_once}};
    const auto sub = s.subscribe(subs, at(2));
    ASSERT_TRUE(sub);
    ASSERT_EQ(*sub, PacketId{2});
    send_all(s);

    const auto r = feed(s, wire(broker_stream), at(10), log, chunk);
    ASSERT_TRUE(r) << "chunk " << chunk;
    EXPECT_FALSE(log.overflow);
    ASSERT_EQ(log.count, 5u) << "chunk " << chunk;
    EXPECT_TRUE(log.items[0].kind == Seen::Kind::connected) << "chunk " << chunk;
    EXPECT_TRUE(log.items[1].kind == Seen::Kind::subscribe_acked) << "chunk " << chunk;
    EXPECT_EQ(log.items[1].packet_id, PacketId{2});
    static const std::uint8_t granted[] = {0x01};
    EXPECT_TRUE(log.items[1].data_is(wire(granted))) << "chunk " << chunk;
    EXPECT_TRUE(log.items[2].kind == Seen::Kind::publish_acked) << "chunk " << chunk;
    EXPECT_EQ(log.items[2].packet_id, PacketId{1});
    EXPECT_TRUE(log.items[3].kind == Seen::Kind::message) << "chunk " << chunk;
    EXPECT_EQ(log.items[3].packet_id, PacketId{0x1234});
    EXPECT_TRUE(log.items[3].qos == QoS::at_least_once);
    EXPECT_TRUE(log.items[3].topic_is("t")) << "chunk " << chunk;
    EXPECT_TRUE(log.items[3].data_is(text("hi"))) << "chunk " << chunk;
    EXPECT_TRUE(log.items[4].kind == Seen::Kind::message) << "chunk " << chunk;
    EXPECT_TRUE(log.items[4].qos == QoS::at_most_once);
    EXPECT_TRUE(log.items[4].topic_is("u/")) << "chunk " << chunk;
    EXPECT_TRUE(log.items[4].data_is(text("ok"))) << "chunk " << chunk;

    static const std::uint8_t puback[] = {0x40, 0x02, 0x12, 0x34};
    EXPECT_TRUE(output_is(s, wire(puback))) << "chunk " << chunk;
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionStream, WholeStreamAtOnce) { run_broker_stream(0); }
TEST(SessionStream, OneByteAtATime) { run_broker_stream(1); }
TEST(SessionStream, ThreeBytesAtATime) { run_broker_stream(3); }

TEST(SessionStream, ReceiveStopsAfterEachPacket) {
    Session s(SessionConfig{}, shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    const auto pub = s.publish(message_t_hi(QoS::at_least_once), at(1));
    const Subscription subs[] = {{"t", QoS::at_least_once}};
    ASSERT_TRUE(pub);
    ASSERT_TRUE(s.subscribe(subs, at(2)));
    send_all(s);
    // The first call takes exactly the CONNACK, the next exactly the SUBACK.
    const auto first = s.receive(wire(broker_stream), at(10));
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, 4u);
    auto ev = s.poll_event();
    ASSERT_TRUE(ev.has_value());
    EXPECT_TRUE(std::holds_alternative<Connected>(*ev));
    const auto second = s.receive(wire(broker_stream).subspan(4), at(10));
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, 5u);
}

}  // namespace
}  // namespace mqtls::mqtt
