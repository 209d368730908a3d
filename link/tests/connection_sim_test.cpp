// link::Connection against the scripted broker over the simulated network, with the test-only
// loopback channel: every path in virtual time, no sockets, no sleeping. Portable: runs on the
// host and under QEMU (link/tests/portable_tests.cmake; the simulation needs a heap).
#include <variant>

#include "mqtls_test.hpp"
#include "sim_fixture.hpp"

namespace mqtls::link::testing {
namespace {

using mqtt::QoS;
using sim::Direction;

mqtt::Publish message(std::string_view topic, std::string_view payload, QoS qos) {
    mqtt::Publish p;
    p.topic = topic;
    p.payload = text(payload);
    p.qos = qos;
    return p;
}

std::size_t acked(const std::vector<mqtt::Event>& events, mqtt::PacketId id) {
    std::size_t count = 0;
    for (const auto& event : events) {
        const auto* ack = std::get_if<mqtt::PublishAcked>(&event);
        if (ack != nullptr && ack->packet_id == id) ++count;
    }
    return count;
}

TEST(LinkConnection, ConnectsAndPublishesAtEveryQosUntilAcknowledged) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    EXPECT_TRUE(sim.connection.connected());
    ASSERT_EQ(sim.events.size(), 1U);
    EXPECT_TRUE(std::holds_alternative<mqtt::Connected>(sim.events[0]));

    auto q0 = sim.connection.publish(message("t/0", "zero", QoS::at_most_once));
    auto q1 = sim.connection.publish(message("t/1", "one", QoS::at_least_once));
    auto q2 = sim.connection.publish(message("t/2", "two", QoS::exactly_once));
    ASSERT_TRUE(q0 && q1 && q2);
    EXPECT_EQ(*q0, 0);
    ASSERT_TRUE(sim.settle());

    ASSERT_EQ(sim.broker.publishes().size(), 3U);
    EXPECT_EQ(sim.broker.publishes()[0].payload, "zero");
    EXPECT_EQ(sim.broker.publishes()[1].qos, QoS::at_least_once);
    EXPECT_EQ(sim.broker.publishes()[1].packet_id, *q1);
    EXPECT_EQ(sim.broker.publishes()[2].packet_id, *q2);
    EXPECT_EQ(sim.broker.pubrels(), 1U);
    EXPECT_EQ(acked(sim.events, *q1), 1U);
    EXPECT_EQ(acked(sim.events, *q2), 1U);
    EXPECT_FALSE(sim.connection.in_flight(*q2));

    ASSERT_TRUE(sim.connection.disconnect(sim.in(Duration::from_seconds(5))));
    EXPECT_FALSE(sim.connection.open());
    EXPECT_EQ(sim.network.client().hold_until_close_calls(), 1);
    sim.network.run_due();
    EXPECT_EQ(sim.broker.disconnects(), 1U);
}

TEST(LinkConnection, QuickAcknowledgementsAreTurnedOnOnlyAfterOurFlight) {
    SimConnection sim;
    ASSERT_TRUE(
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(5)), true));
    EXPECT_FALSE(sim.network.client().quick_acknowledgements());
    ASSERT_TRUE(sim.connection.finish_connect(sim.in(Duration::from_seconds(5))));
    EXPECT_TRUE(sim.network.client().quick_acknowledgements());
}

