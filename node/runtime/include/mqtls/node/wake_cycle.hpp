#pragma once
/// @file
/// One wake of a battery device from deep sleep, as a library: run_wake_cycle() delivers what
/// the outbox holds (after the caller took this wake's reading) over one connection and
/// returns a WakeReport. The connection resumes the sealed TLS session from the platform's
/// store (link::Connection does the offer and the save), sends the client's Finished, CONNECT
/// and the window's PUBLISHes in one flight (hold_last_flight), awaits the acknowledgements
/// before the wake's deadline (refilling the window as they come), disconnects and leaves the
/// rest in the outbox for the next wake. Readings in flight when the last wake ended go out
/// again first, under their identifiers, with DUP set (MQTT-4.4.0-1).
///
/// No heap, no exceptions, no printing, time from the platform's MonotonicClock; every loop is
/// bounded by the outbox's size and the deadline.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/node/in_flight.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/telemetry_node.hpp"

namespace mqtls::node {

struct WakeConfig {
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    /// The CONNECT (client id, credentials, keep-alive); clean_session is forced false (the
    /// broker keeps the session between wakes) and no will is sent (a sleeping device is
    /// offline by design). Views must stay valid during the call.
    mqtt::Connect connect;
    /// The whole wake, from the call to the last acknowledgement.
    Duration deadline = Duration::from_seconds(10);
    /// Finished + CONNECT + PUBLISHes in one flight; false: handshake, CONNACK, then publish.
    bool one_flight = true;
    /// Time to live of a reading, seconds from when it was taken (ReadingDelivery::ttl_s);
    /// 0: forever. What a device that sleeps through an outage should not deliver late.
    std::uint32_t reading_ttl_s = 0;
    /// A reading the broker refused (MQTT 5 only): kept, ending the wake with
    /// message_rejected, or dropped and counted (WakeReport::denied).
    DenialPolicy on_denied = DenialPolicy::keep;
    /// MQTT 5's Session Expiry Interval [MQTT-3.1.2-23], replacing one in `connect`'s
    /// properties; unset: never (0xFFFFFFFF), the 3.1.1 persistent session. A bound must be
    /// longer than the sleep between wakes plus a wake, or the broker forgets the session (and
    /// the readings in flight, which then go out again as new messages) while the device sleeps.
    std::optional<std::uint32_t> session_expiry_s;
};

enum class WakeHandshake : std::uint8_t { none, full, resumed };

/// "none", "full" or "resumed": the name reports and logs use.
const char* handshake_name(WakeHandshake handshake) noexcept;

/// What one wake did (the CLI prints it and writes it as JSON).
struct WakeReport {
    WakeHandshake handshake = WakeHandshake::none;
    bool session_offered = false;
    bool session_declined = false;
    std::optional<Error> session_problem;  ///< why a stored session was not used or stored
    bool one_flight = false;
    std::size_t restored = 0;  ///< readings resent under their noted identifiers
    std::size_t delivered = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::size_t pending = 0;
    std::uint64_t dropped = 0;
    std::size_t denied = 0;        ///< readings the broker refused and the policy dropped this wake
    std::size_t expired = 0;       ///< readings released unsent this wake: older than reading_ttl_s
    std::uint64_t denied_seq = 0;  ///< the last reading the broker refused (kept or dropped)
    std::size_t channel_memory_peak = 0;                ///< SecureChannel::memory_peak()
    Duration connect_time = Duration::from_millis(-1);  ///< start to CONNACK (-1: none)
    Duration wake_time;                                 ///< start to the end of the goodbye
    link::ChannelInfo channel;
    std::optional<Error> error;  ///< why the wake ended early (the rest stays in the outbox)
};

/// One wake; the outbox is `node`'s (take the wake's reading before). The report is complete
/// whatever happened: errors land in WakeReport::error, never lose a reading, and leave the
/// connection closed.
WakeReport run_wake_cycle(TelemetryNode& node, link::Connection& connection,
                          const Platform& platform, const WakeConfig& config) noexcept;

}  // namespace mqtls::node
