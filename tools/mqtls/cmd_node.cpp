// mqtls node: the seed's telemetry device on Linux. Its flags, their validation and the mode
// chosen; the device loops are the library's (node::NodeRunner, node::run_wake_cycle), run by
// node_continuous.cpp and node_wake_cycle.cpp, which log one line per event (node_log.hpp).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "node_continuous.hpp"
#include "node_flags.hpp"
#include "node_outbox.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "node";
// The longest --sensor-timeout: the node services nothing while a command runs, and the
// broker drops a client that is silent for 1.5 keepalive intervals (MQTT-3.1.2-24).
constexpr double max_sensor_timeout_s = 60;
// The shortest period and backoff base accepted: shorter would only measure the machine.
constexpr double min_seconds = 0.01;

Duration seconds_to_duration(double seconds) {
    return Duration::from_millis(std::llround(seconds * 1000.0));
}

int validate_timing(const NodeFlags& flags) {
    if (!(flags.interval_s >= min_seconds)) {
        return usage_error(command_name, "--interval must be at least 0.01 seconds",
                           "the seed device publishes every 10 s: --interval 10");
    }
    if (!(flags.retry_base_s >= min_seconds) || !(flags.retry_cap_s >= flags.retry_base_s)) {
        return usage_error(command_name, "--retry-base must be >= 0.01 s and --retry-cap >= it",
                           "e.g. --retry-base 5 --retry-cap 60");
    }
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "--qos must be 0, 1 or 2",
                           "telemetry usually uses 1 (at least once)");
    }
    if (flags.count < 0 || flags.duration_s < 0) {
        return usage_error(command_name, "--count and --duration must not be negative",
                           "0 (the default) means no limit");
    }
    return exit_ok;
}

int validate_sensor(const NodeFlags& flags) {
    if (!flags.sensor.empty() && flags.sensor != "simulated") {
        return usage_error(command_name, "--sensor must be 'simulated'",
                           "for real readings use --sensor-command CMD (one JSON object per "
                           "run) or --sensor-stdin (one JSON object per line)");
    }
    if (!flags.sensor_command.empty() && flags.sensor_stdin) {
        return usage_error(command_name, "--sensor-command and --sensor-stdin exclude each other",
                           "readings come from one source: a command run per reading, or "
                           "lines on standard input");
    }
    if (flags.external_sensor() && (!flags.sensor.empty() || flags.sensor_seed != 0)) {
        return usage_error(command_name,
                           "--sensor and --sensor-seed are for the simulated sensor, not for "
                           "--sensor-command or --sensor-stdin",
                           "drop them, or drop --sensor-command/--sensor-stdin");
    }
    if (!(flags.sensor_timeout_s >= min_seconds) || flags.sensor_timeout_s > max_sensor_timeout_s) {
        return usage_error(command_name, "--sensor-timeout must be 0.01..60 seconds",
                           "how long one run of --sensor-command may take, e.g. 5");
    }
    return exit_ok;
}

// Says what is wrong with a topic template without repeating it (an argument may hold
// anything a user pasted).
int topic_template_error(const char* flag, const Error& error) {
    std::string what;
    const char* hint = "e.g. --topic 'telemetry/{device}' or 'devices/{device}/messages/events/'";
    switch (error.code) {
        case Errc::wildcard_in_topic:
            what = " gives a topic with a wildcard ('+' or '#'), which nobody can publish to";
            hint = "wildcards belong in subscriptions; name the one topic the readings go to";
            break;
        case Errc::empty_topic:
            what = " is empty";
            break;
        case Errc::invalid_argument:
            what = " has a '{' or '}' at byte " + std::to_string(error.detail) +
                   " that is not part of {device}, the only placeholder";
            hint = "write {device} where the device id goes";
            break;
        case Errc::buffer_too_small:
            what = " gives a topic longer than " + std::to_string(node::max_topic_bytes) + " bytes";
            hint = "shorten the template (the device id takes up to 64 bytes)";
            break;
        default:
            what = std::string(" is not a valid topic name: ") + error.message();
            hint = error.hint();
            break;
    }
    return usage_error(command_name, (std::string(flag) + what).c_str(), hint);
}

