#pragma once
/// @file
/// The device's runtime policy, sans-I/O: it decides when to take a reading, when to connect,
/// when to publish and how long to wait, composes each reading as JSON and keeps it in the
/// outbox until the broker has acknowledged it; the platform does the I/O (a blocking client
/// on Linux, the session + TLS engine on a microcontroller) and reports back. The same object
/// runs on both, so what `mqtls node` shows is what a device does.
///
/// A platform loop:
/// @code
///   node.start(now());
///   for (;;) {
///       const NodeStep step = node.next_step(now());
///       switch (step.action) {
///           case NodeAction::take_reading:    // node.take_reading(sensor, now(), wall_ms)
///           case NodeAction::connect:         // connect (will: status_topic()/offline)
///               connected ? node.on_connected(now()) : node.on_disconnected(now(), random());
///           case NodeAction::publish_reading: // publish node.reading_to_publish(buffer)
///               acknowledged ? node.on_reading_acknowledged(seq)
///                            : node.on_disconnected(now(), random());
///           case NodeAction::wait:            // sleep or service the link until step.at
///       }
///   }
/// @endcode
///
/// Readings are taken on schedule whether or not the broker is reachable, numbered per device
/// by the outbox (`seq` from 1, persisted, never reused while the outbox keeps its log) and
/// published oldest first once connected; a reading leaves the outbox only when acknowledged.
/// A reading in flight when the link drops is published again after reconnecting (same seq
/// and ts: a duplicate, never a loss). Each reading also carries the run id (run_id.hpp), so
/// that readings of a device that had to start its numbering over are not mistaken for
/// duplicates: a collector deduplicates by (device, run, seq).
///
/// A reading: {"device":"sensor-17","run":"3f9a0c2e51b7d864","seq":12,"ts":1764028800123,
/// <sensor fields>}; "run" is left out when no run id is configured.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/node/backoff.hpp"
#include "mqtls/node/device.hpp"
#include "mqtls/node/json_writer.hpp"
#include "mqtls/node/outbox.hpp"
#include "mqtls/node/run_id.hpp"
#include "mqtls/node/schedule.hpp"
#include "mqtls/node/sensor.hpp"

namespace mqtls::node {

/// Largest reading (JSON) take_reading() composes; the outbox's max_record_bytes must allow it.
/// take_json_reading() composes into the caller's buffer, which sets its own bound.
inline constexpr std::size_t max_reading_bytes = 384;

/// The `ts` of a reading a TelemetryNode composed (Unix milliseconds), read back from its JSON,
/// where it is the first "ts" member (device ids and run ids cannot hold one, and readings from
/// outside may not carry the node's own keys); 0 when there is none or it is not positive (the
/// wall clock was not set when the reading was taken).
std::int64_t reading_timestamp_ms(bytes_view reading) noexcept;

struct TelemetryNodeConfig {
    /// How often a reading is taken; the seed device's 10 s by default.
    Duration publish_period = Duration::from_seconds(10);
    /// Reconnection delays (the seed retried every 5 s; we back off from there, with jitter).
    ReconnectBackoffConfig reconnect{};
    /// Topic templates (expand_topic_template): readings go to the first; the retained status
    /// and the will to the second. An empty status template means no status messages and no
    /// will. Only create() reads them.
    std::string_view telemetry_topic = default_telemetry_topic;
    std::string_view status_topic = default_status_topic;
    /// The run id every reading and status message carries (run_id.hpp); 0: none, and
    /// readings look as they did before run ids existed.
    std::uint64_t run_id = 0;
    /// false: readings come when their source has one (a producer that writes them down a
    /// pipe): the platform calls take_json_reading() as they arrive, and next_step() never
    /// asks for a reading. publish_period is then unused.
    bool readings_on_schedule = true;
    /// The window: readings handed to the link and not yet acknowledged, at most. Each is
    /// noted in the outbox under its packet identifier before it leaves (on_reading_sent()).
    /// 1 is the one-at-a-time drain; more keeps a slow link busy (after an outage, n readings
    /// cost about n / max_in_flight round trips instead of n).
    std::size_t max_in_flight = 16;
};

enum class NodeAction : std::uint8_t {
    take_reading,     ///< a reading is due: take_reading() now (connected or not)
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
    /// Validates the device id (invalid_device_id), the config (invalid_argument) and the
    /// topics it expands to (the errors of expand_topic_template; buffer_too_small beyond
    /// max_topic_bytes). The outbox must outlive the node.
    static Result<TelemetryNode> create(std::string_view device_id,
                                        const TelemetryNodeConfig& config, Outbox& outbox) noexcept;

