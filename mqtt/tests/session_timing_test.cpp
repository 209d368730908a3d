// Session tests, part 3: time. Keep alive and PINGREQ/PINGRESP (MQTT 3.1.1 sections 3.1.2.10,
// 3.12, 3.13), the ping timeout and the CONNACK timeout, all with literal timestamps in ms.
#include <cstdint>

#include "mqtls/mqtt/session.hpp"
#include "mqtls_test.hpp"
#include "session_script.hpp"

namespace mqtls::mqtt {
namespace {

using namespace script;  // NOLINT(google-build-using-namespace)

const std::uint8_t pingreq[] = {0xc0, 0x00};
const std::uint8_t pingresp[] = {0xd0, 0x00};

SessionConfig timing_config() {
    SessionConfig config;
    config.connect_timeout = Duration::from_seconds(3);
    config.ping_timeout = Duration::from_seconds(5);
    return config;
}

TEST(SessionKeepAlive, DeadlineIsLastSendPlusKeepAliveThenPingreq) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(true, 10), at(1000)));
    EXPECT_EQ(s.next_deadline(), at(4000));  // connecting: the CONNACK deadline
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_accepted), at(1500), log));
    ASSERT_EQ(s.state(), SessionState::connected);
    // Nothing sent since CONNECT at 1000 ms.
    EXPECT_EQ(s.next_deadline(), at(11000));

    // Any packet sent moves it: last send + 10000 ms [MQTT-3.1.2-23].
    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_most_once), at(4000)));
    EXPECT_EQ(s.next_deadline(), at(14000));
    send_all(s);

    // Too early: nothing happens.
    ASSERT_TRUE(s.on_deadline(at(13999)));
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.next_deadline(), at(14000));

    ASSERT_TRUE(s.on_deadline(at(14000)));
    EXPECT_TRUE(output_is(s, wire(pingreq)));
    EXPECT_EQ(s.state(), SessionState::connected);
    // Now waiting for PINGRESP, at most ping_timeout.
    EXPECT_EQ(s.next_deadline(), at(19000));
    send_all(s);

    // A second on_deadline before the ping deadline sends no second PINGREQ.
    ASSERT_TRUE(s.on_deadline(at(16000)));
    EXPECT_EQ(s.pending_output().size(), 0u);

    ASSERT_TRUE(feed(s, wire(pingresp), at(16500), log));
    // PINGRESP clears the ping deadline; the keep alive counts from the PINGREQ.
    EXPECT_EQ(s.next_deadline(), at(24000));
    ASSERT_TRUE(s.on_deadline(at(19000)));  // the old ping deadline is harmless now
    EXPECT_EQ(s.state(), SessionState::connected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(log.count, 1u);  // PINGRESP raises no event

    ASSERT_TRUE(s.on_deadline(at(24000)));
    EXPECT_TRUE(output_is(s, wire(pingreq)));
}

TEST(SessionKeepAlive, AcknowledgementsCountAsSending) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    EXPECT_EQ(s.next_deadline(), at(10000));
    // A QoS 1 PUBLISH from the broker at 6000 ms: our PUBACK is a control packet we send.
    static const std::uint8_t publish[] = {0x32, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 'h', 'i'};
    ASSERT_TRUE(feed(s, wire(publish), at(6000), log));
    EXPECT_EQ(s.next_deadline(), at(16000));
    ASSERT_TRUE(s.on_deadline(at(10000)));
    EXPECT_TRUE(output_is(s, Ack(puback_byte, 1).view()));  // no PINGREQ behind it
}

TEST(SessionKeepAlive, ReceivingDoesNotPostponeThePing) {
    // Keep alive is about what the client sends; a QoS 0 message from the broker needs no answer
    // and must not postpone the PINGREQ.
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    static const std::uint8_t publish[] = {0x30, 0x05, 0x00, 0x01, 't', 'h', 'i'};
    ASSERT_TRUE(feed(s, wire(publish), at(9000), log));
    EXPECT_EQ(s.next_deadline(), at(10000));
    ASSERT_TRUE(s.on_deadline(at(10000)));
    EXPECT_TRUE(output_is(s, wire(pingreq)));
}

