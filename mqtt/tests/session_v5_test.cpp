// Session tests, MQTT 5 (SessionConfig::protocol = v5): the CONNECT the session builds from its
// own capacities, what CONNACK's properties change (keep alive, Receive Maximum, Maximum QoS,
// Retain Available, Maximum Packet Size), reason codes of 0x80 and up as a message's failure,
// refusals, DISCONNECT and redirection reported with the broker's reasons. Broker bytes are
// written from OASIS MQTT Version 5.0, section 3.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

SessionConfig v5_config() {
    SessionConfig config;
    config.protocol = ProtocolVersion::v5;
    return config;
}

constexpr std::uint8_t connack_v5_accepted[] = {0x20, 0x03, 0x00, 0x00, 0x00};

bool establish_v5(Session& session, EventLog& log, bytes_view connack,
                  const Connect& connect = basic_connect()) {
    if (!session.start_connect(connect, at(0))) return false;
    send_all(session);
    if (!feed(session, connack, at(1), log)) return false;
    return session.state() == SessionState::connected;
}

// PUBLISH "t" "hi" in its MQTT 5 form: topic, packet identifier, Property Length 0, payload.
struct PublishTHi5 {
    std::uint8_t bytes[10];
    constexpr PublishTHi5(std::uint8_t first, PacketId id) noexcept
        : bytes{first, 0x08, 0x00, 0x01, 't', id_msb(id), id_lsb(id), 0x00, 'h', 'i'} {}
    [[nodiscard]] bytes_view view() const noexcept { return {bytes, sizeof bytes}; }
};

// ---- CONNECT -----------------------------------------------------------------------------------

TEST(SessionV5Connect, AnnouncesWhatTheSessionCanHold) {
    Session s(v5_config(), shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    // Level 5; Receive Maximum 4 (the incoming QoS 2 window of SmallStorage) and Maximum Packet
    // Size 256 (its rx buffer), so the broker never sends what the session would have to refuse.
    static const std::uint8_t expected[] = {0x10, 0x16, 0x00, 0x04, 'M',  'Q',  'T',  'T',
                                            0x05, 0x02, 0x00, 0x00, 0x08, 0x21, 0x00, 0x04,
                                            0x27, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 'c'};
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionV5Connect, KeepsTheCallersPropertiesAndDoesNotRepeatTheirs) {
    Session s(v5_config(), shared_memory());
    const Property properties[] = {
        Property::integer(PropertyId::session_expiry_interval, 3600),
        Property::integer(PropertyId::receive_maximum, 2),
    };
    Connect c = basic_connect(false);
    c.properties = PropertyList(span<const Property>(properties));
    ASSERT_TRUE(s.start_connect(c, at(0)));
    DecodeLimits limits;
    limits.protocol = ProtocolVersion::v5;
    const auto decoded = server::decode(s.pending_output(), limits);
    ASSERT_TRUE(decoded.has_value());
    const auto* connect = std::get_if<Connect>(&decoded->packet);
    ASSERT_TRUE(connect != nullptr);
    EXPECT_EQ(connect->properties.size(), 3u);
    const auto expiry = find_property(connect->properties, PropertyId::session_expiry_interval);
    ASSERT_TRUE(expiry.has_value());
    EXPECT_EQ(expiry->number, 3600u);
    const auto receive = find_property(connect->properties, PropertyId::receive_maximum);
    ASSERT_TRUE(receive.has_value());
    EXPECT_EQ(receive->number, 2u);  // the caller's, not the default
    EXPECT_TRUE(find_property(connect->properties, PropertyId::maximum_packet_size).has_value());
}

TEST(SessionV5Connect, RefusesLimitsItCannotKeep) {
    Session s(v5_config(), shared_memory());
    const Property too_many_incoming[] = {Property::integer(PropertyId::receive_maximum, 5)};
    Connect c = basic_connect();
    c.properties = PropertyList(span<const Property>(too_many_incoming));
    EXPECT_EQ(error_code(s.start_connect(c, at(0))), Errc::invalid_argument);
    const Property too_large[] = {Property::integer(PropertyId::maximum_packet_size, 257)};
    c.properties = PropertyList(span<const Property>(too_large));
    EXPECT_EQ(error_code(s.start_connect(c, at(0))), Errc::invalid_argument);
    const Property aliases[] = {Property::integer(PropertyId::topic_alias_maximum, 3)};
    c.properties = PropertyList(span<const Property>(aliases));
    EXPECT_EQ(error_code(s.start_connect(c, at(0))), Errc::invalid_argument);
    EXPECT_TRUE(s.state() == SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionV5Connect, ProtocolChangesOnlyBetweenConnectionsWithNothingStored) {
    Session s(SessionConfig{}, shared_memory());
    ASSERT_TRUE(s.set_protocol(ProtocolVersion::v5));
    EXPECT_TRUE(s.protocol() == ProtocolVersion::v5);
    EXPECT_EQ(error_code(s.set_protocol(static_cast<ProtocolVersion>(3))),
              Errc::unsupported_protocol_level);
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    EXPECT_EQ(s.pending_output()[8], 0x05);  // the Protocol Level of the CONNECT
    EXPECT_EQ(error_code(s.set_protocol(ProtocolVersion::v3_1_1)), Errc::already_connected);
    s.on_transport_closed(at(1));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));  // stored in MQTT 5 form
    EXPECT_EQ(error_code(s.set_protocol(ProtocolVersion::v3_1_1)), Errc::invalid_argument);
    EXPECT_TRUE(s.protocol() == ProtocolVersion::v5);
}