    /// Starts the schedule: the first reading is due at `now`. Until then no reading is due.
    void start(Instant now) noexcept;

    /// What to do at `now`. Readings come first (they are cheap and local), then connecting
    /// (at once at first, after a failure once the backoff delay has passed), then publishing
    /// the next reading not yet in flight, while the window has room.
    [[nodiscard]] NodeStep next_step(Instant now) const noexcept;

    /// Reads the sensor, composes the reading (device, run, seq, ts = `wall_clock_ms`, values)
    /// and pushes it into the outbox, whose overflow policy applies. The slot is used up even
    /// if the sensor fails, so a broken sensor does not spin the loop. A reading that could
    /// not be taken (the sensor's error, too many values, a reading too large) is counted in
    /// sensor_errors(); errors of the outbox's storage and outbox_full are not.
    Result<OutboxPush> take_reading(SensorSource& sensor, Instant now,
                                    std::int64_t wall_clock_ms) noexcept;

    /// As take_reading(), for sensor fields that arrive as JSON: `fields` are the members
    /// (JsonObjectWriter::add_raw_members: "key":value pairs, comma-separated, no braces),
    /// checked and serialized by the caller, who also keeps the node's own keys (device, run,
    /// seq, ts) out of them. The reading is composed in `buffer`, which bounds its size.
    /// Errors counted in sensor_errors(): invalid_argument (no fields, or fields that begin or
    /// end with a comma), buffer_too_small (the reading does not fit `buffer`),
    /// outbox_record_too_large; then the outbox's other errors, which are not.
    Result<OutboxPush> take_json_reading(std::string_view fields, Instant now,
                                         std::int64_t wall_clock_ms, span<char> buffer) noexcept;

    /// The platform could not get a reading (its source failed, or delivered one that was
    /// rejected): the slot is used up and the failure counted in sensor_errors().
    void on_sensor_error(Instant now) noexcept;

    /// The connection (TLS + CONNACK) succeeded: the backoff starts over.
    void on_connected(Instant now) noexcept;

    /// A connection attempt failed or an established connection was lost. Returns the backoff
    /// delay before the next attempt (which next_step() will ask for), or Errc::closed when the
    /// configured max_attempts are used up. `random` is any 32-bit value from the platform RNG.
    Result<Duration> on_disconnected(Instant now, std::uint32_t random) noexcept;

    /// The oldest reading not yet in flight, read into `buffer` (max_reading_bytes suffice);
    /// it joins the window until on_reading_acknowledged() or on_disconnected(). Its
    /// packet_id is the one it was noted under on an earlier connection (0: never sent).
    Result<OutboxReading> reading_to_publish(mutable_bytes buffer) noexcept;

    /// Reading `seq` is going out under MQTT packet identifier `packet_id`: the outbox notes
    /// it (durably, before the PUBLISH leaves), so that after a reboot it is sent again under
    /// the same identifier (OutboxReading::packet_id).
    Result<void> on_reading_sent(std::uint64_t seq, std::uint16_t packet_id) noexcept {
        return outbox_->note_in_flight(seq, packet_id);
    }

    /// The broker acknowledged reading `seq` (in any order within the window): it leaves the
    /// outbox. A reading the overflow policy dropped meanwhile is not an error (ok()).
    Result<void> on_reading_acknowledged(std::uint64_t seq) noexcept;

    /// The broker refused reading `seq` (MQTT 5: a PUBACK or PUBREC Reason Code of 0x80 or
    /// more) and the caller's policy is to drop it: it leaves the outbox and is counted in
    /// denied(). Errors: the outbox's.
    Result<void> on_reading_denied(std::uint64_t seq) noexcept;

    /// Reading `seq` outlived its time to live before it could be sent (reading_expired()): it
    /// leaves the outbox and is counted in expired(). Errors: the outbox's.
    Result<void> on_reading_expired(std::uint64_t seq) noexcept;

    /// The reading reading_to_publish() just handed out could not be queued (the link's window
    /// or buffers are full): it leaves the window and is handed out again next time.
    void on_publish_deferred() noexcept {
        if (in_flight_ > 0) --in_flight_;
    }

