#pragma once
// The flags of `mqtls node`, shared by its continuous mode (cmd_node.cpp) and its wake-cycle
// mode (node_wake_cycle.cpp).

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker_connection.hpp"
#include "mqtls/node/outbox.hpp"
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
    long count = 0;         // stop after this many acknowledged readings; 0: never
    double duration_s = 0;  // stop after this long; 0: never
    std::string sensor = "simulated";
    std::uint32_t sensor_seed = 0;  // 0: derived from the device id
    NodeOutboxFlags outbox;
    WakeCycleFlags wake;
};

/// The wall clock in Unix milliseconds: the `ts` of a reading.
std::int64_t wall_clock_ms();

/// What taking a reading came to, for either mode of the node: a status line to print (outbox
/// full under `refuse`, a sensor error: the reading is skipped; readings dropped by the
/// overflow policy), and, when the outbox's storage failed, the error to stop on (a reading
/// could be lost otherwise).
struct ReadingTaken {
    std::string status_line;
    std::optional<Error> storage_failure;
};
ReadingTaken describe_reading_taken(const Result<node::OutboxPush>& taken,
                                    const node::Outbox& outbox);

/// FNV-1a of the device id: each simulated device gets its own, reproducible readings.
std::uint32_t sensor_seed_from(const std::string& device_id);

/// One wake cycle (--wake-cycle). `options` come from make_client_options().
int run_wake_cycle(const NodeFlags& flags, client::ClientOptions options);

/// --cycles K --sleep S: runs K wake cycles, each as its own process (a wake from deep sleep is
/// a reset), and sums up what they reported.
int run_wake_cycles(const NodeFlags& flags);

/// Remembers the command line, so the wake-cycle driver can run it again.
void remember_command_line(int argc, char** argv);

/// Prints one status line "mqtls node <device>: <prefix><message>" and flushes it, so whoever
/// reads the pipe (the demo, a test, a log) sees each event at once.
void print_node_status(std::string_view device_id, const char* prefix, const char* format,
                       va_list arguments);

}  // namespace mqtls::cli