// ---- CONNACK -----------------------------------------------------------------------------------

TEST(SessionV5Connack, PropertiesSetTheLimitsOfTheConnection) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    // Server Keep Alive 5, Receive Maximum 1, Maximum QoS 1, Retain Available 0, Maximum Packet
    // Size 64, Assigned Client Identifier "auto".
    static const std::uint8_t connack[] = {0x20, 0x19, 0x00, 0x00, 0x16, 0x13, 0x00, 0x05, 0x21,
                                           0x00, 0x01, 0x24, 0x01, 0x25, 0x00, 0x27, 0x00, 0x00,
                                           0x00, 0x40, 0x12, 0x00, 0x04, 'a',  'u',  't',  'o'};
    ASSERT_TRUE(establish_v5(s, log, wire(connack)));
    const Seen connected = log.find(Seen::Kind::connected);
    EXPECT_EQ(connected.properties, 6u);
    EXPECT_TRUE(connected.topic_is("auto"));  // the Assigned Client Identifier
    EXPECT_EQ(s.keep_alive_s(), 5);           // [MQTT-3.2.2-21] the server's, not ours (0)
    EXPECT_EQ(s.broker_limits().receive_maximum, 1);
    EXPECT_TRUE(s.broker_limits().maximum_qos == QoS::at_least_once);
    EXPECT_FALSE(s.broker_limits().retain_available);
    EXPECT_EQ(s.broker_limits().maximum_packet_size, 64u);
    EXPECT_EQ(s.next_deadline(), at(0) + Duration::from_seconds(5));

    const auto qos2 = s.publish(message_t_hi(QoS::exactly_once), at(2));
    EXPECT_EQ(error_code(qos2), Errc::broker_limit_exceeded);
    EXPECT_EQ(error_detail(qos2), 0x24);
    Publish retained = message_t_hi(QoS::at_most_once);
    retained.retain = true;
    const auto retain = s.publish(retained, at(2));
    EXPECT_EQ(error_code(retain), Errc::broker_limit_exceeded);
    EXPECT_EQ(error_detail(retain), 0x25);
    static const std::uint8_t big[80] = {};
    Publish large = message_t_hi(QoS::at_least_once);
    large.payload = bytes_view(big, sizeof big);
    const auto too_large = s.publish(large, at(2));
    EXPECT_EQ(error_code(too_large), Errc::broker_limit_exceeded);
    EXPECT_EQ(error_detail(too_large), 0x27);
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionV5Connack, ReceiveMaximumHoldsMessagesBackUntilAnAcknowledgement) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    static const std::uint8_t connack[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01};
    ASSERT_TRUE(establish_v5(s, log, wire(connack)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(3)));
    EXPECT_EQ(s.inflight_count(), 2u);
    EXPECT_TRUE(output_is(s, PublishTHi5(0x32, 1).view()));  // only one in flight
    send_all(s);
    EXPECT_EQ(s.pending_output().size(), 0u);
    ASSERT_TRUE(feed(s, Ack(puback_byte, 1).view(), at(4), log));
    EXPECT_EQ(log.count_of(Seen::Kind::publish_acked), 1u);
    EXPECT_TRUE(output_is(s, PublishTHi5(0x32, 2).view()));  // the window opened
}

