// mqtls sub: subscribes over verified TLS and prints the messages that arrive, one per line.
// Flags follow mosquitto_sub where they overlap.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
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
    if (!granted) return report(command_name, granted.error(), "subscribing");
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

int print_messages(client::Client& client, const SubFlags& flags);

int run_sub(SubFlags& flags) {
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "-q must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    if (flags.message_count < 0 || flags.timeout_s < 0) {
        return usage_error(command_name, "-C and -W must not be negative",
                           "-C N exits after N messages, -W S after S seconds");
    }
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    // SIGINT/SIGTERM only set a flag; the loop below notices it within one receive slice (the
    // transport retries interrupted calls until its deadline), disconnects and exits 0.
    install_stop_signal_handlers();
    client::Client client;
    if (const int status = connect_client(command_name, flags.connection, options, client);
        status != exit_ok) {
        return status;
    }
    if (stop_requested() != 0) {
        (void)client.disconnect();
        return exit_ok;
    }
    std::vector<mqtt::Subscription> subscriptions;
    subscriptions.reserve(flags.topics.size());
    for (const std::string& topic : flags.topics) {
        subscriptions.push_back({topic, static_cast<mqtt::QoS>(flags.qos)});
    }
    if (const int status = subscribe_all(client, flags, subscriptions); status != exit_ok) {
        return status;
    }
    const int status = print_messages(client, flags);
    (void)client.disconnect();
    return status;
}

// Prints messages until -C of them arrived (exit_ok) or -W passed (exit_timeout).
int print_messages(client::Client& client, const SubFlags& flags) {
    const bool has_deadline = flags.timeout_s > 0;
    const auto deadline = steady_clock::now() + std::chrono::seconds(flags.timeout_s);
    const long wanted =
        flags.message_count > 0 ? flags.message_count : std::numeric_limits<long>::max();
    long received = 0;
    while (received < wanted) {
        if (stop_requested() != 0) {
            if (flags.connection.debug) {
                std::fprintf(stderr, "mqtls sub: stopping on signal after %ld message(s)\n",
                             received);
            }
            return exit_ok;
        }
        milliseconds wait = receive_slice;
        if (has_deadline) {
            const auto left =
                std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
            if (left <= milliseconds::zero()) {
                std::fprintf(stderr, "mqtls sub: timed out after %ld s with %ld message(s)",
                             flags.timeout_s, received);
                if (flags.message_count > 0) std::fprintf(stderr, " of %ld", flags.message_count);
                std::fprintf(stderr, "\n  hint: is anything publishing to the topic?\n");
                return exit_timeout;
            }
            wait = std::min(wait, left);
        }
        auto message = client.receive(wait);
        if (!message) {
            if (stop_requested() != 0) return exit_ok;  // interrupted while shutting down
            return report(command_name, message.error(), "receiving");
        }
        if (!*message) continue;
        print_message(**message, flags);
        ++received;
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
        "(or, without -C, when -W passes); 6 when the broker refuses a filter.");
    add_broker_connection_flags(*sub, flags->connection);
    sub->add_option("-t,--topic", flags->topics, "topic filter to subscribe to (repeatable)")
        ->required();
    sub->add_option("-q,--qos", flags->qos, "maximum QoS to receive: 0, 1 or 2")
        ->capture_default_str();
    sub->add_option("-C,--count", flags->message_count, "exit after this many messages");
    sub->add_option("-W,--timeout", flags->timeout_s,
                    "give up after this many seconds (exit status 7)");
    sub->add_flag("-v,--verbose", flags->verbose, "print 'topic payload'");
    sub->add_flag("-N,--no-newline", flags->no_newline, "do not end payloads with a newline");
    sub->footer(
        "SIGINT and SIGTERM end the subscription cleanly within about a second (the broker "
        "gets a DISCONNECT); the exit status is then 0, as when -C messages arrived.\n"
        "Passwords: -P, --pw-file FILE, or the environment variable MQTLS_PASSWORD (with -u).");
    sub->callback([flags, &exit_status] { exit_status = run_sub(*flags); });
}

}  // namespace mqtls::cli