int validate_topics(const NodeFlags& flags) {
    if (flags.no_status && !flags.status_topic.empty()) {
        return usage_error(command_name, "--no-status and --status-topic exclude each other",
                           "--no-status sends no status messages and no will");
    }
    char telemetry[node::max_topic_bytes];
    const auto readings = node::expand_topic_template(flags.topic, flags.device_id, telemetry);
    if (!readings) return topic_template_error("--topic", readings.error());
    const std::string_view status_template = flags.status_topic_template();
    if (status_template.empty()) return exit_ok;
    char status_buffer[node::max_topic_bytes];
    const auto status =
        node::expand_topic_template(status_template, flags.device_id, status_buffer);
    if (!status) return topic_template_error("--status-topic", status.error());
    if (*status == *readings) {
        return usage_error(command_name, "--topic and --status-topic give the same topic",
                           "a collector would take the retained status for a reading: give "
                           "them different topics, or --no-status");
    }
    return exit_ok;
}

// --on-denied needs a broker that can deny: under MQTT 3.1.1 a refused PUBLISH is acknowledged
// like any other, so the policy would never apply and the user would think it does.
int validate_mqtt5(const NodeFlags& flags) {
    if (!flags.on_denied.empty() && flags.on_denied != "keep" && flags.on_denied != "drop") {
        return usage_error(command_name, "--on-denied must be keep or drop",
                           "keep (the default): the reading stays in the outbox and the node "
                           "stops; drop: it is released, counted and logged");
    }
    if (!flags.on_denied.empty() && !wants_mqtt5(flags.connection)) {
        return usage_error(command_name, "--on-denied needs -V 5",
                           "under MQTT 3.1.1 a broker acknowledges a reading it refuses (an "
                           "ACL denial) like any other: only MQTT 5 says so");
    }
    return exit_ok;
}

int validate(const NodeFlags& flags) {
    if (const int status = validate_mqtt5(flags); status != exit_ok) return status;
    if (auto valid = node::validate_device_id(flags.device_id); !valid) {
        return usage_error(command_name, "--device is not a usable device id",
                           "use 1-64 characters of A-Z a-z 0-9 . _ - (it becomes the topic "
                           "level telemetry/<id> and the client id)");
    }
    if (flags.log.format != "text" && flags.log.format != "json") {
        return usage_error(command_name, "--log-format must be text or json",
                           "json writes one object per line: ts, level, event, device, fields");
    }
    for (int (*check)(const NodeFlags&) : {validate_timing, validate_sensor, validate_topics}) {
        if (const int status = check(flags); status != exit_ok) return status;
    }
    return exit_ok;
}

// The values of the wake cycle's own options.
int validate_wake_values(const WakeCycleFlags& wake) {
    if (wake.resumption != "ticket" && wake.resumption != "session-id") {
        return usage_error(command_name, "--resumption must be session-id or ticket",
                           "session-id (default): the fewest bytes, needs the broker's session "
                           "cache; ticket: for broker clusters that share ticket keys");
    }
    if (!(wake.deadline_s >= min_seconds) || wake.deadline_s > 3600) {
        return usage_error(command_name, "--wake-deadline must be 0.01..3600 seconds",
                           "how long one wake may stay awake, e.g. --wake-deadline 10");
    }
    if (!(wake.sleep_s >= 0) || wake.sleep_s > 86400) {
        return usage_error(command_name, "--sleep must be 0..86400 seconds",
                           "the deep sleep between wakes of --cycles, e.g. --sleep 60");
    }
    return exit_ok;
}

// A session that expires while the device sleeps loses the readings in flight at the broker
// (they go out again as new messages) and whatever it queued: with --cycles the sleep is known.
int validate_wake_session_expiry(const NodeFlags& flags) {
    if (!flags.connection.session_expiry_given || flags.wake.cycles == 0) return exit_ok;
    const std::optional<std::uint32_t> expiry =
        parse_session_expiry(flags.connection.session_expiry);
    const double awake_and_asleep = flags.wake.sleep_s + flags.wake.deadline_s;
    if (expiry && static_cast<double>(*expiry) < awake_and_asleep) {
        return usage_error(command_name,
                           "-x is shorter than --sleep plus --wake-deadline: the broker would "
                           "forget the session while the device sleeps",
                           "give -x at least the sleep and a wake (seconds), or leave it out: a "
                           "wake's session then never expires, as under MQTT 3.1.1");
    }
    return exit_ok;
}

