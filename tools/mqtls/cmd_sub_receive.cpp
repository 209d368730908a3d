// `mqtls sub`'s receive loop and what happens to each message (sub_flags.hpp). Part of the sub
// command; named cmd_sub_* so the cmd_*.cpp glob of tools/mqtls/CMakeLists.txt builds it.
//
// Each message goes through mosquitto_sub's steps, in its order (checked side by side):
//   1. --retained-only: a message without the retain flag ends the run (it is not shown);
//   2. -T: a message on a filtered-out topic is ignored (not shown, counted or cleared);
//   3. --remove-retained: a retained message is cleared (also with -R, as its manual says);
//   4. -R: a retained message is not shown;
//   5. --dedupe: a duplicate reading is not shown;
// and what is left is printed and counts towards -C.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <set>
#include <string>

#include "cli_support.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "reading_tally.hpp"
#include "stop_signal.hpp"
#include "sub_flags.hpp"

namespace mqtls::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* command_name = "sub";
// Without -W, receive in slices this long, so the loop's every turn is bounded in time.
constexpr milliseconds receive_slice{1000};
// At the end, how long to wait for the broker to acknowledge the --remove-retained publishes.
constexpr std::chrono::seconds removal_flush_timeout{10};

struct Receiving {
    Receiving(const SubFlags& flags_in, client::Client& client_in,
              steady_clock::time_point deadline_in)
        : flags(flags_in), client(client_in), deadline(deadline_in) {}

    const SubFlags& flags;
    client::Client& client;
    steady_clock::time_point deadline;  // -W
    std::optional<ReadingTally> tally;  // with --dedupe
    long received = 0;                  // every message the broker delivered
    long counted = 0;                   // shown messages; with --dedupe, unique readings
    bool retained_only_done = false;    // --retained-only: a message without retain arrived
    long removals = 0;                  // --remove-retained publishes queued
    // --retained-only: topics we cleared whose own (empty, not retained) copy has not come back
    // yet. The broker forwards our clearing publish to us as well; it must not end the run.
    std::multiset<std::string> pending_echoes;
    bool json_note_given = false;  // the %J note is printed once per run
    std::string line;              // output buffer, reused
};

void print_message(const client::Message& message, Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    std::string& line = receiving.line;
    line.clear();
    if (flags.format) {
        timespec arrival{};
        clock_gettime(CLOCK_REALTIME, &arrival);
        RenderNotes notes;
        flags.format->render(message, arrival, line, notes);
        if (notes.payload_not_json && !receiving.json_note_given && !flags.quiet) {
            receiving.json_note_given = true;
            std::fprintf(stderr,
                         "mqtls sub: note: a payload is not JSON (topic %s); %%J writes such "
                         "payloads as JSON strings\n",
                         message.topic.c_str());
        }
    } else {
        if (flags.verbose) {
            line += message.topic;
            line += ' ';
        }
        line += message.payload;
    }
    if (!flags.no_newline) line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    // Readers at the other end of a pipe see each message as it arrives.
    std::fflush(stdout);
}

// Prints the message unless it is a duplicate reading (--dedupe) or --report-only is given, and
// counts it towards -C.
void show_message(const client::Message& message, Receiving& receiving) {
    if (!receiving.tally) {
        print_message(message, receiving);
        ++receiving.counted;
        return;
    }
    const ReadingOutcome outcome = receiving.tally->add_payload(message.payload);
    if (outcome == ReadingOutcome::new_reading) ++receiving.counted;
    if (outcome != ReadingOutcome::duplicate && !receiving.flags.report_only) {
        print_message(message, receiving);
    }
}

bool filtered_out(const std::string& topic, const SubFlags& flags) {
    return std::any_of(
        flags.filters_out.begin(), flags.filters_out.end(),
        [&topic](const std::string& filter) { return mqtt::topic_matches(filter, topic); });
}

