// mqtls sub: subscribes over verified TLS and prints the messages that arrive, one per line.
// Flags follow mosquitto_sub where they overlap, with the same meaning (-R -E -F -T -U
// --retained-only --remove-retained --quiet included). With --dedupe it also accounts for
// telemetry readings per device (reading_tally.hpp): duplicates are not printed, and a report of
// received / duplicate / missing seq numbers ends the run. This file: the command line, its
// checks and the connection; cmd_sub_receive.cpp: the messages; cmd_sub_format.cpp: -F.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "stop_signal.hpp"
#include "sub_flags.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "sub";

// "1st", "2nd", "3rd", "4th", ... "11th", "12th", "13th", "21st".
std::string ordinal(std::size_t n) {
    const std::size_t last_two = n % 100;
    const char* suffix = "th";
    if (last_two < 11 || last_two > 13) {
        switch (n % 10) {
            case 1:
                suffix = "st";
                break;
            case 2:
                suffix = "nd";
                break;
            case 3:
                suffix = "rd";
                break;
            default:
                break;
        }
    }
    return std::to_string(n) + suffix;
}

// Every filter of a repeatable flag (-t, -T, -U) must be a valid MQTT topic filter: a mistake
// is a usage error (exit 2), found before connecting. The filter is named by its position, not
// echoed.
int check_filters(const char* flag, const std::vector<std::string>& filters) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const auto valid = mqtt::validate_topic_filter(filters[i]);
        if (valid) continue;
        const std::string which =
            filters.size() == 1 ? std::string(flag) : "the " + ordinal(i + 1) + " " + flag;
        std::fprintf(stderr, "mqtls sub: %s (%s)\n  hint: %s\n", valid.error().message(),
                     which.c_str(), valid.error().hint());
        return exit_usage;
    }
    return exit_ok;
}

int check_format(SubFlags& flags) {
    if (!flags.format_given) return exit_ok;
    std::string problem;
    flags.format = OutputFormat::parse(flags.format_text, problem);
    if (flags.format) return exit_ok;
    return usage_error(command_name, problem.c_str(),
                       "see 'mqtls sub --help' for the %-, @- and \\-sequences of -F");
}

int check_flags(SubFlags& flags) {
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "-q must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    if (flags.message_count < 0 || flags.timeout_s < 0) {
        return usage_error(command_name, "-C and -W must not be negative",
                           "-C N exits after N messages, -W S after S seconds");
    }
    if (flags.skip_retained && flags.retained_only) {
        return usage_error(command_name, "-R and --retained-only exclude each other",
                           "-R shows only new messages, --retained-only only retained ones");
    }
    if (const std::string from_url = topic_from_url(flags.connection); !from_url.empty()) {
        flags.topics.insert(flags.topics.begin(), from_url);  // -L URL/topic, as mosquitto_sub
    }
    if (flags.topics.empty() && flags.connection.url.empty()) {
        return usage_error(command_name, "missing -t FILTER",
                           "name the topic filter to subscribe to, e.g. -t 'telemetry/#'");
    }
    if (const int status = check_filters("-t", flags.topics); status != exit_ok) return status;
    if (const int status = check_filters("-T", flags.filters_out); status != exit_ok) {
        return status;
    }
    if (const int status = check_filters("-U", flags.unsubscribe); status != exit_ok) {
        return status;
    }
    if (const int status = check_format(flags); status != exit_ok) return status;
    if (flags.report_only || !flags.report_json.empty() || flags.until_complete > 0) {
        flags.dedupe = true;
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

// --quiet: while it lives, whatever is written to stderr is discarded (the connection step
// reports its failures itself, in broker_connection.cpp).
class SilencedStderr {
public:
    explicit SilencedStderr(bool silence) {
        if (!silence) return;
        std::fflush(stderr);
        const int discard = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        saved_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
        if (discard < 0 || saved_ < 0 || ::dup2(discard, STDERR_FILENO) < 0) restore();
        if (discard >= 0) ::close(discard);
    }
    ~SilencedStderr() { restore(); }
    SilencedStderr(const SilencedStderr&) = delete;
    SilencedStderr& operator=(const SilencedStderr&) = delete;

private:
    void restore() noexcept {
        if (saved_ < 0) return;
        std::fflush(stderr);
        (void)::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    int saved_ = -1;
};

// Why the broker refused a subscription: 3.1.1's one failure code, or MQTT 5's Reason Code
// (table 2-6: 0x87 Not authorized, 0x8F Topic Filter invalid, 0xA2 wildcards not supported...).
std::string subscription_refusal(std::uint8_t code, bool mqtt5) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(code));
#if MQTLS_MQTT5
    if (mqtt5) {
        return std::string(mqtt::reason_code_name(code, mqtt::ReasonPacket::suback)) +
               " (Reason Code " + hex + ")";
    }
#else
    (void)mqtt5;
#endif
    return std::string("SUBACK ") + hex;
}

