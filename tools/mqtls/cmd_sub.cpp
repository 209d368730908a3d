// mqtls sub: subscribes over verified TLS and prints the messages that arrive, one per line.
// Flags follow mosquitto_sub where they overlap. With --dedupe it also accounts for telemetry
// readings per device (reading_tally.hpp): duplicates are not printed, and a report of
// received / duplicate / missing seq numbers ends the run.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "reading_tally.hpp"
#include "stop_signal.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* command_name = "sub";
// Without -W, receive in slices this long, so the loop's every turn is bounded in time.
constexpr milliseconds receive_slice{1000};

struct SubFlags {
    BrokerConnectionFlags connection;
    std::vector<std::string> topics;
    int qos = 0;
    long message_count = 0;  // -C; 0: no limit
    long timeout_s = 0;      // -W; 0: none
    bool verbose = false;
    bool no_newline = false;
    bool dedupe = false;               // --dedupe (implied by the three below)
    bool report_only = false;          // --report-only: no messages, the report on stdout
    std::string report_json;           // --report-json FILE
    std::uint64_t until_complete = 0;  // --until-complete N; 0: no target
};

// What the receive loop counts towards -C, and the readings tally with --dedupe.
struct Receiving {
    const SubFlags& flags;
    std::optional<ReadingTally> tally;  // with --dedupe
    long counted = 0;                   // messages; with --dedupe, unique readings
};

void print_message(const client::Message& message, const SubFlags& flags) {
    if (flags.verbose) {
        std::fwrite(message.topic.data(), 1, message.topic.size(), stdout);
        std::fputc(' ', stdout);
    }
    std::fwrite(message.payload.data(), 1, message.payload.size(), stdout);
    if (!flags.no_newline) std::fputc('\n', stdout);
    // Readers at the other end of a pipe see each message as it arrives.
    std::fflush(stdout);
}

// Subscribes to every -t filter; a filter the broker refuses (SUBACK 0x80) is exit_refused.
int subscribe_all(client::Client& client, const SubFlags& flags,
                  const std::vector<mqtt::Subscription>& subscriptions) {
    auto granted = client.subscribe(subscriptions);
    if (!granted) {
        return report_client_error(command_name, granted.error(), "subscribing", flags.connection);
    }
    for (std::size_t i = 0; i < granted->size() && i < flags.topics.size(); ++i) {
        if ((*granted)[i] == mqtt::suback_failure) {
            std::fprintf(stderr,
                         "mqtls sub: the broker refused the subscription to '%s' (SUBACK 0x80)\n"
                         "  hint: check the broker's ACL for this user and the filter syntax\n",
                         flags.topics[i].c_str());
            return exit_refused;
        }
    }
    if (flags.connection.debug) {
        // One line per filter once the broker has granted it: a parent process can wait for
        // these lines to know that messages published from now on will arrive.
        for (std::size_t i = 0; i < granted->size() && i < flags.topics.size(); ++i) {
            std::fprintf(stderr, "mqtls sub: subscribed to %s (granted QoS %u)\n",
                         flags.topics[i].c_str(), static_cast<unsigned>((*granted)[i]));
        }
        std::fflush(stderr);
    }
    return exit_ok;
}

int receive_messages(client::Client& client, Receiving& receiving);

int check_flags(SubFlags& flags) {
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "-q must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    if (flags.message_count < 0 || flags.timeout_s < 0) {
        return usage_error(command_name, "-C and -W must not be negative",
                           "-C N exits after N messages, -W S after S seconds");
    }
    if (flags.report_only || !flags.report_json.empty() || flags.until_complete > 0) {
        flags.dedupe = true;
    }
    return exit_ok;
}

// Writes the JSON report to FILE.part and renames it over FILE, so that a reader of FILE never
// sees half a report.
int write_json_report(const std::string& path, const ReadingTally& tally) {
    const std::string partial = path + ".part";
    {
        std::ofstream file(partial, std::ios::binary | std::ios::trunc);
        if (file) file << tally.json_report();
        file.flush();
        if (!file) {
            return report(command_name, Error{Errc::file_write_failed, errno},
                          "--report-json " + partial);
        }
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0) {
        return report(command_name, Error{Errc::file_write_failed, errno}, "--report-json " + path);
    }
    return exit_ok;
}

