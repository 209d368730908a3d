#pragma once
// The flags of `mqtls node`, shared by its continuous mode (cmd_node.cpp) and its wake-cycle
// mode (node_wake_cycle.cpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker_connection.hpp"
#include "external_reading.hpp"
#include "mqtls/node/in_flight.hpp"
#include "mqtls/node/outbox.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "node_log.hpp"
#include "node_outbox.hpp"

namespace mqtls::cli {

struct WakeCycleFlags {
    bool enabled = false;                   // --wake-cycle: this run is one wake from deep sleep
    std::string session_file;               // default: <outbox>/tls-session.sealed
    std::string session_key_file;           // default: <outbox>/tls-session.key
    bool no_resume = false;                 // never load or store a TLS session
    std::string resumption = "session-id";  // session-id | ticket
    bool no_one_flight = false;             // CONNECT, wait for CONNACK, then PUBLISH
    double deadline_s = 10;                 // the whole wake, connect to last acknowledgement
    std::string report_file;                // JSON summary of the wake
    std::uint32_t cycles = 0;               // --cycles K: run K wakes as child processes
    double sleep_s = 10;                    // between them
};

struct NodeFlags {
    BrokerConnectionFlags connection;
    std::string device_id;
    double interval_s = 10;
    int qos = 1;
    double retry_base_s = 5;
    double retry_cap_s = 60;
    std::uint32_t max_attempts = 0;
    long count = 0;                 // stop after this many acknowledged readings; 0: never
    double duration_s = 0;          // stop after this long; 0: never
    std::string sensor;             // --sensor: empty (the default) or "simulated"
    std::uint32_t sensor_seed = 0;  // 0: a random seed per run
    std::string sensor_command;     // --sensor-command CMD
    bool sensor_stdin = false;      // --sensor-stdin
    double sensor_timeout_s = 5;    // per --sensor-command run
    std::string topic = std::string(node::default_telemetry_topic);
    std::string status_topic;  // empty: status/{device}
    bool no_status = false;
    std::string on_denied;            // --on-denied keep|drop (MQTT 5); empty: keep
    std::uint32_t reading_ttl_s = 0;  // --reading-ttl: 0, readings never expire
    NodeLogFlags log;
    NodeOutboxFlags outbox;
    WakeCycleFlags wake;

    [[nodiscard]] bool external_sensor() const { return !sensor_command.empty() || sensor_stdin; }
    /// Valid as long as the flags are (empty: no status).
    [[nodiscard]] std::string_view status_topic_template() const {
        if (no_status) return {};
        return status_topic.empty() ? node::default_status_topic : std::string_view(status_topic);
    }
};

/// Largest reading `mqtls node` publishes, and the outbox's record size, whatever the sensor:
/// room for a reading from outside (--sensor-command, --sensor-stdin) after the node's own
/// members. One size for all, so that an outbox written with one sensor is read back whole
/// with another.
inline constexpr std::size_t max_cli_reading_bytes = 1024;

/// The wall clock in Unix milliseconds: the `ts` of a reading.
std::int64_t wall_clock_ms();

/// Opens the outbox from the flags with its run id (a persistent one from DIR/run-id, or a
/// new one in RAM), reporting problems itself; exit_ok or the exit status.
int open_node_outbox(const NodeFlags& flags, std::unique_ptr<NodeOutbox>& outbox);
/// The same over `device`'s outbox segments (opened there), so that device.node() is the whole
/// Platform for node::NodeRunner or node::run_wake_cycle. `device` must outlive `outbox`.
int open_node_outbox(const NodeFlags& flags, port::posix::Platform& device,
                     std::unique_ptr<NodeOutbox>& outbox);

/// --on-denied as the library's policy (keep unless "drop").
node::DenialPolicy denial_policy(const NodeFlags& flags);

/// The node configuration both modes share: topics, run id, sensor mode.
node::TelemetryNodeConfig node_config_from_flags(const NodeFlags& flags, const NodeOutbox& outbox);

/// Logs the outbox's state at start (persistent or not, pending, next seq, dropped), then the
/// run id (log_run_id()): the same opening lines for both modes of the node.
void log_outbox_and_run_id(const NodeLog& log, const NodeOutbox& outbox,
                           const node::TelemetryNode& node);

/// Logs what the run id is and why (kept with the outbox, new, or new per run in RAM, with the
/// notice that seq restarts at 1).
void log_run_id(const NodeLog& log, const NodeOutbox& outbox);

/// The simulated sensor's seed: --sensor-seed, or a random one, so that two runs do not
/// publish the same values.
std::uint32_t simulated_sensor_seed(const NodeFlags& flags);

/// A scheduled reading (TelemetryNode asked for one): from --sensor-command, or from the
/// simulated `sensor`. A sensor error is counted by the node and logged here.
Result<node::OutboxPush> take_scheduled_reading(node::TelemetryNode& node, const NodeFlags& flags,
                                                node::SimulatedSensor& sensor, Instant now,
                                                const NodeLog& log);

/// A reading from --sensor-command or a --sensor-stdin line, taken (or refused and counted)
/// by `node`; logs a refusal. Returns what take_json_reading() returned, or the refusal as
/// sensor_read_failed.
Result<node::OutboxPush> take_external_reading(node::TelemetryNode& node,
                                               const ExternalReading& reading, Instant now,
                                               const NodeLog& log, const char* source);

/// Logs what taking a reading came to, for either mode of the node: the outbox full under
/// `refuse`, readings dropped by the overflow policy, a sensor that failed (counted by the
/// node in sensor_errors(), which was `sensor_errors_before` before the reading). Returns the
/// error to stop on when the outbox's storage failed (a reading could be lost otherwise).
std::optional<Error> log_reading_taken(const Result<node::OutboxPush>& taken,
                                       const node::TelemetryNode& node,
                                       std::uint64_t sensor_errors_before, const NodeLog& log);

/// One wake cycle (--wake-cycle). `options` come from make_client_options().
int run_wake_cycle(const NodeFlags& flags, client::ClientOptions options);

/// --cycles K --sleep S: runs K wake cycles, each as its own process (a wake from deep sleep is
/// a reset), and sums up what they reported.
int run_wake_cycles(const NodeFlags& flags);

/// Remembers the command line, so the wake-cycle driver can run it again.
void remember_command_line(int argc, char** argv);

}  // namespace mqtls::cli