// Subscribes to every -t filter; a filter the broker refuses (SUBACK 0x80, or any MQTT 5 Reason
// Code of 0x80 or more, section 2.4) is exit_refused.
int subscribe_all(client::Client& client, const SubFlags& flags) {
    std::vector<mqtt::Subscription> subscriptions;
    subscriptions.reserve(flags.topics.size());
    for (const std::string& topic : flags.topics) {
        subscriptions.push_back({topic, static_cast<mqtt::QoS>(flags.qos)});
    }
    auto granted = client.subscribe(subscriptions);
    if (!granted) return report_unless_quiet(flags, granted.error(), "subscribing");
    for (std::size_t i = 0; i < granted->size() && i < flags.topics.size(); ++i) {
        if ((*granted)[i] >= mqtt::suback_failure) {
            if (!flags.quiet) {
                std::fprintf(
                    stderr,
                    "mqtls sub: the broker refused the subscription to '%s': %s\n"
                    "  hint: check the broker's ACL for this user and the filter syntax\n",
                    flags.topics[i].c_str(),
                    subscription_refusal((*granted)[i], wants_mqtt5(flags.connection)).c_str());
            }
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

// -U: after the subscriptions, as mosquitto_sub orders them. With a clean session (mqtls has no
// -c) this can only undo a -t of this run; the retained messages of that filter may still
// arrive in between [MQTT-3.3.1-6].
int unsubscribe_all(client::Client& client, const SubFlags& flags) {
    if (flags.unsubscribe.empty()) return exit_ok;
    const std::vector<std::string_view> filters(flags.unsubscribe.begin(), flags.unsubscribe.end());
    auto done = client.unsubscribe(filters);
    if (!done) return report_unless_quiet(flags, done.error(), "unsubscribing");
    if (flags.connection.debug) {
        for (const std::string& filter : flags.unsubscribe) {
            std::fprintf(stderr, "mqtls sub: unsubscribed from %s\n", filter.c_str());
        }
        std::fflush(stderr);
    }
    return exit_ok;
}

int run_sub(SubFlags& flags) {
    if (const int status = check_flags(flags); status != exit_ok) return status;
    if (const int status = prepare_json_report(flags.report_json); status != exit_ok) {
        return status;
    }
    // Mistakes in the command line and its files are reported even with --quiet (as
    // mosquitto_sub does for bad input); from the connection on, --quiet keeps stderr silent.
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    // SIGINT/SIGTERM only set a flag; the receive loop notices it within one receive slice (the
    // transport retries interrupted calls until its deadline), disconnects and exits 0.
    install_stop_signal_handlers();
    client::Client client(client_limits(flags.connection));
    {
        const SilencedStderr silenced(flags.quiet);
        if (const int status = connect_client(command_name, flags.connection, options, client);
            status != exit_ok) {
            return status;
        }
    }
    // -W counts from here, as mosquitto_sub's timeout starts once connected.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(flags.timeout_s);
    if (stop_requested() == 0) {
        int status = subscribe_all(client, flags);
        if (status == exit_ok) status = unsubscribe_all(client, flags);
        if (status != exit_ok) {
            (void)client.disconnect();
            return status;
        }
    }
    return receive_and_report(client, flags, deadline);
}

}  // namespace

void register_sub_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<SubFlags>();
    CLI::App* sub = app.add_subcommand(
        "sub",
        "Subscribe over TLS with the broker's certificate verified and print each message's "
        "payload on its own line. Exit status 7 when -W passes before -C messages arrived "
        "(or, without -C, when -W passes; with --until-complete, before every device was "
        "complete; mosquitto_sub exits 27 there); 6 when the broker refuses a filter; 2 for a "
        "mistake in the command line, such as an invalid topic filter or -F format.");
    add_broker_connection_flags(*sub, flags->connection);
    sub->add_option("-t,--topic", flags->topics,
                    "topic filter to subscribe to (repeatable; required unless -L gives one)");
    sub->add_option("-q,--qos", flags->qos, "maximum QoS to receive: 0, 1 or 2")
        ->capture_default_str();
    sub->add_option("-C,--count", flags->message_count,
                    "exit after this many messages are shown (with --dedupe: unique readings)");
    sub->add_option("-W,--timeout", flags->timeout_s,
                    "give up this many seconds after connecting (exit status 7)");
    sub->add_flag("-v,--verbose", flags->verbose, "print 'topic payload'");
    sub->add_flag("-N,--no-newline", flags->no_newline,
                  "do not end payloads (or -F lines) with a newline");
    sub->add_option("-F", flags->format_text,
                    "print each message in this format instead (see below; overrides -v)")
        ->type_name("FORMAT")
        ->each([flags](const std::string&) { flags->format_given = true; });
    sub->add_flag("-R", flags->skip_retained,
                  "do not print stale messages (those with the retain flag set)");
    sub->add_flag("--retained-only", flags->retained_only,
                  "print only retained messages; exit 0 at the first message without the retain "
                  "flag, or once no message arrived for a second");
    sub->add_flag("--remove-retained", flags->remove_retained,
                  "clear every retained message received (publish an empty retained message, "
                  "QoS 1, to its topic); -T filters are not cleared, -R ones are");
    sub->add_option("-T,--filter-out", flags->filters_out,
                    "ignore messages whose topic matches this filter (repeatable)")
        ->type_name("FILTER");
    sub->add_option("-U,--unsubscribe", flags->unsubscribe,
                    "unsubscribe from this filter after subscribing (repeatable)")
        ->type_name("FILTER");
    sub->add_flag("-E", flags->exit_after_subscribe,
                  "exit 0 once the broker has acknowledged every subscription (and -U)");
    sub->add_flag("--quiet", flags->quiet,
                  "print no error messages once connecting starts (mistakes in the command line "
                  "and its files are still shown; the exit status tells what happened)");
    sub->add_flag("--dedupe", flags->dedupe,
                  "account for telemetry readings ({\"device\":..,\"run\":..,\"seq\":..}) per "
                  "device and run: "
                  "print each reading's first arrival only, and at exit report received, "
                  "duplicates and missing seqs on stderr");
    sub->add_flag("--report-only", flags->report_only,
                  "with --dedupe: print no messages, print the report on stdout");
    sub->add_option("--report-json", flags->report_json,
                    "with --dedupe: write the report as JSON to this file at exit")
        ->type_name("FILE");
    sub->add_option(
           "--until-complete", flags->until_complete,
           "with --dedupe: exit 0 once every run of every device seen so far has every seq "
           "1..N")
        ->type_name("N");
    sub->footer(
        "SIGINT and SIGTERM end the subscription cleanly within about a second (the broker "
        "gets a DISCONNECT); the exit status is then 0, as when -C messages arrived.\n"
        "Passwords: -P, --pw-file FILE, or the environment variable MQTLS_PASSWORD (with -u).\n"
        "Messages go through these steps, as in mosquitto_sub: --retained-only ends the run at "
        "a message without retain; -T ignores its topics; --remove-retained clears; -R skips "
        "retained; --dedupe skips duplicates; the rest is printed and counts towards -C.\n"
        "-F FORMAT, as mosquitto_sub's: %t topic, %p payload, %x/%X payload in hex, %l payload "
        "length, %q QoS, %r retain flag (0/1), %m message id (0 for QoS 0; empty for QoS 1/2: "
        "the packet id is not passed on), %j JSON line {\"tst\":..,\"topic\":..,\"qos\":..,"
        "\"retain\":..,\"payloadlen\":..,\"payload\":\"..\"} (payload as a string, null when "
        "empty), %J the same with a JSON payload embedded as JSON (a payload that is not JSON "
        "is written as a string, with a note), %I ISO-8601 local time, %U Unix time with "
        "nanoseconds, %% a '%'; the MQTT 5 properties %A topic alias, %C content type, %D "
        "correlation data, %E message expiry, %F payload format, %P user properties "
        "(name:value), %R response topic, %S subscription identifiers (empty under 3.1.1). "
        "@X is strftime's %X (e.g. @H:@M:@S), @N nanoseconds, @@ an '@'. \\n \\t \\r \\v "
        "\\a \\e \\0 \\\\ are escapes. %[-][0][width][.precision]: width pads %t %l %m %I "
        "(0 pads %l %m with zeros, - aligns left) and is the exact width of %p %x %X; "
        "precision cuts %t and %I. Every time field of a line shows the same instant.\n"
        "--quiet: errors after the command line was checked (connection, timeout, receiving) "
        "are not printed; -d still prints its subscription lines, but not the connection line.\n"
        "--dedupe (implied by --report-only, --report-json and --until-complete): a reading is "
        "a JSON object with \"device\" (a string of 1..256 bytes) and \"seq\" (an integer "
        "from 1), as `mqtls node` publishes, and \"run\" (a string of 1..64 bytes: seq starts "
        "over at 1 with each new run); seqs are kept per device and run as ranges (readings "
        "without a run per device alone). A reading "
        "whose seq arrived before is a duplicate and is not printed; every other message is "
        "printed, and one that is not a reading is counted as such. -C counts unique readings. "
        "The report (also after -W, a signal or a lost connection) has a line per device and "
        "run:\n"
        "  device sensor-18: received 990, unique 990, duplicates 0, seq 1..1000, missing 10 "
        "(401-410)\n"
        "  device sensor-19 run 3f9a0c2e51b7d864: received 5, unique 5, duplicates 0, seq "
        "1..5, missing 0\n"
        "--report-json FILE: {\"devices\":{\"sensor-18\":{\"received\":990,\"unique\":990,"
        "\"duplicates\":0,\"min_seq\":1,\"max_seq\":1000,\"missing_count\":10,"
        "\"missing_ranges\":1,\"missing\":[[401,410]]}},\"messages\":..,\"unique\":..,"
        "\"duplicates\":..,\"not_readings\":..,\"over_device_limit\":..,\"max_devices\":10000}"
        " (plus \"completion_target\" and \"complete\" with --until-complete). A device's "
        "totals (received, unique, duplicates, missing_count, complete) cover all its runs; "
        "min_seq, max_seq, missing_ranges and missing describe its readings without a run "
        "and appear only if it has some; \"runs\":{\"<run>\":{..the same fields..}} appears "
        "if it has runs. At most 10000 devices and runs together are tracked; readings beyond "
        "are counted in over_device_limit. "
        "\"missing\" lists at most 10000 ranges per device; \"missing_ranges\" counts them "
        "all.");
    sub->callback([flags, &exit_status] { exit_status = run_sub(*flags); });
}

}  // namespace mqtls::cli