// Truncates the --report-json file before connecting: a path that cannot be written is found at
// once, and a report left by an earlier run is not mistaken for this one's.
int prepare_json_report(const std::string& path) {
    if (path.empty()) return exit_ok;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) {
        return report(command_name, Error{Errc::file_write_failed, errno}, "--report-json " + path);
    }
    return exit_ok;
}

// The --dedupe report: text on stderr (stdout with --report-only), JSON to --report-json.
// Returns `status`, or exit_file when it was exit_ok and the JSON could not be written.
int finish_dedupe(const Receiving& receiving, int status) {
    if (!receiving.tally) return status;
    const SubFlags& flags = receiving.flags;
    const std::string text = receiving.tally->text_report();
    if (flags.report_only) {
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
    } else {
        std::fputs("mqtls sub: ", stderr);
        std::fputs(text.c_str(), stderr);
    }
    if (!flags.report_json.empty()) {
        const int written = write_json_report(flags.report_json, *receiving.tally);
        if (written != exit_ok && status == exit_ok) return written;
    }
    return status;
}

int run_sub(SubFlags& flags) {
    if (const int status = check_flags(flags); status != exit_ok) return status;
    if (const int status = prepare_json_report(flags.report_json); status != exit_ok) {
        return status;
    }
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    // SIGINT/SIGTERM only set a flag; the loop below notices it within one receive slice (the
    // transport retries interrupted calls until its deadline), disconnects and exits 0.
    install_stop_signal_handlers();
    client::Client client(client_limits(flags.connection));
    if (const int status = connect_client(command_name, flags.connection, options, client);
        status != exit_ok) {
        return status;
    }
    Receiving receiving{flags, std::nullopt, 0};
    if (flags.dedupe) {
        receiving.tally.emplace();
        receiving.tally->set_completion_target(flags.until_complete);
    }
    if (stop_requested() != 0) {
        (void)client.disconnect();
        return finish_dedupe(receiving, exit_ok);
    }
    std::vector<mqtt::Subscription> subscriptions;
    subscriptions.reserve(flags.topics.size());
    for (const std::string& topic : flags.topics) {
        subscriptions.push_back({topic, static_cast<mqtt::QoS>(flags.qos)});
    }
    if (const int status = subscribe_all(client, flags, subscriptions); status != exit_ok) {
        return status;
    }
    const int status = receive_messages(client, receiving);
    (void)client.disconnect();
    return finish_dedupe(receiving, status);
}

// Accounts for one message and prints it unless it is a duplicate reading (--dedupe) or
// --report-only is given.
void handle_message(const client::Message& message, Receiving& receiving) {
    if (!receiving.tally) {
        print_message(message, receiving.flags);
        ++receiving.counted;
        return;
    }
    const ReadingOutcome outcome = receiving.tally->add_payload(message.payload);
    if (outcome == ReadingOutcome::new_reading) ++receiving.counted;
    if (outcome != ReadingOutcome::duplicate && !receiving.flags.report_only) {
        print_message(message, receiving.flags);
    }
}

bool receiving_done(const Receiving& receiving, long wanted) {
    return receiving.counted >= wanted || (receiving.tally && receiving.tally->all_complete());
}

void report_timeout(const Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    std::fprintf(stderr, "mqtls sub: timed out after %ld s with %ld %s", flags.timeout_s,
                 receiving.counted, receiving.tally ? "unique reading(s)" : "message(s)");
    if (flags.message_count > 0) std::fprintf(stderr, " of %ld", flags.message_count);
    if (flags.until_complete > 0) {
        std::fprintf(stderr, ", before every device had seq 1..%llu",
                     static_cast<unsigned long long>(flags.until_complete));
    }
    std::fprintf(stderr, "\n  hint: is anything publishing to the topic?\n");
}

