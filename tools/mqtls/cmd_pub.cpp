// mqtls pub: publishes one message (-m, -f FILE, -f - or -s for standard input, -n for an empty
// one) or one message per line of standard input (-l) over verified TLS. Flags follow
// mosquitto_pub where they overlap.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "pub";

// Standard input is read in chunks this large (many lines per system call).
constexpr std::size_t stdin_chunk_bytes = std::size_t{64} * 1024;
// A whole message (-f, -s) is read in pieces of at most this size.
constexpr std::size_t message_read_bytes = std::size_t{1} << 20;
// While standard input is idle, the connection is still serviced this often (keepalive).
constexpr int stdin_idle_poll_ms = 500;
// How long to wait at end of input for the broker to acknowledge everything queued.
constexpr std::chrono::seconds final_flush_timeout{60};
// Interrupted reads retried before giving up (a signal storm, not a slow writer).
constexpr int max_read_interruptions = 1000;

struct PubFlags {
    BrokerConnectionFlags connection;
    std::string topic;
    std::string message;
    bool message_given = false;
    bool lines_from_stdin = false;
    bool whole_stdin = false;   // -s
    bool null_message = false;  // -n
    std::string message_file;   // -f; "-" is standard input
    int qos = 0;
    bool retain = false;
    bool quiet = false;
    std::size_t max_inflight = client::default_max_inflight;
};

mqtt::QoS qos_of(const PubFlags& flags) { return static_cast<mqtt::QoS>(flags.qos); }

int report_publish_error(const Error& error, const PubFlags& flags) {
    return report_client_error(command_name, error, "topic " + flags.topic, flags.connection);
}

// Publishes `line` unless it is over --max-packet-size (a usage error: the user gave it).
int publish_line(client::Client& client, const PubFlags& flags, std::string_view line) {
    const std::size_t size = client::publish_packet_size(flags.topic, line.size(), qos_of(flags));
    if (size > flags.connection.max_packet_size) {
        return report_message_over_limit(command_name, "a line of standard input", size,
                                         flags.connection);
    }
    auto queued = client.publish_queued(flags.topic, line, qos_of(flags), flags.retain);
    if (!queued) return report_publish_error(queued.error(), flags);
    return exit_ok;
}