TEST(SessionV5Connack, RefusalIsReportedWithItsReason) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    send_all(s);
    // 0x87 Not authorized, Reason String "no".
    static const std::uint8_t connack[] = {0x20, 0x08, 0x00, 0x87, 0x05,
                                           0x1F, 0x00, 0x02, 'n',  'o'};
    const auto refused = feed(s, wire(connack), at(1), log);
    EXPECT_EQ(error_code(refused), Errc::broker_refused);
    EXPECT_EQ(error_detail(refused), 0x87);
    EXPECT_TRUE(is_permanent(refused.error()));
    const Seen closed = log.find(Seen::Kind::broker_closed);
    EXPECT_TRUE(closed.request == PacketType::connack);
    EXPECT_EQ(closed.reason, 0x87);
    EXPECT_TRUE(closed.topic_is("no"));
    EXPECT_TRUE(s.state() == SessionState::disconnected);
}

TEST(SessionV5Connack, ServerMovedIsReportedNotFollowed) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    send_all(s);
    // 0x9D Server moved, Server Reference "b2:8883".
    static const std::uint8_t connack[] = {0x20, 0x0D, 0x00, 0x9D, 0x0A, 0x1C, 0x00, 0x07,
                                           'b',  '2',  ':',  '8',  '8',  '8',  '3'};
    const auto moved = feed(s, wire(connack), at(1), log);
    EXPECT_EQ(error_code(moved), Errc::broker_redirected);
    EXPECT_EQ(error_detail(moved), 0x9D);
    EXPECT_TRUE(log.find(Seen::Kind::broker_closed).topic_is("b2:8883"));
    EXPECT_EQ(s.pending_output().size(), 0u);
}

// ---- acknowledgements --------------------------------------------------------------------------

TEST(SessionV5Ack, PubackFailureRejectsTheMessageInsteadOfAcknowledgingIt) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    log.clear();
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    send_all(s);
    // 0x87 Not authorized (an ACL denial), Reason String "no".
    static const std::uint8_t puback[] = {0x40, 0x09, 0x00, 0x01, 0x87, 0x05,
                                          0x1F, 0x00, 0x02, 'n',  'o'};
    ASSERT_TRUE(feed(s, wire(puback), at(3), log));
    EXPECT_EQ(log.count_of(Seen::Kind::publish_acked), 0u);
    const Seen rejected = log.find(Seen::Kind::publish_rejected);
    EXPECT_EQ(rejected.packet_id, 1);
    EXPECT_EQ(rejected.reason, 0x87);
    EXPECT_TRUE(rejected.topic_is("no"));
    EXPECT_EQ(s.inflight_count(), 0u);
    EXPECT_FALSE(s.packet_id_in_use(1));
}

TEST(SessionV5Ack, SuccessCodesStillAcknowledge) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    send_all(s);
    static const std::uint8_t puback[] = {0x40, 0x03, 0x00, 0x01, 0x10};  // No matching subscribers
    ASSERT_TRUE(feed(s, wire(puback), at(3), log));
    const Seen acked = log.find(Seen::Kind::publish_acked);
    EXPECT_EQ(acked.packet_id, 1);
    EXPECT_EQ(acked.reason, 0x10);
}

TEST(SessionV5Ack, PubrecFailureEndsTheExchangeWithoutPubrel) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::exactly_once), at(2)));
    EXPECT_TRUE(output_is(s, PublishTHi5(0x34, 1).view()));
    send_all(s);
    static const std::uint8_t pubrec[] = {0x50, 0x03, 0x00, 0x01, 0x80};
    ASSERT_TRUE(feed(s, wire(pubrec), at(3), log));
    const Seen rejected = log.find(Seen::Kind::publish_rejected);
    EXPECT_TRUE(rejected.qos == QoS::exactly_once);
    EXPECT_EQ(rejected.reason, 0x80);
    EXPECT_EQ(s.pending_output().size(), 0u);  // no PUBREL [MQTT-4.3.3]
    EXPECT_EQ(s.inflight_count(), 0u);
}

