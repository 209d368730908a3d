// What both modes of `mqtls node` (continuous, cmd_node.cpp; wake cycle, node_wake_cycle.cpp)
// share: the outbox with its run id, the node's configuration, taking readings and logging
// what came of them.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli_support.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "node_flags.hpp"
#include "sensor_input.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "node";

const char* origin_name(RunIdOrigin origin) {
    switch (origin) {
        case RunIdOrigin::stored:
            return "stored";
        case RunIdOrigin::new_outbox:
            return "new_outbox";
        case RunIdOrigin::missing:
            return "missing";
        case RunIdOrigin::damaged:
            return "damaged";
        case RunIdOrigin::in_ram:
            return "in_ram";
    }
    return "in_ram";
}

int report_run_id_error(const Error& error, const std::string& path) {
    if (error.code != Errc::file_permissions_unsafe) return report(command_name, error, path);
    // Not a secret, so the table's wording for secrets does not fit; the risk is a different
    // one.
    std::fprintf(stderr,
                 "mqtls %s: %s belongs to another user or others may write to it (mode %03o)\n"
                 "  hint: whoever can change the run id can make a deduplicating collector drop "
                 "this device's readings; chown it to this user and chmod 600 it (or remove "
                 "it: the node then starts a new run id)\n",
                 command_name, path.c_str(), static_cast<unsigned>(error.detail));
    return exit_file;
}

}  // namespace

std::int64_t wall_clock_ms() { return port::posix::wall_clock_milliseconds(); }

namespace {

// With a device: over its segments (the runtime's Platform names them); without: the outbox's own.
int open_outbox_from_flags(const NodeFlags& flags, port::posix::Platform* device,
                           std::unique_ptr<NodeOutbox>& outbox) {
    node::OutboxConfig config;
    std::string problem;
    if (!outbox_config_from_flags(flags.outbox, max_cli_reading_bytes, config, problem)) {
        return usage_error(command_name, problem.c_str(),
                           "see 'mqtls node --help' for the outbox options");
    }
    auto opened = device != nullptr ? NodeOutbox::open(flags.outbox, config, *device)
                                    : NodeOutbox::open(flags.outbox, config);
    if (!opened) {
        return report(command_name, opened.error(),
                      flags.outbox.directory.empty() ? std::string("outbox")
                                                     : "--outbox " + flags.outbox.directory);
    }
    if (auto loaded = (*opened)->load_run_id(); !loaded) {
        if (!(*opened)->persistent()) return report(command_name, loaded.error(), "run id");
        return report_run_id_error(loaded.error(), (*opened)->run_id_path());
    }
    outbox = std::move(*opened);
    return exit_ok;
}

}  // namespace

int open_node_outbox(const NodeFlags& flags, std::unique_ptr<NodeOutbox>& outbox) {
    return open_outbox_from_flags(flags, nullptr, outbox);
}

int open_node_outbox(const NodeFlags& flags, port::posix::Platform& device,
                     std::unique_ptr<NodeOutbox>& outbox) {
    return open_outbox_from_flags(flags, &device, outbox);
}

node::DenialPolicy denial_policy(const NodeFlags& flags) {
    return flags.on_denied == "drop" ? node::DenialPolicy::drop : node::DenialPolicy::keep;
}

node::TelemetryNodeConfig node_config_from_flags(const NodeFlags& flags, const NodeOutbox& outbox) {
    node::TelemetryNodeConfig config;
    config.telemetry_topic = flags.topic;
    // The wake-cycle mode sends no status (a sleeping device is offline by design).
    config.status_topic = flags.wake.enabled ? std::string_view() : flags.status_topic_template();
    config.run_id = outbox.run_id().value;
    config.readings_on_schedule = !flags.sensor_stdin;
    return config;
}

void log_outbox_and_run_id(const NodeLog& log, const NodeOutbox& outbox,
                           const node::TelemetryNode& node) {
    log.event(LogLevel::info, "outbox",
              {{"persistent", outbox.persistent()},
               {"pending", node.outbox().size()},
               {"next_seq", node.outbox().next_sequence()},
               {"dropped", node.outbox().dropped()}},
              "%s", outbox.describe().c_str());
    log_run_id(log, outbox);
}

void log_run_id(const NodeLog& log, const NodeOutbox& outbox) {
    char text[node::run_id_text_length];
    const auto formatted = node::format_run_id(outbox.run_id().value, text);
    const std::string run = formatted ? std::string(*formatted) : std::string();
    const std::uint64_t next_seq = outbox.outbox().next_sequence();
    const std::string path = outbox.run_id_path();
    nlohmann::ordered_json fields = {
        {"run", run}, {"origin", origin_name(outbox.run_id().origin)}, {"next_seq", next_seq}};
    if (!path.empty()) fields["file"] = path;
    const auto seq = static_cast<unsigned long long>(next_seq);
    switch (outbox.run_id().origin) {
        case RunIdOrigin::stored:
            log.event(LogLevel::info, "run_id", std::move(fields),
                      "run %s (from %s): the outbox's numbering continues at seq %llu", run.c_str(),
                      path.c_str(), seq);
            break;
        case RunIdOrigin::new_outbox:
            log.event(LogLevel::info, "run_id", std::move(fields),
                      "run %s is new (kept in %s): the outbox starts a new log at seq %llu",
                      run.c_str(), path.c_str(), seq);
            break;
        case RunIdOrigin::missing:
        case RunIdOrigin::damaged:
            log.event(
                LogLevel::warning, "run_id", std::move(fields),
                "run %s is new (kept in %s, which %s): seq continues at %llu under it", run.c_str(),
                path.c_str(),
                outbox.run_id().origin == RunIdOrigin::missing ? "did not exist" : "held no run id",
                seq);
            break;
        case RunIdOrigin::in_ram:
            log.event(LogLevel::info, "run_id", std::move(fields),
                      "run %s is new: without --outbox the seq starts at 1 in every run; the "
                      "run id keeps a collector that deduplicates by device, run and seq "
                      "(mqtls sub --dedupe) from taking these readings for repeats of an "
                      "earlier run's",
                      run.c_str());
            break;
    }
}

