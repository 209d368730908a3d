#pragma once
/// @file
/// The continuous device loop, as a library: NodeRunner carries out TelemetryNode's steps over a
/// link::Connection. It connects (with the retained "offline" status as will), restores the
/// readings that were in flight when the last run ended, drains the outbox through the window
/// (TelemetryNodeConfig::max_in_flight readings in flight, each noted in the outbox before it
/// leaves), awaits acknowledgements, keeps the link alive, reconnects with backoff and jitter,
/// and says goodbye cleanly. It prints nothing: what happens comes out as NodeEvents.
///
/// @code
///   NodeRunner runner(node, connection, platform, config, &sensor);
///   node.start(clock.now());
///   while (!runner.stopped()) {
///       runner.step(clock.now() + Duration::from_millis(250));   // one bounded step
///       while (auto event = runner.poll_event()) show(*event);
///   }
/// @endcode
///
/// step() does one bounded piece of work (a connect within connect_timeout, a publish, one
/// acknowledgement, or a wait until `until`) and produces at most one event. No heap, no
/// exceptions, time from the platform's MonotonicClock only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/node/in_flight.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/node/telemetry_node.hpp"

namespace mqtls::node {

struct NodeRunnerConfig {
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    std::string_view client_id;  ///< must stay valid while the runner runs
    std::string_view username;   ///< empty: none
    bytes_view password;         ///< empty: none (never logged)
    std::uint16_t keep_alive_s = 60;
    /// false with a persistent outbox: the broker keeps the session, so a reading in flight at
    /// a restart is resent under the identifier the broker knows.
    bool clean_session = true;
    Duration connect_timeout = Duration::from_seconds(10);
    /// A reading in flight this long without any acknowledgement means the link is gone (a
    /// black hole, a broker that stopped answering): it is dropped and reconnected.
    Duration ack_timeout = Duration::from_seconds(10);
    /// Time to live of a reading, seconds from when it was taken (ReadingDelivery::ttl_s);
    /// 0: forever.
    std::uint32_t reading_ttl_s = 0;
    /// A reading the broker refused (MQTT 5 only): kept, stopping the run, or dropped, counted.
    DenialPolicy on_denied = DenialPolicy::keep;
    /// MQTT 5's Session Expiry Interval [MQTT-3.1.2-23]. Unset: 0 with clean_session (the
    /// session ends with the connection), never (0xFFFFFFFF) without, which is what 3.1.1's
    /// clean_session=false means. A bound shorter than the longest outage the outbox rides out
    /// lets the broker forget the readings in flight: they then go out again as new messages.
    std::optional<std::uint32_t> session_expiry_s;
};

enum class NodeEventType : std::uint8_t {
    reading_due,    ///< no SensorSource: take a reading now (node().take_reading() or the like)
    reading_taken,  ///< by the runner's SensorSource: seq, or error (a sensor error, counted)
    restored,       ///< seq goes out again under packet_id with DUP (noted by an earlier run)
    connected,      ///< channel, resumed, attempt
    published,      ///< seq handed to the link under packet_id; resent: it went out before
    acknowledged,   ///< seq acknowledged and released; payload: the reading
    /// MQTT 5: the broker refused seq (0: the status message) under packet_id; error:
    /// message_rejected with the Reason Code as detail; dropped: released and counted
    /// (DenialPolicy::drop), else kept and a `stopped` event with that error follows.
    denied,
    expired,    ///< seq outlived NodeRunnerConfig::reading_ttl_s unsent: released and counted
    link_down,  ///< error; retry_delay, backoff_bound, attempt: when the next connect is
    stopped,    ///< error (none: a clean stop), gave_up: max_attempts used up
};

struct NodeEvent {
    NodeEventType type = NodeEventType::reading_due;
    std::optional<Error> error;
    std::uint64_t seq = 0;
    mqtt::PacketId packet_id = 0;
    bool resent = false;
    bool resumed = false;
    bool gave_up = false;
    bool dropped = false;
    std::uint32_t attempt = 0;
    Duration retry_delay;
    Duration backoff_bound;
    link::ChannelInfo channel;
    /// acknowledged: the reading's JSON; valid until the next step().
    bytes_view payload;
};

class NodeRunner {
public:
    /// Everything is borrowed and must outlive the runner. The connection's EventHandler is the
    /// runner's while it lives (it takes acknowledgements as they are decoded). `sensor` nullptr:
    /// readings are the caller's (reading_due events, or TelemetryNodeConfig::readings_on_schedule
    /// false).
    NodeRunner(TelemetryNode& node, link::Connection& connection, const Platform& platform,
               const NodeRunnerConfig& config, SensorSource* sensor) noexcept;
    /// Gives the connection's events back to poll_event() (the runner takes them as decoded).
    ~NodeRunner();
    NodeRunner(const NodeRunner&) = delete;
    NodeRunner& operator=(const NodeRunner&) = delete;