// The second connection resumes: our Finished, CONNECT and the PUBLISH reach the broker in one
// delivery, and the session is stored once per connection.
TEST(LinkConnection, OneFlightCarriesFinishedConnectAndPublishTogether) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    EXPECT_EQ(sim.connection.resumption().full_handshakes, 1U);
    EXPECT_EQ(sim.connection.resumption().saved, 1U);
    // What the store holds is what the sealed-session buffer had to fit.
    EXPECT_GT(sim.store.contents().size(), 0U);
    EXPECT_EQ(sim.connection.resumption().largest_saved_bytes, sim.store.contents().size());
    ASSERT_TRUE(sim.connection.disconnect(sim.in(Duration::from_seconds(5))));
    EXPECT_EQ(sim.connection.resumption().saved, 1U) << "stored once per connection";

    ASSERT_TRUE(
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(5)), true));
    EXPECT_TRUE(sim.connection.channel_info().resumed);
    const std::size_t sent_before = sim.network.bytes_sent(Direction::to_server);
    auto id = sim.connection.publish(message("t/flight", "reading", QoS::at_least_once));
    ASSERT_TRUE(id);
    EXPECT_EQ(sim.network.bytes_sent(Direction::to_server), sent_before) << "held for the flight";
    ASSERT_TRUE(sim.connection.finish_connect(sim.in(Duration::from_seconds(5))));
    ASSERT_TRUE(sim.settle());

    ASSERT_EQ(sim.broker.connects().size(), 2U);
    const sim::ReceivedConnect& second = sim.broker.connects()[1];
    EXPECT_TRUE(second.resumed);
    ASSERT_EQ(sim.broker.publishes().size(), 1U);
    EXPECT_EQ(second.handshake_end_delivery, second.delivery);
    EXPECT_EQ(sim.broker.publishes()[0].delivery, second.delivery);
    EXPECT_EQ(sim.connection.resumption().resumed, 1U);
    EXPECT_EQ(sim.connection.resumption().saved, 2U);
}

TEST(LinkConnection, DeclinedSessionIsCountedAndReplaced) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    sim.connection.drop();
    sim.server.forget_sessions();
    ASSERT_TRUE(sim.connect());
    EXPECT_EQ(sim.connection.resumption().declined, 1U);
    EXPECT_EQ(sim.connection.resumption().full_handshakes, 2U);
    EXPECT_EQ(sim.connection.resumption().saved, 2U);
}

TEST(LinkConnection, AllZeroKeyNeverOffersOrStores) {
    SimConnection sim;
    ConnectionSettings settings = sim.settings;
    settings.session_key = tls::SessionKey{};
    sim.connection.reconfigure(settings);
    ASSERT_TRUE(sim.connect());
    EXPECT_EQ(sim.connection.resumption().saved, 0U);
    ASSERT_TRUE(sim.connection.resumption().last_problem);
    EXPECT_EQ(sim.connection.resumption().last_problem->code, Errc::invalid_argument);
    EXPECT_EQ(sim.store.contents().size(), 0U);
}

TEST(LinkConnection, SessionUnderAnotherKeyIsUnusable) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    sim.connection.drop();
    ConnectionSettings settings = sim.settings;
    settings.session_key.bytes[0] ^= 0xff;
    sim.connection.reconfigure(settings);
    ASSERT_TRUE(sim.connect());
    EXPECT_EQ(sim.connection.resumption().unusable, 1U);
    EXPECT_EQ(sim.connection.resumption().last_problem->code, Errc::session_invalid);
    EXPECT_FALSE(sim.broker.connects()[1].resumed);
}

// A cut in the middle of the PUBLISH record: the link reports the reset, the message stays in
// the session, and the next connection (persistent session) sends it again with DUP set.
TEST(LinkConnection, CutMidRecordThenRestoreResendsWithDup) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect(/*clean_session=*/false));
    sim.network.script(0).cut_at[0] = sim.network.bytes_sent(Direction::to_server) + 7;
    auto id = sim.connection.publish(message("t/cut", "lost?", QoS::at_least_once));
    ASSERT_TRUE(id);
    auto settled = sim.settle();
    ASSERT_FALSE(settled);
    EXPECT_EQ(settled.error().code, Errc::connection_reset);
    EXPECT_FALSE(sim.connection.open());
    EXPECT_TRUE(sim.connection.in_flight(*id));
    EXPECT_TRUE(sim.broker.publishes().empty());

    ASSERT_TRUE(sim.connect(/*clean_session=*/false));
    ASSERT_TRUE(sim.settle());
    ASSERT_EQ(sim.broker.publishes().size(), 1U);
    EXPECT_TRUE(sim.broker.publishes()[0].dup);
    EXPECT_EQ(sim.broker.publishes()[0].packet_id, *id);
    EXPECT_EQ(sim.broker.publishes()[0].connection, 1U);
    EXPECT_EQ(acked(sim.events, *id), 1U);
}