std::uint32_t simulated_sensor_seed(const NodeFlags& flags) {
    if (flags.sensor_seed != 0) return flags.sensor_seed;
    std::uint32_t seed = 0;
    // A failing kernel RNG costs only variety: the sensor then starts from its fixed seed.
    (void)port::posix::fill_random(
        mutable_bytes(reinterpret_cast<std::uint8_t*>(&seed), sizeof seed));
    return seed;
}

Result<node::OutboxPush> take_external_reading(node::TelemetryNode& node,
                                               const ExternalReading& reading, Instant now,
                                               const NodeLog& log, const char* source) {
    std::string problem = reading.problem;
    Result<node::OutboxPush> taken = Error{Errc::sensor_read_failed, 0};
    if (reading.ok()) {
        const std::uint64_t before = node.sensor_errors();
        char buffer[max_cli_reading_bytes];
        taken = node.take_json_reading(reading.fields, now, wall_clock_ms(), buffer);
        if (taken || node.sensor_errors() == before) return taken;  // the outbox's to tell
        problem = "larger than " + std::to_string(max_cli_reading_bytes) +
                  " bytes with the node's device, run, seq and ts";
    } else {
        node.on_sensor_error(now);
    }
    log.event(LogLevel::warning, "sensor_error",
              {{"source", source}, {"problem", problem}, {"sensor_errors", node.sensor_errors()}},
              "sensor error #%llu (%s): %s; nothing published",
              static_cast<unsigned long long>(node.sensor_errors()), source, problem.c_str());
    return taken;
}

Result<node::OutboxPush> take_scheduled_reading(node::TelemetryNode& node, const NodeFlags& flags,
                                                node::SimulatedSensor& sensor, Instant now,
                                                const NodeLog& log) {
    if (!flags.sensor_command.empty()) {
        const auto timeout =
            std::chrono::milliseconds(std::llround(flags.sensor_timeout_s * 1000.0));
        const ExternalReading reading =
            run_sensor_command(flags.sensor_command, flags.device_id, timeout);
        return take_external_reading(node, reading, now, log, "sensor command");
    }
    const std::uint64_t before = node.sensor_errors();
    auto taken = node.take_reading(sensor, now, wall_clock_ms());
    if (!taken && node.sensor_errors() > before) {
        const Error& error = taken.error();
        log.event(LogLevel::warning, "sensor_error",
                  {{"source", "simulated sensor"},
                   {"problem", error.message()},
                   {"code", name(error.code)},
                   {"sensor_errors", node.sensor_errors()}},
                  "sensor error #%llu (simulated sensor): %s [%s %d]; nothing published",
                  static_cast<unsigned long long>(node.sensor_errors()), error.message(),
                  name(error.code), error.detail);
    }
    return taken;
}

std::optional<Error> log_reading_taken(const Result<node::OutboxPush>& taken,
                                       const node::TelemetryNode& node,
                                       std::uint64_t sensor_errors_before, const NodeLog& log) {
    const node::Outbox& outbox = node.outbox();
    if (!taken) {
        const Error& error = taken.error();
        if (node.sensor_errors() > sensor_errors_before) return std::nullopt;  // logged as such
        if (error.code == Errc::outbox_full) {
            log.event(LogLevel::warning, "reading_refused", {{"pending", outbox.size()}},
                      "reading not taken: the outbox is full (%zu pending) and --outbox-full "
                      "is refuse",
                      outbox.size());
            return std::nullopt;
        }
        if (error_class(error.code) == ErrorClass::node) {
            log.event(LogLevel::warning, "reading_skipped",
                      {{"error", error.message()}, {"code", name(error.code)}},
                      "reading skipped: %s [%s %d]", error.message(), name(error.code),
                      error.detail);
            return std::nullopt;
        }
        return error;
    }
    if (taken->dropped != 0) {
        log.event(LogLevel::warning, "outbox_dropped",
                  {{"dropped_now", taken->dropped},
                   {"which", taken->stored ? "oldest" : "newest"},
                   {"dropped", outbox.dropped()}},
                  "outbox full: dropped %u %s reading(s) (%llu dropped in all, each counted in "
                  "the status and wake reports)",
                  taken->dropped, taken->stored ? "oldest" : "newest",
                  static_cast<unsigned long long>(outbox.dropped()));
    }
    return std::nullopt;
}

}  // namespace mqtls::cli