int validate_wake_cycle(NodeFlags& flags) {
    const WakeCycleFlags& wake = flags.wake;
    const bool wake_options_given = !wake.session_file.empty() || !wake.session_key_file.empty() ||
                                    wake.no_resume || wake.no_one_flight ||
                                    !wake.report_file.empty() || wake.resumption != "session-id";
    if (!wake.enabled && wake.cycles == 0) {
        if (wake_options_given) {
            return usage_error(command_name,
                               "--session-file, --session-key, --resumption, --no-resume, "
                               "--no-one-flight and --wake-report belong to --wake-cycle",
                               "add --wake-cycle (one wake from deep sleep) or --cycles K");
        }
        return exit_ok;
    }
    if (flags.sensor_stdin) {
        return usage_error(command_name, "--sensor-stdin does not apply to --wake-cycle",
                           "a wake takes one reading and exits: use --sensor-command CMD, run "
                           "once per wake");
    }
    if (!flags.status_topic.empty()) {
        return usage_error(command_name, "--status-topic does not apply to --wake-cycle",
                           "a wake sends no status messages and no will (a sleeping device is "
                           "offline by design)");
    }
    if (flags.outbox.directory.empty()) {
        return usage_error(command_name, "--wake-cycle needs --outbox DIR",
                           "a wake from deep sleep keeps nothing in RAM: the outbox, the "
                           "sequence number and the TLS session live in DIR between wakes");
    }
    if (flags.count != 0 || flags.duration_s != 0) {
        return usage_error(command_name, "--count and --duration do not apply to --wake-cycle",
                           "a wake delivers what is pending plus one new reading; use --cycles "
                           "K --sleep S to repeat it");
    }
    if (const int status = validate_wake_values(wake); status != exit_ok) return status;
    if (const int status = validate_wake_session_expiry(flags); status != exit_ok) return status;
    if (flags.wake.session_file.empty()) {
        flags.wake.session_file = flags.outbox.directory + "/tls-session.sealed";
    }
    if (flags.wake.session_key_file.empty()) {
        flags.wake.session_key_file = flags.outbox.directory + "/tls-session.key";
    }
    return exit_ok;
}

int run_node(NodeFlags& flags) {
    if (const int status = validate(flags); status != exit_ok) return status;
    if (const int status = validate_wake_cycle(flags); status != exit_ok) return status;
    if (flags.wake.cycles > 0) return run_wake_cycles(flags);
    if (flags.connection.client_id.empty()) flags.connection.client_id = flags.device_id;
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    if (flags.wake.enabled) return run_wake_cycle(flags, std::move(options));
    std::unique_ptr<NodeOutbox> outbox;
    if (const int status = open_node_outbox(flags, outbox); status != exit_ok) return status;
    node::TelemetryNodeConfig config = node_config_from_flags(flags, *outbox);
    config.publish_period = seconds_to_duration(flags.interval_s);
    config.reconnect.base = seconds_to_duration(flags.retry_base_s);
    config.reconnect.cap = seconds_to_duration(flags.retry_cap_s);
    config.reconnect.max_attempts = flags.max_attempts;
    // With a persistent outbox the MQTT session persists too, so that a reading in flight at a
    // restart is resent under the identifier the broker already knows.
    options.clean_session = !outbox->persistent();
    auto node = node::TelemetryNode::create(flags.device_id, config, outbox->outbox());
    if (!node) return report(command_name, node.error(), "--device " + flags.device_id);
    return run_continuous_node(flags, options, *node, *outbox);
}

}  // namespace