// A message kept by the application (an outbox) across a restart is put back under its id.
TEST(LinkConnection, RestoredMessageIsSentWithItsIdentifier) {
    SimConnection sim;
    ASSERT_TRUE(sim.connection.restore(message("t/kept", "from flash", QoS::exactly_once), 4242));
    ASSERT_TRUE(sim.connect(/*clean_session=*/false));
    ASSERT_TRUE(sim.settle());
    ASSERT_EQ(sim.broker.publishes().size(), 1U);
    EXPECT_EQ(sim.broker.publishes()[0].packet_id, 4242);
    EXPECT_TRUE(sim.broker.publishes()[0].dup);
    EXPECT_EQ(acked(sim.events, 4242), 1U);
    EXPECT_EQ(sim.connection.restore(message("t/kept", "x", QoS::at_least_once), 7).error().code,
              Errc::already_connected);
}

// Nothing arrives any more: PINGREQ goes out after the keep-alive, its PINGRESP never comes, and
// the session's timer ends the connection within keep-alive + ping timeout, in virtual time.
TEST(LinkConnection, BlackHoleEndsInKeepAliveTimeoutWithinTheDeadline) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect(true, /*keep_alive_s=*/30));
    const Instant start = sim.clock.now();
    sim.network.script(0).black_hole_from = start;
    auto serviced = sim.connection.service(start + Duration::from_seconds(600));
    ASSERT_FALSE(serviced);
    EXPECT_EQ(serviced.error().code, Errc::keepalive_timeout);
    const Duration took = sim.clock.now() - start;
    EXPECT_GE(took, Duration::from_seconds(30));
    EXPECT_LE(took, Duration::from_seconds(30 + 10));
    EXPECT_FALSE(sim.connection.open());
    EXPECT_GE(sim.network.faults_fired(), 1U);
}

TEST(LinkConnection, KeepAliveIsAnsweredWhenTheLinkWorks) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect(true, /*keep_alive_s=*/30));
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(300))));
    EXPECT_TRUE(sim.connection.connected());
    EXPECT_GE(sim.broker.pings(), 9U);
}

TEST(LinkConnection, BrokerRefusalCarriesTheConnackCode) {
    SimConnection sim;
    sim.broker.script.connack_codes = {mqtt::ConnectReturnCode::not_authorized};
    auto connected = sim.connect();
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::broker_refused);
    EXPECT_EQ(connected.error().detail, 5);
    EXPECT_FALSE(sim.connection.open());
    ASSERT_TRUE(sim.connect()) << "the next connection is accepted";
}

TEST(LinkConnection, RefusedOpenFailsAtOnce) {
    SimConnection sim;
    sim.network.set_latency(Direction::to_server, Duration::from_millis(20));
    sim.network.set_latency(Direction::to_client, Duration::from_millis(20));
    sim.network.script(0).refuse = true;
    const Instant start = sim.clock.now();
    auto connected = sim.connect();
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().code, Errc::connection_refused);
    EXPECT_EQ(sim.clock.now() - start, Duration::from_millis(40));
    EXPECT_EQ(sim.network.faults_fired(), 1U);
}

TEST(LinkConnection, UnreachableOpenWaitsOutItsDeadline) {
    SimConnection sim;
    sim.network.script(0).unreachable = true;
    const Instant start = sim.clock.now();
    auto started =
        sim.connection.start(sim.connect_packet(), start + Duration::from_seconds(7), false);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::connect_timed_out);
    EXPECT_EQ(sim.clock.now() - start, Duration::from_seconds(7));
}