// A zero-length retained PUBLISH removes the topic's retained message [MQTT-3.3.1-10]. QoS 1,
// as mosquitto_sub sends it; pipelined, and acknowledged before the run ends (see finish()).
int clear_retained(const std::string& topic, Receiving& receiving) {
    auto queued =
        receiving.client.publish_queued(topic, {}, mqtt::QoS::at_least_once, /*retain=*/true);
    if (!queued) {
        return report_unless_quiet(receiving.flags, queued.error(), "--remove-retained");
    }
    ++receiving.removals;
    if (receiving.flags.retained_only) receiving.pending_echoes.insert(topic);
    return exit_ok;
}

// Whether `message` is the copy of one of our own clearing publishes, which it then consumes.
bool take_pending_echo(const client::Message& message, Receiving& receiving) {
    if (!message.payload.empty()) return false;
    const auto echo = receiving.pending_echoes.find(message.topic);
    if (echo == receiving.pending_echoes.end()) return false;
    receiving.pending_echoes.erase(echo);
    return true;
}

// Takes one message through the steps in the file comment. Returns exit_ok, or the status of a
// failed --remove-retained publish.
int handle_message(const client::Message& message, Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    ++receiving.received;
    if (flags.retained_only && !message.retain) {
        if (take_pending_echo(message, receiving)) return exit_ok;
        receiving.retained_only_done = true;
        if (flags.connection.debug) {
            std::fprintf(stderr,
                         "mqtls sub: --retained-only: done at a message without the retain flag "
                         "(topic %s)\n",
                         message.topic.c_str());
        }
        return exit_ok;
    }
    if (filtered_out(message.topic, flags)) return exit_ok;
    if (flags.remove_retained && message.retain) {
        if (const int status = clear_retained(message.topic, receiving); status != exit_ok) {
            return status;
        }
    }
    if (flags.skip_retained && message.retain) return exit_ok;
    show_message(message, receiving);
    return exit_ok;
}

bool receiving_done(const Receiving& receiving, long wanted) {
    return receiving.counted >= wanted || receiving.retained_only_done ||
           (receiving.tally && receiving.tally->all_complete());
}

void report_timeout(const Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    if (flags.quiet) return;
    std::fprintf(stderr, "mqtls sub: timed out after %ld s with %ld %s", flags.timeout_s,
                 receiving.counted, receiving.tally ? "unique reading(s)" : "message(s)");
    if (flags.message_count > 0) std::fprintf(stderr, " of %ld", flags.message_count);
    if (flags.until_complete > 0) {
        std::fprintf(stderr, ", before every device and run had seq 1..%llu",
                     static_cast<unsigned long long>(flags.until_complete));
    }
    if (receiving.received == 0) {
        std::fputs("\n  hint: is anything publishing to the topic?\n", stderr);
    } else if (flags.message_count > 0 || flags.until_complete > 0) {
        std::fprintf(stderr,
                     "\n  hint: %ld message(s) arrived in all; raise -W to wait longer for the "
                     "rest\n",
                     receiving.received);
    } else {
        std::fputs(
            "\n  hint: -W always ends a run with exit status 7 (mosquitto_sub: 27); -C N ends "
            "it with 0 after N messages\n",
            stderr);
    }
}

// How long the next receive() may wait, or nullopt when -W has passed (exit_timeout) or
// --retained-only's quiet period has (exit_ok); `status` says which.
std::optional<milliseconds> next_wait(const Receiving& receiving,
                                      steady_clock::time_point last_seen, int& status) {
    const SubFlags& flags = receiving.flags;
    const auto now = steady_clock::now();
    milliseconds wait = receive_slice;
    if (flags.timeout_s > 0) {
        const auto left = std::chrono::duration_cast<milliseconds>(receiving.deadline - now);
        if (left <= milliseconds::zero()) {
            status = exit_timeout;
            return std::nullopt;
        }
        wait = std::min(wait, left);
    }
    if (flags.retained_only) {
        const auto quiet_left =
            std::chrono::duration_cast<milliseconds>(last_seen + retained_only_quiet_period - now);
        if (quiet_left <= milliseconds::zero()) {
            if (flags.connection.debug) {
                std::fprintf(stderr, "mqtls sub: --retained-only: done, no message for %lld ms\n",
                             static_cast<long long>(retained_only_quiet_period.count()));
            }
            status = exit_ok;
            return std::nullopt;
        }
        wait = std::min(wait, quiet_left);
    }
    return wait;
}