TEST(SessionV5Ack, UnsubackReasonCodesOnePerFilter) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    const std::string_view filters[] = {"a"};
    ASSERT_TRUE(s.unsubscribe(filters, at(2)));
    send_all(s);
    static const std::uint8_t unsuback[] = {0xB0, 0x04, 0x00, 0x01, 0x00, 0x11};
    ASSERT_TRUE(feed(s, wire(unsuback), at(3), log));
    static const std::uint8_t no_subscription[] = {0x11};
    EXPECT_TRUE(log.find(Seen::Kind::unsubscribe_acked).data_is(wire(no_subscription)));

    ASSERT_TRUE(s.unsubscribe(filters, at(4)));
    send_all(s);
    static const std::uint8_t two_codes[] = {0xB0, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00};
    EXPECT_EQ(error_code(feed(s, wire(two_codes), at(5), log)), Errc::protocol_violation);
}

// ---- the broker ends the connection ------------------------------------------------------------

TEST(SessionV5Disconnect, BrokerDisconnectIsReportedWithItsReason) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    static const std::uint8_t disconnect[] = {0xE0, 0x01, 0x8E};  // Session taken over
    const auto closed = feed(s, wire(disconnect), at(2), log);
    EXPECT_EQ(error_code(closed), Errc::broker_disconnected);
    EXPECT_EQ(error_detail(closed), 0x8E);
    EXPECT_FALSE(is_permanent(closed.error()));
    const Seen event = log.find(Seen::Kind::broker_closed);
    EXPECT_TRUE(event.request == PacketType::disconnect);
    EXPECT_EQ(event.reason, 0x8E);
    EXPECT_TRUE(s.state() == SessionState::disconnected);
}

TEST(SessionV5Disconnect, UseAnotherServerIsARedirection) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    static const std::uint8_t disconnect[] = {0xE0, 0x07, 0x9C, 0x05, 0x1C, 0x00, 0x02, 'b', '2'};
    const auto moved = feed(s, wire(disconnect), at(2), log);
    EXPECT_EQ(error_code(moved), Errc::broker_redirected);
    EXPECT_TRUE(log.find(Seen::Kind::broker_closed).topic_is("b2"));
}

// ---- requests with properties (3.8.2.1, 3.10.2.1, 3.14.2.2) -----------------------------------

constexpr Property user_k_v[] = {Property::user("k", "v")};

TEST(SessionV5Requests, SubscribeCarriesASubscriptionIdentifierAndUserProperties) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    const Property properties[] = {
        Property::integer(PropertyId::subscription_identifier, 7),
        user_k_v[0],
    };
    const Subscription filters[] = {{"a", QoS::at_least_once}};
    ASSERT_TRUE(s.subscribe(filters, at(2), PropertyList(span<const Property>(properties))));
    // Packet Identifier 1, Property Length 9: 0x0B 7, 0x26 "k" "v"; then "a" with QoS 1.
    static const std::uint8_t expected[] = {0x82, 0x10, 0x00, 0x01, 0x09, 0x0B, 0x07, 0x26, 0x00,
                                            0x01, 'k',  0x00, 0x01, 'v',  0x00, 0x01, 'a',  0x01};
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionV5Requests, UnsubscribeCarriesUserProperties) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    const std::string_view filters[] = {"a"};
    ASSERT_TRUE(s.unsubscribe(filters, at(2), PropertyList(span<const Property>(user_k_v))));
    static const std::uint8_t expected[] = {0xA2, 0x0D, 0x00, 0x01, 0x07, 0x26, 0x00, 0x01,
                                            'k',  0x00, 0x01, 'v',  0x00, 0x01, 'a'};
    EXPECT_TRUE(output_is(s, wire(expected)));
}

