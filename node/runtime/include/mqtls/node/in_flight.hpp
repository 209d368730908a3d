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

/// What a runner or a wake does with a reading the broker refused: under MQTT 5 a PUBACK or
/// PUBREC Reason Code of 0x80 or more (0x87 Not authorized for an ACL, 0x97 Quota exceeded)
/// ends that message's flow [MQTT-4.3.3-4]; MQTT 3.1.1 has no way to say it.
enum class DenialPolicy : std::uint8_t {
    /// The reading stays in the outbox and the run (or wake) ends with message_rejected (the
    /// Reason Code in its detail): nothing is lost, and what refused it is the operator's to fix.
    keep,
    /// The reading leaves the outbox, counted (TelemetryNode::denied()) and reported; the run
    /// goes on with the next one.
    drop,
};

/// How the readings of a runner or a wake go out.
struct ReadingDelivery {
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    /// A reading's time to live in seconds from when it was taken (its ts); 0: forever. A
    /// reading older than that is released unsent and counted (TelemetryNode::expired()). Under
    /// MQTT 5 the others carry what is left of it as their Message Expiry Interval (3.3.2.3.3),
    /// so the broker discards them too once stale instead of handing them to a subscriber that
    /// comes back later. A reading without a ts, or a wall clock not set, counts its time from
    /// when it is sent.
    std::uint32_t ttl_s = 0;
    /// The wall clock now, Unix milliseconds (0: not set).
    std::int64_t now_wall_ms = 0;
};

/// What is left of a `ttl_s` for a reading taken at `taken_ms` (Unix milliseconds, 0: unknown)
/// at `now_ms` (0: unknown), rounded up to whole seconds: 0 once it expired, ttl_s when its age
/// is unknown (or negative: the clock was set back). ttl_s 0 (forever) gives 0 too: the caller
/// asks only when a ttl is set.
std::uint32_t remaining_lifetime_s(std::uint32_t ttl_s, std::int64_t taken_ms,
                                   std::int64_t now_ms) noexcept;

struct RestoredReading {
    std::uint64_t seq = 0;
    mqtt::PacketId packet_id = 0;
    bool restored = false;  ///< false: nothing noted, or the identifier is taken (sent anew)
};

/// The reading at `position` of the outbox (read into `buffer`), restored into `connection`
/// when it was noted in flight. At QoS 0 nothing is restored, nor is a reading that expired
/// (send_next_reading() releases it). An identifier the session already holds is not an
/// error: that reading goes out again under a new one. Errors: the outbox's (peek), the
/// connection's restore() other than an identifier in use.
Result<RestoredReading> restore_reading(Outbox& outbox, link::Connection& connection,
                                        std::size_t position, std::string_view topic,
                                        const ReadingDelivery& delivery,
                                        mutable_bytes buffer) noexcept;

/// Every noted reading, oldest first; returns how many were restored.
Result<std::size_t> restore_in_flight(Outbox& outbox, link::Connection& connection,
                                      std::string_view topic, const ReadingDelivery& delivery,
                                      mutable_bytes buffer) noexcept;

/// What send_next_reading() did with the next reading of the window.
struct SentReading {
    std::uint64_t seq = 0;
    mqtt::PacketId packet_id = 0;    ///< 0 at QoS 0
    bool already_in_flight = false;  ///< the session still held it (resent with DUP on connect)
    bool noted_before = false;       ///< it went out on an earlier connection or run
    /// It outlived ReadingDelivery::ttl_s: released unsent and counted, not published.
    bool expired = false;
    bytes_view payload;  ///< in the caller's buffer
};

/// The window's next reading (TelemetryNode::reading_to_publish()) onto the link: counted as
/// in flight when the session still holds it under its noted identifier; otherwise published
/// and, at QoS 1/2, noted in the outbox under its new identifier before its bytes leave; or
/// released as expired (SentReading::expired). Errors: the connection's publish() errors
/// (inflight_full, output_full: the reading leaves the window again, try later), the outbox's
/// (note, peek, release).
Result<SentReading> send_next_reading(TelemetryNode& node, link::Connection& connection,
                                      const ReadingDelivery& delivery,
                                      mutable_bytes buffer) noexcept;

/// A reading as the PUBLISH that carries it (no properties).
mqtt::Publish reading_message(std::string_view topic, bytes_view payload, mqtt::QoS qos) noexcept;

}  // namespace mqtls::node
