// mqtls_delay_proxy: the fault proxy (fault_proxy.hpp) as a command, for benchmarks that need a
// loopback link with a one-way latency (this kernel has no netem). bench/wake_cycle.py starts one
// per (broker listener, delay) and connects every measured client through it.
//
//   mqtls_delay_proxy --upstream-port 8883 --delay-ms 50
//   listening 127.0.0.1:41234                      <- one line on stdout once it accepts
//   ...                                            (SIGTERM or SIGINT)
//   {"port":41234,"upstream_port":8883,"delay_ms":50,"connections_accepted":3,...}
//
// Exit status: 0 after SIGTERM/SIGINT, 1 when the proxy cannot start, 2 for bad arguments.
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "mqtls/testing/fault_proxy.hpp"

namespace {

constexpr long max_delay_ms = 600000;  // 10 minutes: anything more is a typo

void print_usage(std::FILE* out) {
    std::fputs(
        "Usage: mqtls_delay_proxy --upstream-port PORT [--delay-ms N]\n"
        "\n"
        "Relays TCP connections from a free port of 127.0.0.1 to 127.0.0.1:PORT, holding back\n"
        "every chunk of bytes (and the end of stream) N milliseconds in each direction, so each\n"
        "round trip costs 2 x N ms. The TCP handshake itself is not delayed (the kernel completes\n"
        "it). Loopback only.\n"
        "\n"
        "Options:\n"
        "  --upstream-port PORT  port of the server on 127.0.0.1 (1-65535, required)\n"
        "  --delay-ms N          one-way delay in milliseconds (0-600000, default 0)\n"
        "  --help                print this help and exit\n"
        "\n"
        "Once it accepts connections it prints one line, 'listening 127.0.0.1:<port>', on\n"
        "standard output. On SIGTERM or SIGINT it prints its counters as one JSON line on\n"
        "standard output and exits 0.\n"
        "Exit status: 0 stopped by a signal, 1 could not start, 2 bad arguments.\n",
        out);
}

// A whole decimal number in [min, max], or nothing.
std::optional<long> parse_number(const std::string& text, long min, long max) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    const long value = std::strtol(text.c_str(), nullptr, 10);
    if (value < min || value > max) return std::nullopt;
    return value;
}

struct Arguments {
    std::uint16_t upstream_port = 0;
    long delay_ms = 0;
};

int usage_error(const std::string& message) {
    std::fprintf(stderr, "mqtls_delay_proxy: %s\nRun 'mqtls_delay_proxy --help' for the options.\n",
                 message.c_str());
    return 2;
}

// Parses argv into `arguments`; returns -1 to go on, otherwise the exit status (0 for --help).
int parse_arguments(int argc, char** argv, Arguments& arguments) {
    bool have_port = false;
    for (int i = 1; i < argc; ++i) {
        std::string option = argv[i];
        std::optional<std::string> value;
        if (const auto equals = option.find('=');
            option.rfind("--", 0) == 0 && equals != std::string::npos) {
            value = option.substr(equals + 1);
            option.resize(equals);
        }
        if (option == "--help" || option == "-h") {
            print_usage(stdout);
            return 0;
        }
        if (option != "--upstream-port" && option != "--delay-ms") {
            return usage_error("unknown argument '" + option + "'");
        }
        if (!value) {
            if (i + 1 >= argc) return usage_error(option + " needs a value");
            value = argv[++i];
        }
        if (option == "--upstream-port") {
            const auto port = parse_number(*value, 1, 65535);
            if (!port) {
                return usage_error("--upstream-port must be a port number from 1 to 65535, not '" +
                                   *value + "'");
            }
            arguments.upstream_port = static_cast<std::uint16_t>(*port);
            have_port = true;
        } else {
            const auto delay = parse_number(*value, 0, max_delay_ms);
            if (!delay) {
                return usage_error(
                    "--delay-ms must be a whole number of milliseconds from 0 to 600000, not '" +
                    *value + "'");
            }
            arguments.delay_ms = *delay;
        }
    }
    if (!have_port) return usage_error("--upstream-port is required");
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments arguments;
    if (const int status = parse_arguments(argc, argv, arguments); status >= 0) return status;

    // SIGINT and SIGTERM are blocked before the proxy thread starts (it inherits the mask), so
    // sigwait() below is the only place they are delivered.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (const int error = pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); error != 0) {
        std::fprintf(stderr, "mqtls_delay_proxy: cannot block SIGINT/SIGTERM: %s\n",
                     std::strerror(error));
        return 1;
    }

    auto proxy = mqtls::testing::FaultProxy::start(arguments.upstream_port);
    if (!proxy) {
        const auto& error = proxy.error();
        std::fprintf(stderr, "mqtls_delay_proxy: cannot start: %s [%s%s%s]\n  hint: %s\n",
                     error.message(), mqtls::name(error.code), error.detail != 0 ? ": " : "",
                     error.detail != 0 ? std::strerror(error.detail) : "", error.hint());
        return 1;
    }
    (*proxy)->set_delay(std::chrono::milliseconds(arguments.delay_ms));
    std::printf("listening %s:%u\n", mqtls::testing::FaultProxy::host(),
                static_cast<unsigned>((*proxy)->port()));
    std::fflush(stdout);

    int signal_number = 0;
    while (sigwait(&stop_signals, &signal_number) != 0) {
    }

    const auto counters = (*proxy)->counters();
    (*proxy)->stop();
    std::printf(
        "{\"port\":%u,\"upstream_port\":%u,\"delay_ms\":%ld,\"signal\":\"%s\","
        "\"connections_accepted\":%" PRIu64 ",\"connections_cut\":%" PRIu64
        ",\"upstream_failures\":%" PRIu64 ",\"bytes_to_upstream\":%" PRIu64
        ",\"bytes_to_client\":%" PRIu64 ",\"bytes_dropped\":%" PRIu64
        ",\"open_connections\":%" PRIu64 "}\n",
        static_cast<unsigned>((*proxy)->port()), static_cast<unsigned>(arguments.upstream_port),
        arguments.delay_ms, signal_number == SIGINT ? "SIGINT" : "SIGTERM",
        counters.connections_accepted, counters.connections_cut, counters.upstream_failures,
        counters.bytes_to_upstream, counters.bytes_to_client, counters.bytes_dropped,
        counters.open_connections);
    std::fflush(stdout);
    return 0;
}