TEST(SessionV5Requests, PropertiesThePacketCannotCarryAreRefusedBeforeAnythingIsQueued) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    const Property in_unsubscribe[] = {Property::integer(PropertyId::subscription_identifier, 7)};
    const std::string_view filters[] = {"a"};
    EXPECT_EQ(error_code(s.unsubscribe(filters, at(2),
                                       PropertyList(span<const Property>(in_unsubscribe)))),
              Errc::property_not_allowed);
    const Property zero[] = {Property::integer(PropertyId::subscription_identifier, 0)};
    const Subscription subscriptions[] = {{"a", QoS::at_least_once}};
    EXPECT_EQ(
        error_code(s.subscribe(subscriptions, at(2), PropertyList(span<const Property>(zero)))),
        Errc::property_value_invalid);
    EXPECT_TRUE(s.pending_output().empty());
    EXPECT_TRUE(s.state() == SessionState::connected);
    // Neither refused request waits for an acknowledgement: one for identifier 1 is unknown.
    static const std::uint8_t unsuback[] = {0xB0, 0x04, 0x00, 0x01, 0x00, 0x00};
    EXPECT_EQ(error_code(feed(s, wire(unsuback), at(3), log)), Errc::unknown_packet_id);
}

TEST(SessionV5Requests, PropertiesOnAnMqtt311ConnectionAreMqtt5Only) {
    Session s(SessionConfig{}, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0)));
    const Subscription subscriptions[] = {{"a", QoS::at_least_once}};
    EXPECT_EQ(
        error_code(s.subscribe(subscriptions, at(2), PropertyList(span<const Property>(user_k_v)))),
        Errc::mqtt5_only);
    EXPECT_EQ(error_code(s.disconnect(at(2), PropertyList(span<const Property>(user_k_v)))),
              Errc::mqtt5_only);
    EXPECT_TRUE(s.pending_output().empty());
    EXPECT_TRUE(s.disconnect(at(3)));  // still connected, and a plain DISCONNECT goes
}

TEST(SessionV5Requests, DisconnectCarriesAReasonString) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    const Property bye[] = {Property::string(PropertyId::reason_string, "bye")};
    ASSERT_TRUE(s.disconnect(at(2), PropertyList(span<const Property>(bye))));
    // Normal disconnection (0x00), which must be there once properties follow (3.14.2.1).
    static const std::uint8_t expected[] = {0xE0, 0x08, 0x00, 0x06, 0x1F,
                                            0x00, 0x03, 'b',  'y',  'e'};
    EXPECT_TRUE(output_is(s, wire(expected)));
    EXPECT_TRUE(s.state() == SessionState::disconnecting);
}

// [MQTT-3.14.2-2]: a session that ends with the connection cannot be kept at DISCONNECT.
TEST(SessionV5Requests, DisconnectKeepsASessionOnlyIfConnectDid) {
    const Property keep[] = {Property::integer(PropertyId::session_expiry_interval, 60)};
    const Property end_now[] = {Property::integer(PropertyId::session_expiry_interval, 0)};
    {
        Session s(v5_config(), shared_memory());
        EventLog log;
        ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
        const auto refused = s.disconnect(at(2), PropertyList(span<const Property>(keep)));
        EXPECT_EQ(error_code(refused), Errc::invalid_argument);
        EXPECT_EQ(error_detail(refused), 0x11);
        EXPECT_TRUE(s.pending_output().empty());
        EXPECT_TRUE(s.state() == SessionState::connected);
        ASSERT_TRUE(s.disconnect(at(3), PropertyList(span<const Property>(end_now))));
        static const std::uint8_t ends[] = {0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00};
        EXPECT_TRUE(output_is(s, wire(ends)));
    }
    {
        Session s(v5_config(), shared_memory());
        EventLog log;
        Connect kept = basic_connect(false);
        const Property hour[] = {Property::integer(PropertyId::session_expiry_interval, 3600)};
        kept.properties = PropertyList(span<const Property>(hour));
        ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted), kept));
        ASSERT_TRUE(s.disconnect(at(2), PropertyList(span<const Property>(keep))));
        static const std::uint8_t shorter[] = {0xE0, 0x07, 0x00, 0x05, 0x11,
                                               0x00, 0x00, 0x00, 0x3C};
        EXPECT_TRUE(output_is(s, wire(shorter)));
    }
}

// Without incoming alias slots the session announces no Topic Alias Maximum [MQTT-3.1.2-27].
TEST(SessionV5Receive, TopicAliasWeNeverAllowedIsAProtocolViolation) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    static const std::uint8_t aliased[] = {0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x01};
    EXPECT_EQ(error_code(feed(s, wire(aliased), at(2), log)), Errc::protocol_violation);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 0u);
}