TEST(LinkConnection, BlackHoleDuringHandshakeTimesOutAtTheDeadline) {
    SimConnection sim;
    sim.network.script(0).black_hole_at[1] = 0;  // the server's hello vanishes
    const Instant start = sim.clock.now();
    auto started =
        sim.connection.start(sim.connect_packet(), start + Duration::from_seconds(4), false);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::io_timed_out);
    EXPECT_EQ(sim.clock.now() - start, Duration::from_seconds(4));
    EXPECT_FALSE(sim.connection.open());
}

TEST(LinkConnection, CutDuringTheServerHelloIsAReset) {
    SimConnection sim;
    sim.network.script(0).cut_at[1] = 5;  // inside the server's first record
    auto started =
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(4)), false);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::connection_reset);
    EXPECT_EQ(started.error().detail, sim::reset_detail);
}

TEST(LinkConnection, ServerHangingUpForAMissingCertificateSaysSo) {
    SimConnection sim;
    sim::LoopbackChannel no_certificate(bytes_of(sim.channel_in), bytes_of(sim.channel_out),
                                        sim::LoopbackChannel::Options{false});
    Connection connection(no_certificate, sim.network.client(), sim.clock.monotonic(), sim.settings,
                          sim.memory());
    sim.server.script.require_client_certificate = true;
    auto started = connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(4)), false);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::client_certificate_required);
}

TEST(LinkConnection, WrongServerNameFailsClosed) {
    SimConnection sim;
    sim.server.script.name = "impostor.sim";
    auto started =
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(4)), false);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::hostname_mismatch);
    EXPECT_FALSE(sim.connection.open());
}

TEST(LinkConnection, UnansweredConnectEndsInConnectTimeoutAtTheDeadline) {
    SimConnection sim;
    sim.broker.script.answer_connect = false;
    ASSERT_TRUE(
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(5)), false));
    const Instant deadline = sim.in(Duration::from_seconds(3));
    auto finished = sim.connection.finish_connect(deadline);
    ASSERT_FALSE(finished);
    EXPECT_EQ(finished.error().code, Errc::connect_timeout);
    EXPECT_EQ(sim.clock.now(), deadline);
}

TEST(LinkConnection, UnacknowledgedPublishStaysInFlightPastTheDeadline) {
    SimConnection sim;
    sim.broker.script.acknowledge_publishes = false;
    ASSERT_TRUE(sim.connect());
    auto id = sim.connection.publish(message("t/slow", "x", QoS::at_least_once));
    ASSERT_TRUE(id);
    const Instant deadline = sim.in(Duration::from_seconds(2));
    auto gone = [&] { return !sim.connection.in_flight(*id); };
    auto waited = sim.connection.pump_until_true(deadline, gone);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, Errc::io_timed_out);
    EXPECT_EQ(sim.clock.now(), deadline);
    EXPECT_TRUE(sim.connection.in_flight(*id));
    EXPECT_TRUE(sim.connection.connected());
}

TEST(LinkConnection, IncomingPacketTooLargeReportsItsWholeSize) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    const mqtt::Subscription filter{"in/#", QoS::at_least_once};
    ASSERT_TRUE(sim.connection.subscribe(span<const mqtt::Subscription>(&filter, 1)));
    ASSERT_TRUE(sim.settle());
    const std::string payload(5000, 'x');  // rx is 4096 bytes
    sim.broker.send_publish("in/big", payload, QoS::at_most_once);
    auto serviced = sim.connection.service(sim.in(Duration::from_seconds(5)));
    ASSERT_FALSE(serviced);
    EXPECT_EQ(serviced.error().code, Errc::packet_too_large);
    // 1 type byte + 2 length bytes + 2 + 6 topic bytes + the payload.
    EXPECT_EQ(serviced.error().detail, static_cast<std::int32_t>(1 + 2 + 2 + 6 + payload.size()));
}