TEST(SessionKeepAlive, PingTimeoutIsKeepaliveTimeout) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    ASSERT_TRUE(s.on_deadline(at(10000)));
    ASSERT_TRUE(output_is(s, wire(pingreq)));
    send_all(s);
    EXPECT_EQ(s.next_deadline(), at(15000));

    ASSERT_TRUE(s.on_deadline(at(14999)));
    EXPECT_EQ(s.state(), SessionState::connected);

    ASSERT_TRUE(s.publish(message_t_hi(QoS::at_most_once), at(14000)));  // output to discard
    const auto r = s.on_deadline(at(15000));
    EXPECT_EQ(error_code(r), Errc::keepalive_timeout);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_TRUE(s.next_deadline().is_never());
}

TEST(SessionKeepAlive, PingTimeoutAppliesEvenIfOtherPacketsArrive) {
    // Only PINGRESP answers PINGREQ; other traffic from the broker does not clear the deadline.
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    ASSERT_TRUE(s.on_deadline(at(10000)));
    send_all(s);
    static const std::uint8_t publish[] = {0x30, 0x05, 0x00, 0x01, 't', 'h', 'i'};
    ASSERT_TRUE(feed(s, wire(publish), at(12000), log));
    EXPECT_EQ(s.next_deadline(), at(15000));
    EXPECT_EQ(error_code(s.on_deadline(at(15000))), Errc::keepalive_timeout);
}

TEST(SessionKeepAlive, ZeroKeepAliveMeansNoDeadline) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 0)));
    EXPECT_TRUE(s.next_deadline().is_never());
    ASSERT_TRUE(s.on_deadline(at(1000000)));
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.state(), SessionState::connected);
}

TEST(SessionKeepAlive, DisconnectedSessionHasNoDeadline) {
    Session s(timing_config(), shared_memory());
    EXPECT_TRUE(s.next_deadline().is_never());
    EXPECT_TRUE(s.on_deadline(at(5000)));
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_EQ(s.state(), SessionState::disconnected);
}

TEST(SessionKeepAlive, ReconnectStartsWithoutAnOutstandingPing) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(establish(s, log, at(0), basic_connect(true, 10)));
    ASSERT_TRUE(s.on_deadline(at(10000)));  // PINGREQ outstanding
    s.on_transport_closed(at(11000));
    log.clear();
    ASSERT_TRUE(establish(s, log, at(20000), basic_connect(true, 10)));
    // The new connection's keep alive counts from its CONNECT; the old ping deadline (15000 ms)
    // is gone.
    EXPECT_EQ(s.next_deadline(), at(30000));
    ASSERT_TRUE(s.on_deadline(at(25000)));
    EXPECT_EQ(s.state(), SessionState::connected);
    EXPECT_EQ(s.pending_output().size(), 0u);
}

TEST(SessionConnectTimeout, NoConnackInTimeIsConnectTimeout) {
    Session s(timing_config(), shared_memory());
    ASSERT_TRUE(s.start_connect(basic_connect(true, 10), at(500)));
    EXPECT_EQ(s.next_deadline(), at(3500));
    ASSERT_TRUE(s.on_deadline(at(3499)));
    EXPECT_EQ(s.state(), SessionState::connecting);
    EXPECT_EQ(s.pending_output().size(), 15u);  // CONNECT still waiting for the transport

    const auto r = s.on_deadline(at(3500));
    EXPECT_EQ(error_code(r), Errc::connect_timeout);
    EXPECT_EQ(s.state(), SessionState::disconnected);
    EXPECT_EQ(s.pending_output().size(), 0u);
    EXPECT_TRUE(s.next_deadline().is_never());

    // A new attempt is possible and gets a fresh deadline.
    ASSERT_TRUE(s.start_connect(basic_connect(), at(10000)));
    EXPECT_EQ(s.next_deadline(), at(13000));
}

TEST(SessionConnectTimeout, ConnackInTimeCancelsIt) {
    Session s(timing_config(), shared_memory());
    EventLog log;
    ASSERT_TRUE(s.start_connect(basic_connect(true, 0), at(0)));
    send_all(s);
    ASSERT_TRUE(feed(s, wire(connack_accepted), at(2999), log));
    EXPECT_TRUE(s.next_deadline().is_never());
    EXPECT_TRUE(s.on_deadline(at(3000)));
    EXPECT_EQ(s.state(), SessionState::connected);
}

}  // namespace
}  // namespace mqtls::mqtt
