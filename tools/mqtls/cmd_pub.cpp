// mqtls pub: publishes one message (-m, -f) or one message per line of standard input (-l) over
// verified TLS. Flags follow mosquitto_pub where they overlap.
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "pub";

// A line longer than this cannot be one telemetry message (the client's store is 256 KiB).
constexpr std::size_t max_line_bytes = std::size_t{256} * 1024;
// Standard input is read in chunks this large (many lines per system call).
constexpr std::size_t stdin_chunk_bytes = std::size_t{64} * 1024;
// While standard input is idle, the connection is still serviced this often (keepalive).
constexpr int stdin_idle_poll_ms = 500;
// How long to wait at end of input for the broker to acknowledge everything queued.
constexpr std::chrono::seconds final_flush_timeout{60};

struct PubFlags {
    BrokerConnectionFlags connection;
    std::string topic;
    std::string message;
    bool message_given = false;
    bool lines_from_stdin = false;
    std::string message_file;
    int qos = 0;
    bool retain = false;
    bool quiet = false;
};

int report_publish_error(const Error& error, const PubFlags& flags) {
    return report(command_name, error, "topic " + flags.topic);
}

// Queues every complete line at the front of `pending` and removes it (and its '\n').
int publish_complete_lines(client::Client& client, const PubFlags& flags, mqtt::QoS qos,
                           std::string& pending) {
    std::size_t line_start = 0;
    for (std::size_t newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n', line_start)) {
        const std::string_view line(pending.data() + line_start, newline - line_start);
        auto queued = client.publish_queued(flags.topic, line, qos, flags.retain);
        if (!queued) return report_publish_error(queued.error(), flags);
        line_start = newline + 1;
    }
    pending.erase(0, line_start);
    return exit_ok;
}

// Reads the next chunk of standard input into `chunk`: its size, 0 at end of input, or -1 when
// nothing came within stdin_idle_poll_ms (the caller then services the connection).
Result<long> read_stdin_chunk(std::vector<char>& chunk) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&input, 1, stdin_idle_poll_ms);
    if (ready < 0 && errno != EINTR) return Error{Errc::file_read_failed, errno};
    if (ready <= 0) return -1L;
    const ssize_t got = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) return -1L;
        return Error{Errc::file_read_failed, errno};
    }
    return static_cast<long>(got);
}

// Publishes each line of standard input (without its '\n') as one message, pipelined. Reads
// in large chunks for throughput; while input is idle, keeps the connection alive. Ends at end
// of input; each turn is bounded in time by poll and the client's timeouts.
int publish_stdin_lines(client::Client& client, const PubFlags& flags, mqtt::QoS qos) {
    std::string pending;  // bytes read but not yet published (an incomplete last line)
    std::vector<char> chunk(stdin_chunk_bytes);
    for (;;) {
        auto got = read_stdin_chunk(chunk);
        if (!got) return report(command_name, got.error(), "standard input");
        if (*got == 0) break;
        if (*got < 0) {
            auto serviced = client.loop(std::chrono::milliseconds(10));
            if (!serviced) return report_publish_error(serviced.error(), flags);
            continue;
        }
        pending.append(chunk.data(), static_cast<std::size_t>(*got));
        if (const int status = publish_complete_lines(client, flags, qos, pending);
            status != exit_ok) {
            return status;
        }
        if (pending.size() > max_line_bytes) {
            return usage_error(command_name, "a line of standard input is longer than 256 KiB",
                               "send large payloads with -f FILE");
        }
    }
    // Like mosquitto_pub, a last line without '\n' is still a message.
    if (!pending.empty()) {
        auto queued = client.publish_queued(flags.topic, pending, qos, flags.retain);
        if (!queued) return report_publish_error(queued.error(), flags);
    }
    auto flushed = client.flush(final_flush_timeout);
    if (!flushed) return report_publish_error(flushed.error(), flags);
    return exit_ok;
}

int run_pub(PubFlags& flags) {
    const int sources = (flags.message_given ? 1 : 0) + (flags.lines_from_stdin ? 1 : 0) +
                        (flags.message_file.empty() ? 0 : 1);
    if (sources != 1) {
        return usage_error(command_name, "give exactly one of -m, -l and -f",
                           "-m TEXT sends one message, -l one per line of standard input, "
                           "-f FILE the file as one message");
    }
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "-q must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    if (flags.topic.empty()) {
        return usage_error(command_name, "missing -t TOPIC", "name the topic to publish to");
    }
    const auto qos = static_cast<mqtt::QoS>(flags.qos);
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    std::string file_payload;
    if (!flags.message_file.empty()) {
        auto text = read_text_file(flags.message_file);
        if (!text) return report(command_name, text.error(), "-f " + flags.message_file);
        file_payload = std::move(*text);
    }
    client::Client client;
    if (const int status = connect_client(command_name, flags.connection, options, client);
        status != exit_ok) {
        return status;
    }
    int status = exit_ok;
    if (flags.lines_from_stdin) {
        status = publish_stdin_lines(client, flags, qos);
    } else {
        const std::string& payload = flags.message_given ? flags.message : file_payload;
        auto published = client.publish(flags.topic, payload, qos, flags.retain);
        if (!published) status = report_publish_error(published.error(), flags);
    }
    if (status == exit_ok) {
        auto disconnected = client.disconnect();
        if (!disconnected && !flags.quiet) {
            // Everything was delivered already; a failed goodbye is worth a note, not a failure.
            std::fprintf(stderr, "mqtls pub: note: disconnect failed: %s\n",
                         disconnected.error().message());
        }
    }
    return status;
}

}  // namespace

void register_pub_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<PubFlags>();
    CLI::App* pub = app.add_subcommand(
        "pub",
        "Publish a message (-m), a file (-f) or each line of standard input (-l) over TLS with "
        "the broker's certificate verified. Prints nothing on success.");
    add_broker_connection_flags(*pub, flags->connection);
    pub->add_option("-t,--topic", flags->topic, "topic to publish to")->required();
    pub->add_option("-m,--message", flags->message, "the message payload")
        ->each([flags](const std::string&) { flags->message_given = true; });
    pub->add_flag("-l,--stdin-line", flags->lines_from_stdin,
                  "send each line of standard input as a message (pipelined; waits for all "
                  "acknowledgements at end of input)");
    pub->add_option("-f,--file", flags->message_file, "send the contents of FILE as the message");
    pub->add_option("-q,--qos", flags->qos, "quality of service: 0, 1 or 2")->capture_default_str();
    pub->add_flag("-r,--retain", flags->retain, "ask the broker to retain the message");
    pub->add_flag("--quiet", flags->quiet, "do not print notes (errors are still printed)");
    pub->footer(
        "Passwords: -P, --pw-file FILE, or the environment variable MQTLS_PASSWORD (with -u).");
    pub->callback([flags, &exit_status] { exit_status = run_pub(*flags); });
}

}  // namespace mqtls::cli
