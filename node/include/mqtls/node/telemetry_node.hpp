#pragma once
/// @file
/// The device's runtime policy, sans-I/O: it decides when to connect, when to take and publish
/// a reading, and how long to wait, and composes each reading as JSON; the platform does the
/// I/O (a blocking client on Linux, the session + TLS engine on a microcontroller) and reports
/// back. The same object runs on both, so what `mqtls node` shows is what a device does.
///
/// A platform loop:
/// @code
///   for (;;) {
///       const NodeStep step = node.next_step(now());
///       switch (step.action) {
///           case NodeAction::connect:         // connect, with node.will_topic()/"offline"
///               connected ? node.on_connected(now()) : node.on_disconnected(now(), random());
///           case NodeAction::publish_reading: // publish node.reading_to_publish(...) at QoS 1
///               acknowledged ? node.on_reading_acknowledged() : node.on_disconnected(...);
///           case NodeAction::wait:            // sleep or service the link until step.at
///       }
///   }
/// @endcode
///
/// Readings are numbered per device from 1 (`seq`), so a collector can tell gaps from
/// duplicates. A reading that was composed but not acknowledged when the link dropped is kept
/// and published again first after reconnecting (same seq, same timestamp); readings that fell
/// due while disconnected are not taken and are counted in missed_slots() (the persistent
/// outbox of a later issue will keep them).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/node/backoff.hpp"
#include "mqtls/node/device.hpp"
#include "mqtls/node/schedule.hpp"
#include "mqtls/node/sensor.hpp"

namespace mqtls::node {

/// Largest reading (JSON) the node composes.
inline constexpr std::size_t max_reading_bytes = 384;

struct TelemetryNodeConfig {
    /// How often a reading is taken while connected; the seed device's 10 s by default.
    Duration publish_period = Duration::from_seconds(10);
    /// Reconnection delays (the seed retried every 5 s; we back off from there, with jitter).
    ReconnectBackoffConfig reconnect{};
};

enum class NodeAction : std::uint8_t {
    connect,          ///< open the connection now (with the will), then on_connected/_disconnected
    publish_reading,  ///< publish reading_to_publish() now
    wait,             ///< nothing to do before NodeStep::at (keep the link alive meanwhile)
};

struct NodeStep {
    NodeAction action = NodeAction::wait;
    Instant at;  ///< for wait: when the next step is due
};

class TelemetryNode {
public:
    /// Validates the device id (invalid_device_id) and the config (invalid_argument).
    static Result<TelemetryNode> create(std::string_view device_id,
                                        const TelemetryNodeConfig& config) noexcept;

    /// What to do at `now`. Connect at once after creation; after a failure, wait out the
    /// backoff delay first.
    [[nodiscard]] NodeStep next_step(Instant now) const noexcept;

    /// The connection (TLS + CONNACK) succeeded: the backoff starts over, and on the first
    /// connection the publish schedule starts with a reading due at once.
    void on_connected(Instant now) noexcept;

    /// A connection attempt failed or an established connection was lost. Returns the backoff
    /// delay before the next attempt (which next_step() will ask for), or Errc::closed when the
    /// configured max_attempts are used up. `random` is any 32-bit value from the platform RNG.
    Result<Duration> on_disconnected(Instant now, std::uint32_t random) noexcept;

    /// The reading to publish now: the unacknowledged one if the link dropped while it was in
    /// flight, else a new one (sensor values, the next seq, `wall_clock_ms` as ts). The text
    /// stays valid until the next call. Errors from the sensor are passed on (the slot is then
    /// consumed, so a broken sensor does not spin the loop).
    Result<std::string_view> reading_to_publish(SensorSource& sensor, Instant now,
                                                std::int64_t wall_clock_ms) noexcept;

    /// The broker acknowledged the reading from reading_to_publish().
    void on_reading_acknowledged() noexcept;

    [[nodiscard]] bool connected() const noexcept { return connected_; }
    [[nodiscard]] std::string_view device_id() const noexcept {
        return {device_id_, device_id_length_};
    }
    /// telemetry/<device id>
    [[nodiscard]] std::string_view telemetry_topic() const noexcept {
        return {telemetry_topic_, telemetry_topic_length_};
    }
    /// status/<device id>: the retained "online", and the will "offline".
    [[nodiscard]] std::string_view status_topic() const noexcept {
        return {status_topic_, status_topic_length_};
    }
    /// The seq the next new reading gets (1 for the first).
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
    /// The seq of the reading in flight, if any (0 when none).
    [[nodiscard]] std::uint64_t unacknowledged_sequence() const noexcept {
        return has_unacknowledged_ ? unacknowledged_sequence_ : 0;
    }
    /// Attempts since the last successful connection.
    [[nodiscard]] std::uint32_t reconnect_attempt() const noexcept { return backoff_.attempt(); }
    /// The bound the last delay from on_disconnected() was drawn under (0 before any).
    [[nodiscard]] Duration last_backoff_bound() const noexcept {
        return backoff_.attempt() == 0 ? Duration{} : backoff_.upper_bound(backoff_.attempt() - 1);
    }
    /// Reading slots that fell due while no reading could be taken (disconnected, late).
    [[nodiscard]] std::uint32_t missed_slots() const noexcept { return schedule_.missed_slots(); }
    [[nodiscard]] Duration publish_period() const noexcept { return schedule_.period(); }

private:
    TelemetryNode(std::string_view device_id, ReconnectBackoff backoff,
                  PublishSchedule schedule) noexcept;

    Result<std::string_view> compose_reading(SensorSource& sensor, Instant now,
                                             std::int64_t wall_clock_ms) noexcept;

    ReconnectBackoff backoff_;
    PublishSchedule schedule_;
    Instant retry_at_ = Instant::from_millis(0);
    bool connected_ = false;
    bool schedule_started_ = false;
    bool has_unacknowledged_ = false;
    std::uint64_t next_sequence_ = 1;
    std::uint64_t unacknowledged_sequence_ = 0;
    std::size_t device_id_length_ = 0;
    std::size_t telemetry_topic_length_ = 0;
    std::size_t status_topic_length_ = 0;
    std::size_t reading_length_ = 0;
    char device_id_[max_device_id_length] = {};
    char telemetry_topic_[max_device_id_length + 16] = {};
    char status_topic_[max_device_id_length + 16] = {};
    char reading_[max_reading_bytes] = {};
};

}  // namespace mqtls::node
