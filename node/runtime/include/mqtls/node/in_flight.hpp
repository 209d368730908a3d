#pragma once
/// @file
/// Readings in flight when the last run (or wake) ended, put back into the MQTT session under
/// the packet identifiers the outbox noted for them, so that they go out again with DUP set
/// and the identifier the broker knows (MQTT-4.4.0-1) instead of as new messages. The one
/// implementation NodeRunner and run_wake_cycle share.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/node/outbox.hpp"
#include "mqtls/node/telemetry_node.hpp"

namespace mqtls::node {

struct RestoredReading {
    std::uint64_t seq = 0;
    mqtt::PacketId packet_id = 0;
    bool restored = false;  ///< false: nothing noted, or the identifier is taken (sent anew)
};

/// The reading at `position` of the outbox (read into `buffer`), restored into `connection`
/// when it was noted in flight. At QoS 0 nothing is restored. An identifier the session
/// already holds is not an error: that reading goes out again under a new one. Errors: the
/// outbox's (peek), the connection's restore() other than an identifier in use.
Result<RestoredReading> restore_reading(Outbox& outbox, link::Connection& connection,
                                        std::size_t position, std::string_view topic, mqtt::QoS qos,
                                        mutable_bytes buffer) noexcept;

/// Every noted reading, oldest first; returns how many were restored.
Result<std::size_t> restore_in_flight(Outbox& outbox, link::Connection& connection,
                                      std::string_view topic, mqtt::QoS qos,
                                      mutable_bytes buffer) noexcept;

/// What send_next_reading() did with the next reading of the window.
struct SentReading {
    std::uint64_t seq = 0;
    mqtt::PacketId packet_id = 0;    ///< 0 at QoS 0
    bool already_in_flight = false;  ///< the session still held it (resent with DUP on connect)
    bool noted_before = false;       ///< it went out on an earlier connection or run
    bytes_view payload;              ///< in the caller's buffer
};

/// The window's next reading (TelemetryNode::reading_to_publish()) onto the link: counted as
/// in flight when the session still holds it under its noted identifier; otherwise published
/// and, at QoS 1/2, noted in the outbox under its new identifier before its bytes leave.
/// Errors: the connection's publish() errors (inflight_full, output_full: the reading leaves
/// the window again, try later), the outbox's (note, peek).
Result<SentReading> send_next_reading(TelemetryNode& node, link::Connection& connection,
                                      mqtt::QoS qos, mutable_bytes buffer) noexcept;

/// A reading as the PUBLISH that carries it.
mqtt::Publish reading_message(std::string_view topic, bytes_view payload, mqtt::QoS qos) noexcept;

}  // namespace mqtls::node