// Without a handler, a received message waits in poll_event() and nothing more is decoded until
// it is taken (its views point into the session's buffer).
TEST(LinkConnection, ReceivedMessagesWaitForPollEvent) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    const mqtt::Subscription filter{"in/#", QoS::at_most_once};
    ASSERT_TRUE(sim.connection.subscribe(span<const mqtt::Subscription>(&filter, 1)));
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(1))));
    auto suback = sim.connection.poll_event();
    ASSERT_TRUE(suback && std::holds_alternative<mqtt::SubscribeAcked>(*suback));
    sim.broker.send_publish("in/a", "first", QoS::at_most_once);
    sim.broker.send_publish("in/b", "second", QoS::at_least_once);
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(1))));
    auto first = sim.connection.poll_event();
    ASSERT_TRUE(first);
    const auto* a = std::get_if<mqtt::MessageReceived>(&*first);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->message.topic, "in/a");
    EXPECT_FALSE(sim.connection.poll_event()) << "the second is not decoded yet";
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(1))));
    auto second = sim.connection.poll_event();
    ASSERT_TRUE(second);
    const auto* b = std::get_if<mqtt::MessageReceived>(&*second);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->message.topic, "in/b");
}

TEST(LinkConnection, EventHandlerGetsEveryEventAsItIsDecoded) {
    SimConnection sim;
    std::vector<std::string> topics;
    auto on_event = [](void* context, const mqtt::Event& event) {
        if (const auto* m = std::get_if<mqtt::MessageReceived>(&event)) {
            static_cast<std::vector<std::string>*>(context)->emplace_back(m->message.topic);
        }
    };
    sim.connection.set_event_handler(EventHandler{on_event, &topics});
    ASSERT_TRUE(sim.connect());
    const mqtt::Subscription filter{"in/#", QoS::at_most_once};
    ASSERT_TRUE(sim.connection.subscribe(span<const mqtt::Subscription>(&filter, 1)));
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(1))));
    for (int i = 0; i < 5; ++i)
        sim.broker.send_publish("in/" + std::to_string(i), "x", QoS::at_most_once);
    ASSERT_TRUE(sim.connection.service(sim.in(Duration::from_seconds(1))));
    ASSERT_EQ(topics.size(), 5U);
    EXPECT_EQ(topics[4], "in/4");
    EXPECT_FALSE(sim.connection.poll_event());
}

TEST(LinkConnection, LatencyIsPaidInVirtualTimeOnly) {
    SimConnection sim;
    sim.network.set_latency(Direction::to_server, Duration::from_millis(50));
    sim.network.set_latency(Direction::to_client, Duration::from_millis(50));
    const Instant start = sim.clock.now();
    ASSERT_TRUE(sim.connect());
    // TCP (1 RTT) + full handshake (2 RTT) + CONNECT/CONNACK (1 RTT): 4 round trips of 100 ms.
    EXPECT_EQ(sim.clock.now() - start, Duration::from_millis(400));
    ASSERT_TRUE(sim.connection.disconnect(sim.in(Duration::from_seconds(1))));
    const Instant resume = sim.clock.now();
    ASSERT_TRUE(
        sim.connection.start(sim.connect_packet(), sim.in(Duration::from_seconds(5)), true));
    ASSERT_TRUE(sim.connection.finish_connect(sim.in(Duration::from_seconds(5))));
    // TCP + abbreviated handshake + the one flight's CONNACK: 3 round trips.
    EXPECT_EQ(sim.clock.now() - resume, Duration::from_millis(300));
}

TEST(LinkConnection, MemoryUsageAddsUp) {
    SimConnection sim;
    ASSERT_TRUE(sim.connect());
    const ConnectionMemoryUsage usage = sim.connection.memory_usage();
    EXPECT_EQ(usage.scratch_bytes, sim.scratch.size());
    EXPECT_EQ(usage.sealed_session_bytes, sim.sealed.size());
    EXPECT_EQ(usage.channel_peak, sim.channel_in.size() + sim.channel_out.size());
    EXPECT_EQ(usage.session_bytes, session_memory_bytes(sim.storage.memory()));
    EXPECT_GE(usage.session_bytes, sizeof(sim.storage) - 64);
    EXPECT_EQ(usage.total(), usage.session_bytes + usage.scratch_bytes +
                                 usage.sealed_session_bytes + usage.channel_peak);
}

}  // namespace
}  // namespace mqtls::link::testing