    /// Readings in the window (handed out by reading_to_publish(), not yet acknowledged).
    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
    [[nodiscard]] std::size_t max_in_flight() const noexcept { return max_in_flight_; }

    [[nodiscard]] bool connected() const noexcept { return connected_; }
    [[nodiscard]] std::string_view device_id() const noexcept {
        return {device_id_, device_id_length_};
    }
    /// Where readings go: telemetry/<device id> unless configured otherwise.
    [[nodiscard]] std::string_view telemetry_topic() const noexcept {
        return {telemetry_topic_, telemetry_topic_length_};
    }
    /// The retained status and the will: status/<device id> unless configured otherwise;
    /// empty when the node sends no status (has_status()).
    [[nodiscard]] std::string_view status_topic() const noexcept {
        return {status_topic_, status_topic_length_};
    }
    [[nodiscard]] bool has_status() const noexcept { return status_topic_length_ != 0; }
    /// The run id readings carry (0: none).
    [[nodiscard]] std::uint64_t run_id() const noexcept { return run_id_; }
    /// Readings that could not be taken since create(): sensor failures and rejected input.
    [[nodiscard]] std::uint64_t sensor_errors() const noexcept { return sensor_errors_; }
    /// Readings the broker refused and the caller dropped (on_reading_denied()), and readings
    /// dropped unsent because they outlived their time to live, since create().
    [[nodiscard]] std::uint64_t denied() const noexcept { return denied_; }
    [[nodiscard]] std::uint64_t expired() const noexcept { return expired_; }
    [[nodiscard]] const Outbox& outbox() const noexcept { return *outbox_; }
    /// The outbox itself, for the platform loop that restores and releases readings.
    [[nodiscard]] Outbox& outbox() noexcept { return *outbox_; }
    /// Attempts since the last successful connection.
    [[nodiscard]] std::uint32_t reconnect_attempt() const noexcept { return backoff_.attempt(); }
    /// The bound the last delay from on_disconnected() was drawn under (0 before any).
    [[nodiscard]] Duration last_backoff_bound() const noexcept {
        return backoff_.attempt() == 0 ? Duration{} : backoff_.upper_bound(backoff_.attempt() - 1);
    }
    /// Reading slots skipped because the loop was late by whole periods.
    [[nodiscard]] std::uint32_t missed_slots() const noexcept { return schedule_.missed_slots(); }
    [[nodiscard]] Duration publish_period() const noexcept { return schedule_.period(); }

    /// Writes the status payload into `out`: {"status":"online"|"offline","run":R,
    /// "dropped":N,"pending":M,"next_seq":S,"sensor_errors":E,"denied":D,"expired":X} ("run"
    /// only with a run id), so every status message carries the count of readings the outbox
    /// dropped, that could not be taken, that the broker refused and that expired unsent
    /// (nothing is lost silently). 256 bytes always suffice.
    Result<std::string_view> compose_status(bool online, span<char> out) const noexcept;

private:
    TelemetryNode(std::string_view device_id, ReconnectBackoff backoff, PublishSchedule schedule,
                  Outbox& outbox) noexcept;

    // The node's own members of a reading: device, run, seq, ts.
    void begin_reading(JsonObjectWriter& json, std::int64_t wall_clock_ms) const noexcept;
    Result<OutboxPush> push_reading(Result<std::string_view> composed) noexcept;
    [[nodiscard]] Instant next_reading_due() const noexcept;
    void use_slot(Instant now) noexcept;

    Outbox* outbox_;
    ReconnectBackoff backoff_;
    PublishSchedule schedule_;
    Instant retry_at_ = Instant::from_millis(0);
    bool connected_ = false;
    std::size_t in_flight_ = 0;
    std::size_t max_in_flight_ = 16;
    bool readings_on_schedule_ = true;
    std::uint64_t run_id_ = 0;
    std::uint64_t sensor_errors_ = 0;
    std::uint64_t denied_ = 0;
    std::uint64_t expired_ = 0;
    std::size_t device_id_length_ = 0;
    std::size_t telemetry_topic_length_ = 0;
    std::size_t status_topic_length_ = 0;
    char device_id_[max_device_id_length] = {};
    char telemetry_topic_[max_topic_bytes] = {};
    char status_topic_[max_topic_bytes] = {};
    char reading_[max_reading_bytes] = {};
};

}  // namespace mqtls::node
