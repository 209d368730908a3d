#pragma once
// The flags of `mqtls sub`, shared by its source files: cmd_sub.cpp (the command line and the
// connection) and cmd_sub_receive.cpp (what happens to each message).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "mqtls/client/client.hpp"
#include "sub_format.hpp"

namespace mqtls::cli {

struct SubFlags {
    BrokerConnectionFlags connection;
    std::vector<std::string> topics;       // -t
    std::vector<std::string> filters_out;  // -T: messages on matching topics are ignored
    std::vector<std::string> unsubscribe;  // -U
    int qos = 0;
    long message_count = 0;  // -C; 0: no limit
    long timeout_s = 0;      // -W; 0: none
    bool verbose = false;
    bool no_newline = false;
    std::string format_text;             // -F
    bool format_given = false;           // -F was given (even if empty)
    std::optional<OutputFormat> format;  // -F, parsed
    bool skip_retained = false;          // -R
    bool exit_after_subscribe = false;   // -E
    bool retained_only = false;          // --retained-only
    bool remove_retained = false;        // --remove-retained
    bool quiet = false;                  // --quiet
    bool dedupe = false;                 // --dedupe (implied by the three below)
    bool report_only = false;            // --report-only: no messages, the report on stdout
    std::string report_json;             // --report-json FILE
    std::uint64_t until_complete = 0;    // --until-complete N; 0: no target
};

/// With --retained-only, the run also ends (exit 0) when no message arrived for this long after
/// SUBACK or the last message: the broker sends the retained messages right after SUBACK
/// [MQTT-3.3.1-6], so a quiet second means there are no more, and no run waits for ever.
constexpr std::chrono::milliseconds retained_only_quiet_period{1000};

/// Receives until -C, --until-complete, --retained-only or -W ends the run, or a signal; handles
/// every message as -R, -T, --retained-only, --remove-retained and --dedupe say and prints it
/// (-v, -N, -F). `deadline` is when -W passes (ignored without -W). Returns the exit status;
/// the --dedupe report is printed too.
int receive_and_report(client::Client& client, const SubFlags& flags,
                       std::chrono::steady_clock::time_point deadline);

/// Reports `error` as report() does, unless --quiet; returns its exit status either way.
int report_unless_quiet(const SubFlags& flags, const Error& error, std::string_view context);

}  // namespace mqtls::cli