TEST(SessionV5Receive, MessagesAreAcknowledgedInTheShortForm) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    log.clear();
    ASSERT_TRUE(feed(s, PublishTHi5(0x32, 9).view(), at(2), log));
    const Seen message = log.find(Seen::Kind::message);
    EXPECT_TRUE(message.topic_is("t"));
    EXPECT_TRUE(message.data_is(text("hi")));
    EXPECT_TRUE(output_is(s, Ack(puback_byte, 9).view()));  // Success: 2 bytes [3.4.2.1]
}

// ---- outgoing Topic Aliases (3.3.2.3.4) -------------------------------------------------------

// CONNACK allowing two Topic Aliases (Topic Alias Maximum 2).
constexpr std::uint8_t connack_two_aliases[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x22, 0x00, 0x02};

Publish message_to(std::string_view topic, QoS qos) {
    Publish p = message_t_hi(qos);
    p.topic = topic;
    return p;
}

bool output_contains(const Session& session, bytes_view expected) {
    const bytes_view out = session.pending_output();
    for (std::size_t at_byte = 0; at_byte + expected.size() <= out.size(); ++at_byte) {
        if (equal_bytes(out.subspan(at_byte, expected.size()), expected)) return true;
    }
    return false;
}

TEST(SessionV5TopicAlias, ARepeatedTopicGoesAsItsAliasUnderTheBrokersMaximum) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_two_aliases)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    // The first use: topic "t" and Topic Alias 1 (0x23 0x0001).
    static const std::uint8_t first[] = {0x32, 0x0b, 0x00, 0x01, 't', 0x00, 0x01,
                                         0x03, 0x23, 0x00, 0x01, 'h', 'i'};
    EXPECT_TRUE(output_is(s, wire(first)));
    send_all(s);
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(3)));
    // Then the alias alone, with a zero-length Topic Name (3.3.2.1).
    static const std::uint8_t second[] = {0x32, 0x0a, 0x00, 0x00, 0x00, 0x02,
                                          0x03, 0x23, 0x00, 0x01, 'h',  'i'};
    EXPECT_TRUE(output_is(s, wire(second)));
    send_all(s);
    // QoS 0 too; a second topic takes alias 2, a third none [MQTT-3.3.2-9].
    ASSERT_TRUE(s.publish(message_to("b", QoS::at_most_once), at(4)));
    static const std::uint8_t b_first[] = {0x30, 0x09, 0x00, 0x01, 'b', 0x03,
                                           0x23, 0x00, 0x02, 'h',  'i'};
    EXPECT_TRUE(output_is(s, wire(b_first)));
    send_all(s);
    ASSERT_TRUE(s.publish(message_to("c", QoS::at_most_once), at(5)));
    static const std::uint8_t c_whole[] = {0x30, 0x06, 0x00, 0x01, 'c', 0x00, 'h', 'i'};
    EXPECT_TRUE(output_is(s, wire(c_whole)));
    send_all(s);
    ASSERT_TRUE(s.publish(message_to("b", QoS::at_most_once), at(6)));
    static const std::uint8_t b_alias[] = {0x30, 0x08, 0x00, 0x00, 0x03,
                                           0x23, 0x00, 0x02, 'h',  'i'};
    EXPECT_TRUE(output_is(s, wire(b_alias)));
}