// Queues every complete line at the front of `pending` and removes it (and its '\n').
int publish_complete_lines(client::Client& client, const PubFlags& flags, std::string& pending) {
    std::size_t line_start = 0;
    for (std::size_t newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n', line_start)) {
        const std::string_view line(pending.data() + line_start, newline - line_start);
        if (const int status = publish_line(client, flags, line); status != exit_ok) {
            return status;
        }
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
// of input; each turn is bounded in time by poll and the client's timeouts, and the unfinished
// line held is never longer than a message may be.
// Publishes the whole lines of `pending` and keeps the rest, which must still fit a message.
int publish_lines_read(client::Client& client, const PubFlags& flags, std::string& pending) {
    if (const int status = publish_complete_lines(client, flags, pending); status != exit_ok) {
        return status;
    }
    if (pending.size() > flags.connection.max_packet_size) {
        return report_message_over_limit(
            command_name, "a line of standard input",
            client::publish_packet_size(flags.topic, pending.size(), qos_of(flags)),
            flags.connection, /*at_least=*/true);
    }
    return exit_ok;
}

// Like mosquitto_pub, a last line without '\n' is still a message; then everything is sent.
int publish_last_line_and_flush(client::Client& client, const PubFlags& flags,
                                const std::string& pending) {
    if (!pending.empty()) {
        if (const int status = publish_line(client, flags, pending); status != exit_ok) {
            return status;
        }
    }
    auto flushed = client.flush(final_flush_timeout);
    if (!flushed) return report_publish_error(flushed.error(), flags);
    return exit_ok;
}

int publish_stdin_lines(client::Client& client, const PubFlags& flags) {
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
        if (const int status = publish_lines_read(client, flags, pending); status != exit_ok) {
            return status;
        }
    }
    return publish_last_line_and_flush(client, flags, pending);
}

// A whole message read from a file or standard input: its bytes, or the news that there were
// more than the limit allows (reading stopped there: input never grows without bound).
struct ReadMessage {
    std::string bytes;
    bool over_limit = false;
};

// Reads `fd` to its end, keeping at most `limit` bytes. `expected` (a regular file's size, or
// 0) sizes the buffer up front.
Result<ReadMessage> read_whole(int fd, std::size_t limit, std::size_t expected) {
    ReadMessage read;
    read.bytes.reserve(std::min(expected, limit) + 1);
    for (int interruptions = 0;;) {
        // One byte past the limit tells "exactly the limit" from "more".
        const std::size_t room = limit + 1 - read.bytes.size();
        const std::size_t want = std::min(room, message_read_bytes);
        const std::size_t old_size = read.bytes.size();
        read.bytes.resize(old_size + want);
        const ssize_t got = ::read(fd, read.bytes.data() + old_size, want);
        read.bytes.resize(old_size + (got > 0 ? static_cast<std::size_t>(got) : 0));
        if (got < 0) {
            if (errno == EINTR && ++interruptions < max_read_interruptions) continue;
            return Error{Errc::file_read_failed, errno};
        }
        if (got == 0) return read;
        if (read.bytes.size() > limit) {
            read.over_limit = true;
            read.bytes.clear();
            return read;
        }
    }
}

// Reads -f FILE. Only regular files: a FIFO or device could block or never end (standard
// input, a pipe included, is what -f - and -s are for). Opened non-blocking, so that a FIFO
// without a writer is refused at once instead of waiting for one.
int read_message_file(const PubFlags& flags, ReadMessage& message) {
    const std::string context = "-f " + flags.message_file;
    const int fd = ::open(flags.message_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return report(command_name, Error{Errc::file_read_failed, errno}, context);
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        ::close(fd);
        return report(command_name, Error{Errc::file_read_failed, error}, context);
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        std::fprintf(stderr,
                     "mqtls pub: %s is not a regular file (a directory, FIFO or device)\n"
                     "  hint: to send standard input or a pipe, use -f - or -s\n",
                     context.c_str());
        return exit_file;
    }
    const auto file_size = static_cast<std::size_t>(info.st_size);
    const std::size_t limit = flags.connection.max_packet_size;
    if (file_size > limit) {
        ::close(fd);
        return report_message_over_limit(
            command_name, ("the file (" + context + ")").c_str(),
            client::publish_packet_size(flags.topic, file_size, qos_of(flags)), flags.connection);
    }
    auto read = read_whole(fd, limit, file_size);
    ::close(fd);
    if (!read) return report(command_name, read.error(), context);
    message = std::move(*read);
    return exit_ok;
}

// The one message of -m, -n, -f or -s, read before connecting; exit_ok or the reported status.
int read_single_message(const PubFlags& flags, std::string& payload) {
    if (flags.message_given) {
        payload = flags.message;
        return exit_ok;
    }
    if (flags.null_message) return exit_ok;  // zero bytes: e.g. clears a retained message
    ReadMessage read;
    const bool from_stdin = flags.whole_stdin || flags.message_file == "-";
    if (from_stdin) {
        auto got = read_whole(STDIN_FILENO, flags.connection.max_packet_size, 0);
        if (!got) return report(command_name, got.error(), "standard input");
        read = std::move(*got);
    } else if (const int status = read_message_file(flags, read); status != exit_ok) {
        return status;
    }
    if (read.over_limit) {
        return report_message_over_limit(
            command_name, from_stdin ? "the message on standard input" : "the file",
            client::publish_packet_size(flags.topic, flags.connection.max_packet_size + 1,
                                        qos_of(flags)),
            flags.connection, /*at_least=*/true);
    }
    payload = std::move(read.bytes);
    return exit_ok;
}

int check_pub_flags(PubFlags& flags) {
    const int sources = (flags.message_given ? 1 : 0) + (flags.lines_from_stdin ? 1 : 0) +
                        (flags.message_file.empty() ? 0 : 1) + (flags.whole_stdin ? 1 : 0) +
                        (flags.null_message ? 1 : 0);
    if (sources != 1) {
        return usage_error(command_name, "give exactly one of -m, -l and -f (or -s, -n)",
                           "-m TEXT sends one message, -l one per line of standard input, "
                           "-f FILE the file as one message, -s or -f - all of standard input "
                           "as one message, -n an empty message");
    }
    if (flags.qos < 0 || flags.qos > 2) {
        return usage_error(command_name, "-q must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    if (flags.topic.empty()) flags.topic = topic_from_url(flags.connection);  // -L URL/topic
    if (flags.topic.empty() && flags.connection.url.empty()) {
        return usage_error(command_name, "missing -t TOPIC", "name the topic to publish to");
    }
    // A topic name with wildcards or bad UTF-8 is the user's mistake: exit 2 before
    // connecting (MQTT-3.3.2-2), as sub does for its filters.
    if (!flags.topic.empty()) {
        if (auto valid = mqtt::validate_topic_name(flags.topic); !valid) {
            std::fprintf(stderr, "mqtls pub: %s (-t)\n  hint: %s\n", valid.error().message(),
                         valid.error().hint());
            return exit_usage;
        }
    }
    return exit_ok;
}

// A single message is read and measured before connecting: a message that is too large is found
// without a wasted handshake.
int read_and_measure_message(const PubFlags& flags, std::string& payload) {
    if (const int status = read_single_message(flags, payload); status != exit_ok) return status;
    const std::size_t size =
        client::publish_packet_size(flags.topic, payload.size(), qos_of(flags));
    if (size > flags.connection.max_packet_size) {
        return report_message_over_limit(command_name, "the message", size, flags.connection);
    }
    return exit_ok;
}

int publish_single_message(client::Client& client, const PubFlags& flags,
                           const std::string& payload) {
    auto published = client.publish(flags.topic, payload, qos_of(flags), flags.retain);
    return published ? exit_ok : report_publish_error(published.error(), flags);
}

void say_goodbye(client::Client& client, const PubFlags& flags) {
    auto disconnected = client.disconnect();
    if (!disconnected && !flags.quiet) {
        // Everything was delivered already; a failed goodbye is worth a note, not a failure.
        std::fprintf(stderr, "mqtls pub: note: disconnect failed: %s\n",
                     disconnected.error().message());
    }
}

int run_pub(PubFlags& flags) {
    if (const int status = check_pub_flags(flags); status != exit_ok) return status;
    client::ClientOptions options;
    if (const int status = make_client_options(command_name, flags.connection, options);
        status != exit_ok) {
        return status;
    }
    std::string payload;
    if (!flags.lines_from_stdin) {
        if (const int status = read_and_measure_message(flags, payload); status != exit_ok) {
            return status;
        }
    }
    client::Client client(client_limits(flags.connection, flags.max_inflight));
    if (const int status = connect_client(command_name, flags.connection, options, client);
        status != exit_ok) {
        return status;
    }
    const int status = flags.lines_from_stdin ? publish_stdin_lines(client, flags)
                                              : publish_single_message(client, flags, payload);
    if (status == exit_ok) say_goodbye(client, flags);
    return status;
}

}  // namespace

void register_pub_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<PubFlags>();
    CLI::App* pub = app.add_subcommand(
        "pub",
        "Publish a message (-m, -n), a file (-f), all of standard input (-s, -f -) or each line "
        "of standard input (-l) over TLS with the broker's certificate verified. Prints nothing "
        "on success. Exit status 2 also for a message over --max-packet-size (found before "
        "connecting).");
    add_broker_connection_flags(
        *pub, flags->connection,
        {/*will=*/true, /*url=*/true,
         /*property_packets=*/property_connect | property_publish | property_disconnect});
    pub->add_option("-t,--topic", flags->topic,
                    "topic to publish to (required unless -L gives one)");
    pub->add_option("-m,--message", flags->message, "the message payload")
        ->each([flags](const std::string&) { flags->message_given = true; });
    pub->add_flag("-n,--null-message", flags->null_message,
                  "send an empty (zero-length) message, e.g. to clear a retained one");
    pub->add_flag("-l,--stdin-line", flags->lines_from_stdin,
                  "send each line of standard input as a message (pipelined; waits for all "
                  "acknowledgements at end of input)");
    pub->add_flag("-s,--stdin-file", flags->whole_stdin,
                  "send all of standard input (up to end of input) as one message");
    pub->add_option("-f,--file", flags->message_file,
                    "send the contents of FILE (a regular file; - for standard input) as the "
                    "message");
    pub->add_option("-q,--qos", flags->qos, "quality of service: 0, 1 or 2")->capture_default_str();
    pub->add_option("-M,--max-inflight", flags->max_inflight,
                    "most QoS 1/2 messages awaiting acknowledgement at once, for -l (QoS 2 is "
                    "also held to 20, Mosquitto's limit)")
        ->check(CLI::Range(1, 65535))
        ->type_name("N")
        ->capture_default_str();
    pub->add_flag("-r,--retain", flags->retain, "ask the broker to retain the message");
    pub->add_flag("--quiet", flags->quiet, "do not print notes (errors are still printed)");
    pub->footer(
        "Passwords: -P, --pw-file FILE, or the environment variable MQTLS_PASSWORD (with -u).\n"
        "Large messages: up to --max-packet-size bytes per MQTT packet either way (default "
        "2 MiB: a 1 MiB payload with any topic); the client reserves about three times that "
        "but uses memory only as messages need it.");
    pub->callback([flags, &exit_status] { exit_status = run_pub(*flags); });
}

}  // namespace mqtls::cli