// Receives until -C messages (with --dedupe: unique readings) arrived or --until-complete is
// met (exit_ok), or -W passed (exit_timeout).
int receive_messages(client::Client& client, Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    const bool has_deadline = flags.timeout_s > 0;
    const auto deadline = steady_clock::now() + std::chrono::seconds(flags.timeout_s);
    const long wanted =
        flags.message_count > 0 ? flags.message_count : std::numeric_limits<long>::max();
    while (!receiving_done(receiving, wanted)) {
        if (stop_requested() != 0) {
            if (flags.connection.debug) {
                std::fprintf(stderr, "mqtls sub: stopping on signal after %ld message(s)\n",
                             receiving.counted);
            }
            return exit_ok;
        }
        milliseconds wait = receive_slice;
        if (has_deadline) {
            const auto left =
                std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
            if (left <= milliseconds::zero()) {
                report_timeout(receiving);
                return exit_timeout;
            }
            wait = std::min(wait, left);
        }
        auto message = client.receive(wait);
        if (!message) {
            if (stop_requested() != 0) return exit_ok;  // interrupted while shutting down
            return report_client_error(command_name, message.error(), "receiving",
                                       flags.connection);
        }
        if (*message) handle_message(**message, receiving);
    }
    return exit_ok;
}

}  // namespace

void register_sub_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<SubFlags>();
    CLI::App* sub = app.add_subcommand(
        "sub",
        "Subscribe over TLS with the broker's certificate verified and print each message's "
        "payload on its own line. Exit status 7 when -W passes before -C messages arrived "
        "(or, without -C, when -W passes; with --until-complete, before every device was "
        "complete); 6 when the broker refuses a filter.");
    add_broker_connection_flags(*sub, flags->connection);
    sub->add_option("-t,--topic", flags->topics, "topic filter to subscribe to (repeatable)")
        ->required();
    sub->add_option("-q,--qos", flags->qos, "maximum QoS to receive: 0, 1 or 2")
        ->capture_default_str();
    sub->add_option("-C,--count", flags->message_count,
                    "exit after this many messages (with --dedupe: unique readings)");
    sub->add_option("-W,--timeout", flags->timeout_s,
                    "give up after this many seconds (exit status 7)");
    sub->add_flag("-v,--verbose", flags->verbose, "print 'topic payload'");
    sub->add_flag("-N,--no-newline", flags->no_newline, "do not end payloads with a newline");
    sub->add_flag("--dedupe", flags->dedupe,
                  "account for telemetry readings ({\"device\":..,\"seq\":..}) per device: "
                  "print each reading's first arrival only, and at exit report received, "
                  "duplicates and missing seqs on stderr");
    sub->add_flag("--report-only", flags->report_only,
                  "with --dedupe: print no messages, print the report on stdout");
    sub->add_option("--report-json", flags->report_json,
                    "with --dedupe: write the report as JSON to this file at exit")
        ->type_name("FILE");
    sub->add_option("--until-complete", flags->until_complete,
                    "with --dedupe: exit 0 once every device seen so far has every seq 1..N")
        ->type_name("N");
    sub->footer(
        "SIGINT and SIGTERM end the subscription cleanly within about a second (the broker "
        "gets a DISCONNECT); the exit status is then 0, as when -C messages arrived.\n"
        "Passwords: -P, --pw-file FILE, or the environment variable MQTLS_PASSWORD (with -u).\n"
        "--dedupe (implied by --report-only, --report-json and --until-complete): a reading is "
        "a JSON object with \"device\" (a string of 1..256 bytes) and \"seq\" (an integer "
        "from 1), as `mqtls node` publishes; seqs are kept per device as ranges. A reading "
        "whose seq arrived before is a duplicate and is not printed; every other message is "
        "printed, and one that is not a reading is counted as such. -C counts unique readings. "
        "The report (also after -W, a signal or a lost connection) has a line per device:\n"
        "  device sensor-18: received 990, unique 990, duplicates 0, seq 1..1000, missing 10 "
        "(401-410)\n"
        "--report-json FILE: {\"devices\":{\"sensor-18\":{\"received\":990,\"unique\":990,"
        "\"duplicates\":0,\"min_seq\":1,\"max_seq\":1000,\"missing_count\":10,"
        "\"missing_ranges\":1,\"missing\":[[401,410]]}},\"messages\":..,\"unique\":..,"
        "\"duplicates\":..,\"not_readings\":..,\"over_device_limit\":..,\"max_devices\":10000}"
        " (plus \"completion_target\" and \"complete\" with --until-complete). At most 10000 "
        "devices are tracked; readings from further devices are counted in over_device_limit. "
        "\"missing\" lists at most 10000 ranges per device; \"missing_ranges\" counts them "
        "all.");
    sub->callback([flags, &exit_status] { exit_status = run_sub(*flags); });
}

}  // namespace mqtls::cli