TEST(SessionV5TopicAlias, AResendOnANewConnectionCarriesTheWholeTopicAndAliasesStartOver) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_two_aliases), basic_connect(false)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(3)));  // sent as alias 1 alone
    send_all(s);
    s.on_transport_closed(at(4));
    // [MQTT-3.3.2-7]: the new connection knows no alias. Both copies go out with DUP and the
    // whole topic behind CONNECT, before CONNACK says whether aliases are allowed at all.
    ASSERT_TRUE(s.start_connect(basic_connect(false), at(5)));
    static const std::uint8_t resend_1[] = {0x3a, 0x08, 0x00, 0x01, 't',
                                            0x00, 0x01, 0x00, 'h',  'i'};
    static const std::uint8_t resend_2[] = {0x3a, 0x08, 0x00, 0x01, 't',
                                            0x00, 0x02, 0x00, 'h',  'i'};
    EXPECT_TRUE(output_contains(s, wire(resend_1)));
    EXPECT_TRUE(output_contains(s, wire(resend_2)));
    send_all(s);
    static const std::uint8_t connack_present[] = {0x20, 0x06, 0x01, 0x00, 0x03, 0x22, 0x00, 0x02};
    ASSERT_TRUE(feed(s, wire(connack_present), at(6), log));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(7)));
    // Alias 1 is established again, topic and all.
    static const std::uint8_t again[] = {0x32, 0x0b, 0x00, 0x01, 't', 0x00, 0x03,
                                         0x03, 0x23, 0x00, 0x01, 'h', 'i'};
    EXPECT_TRUE(output_is(s, wire(again)));
}

// The session's mapping and a caller's own alias could name different topics under one number.
TEST(SessionV5TopicAlias, ACallersOwnAliasIsRefusedWhileTheSessionChoosesThem) {
    Session s(v5_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_two_aliases)));
    const Property own[] = {Property::integer(PropertyId::topic_alias, 2)};
    Publish p = message_t_hi(QoS::at_most_once);
    p.properties = PropertyList(span<const Property>(own));
    const auto refused = s.publish(p, at(2));
    EXPECT_EQ(error_code(refused), Errc::invalid_argument);
    EXPECT_EQ(refused.error().detail, static_cast<std::int32_t>(PropertyId::topic_alias));
    EXPECT_EQ(s.pending_output().size(), 0u);
    // With the session's aliases off, the caller's goes out as it is.
    SessionConfig config = v5_config();
    config.outgoing_topic_aliases = false;
    Session own_aliases(config, shared_memory());
    ASSERT_TRUE(establish_v5(own_aliases, log, wire(connack_two_aliases)));
    ASSERT_TRUE(own_aliases.publish(p, at(3)));
    static const std::uint8_t sent[] = {0x30, 0x09, 0x00, 0x01, 't', 0x03,
                                        0x23, 0x00, 0x02, 'h',  'i'};
    EXPECT_TRUE(output_is(own_aliases, wire(sent)));
}

TEST(SessionV5TopicAlias, OffWhenTheCallerSaysSo) {
    SessionConfig config = v5_config();
    config.outgoing_topic_aliases = false;
    Session s(config, shared_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_two_aliases)));
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_least_once), at(2)));
    EXPECT_TRUE(output_is(s, PublishTHi5(0x32, 1).view()));
}

// ---- incoming Topic Aliases (3.3.2.3.4) -------------------------------------------------------

// SmallStorage with two incoming Topic Alias slots.
using AliasStorage = SessionStorage<256, 512, 512, 8, 4, 2, 6, 2>;
SessionMemory alias_memory() noexcept {
    static AliasStorage storage;
    return storage.memory();
}

// A QoS 0 PUBLISH from the broker: `topic` (may be empty), Topic Alias `alias`, payload "hi".
struct AliasedFromBroker {
    std::uint8_t bytes[80] = {};
    std::size_t size = 0;
    AliasedFromBroker(std::string_view topic, std::uint16_t alias) noexcept {
        bytes[size++] = 0x30;
        bytes[size++] = static_cast<std::uint8_t>(2 + topic.size() + 4 + 2);
        bytes[size++] = 0x00;
        bytes[size++] = static_cast<std::uint8_t>(topic.size());
        for (const char c : topic) bytes[size++] = static_cast<std::uint8_t>(c);
        bytes[size++] = 0x03;  // Property Length: the Topic Alias alone
        bytes[size++] = 0x23;
        bytes[size++] = id_msb(alias);
        bytes[size++] = id_lsb(alias);
        bytes[size++] = 'h';
        bytes[size++] = 'i';
    }
    [[nodiscard]] bytes_view view() const noexcept { return {bytes, size}; }
};