    /// One bounded step; waits at most until `until`. Does nothing once stopped().
    void step(Instant until) noexcept;
    /// The event of the last step, if it had one.
    std::optional<NodeEvent> poll_event() noexcept;

    /// Begins the clean goodbye, step by step: from the next step() on no reading is taken and
    /// no connection is made; what is in the outbox goes out while connected, each reading's
    /// acknowledgement an `acknowledged` event as usual, until the outbox is empty, the link
    /// is down or `deadline` passed. Then the retained "offline", DISCONNECT, and a `stopped`
    /// event. For an application that reports every delivery, up to the last.
    void request_stop(Instant deadline) noexcept;
    /// The same goodbye at once, in one bounded call (its acknowledgements are not reported
    /// one by one); then stopped() with a `stopped` event.
    void stop(Instant deadline) noexcept;

    [[nodiscard]] bool stopping() const noexcept { return stopping_; }

    [[nodiscard]] bool stopped() const noexcept { return stopped_; }
    [[nodiscard]] bool connected() const noexcept { return connection_->connected(); }
    [[nodiscard]] TelemetryNode& node() noexcept { return *node_; }
    /// Readings acknowledged, and reconnects, since the runner was made.
    [[nodiscard]] std::uint64_t acknowledged() const noexcept { return acknowledged_; }
    [[nodiscard]] std::uint64_t reconnects() const noexcept { return reconnects_; }

private:
    [[nodiscard]] Instant now() const noexcept { return platform_->clock.now(); }
    void emit(const NodeEvent& event) noexcept { event_ = event; }
    void restore_next() noexcept;
    void take_reading() noexcept;
    void connect() noexcept;
    Result<void> open_connection() noexcept;
    Result<void> publish_status(bool online) noexcept;
    void publish_next() noexcept;
    Result<void> release_at_most_once(std::uint64_t seq) noexcept;
    void on_publish_failed(const Error& error) noexcept;
    void wait(Instant until) noexcept;
    static void on_connection_event(void* context, const mqtt::Event& event) noexcept;
    // An acknowledgement as the pump decoded it; reason_code 0x80 or more: a refusal (MQTT 5).
    struct Acknowledgement {
        mqtt::PacketId packet_id = 0;
        std::uint8_t reason_code = 0;
    };
    void queue_acknowledgement(Acknowledgement acknowledgement) noexcept;
    [[nodiscard]] std::optional<Acknowledgement> next_acknowledgement() noexcept;
    void on_acknowledgement(Acknowledgement acknowledgement) noexcept;
    void on_acknowledged(mqtt::PacketId packet_id) noexcept;
    void on_denied(Acknowledgement refusal) noexcept;
    [[nodiscard]] ReadingDelivery delivery() const noexcept;
    void link_down(const Error& error) noexcept;
    void stop_with(const Error& error, bool gave_up) noexcept;
    bool acknowledgement_overdue() const noexcept;
    void step_stopping(Instant until) noexcept;
    void say_goodbye() noexcept;

    TelemetryNode* node_;
    link::Connection* connection_;
    const Platform* platform_;
    NodeRunnerConfig config_;
    SensorSource* sensor_;
    std::optional<NodeEvent> event_;
    std::optional<Error> pending_stop_;
    std::size_t restore_position_ = 0;
    bool restoring_ = true;
    bool stopped_ = false;
    bool stopping_ = false;
    Instant stop_deadline_;
    std::size_t stop_turns_left_ = 0;
    std::uint64_t acknowledged_ = 0;
    std::uint64_t reconnects_ = 0;
    std::uint64_t last_published_seq_ = 0;
    std::uint32_t connect_attempts_ = 0;
    Instant last_progress_;
    // Acknowledgements as the pump decoded them, taken one per step. The runner takes the
    // connection's events through an EventHandler rather than poll_event(): a held event stops
    // the pump from decrypting, and records the channel already holds (a broker's PUBACKs
    // arriving together) would wait for more bytes from the stream, which may never come.
    // Room for every acknowledgement a window can bring (TelemetryNodeConfig::max_in_flight
    // readings and the status messages); beyond it one is dropped, and its reading goes out
    // again after ack_timeout (a duplicate, never a loss).
    static constexpr std::size_t max_pending_acknowledgements = 64;
    Acknowledgement acknowledgements_[max_pending_acknowledgements] = {};
    std::size_t acknowledgement_begin_ = 0;
    std::size_t acknowledgement_count_ = 0;
    char status_[256] = {};
#if MQTLS_MQTT5
    // The CONNECT's Session Expiry Interval; the connection keeps the Connect that views it.
    mqtt::Property connect_properties_[1] = {};
#endif
    std::uint8_t reading_[max_reading_bytes > 1024 ? max_reading_bytes : 1024] = {};
};

}  // namespace mqtls::node