// One turn of receive_messages(): nullopt to go on, else the exit status to end with.
std::optional<int> receive_one(Receiving& receiving, steady_clock::time_point& last_seen) {
    const SubFlags& flags = receiving.flags;
    int status = exit_ok;
    const std::optional<milliseconds> wait = next_wait(receiving, last_seen, status);
    if (!wait) {
        if (status == exit_timeout) report_timeout(receiving);
        return status;
    }
    auto message = receiving.client.receive(*wait);
    if (!message) {
        if (stop_requested() != 0) return exit_ok;  // interrupted while shutting down
        return report_unless_quiet(flags, message.error(), "receiving");
    }
    if (!*message) return std::nullopt;
    last_seen = steady_clock::now();
    status = handle_message(**message, receiving);
    if (status != exit_ok) return status;
    return std::nullopt;
}

// Receives until -C messages (with --dedupe: unique readings) arrived, --until-complete is met,
// --retained-only is done (exit_ok), or -W passed (exit_timeout).
int receive_messages(Receiving& receiving) {
    const SubFlags& flags = receiving.flags;
    const long wanted =
        flags.message_count > 0 ? flags.message_count : std::numeric_limits<long>::max();
    auto last_seen = steady_clock::now();
    while (!receiving_done(receiving, wanted)) {
        if (stop_requested() != 0) {
            if (flags.connection.debug) {
                std::fprintf(stderr, "mqtls sub: stopping on signal after %ld message(s)\n",
                             receiving.counted);
            }
            return exit_ok;
        }
        if (const std::optional<int> ended = receive_one(receiving, last_seen)) return *ended;
    }
    return exit_ok;
}

// Writes the JSON report to FILE.part and renames it over FILE, so that a reader of FILE never
// sees half a report.
int write_json_report(const SubFlags& flags, const ReadingTally& tally) {
    const std::string& path = flags.report_json;
    const std::string partial = path + ".part";
    {
        std::ofstream file(partial, std::ios::binary | std::ios::trunc);
        if (file) file << tally.json_report();
        file.flush();
        if (!file) {
            return report_unless_quiet(flags, Error{Errc::file_write_failed, errno},
                                       "--report-json " + partial);
        }
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0) {
        return report_unless_quiet(flags, Error{Errc::file_write_failed, errno},
                                   "--report-json " + path);
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
        const int written = write_json_report(flags, *receiving.tally);
        if (written != exit_ok && status == exit_ok) return written;
    }
    return status;
}

// Waits for the broker to acknowledge the --remove-retained publishes: otherwise the
// DISCONNECT could leave before them and a retained message would survive.
int flush_removals(const Receiving& receiving, int status) {
    if (receiving.removals == 0 || !receiving.client.connected()) return status;
    auto flushed = receiving.client.flush(removal_flush_timeout);
    if (!flushed) {
        const int reported =
            report_unless_quiet(receiving.flags, flushed.error(), "--remove-retained");
        return status == exit_ok ? reported : status;
    }
    if (receiving.flags.connection.debug) {
        std::fprintf(stderr, "mqtls sub: cleared %ld retained message(s)\n", receiving.removals);
    }
    return status;
}

}  // namespace

int report_unless_quiet(const SubFlags& flags, const Error& error, std::string_view context) {
    if (flags.quiet) return exit_code_for(error);
    // Says the limit and the flag when a message or packet was over --max-packet-size.
    return report_client_error(command_name, error, context, flags.connection);
}

int receive_and_report(client::Client& client, const SubFlags& flags,
                       steady_clock::time_point deadline) {
    Receiving receiving(flags, client, deadline);
    if (flags.dedupe) {
        receiving.tally.emplace();
        receiving.tally->set_completion_target(flags.until_complete);
    }
    int status = exit_ok;
    if (!flags.exit_after_subscribe && stop_requested() == 0) status = receive_messages(receiving);
    status = flush_removals(receiving, status);
    (void)client.disconnect();
    return finish_dedupe(receiving, status);
}

}  // namespace mqtls::cli