TEST(SessionV5IncomingAlias, SlotsAreAnnouncedAsTheTopicAliasMaximum) {
    Session s(v5_config(), alias_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(), at(0)));
    DecodeLimits limits;
    limits.protocol = ProtocolVersion::v5;
    const auto decoded = server::decode(s.pending_output(), limits);
    ASSERT_TRUE(decoded.has_value());
    const auto* connect = std::get_if<Connect>(&decoded->packet);
    ASSERT_TRUE(connect != nullptr);
    const auto maximum = find_property(connect->properties, PropertyId::topic_alias_maximum);
    ASSERT_TRUE(maximum.has_value());
    EXPECT_EQ(maximum->number, 2u);
    s.on_transport_closed(at(1));
    // The caller may announce fewer, not more, than the slots.
    const Property three[] = {Property::integer(PropertyId::topic_alias_maximum, 3)};
    Connect c = basic_connect();
    c.properties = PropertyList(span<const Property>(three));
    EXPECT_EQ(error_code(s.start_connect(c, at(2))), Errc::invalid_argument);
    const Property one[] = {Property::integer(PropertyId::topic_alias_maximum, 1)};
    c.properties = PropertyList(span<const Property>(one));
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted), c));
    // [MQTT-3.3.2-11]: alias 2 is above the maximum this connection announced.
    EXPECT_EQ(error_code(feed(s, AliasedFromBroker("t", 2).view(), at(3), log)),
              Errc::protocol_violation);
}

TEST(SessionV5IncomingAlias, AnAliasAloneArrivesUnderTheTopicItWasSetFor) {
    Session s(v5_config(), alias_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    log.clear();
    ASSERT_TRUE(feed(s, AliasedFromBroker("cmd/a", 1).view(), at(2), log));
    ASSERT_TRUE(feed(s, AliasedFromBroker("cmd/b", 2).view(), at(3), log));
    ASSERT_TRUE(feed(s, AliasedFromBroker("", 1).view(), at(4), log));
    ASSERT_TRUE(feed(s, AliasedFromBroker("", 2).view(), at(5), log));
    // The broker may set an alias again for another topic.
    ASSERT_TRUE(feed(s, AliasedFromBroker("cmd/c", 1).view(), at(6), log));
    ASSERT_TRUE(feed(s, AliasedFromBroker("", 1).view(), at(7), log));
    ASSERT_EQ(log.count, 6u);
    const char* const expected[] = {"cmd/a", "cmd/b", "cmd/a", "cmd/b", "cmd/c", "cmd/c"};
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_TRUE(log.items[i].kind == Seen::Kind::message);
        EXPECT_TRUE(log.items[i].topic_is(expected[i]));
        EXPECT_TRUE(log.items[i].data_is(text("hi")));
    }
}

TEST(SessionV5IncomingAlias, AnAliasNotSetOnThisConnectionIsRefused) {
    Session s(v5_config(), alias_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted), basic_connect(false)));
    ASSERT_TRUE(feed(s, AliasedFromBroker("cmd/a", 1).view(), at(2), log));
    // [MQTT-3.3.2-7]: a new connection starts without any alias.
    s.on_transport_closed(at(3));
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted), basic_connect(false)));
    log.clear();
    const auto unset = feed(s, AliasedFromBroker("", 1).view(), at(4), log);
    EXPECT_EQ(error_code(unset), Errc::topic_alias_unresolved);
    EXPECT_EQ(unset.error().detail, 1);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 0u);
    EXPECT_TRUE(s.state() == SessionState::disconnected);
}

TEST(SessionV5IncomingAlias, ATopicTooLongForASlotArrivesButItsAliasAloneCannot) {
    Session s(v5_config(), alias_memory());
    EventLog log;
    ASSERT_TRUE(establish_v5(s, log, wire(connack_v5_accepted)));
    log.clear();
    const std::string_view long_topic =
        "a/topic/of/sixty-five/bytes/which/is/one/more/than/a/slot/holds/x";
    ASSERT_EQ(long_topic.size(), max_aliased_topic_bytes + 1);
    ASSERT_TRUE(feed(s, AliasedFromBroker(long_topic, 2).view(), at(2), log));
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
    EXPECT_EQ(error_code(feed(s, AliasedFromBroker("", 2).view(), at(3), log)),
              Errc::topic_alias_unresolved);
    EXPECT_EQ(log.count_of(Seen::Kind::message), 1u);
}

}  // namespace
}  // namespace mqtls::mqtt
#endif