void register_node_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<NodeFlags>();
    CLI::App* node = app.add_subcommand(
        "node",
        "Run a telemetry device: connect over verified TLS, publish a JSON reading {device, run, "
        "seq, ts, sensor fields} to telemetry/<device> every --interval, keep status/<device> "
        "retained as online/offline (will), and reconnect with exponential backoff and jitter. "
        "One log line per publish and per reconnect attempt on standard output.");
    // The node's will is its status topic, and its topics come from --topic and --device.
    add_broker_connection_flags(*node, flags->connection,
                                {/*will=*/false, /*url=*/false, /*property_packets=*/0});
    // The shared description names pub's and sub's default; node's is its device id (F16).
    node->get_option("--id")->description("client id (default: the --device id)");
    node->add_option("--device", flags->device_id,
                     "device id: the {device} of the topics (telemetry/<id>, status/<id>) and "
                     "the client id unless -i is given")
        ->required();
    node->add_option("--interval", flags->interval_s, "seconds between readings")
        ->capture_default_str();
    node->add_option("-q,--qos", flags->qos, "QoS of the readings: 0, 1 or 2")
        ->capture_default_str();
    node->add_option("--retry-base", flags->retry_base_s,
                     "upper bound of the first reconnect delay in seconds; doubles per failed "
                     "attempt (each delay is drawn uniformly below the bound)")
        ->capture_default_str();
    node->add_option("--retry-cap", flags->retry_cap_s, "largest reconnect delay bound in seconds")
        ->capture_default_str();
    node->add_option("--max-attempts", flags->max_attempts,
                     "give up after this many failed reconnect attempts in a row (0: never)")
        ->capture_default_str();
    node->add_option("-C,--count", flags->count,
                     "stop after this many acknowledged readings (0: no limit)");
    node->add_option("--duration", flags->duration_s, "stop after this many seconds (0: never)");
    node->add_option("--sensor", flags->sensor,
                     "simulated (the default): a simulated climate sensor; see --sensor-command "
                     "and --sensor-stdin for real readings");
    node->add_option("--sensor-seed", flags->sensor_seed,
                     "seed of the simulated sensor, for values that repeat from run to run "
                     "(default: a random seed per run)");
    node->add_option("--sensor-command", flags->sensor_command,
                     "run CMD with /bin/sh -c once per reading (every --interval); its standard "
                     "output is the reading: one JSON object of sensor fields, e.g. "
                     "{\"temperature_c\":21.5}. MQTLS_DEVICE holds the device id")
        ->type_name("CMD");
    node->add_option("--sensor-timeout", flags->sensor_timeout_s,
                     "seconds one run of --sensor-command may take; then it is killed (with "
                     "whatever it started) and counted as a sensor error")
        ->capture_default_str();
    node->add_flag("--sensor-stdin", flags->sensor_stdin,
                   "take readings from standard input: one JSON object of sensor fields per "
                   "line, each published as it arrives (--interval does not apply); at the end "
                   "of the input, deliver what is pending and exit");
    node->add_option("--topic", flags->topic,
                     "where readings go; {device} stands for the device id, e.g. "
                     "'devices/{device}/messages/events/' (Azure IoT Hub)")
        ->capture_default_str();
    node->add_option("--status-topic", flags->status_topic,
                     "where the retained status and the will go (default: status/{device})");
    node->add_flag("--no-status", flags->no_status, "send no status messages and no will");
    node->add_option("--on-denied", flags->on_denied,
                     "MQTT 5 (-V 5): what to do with a reading the broker refuses (a PUBACK "
                     "Reason Code such as 0x87 Not authorized): keep (the default; it stays in "
                     "the outbox and the node stops, exit 6) or drop (released, logged and "
                     "counted as denied in the status and the summary)");
    node->add_option("--reading-ttl", flags->reading_ttl_s,
                     "seconds a reading stays worth delivering from when it was taken (its ts); "
                     "older ones are released unsent and counted as expired. Under -V 5 the "
                     "rest carry what is left as Message Expiry, so the broker discards them "
                     "too once stale (0: never, the default)")
        ->type_name("SECONDS");
    node->add_option("--log-format", flags->log.format,
                     "text: one line per event; json: one JSON object per line with ts, level, "
                     "event, device, the event's fields and message")
        ->capture_default_str();
    node->add_flag("--no-timestamps", flags->log.no_timestamps,
                   "text log lines without the leading ISO 8601 UTC time");
    node->add_flag("--quiet", flags->log.quiet, "log warnings and errors only");
    node->add_option("--outbox", flags->outbox.directory,
                     "keep every reading in this folder (two log files, created 0700) until the "
                     "broker acknowledges it, across reconnects, restarts and crashes; without "
                     "it the outbox is in RAM (kept across reconnects only)");
    node->add_option("--outbox-records", flags->outbox.max_records,
                     "most unacknowledged readings the outbox keeps")
        ->capture_default_str();
    node->add_option("--outbox-bytes", flags->outbox.max_bytes,
                     "most bytes of unacknowledged readings the outbox keeps")
        ->capture_default_str();
    node->add_option("--outbox-full", flags->outbox.when_full,
                     "when the outbox is full: drop-oldest, drop-newest (the seq is used up, so "
                     "the collector sees the gap) or refuse (no reading is taken); every drop "
                     "is counted and reported in the status message")
        ->capture_default_str();
    node->add_option("--outbox-sync", flags->outbox.sync,
                     "each: every reading is on disk (fdatasync) before the node goes on; none: "
                     "left to the OS (survives a crash of mqtls, not a power loss)")
        ->capture_default_str();
    node->add_flag("--wake-cycle", flags->wake.enabled,
                   "one wake from deep sleep, then exit: load the TLS session, outbox and seq "
                   "from --outbox DIR, take one reading, connect (resuming the TLS session; "
                   "Finished + CONNECT + readings in one flight), deliver what is pending, wait "
                   "for the acknowledgements up to --wake-deadline, disconnect, save. Exit 0 "
                   "when everything was delivered (7: deadline, 4: network; the rest stays in "
                   "the outbox). No will or status messages in this mode");
    node->add_option("--session-file", flags->wake.session_file,
                     "sealed TLS session kept between wakes (mode 0600; default "
                     "DIR/tls-session.sealed)");
    node->add_option("--session-key", flags->wake.session_key_file,
                     "32-byte key that seals the session, made on first use (mode 0600; "
                     "default DIR/tls-session.key)");
    node->add_option("--resumption", flags->wake.resumption,
                     "how the TLS session is resumed: session-id (32 bytes in the ClientHello, "
                     "from the broker's session cache, which Mosquitto keeps) or ticket (RFC "
                     "5077: about 180 bytes more per wake, 600 with a client certificate, but "
                     "the broker keeps no state; for clusters that share ticket keys)")
        ->capture_default_str();
    node->add_flag("--no-resume", flags->wake.no_resume,
                   "never store or offer a TLS session: a full handshake every wake");
    node->add_flag("--no-one-flight", flags->wake.no_one_flight,
                   "conventional order: finish the handshake, CONNECT, wait for CONNACK, then "
                   "publish");
    node->add_option("--wake-deadline", flags->wake.deadline_s,
                     "seconds one wake may take from start to the last acknowledgement")
        ->capture_default_str();
    node->add_option("--wake-report", flags->wake.report_file,
                     "write a JSON summary of the wake (or of all --cycles) to this file");
    node->add_option("--cycles", flags->wake.cycles,
                     "run this many wake cycles, each as its own process (as a reset from deep "
                     "sleep), with --sleep seconds between them; implies --wake-cycle");
    node->add_option("--sleep", flags->wake.sleep_s, "seconds of deep sleep between --cycles")
        ->capture_default_str();
    node->footer(
        "Status: status/<device> is retained JSON {\"status\":\"online\"|\"offline\",\"run\":R,"
        "\"dropped\":N,\"pending\":M,\"next_seq\":S,\"sensor_errors\":E,\"denied\":D,\"expired\":X}"
        "; "
        "the will is the offline one.\n"
        "MQTT 5 (-V 5): the broker says when it refuses a reading (see --on-denied). The session "
        "is kept after a disconnect for -x seconds; without -x, for ever when the session is "
        "persistent (--outbox), as under MQTT 3.1.1, and not at all otherwise. With --wake-cycle "
        "-x must outlast the sleep between wakes plus a wake, or the broker forgets the session "
        "while the device sleeps.\n"
        "Run id: \"run\" (16 hex digits, random) names the run of seq numbers a reading belongs "
        "to. Without --outbox every run starts at seq 1 with a new run id; with --outbox DIR "
        "the id is kept in DIR/run-id as long as the outbox's numbering continues (across "
        "restarts and wakes). Collectors deduplicate by device, run and seq.\n"
        "Readings from outside (--sensor-command, --sensor-stdin) must be one JSON object of at "
        "most 4096 bytes, nested at most 4 levels, without the node's own keys device, run, seq "
        "and ts; anything else is logged as a sensor error, counted (sensor_errors in the "
        "status) and never published.\n"
        "Log: standard output (text or --log-format json); errors that end the node go to "
        "standard error.\n"
        "Stops cleanly on SIGINT/SIGTERM, --count or --duration: publishes the retained "
        "'offline', disconnects, prints a summary, exit status 0. Readings still in the outbox "
        "stay there for the next run (with --outbox).\n"
        "Stops at once with the mqtls exit status on errors that retrying cannot fix: the "
        "broker's certificate is not trusted (5), the broker refuses the credentials (6), "
        "unusable files (3). Network errors are retried with backoff (exit 4 only after "
        "--max-attempts).");
    node->callback([flags, &exit_status] { exit_status = run_node(*flags); });
}

}  // namespace mqtls::cli
