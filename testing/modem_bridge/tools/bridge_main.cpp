// mqtls_modem_bridge: the host side of the UART modem link as a command, for firmware under QEMU
// (-chardev socket,host=127.0.0.1,port=P -serial chardev:u0). Listens on 127.0.0.1, writes the
// port to --port-file once listening, prints the event log to stderr as it happens, and runs
// until SIGTERM or SIGINT; then prints the counters.
// Exit status: 0 stopped by a signal, 1 could not start, 2 bad arguments (CLI11's own codes for
// --help and parse errors).
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "mqtls/testing/modem_bridge.hpp"

namespace {

struct Arguments {
    std::string port_file;
    std::uint16_t listen_port = 0;
    std::vector<std::string> aliases;
    std::string capture_dir;
};

// "name=address" -> options.host_aliases; false when malformed.
bool add_aliases(const std::vector<std::string>& aliases, mqtls::testing::BridgeOptions& options) {
    for (const auto& alias : aliases) {
        const auto equals = alias.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == alias.size()) {
            std::fprintf(stderr, "mqtls_modem_bridge: --alias wants name=address, not '%s'\n",
                         alias.c_str());
            return false;
        }
        options.host_aliases[alias.substr(0, equals)] = alias.substr(equals + 1);
    }
    return true;
}

bool write_port_file(const std::string& path, std::uint16_t port) {
    std::ofstream out(path, std::ios::trunc);
    out << port << '\n';
    return static_cast<bool>(out);
}

int serve(const mqtls::testing::BridgeOptions& options, const std::string& port_file) {
    // SIGINT and SIGTERM are blocked before the bridge thread starts (it inherits the mask), so
    // sigwait() below is the only place they are delivered.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (const int error = pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); error != 0) {
        std::fprintf(stderr, "mqtls_modem_bridge: cannot block SIGINT/SIGTERM: %s\n",
                     std::strerror(error));
        return 1;
    }
    auto bridge = mqtls::testing::ModemBridge::start(options);
    if (!bridge) {
        const auto& error = bridge.error();
        std::fprintf(stderr, "mqtls_modem_bridge: cannot start: %s [%s: %s]\n  hint: %s\n",
                     error.message(), mqtls::name(error.code), std::strerror(error.detail),
                     error.hint());
        return 1;
    }
    if (!port_file.empty() && !write_port_file(port_file, (*bridge)->port())) {
        std::fprintf(stderr, "mqtls_modem_bridge: cannot write %s\n", port_file.c_str());
        return 1;
    }
    int signal_number = 0;
    while (sigwait(&stop_signals, &signal_number) != 0) {
    }
    (*bridge)->stop();
    const auto counters = (*bridge)->counters();
    std::fprintf(stderr,
                 "mqtls_modem_bridge: stopped by %s: %llu device sessions, %llu refused, %llu "
                 "dials, %llu dial failures, %llu frame errors\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                 static_cast<unsigned long long>(counters.device_sessions),
                 static_cast<unsigned long long>(counters.devices_refused),
                 static_cast<unsigned long long>(counters.dials),
                 static_cast<unsigned long long>(counters.dial_failures),
                 static_cast<unsigned long long>(counters.frame_errors));
    return 0;
}

int run(int argc, char** argv) {
    CLI::App app{
        "The host side of the UART modem link: firmware under QEMU dials loopback TCP through "
        "it. Listens on 127.0.0.1 and runs until SIGTERM/SIGINT; only loopback addresses are "
        "dialed."};
    Arguments arguments;
    app.add_option("--port-file", arguments.port_file,
                   "write the listening port to this file once listening");
    app.add_option("--listen-port", arguments.listen_port, "port to listen on (0: any free one)")
        ->capture_default_str();
    app.add_option("--alias", arguments.aliases,
                   "name=address: resolve name to this numeric address without DNS (repeatable)");
    app.add_option("--capture-dir", arguments.capture_dir,
                   "write each connection's bytes to conn-<n>.to-broker / .from-broker here");
    CLI11_PARSE(app, argc, argv);

    mqtls::testing::BridgeOptions options;
    options.listen_port = arguments.listen_port;
    options.capture_dir = arguments.capture_dir;
    options.log_sink = [](const std::string& line) {
        std::fprintf(stderr, "%s\n", line.c_str());
        std::fflush(stderr);
    };
    if (!add_aliases(arguments.aliases, options)) return 2;
    return serve(options, arguments.port_file);
}

}  // namespace

int main(int argc, char** argv) {
    // Out of memory is the only exception left (CLI11's own are handled by CLI11_PARSE).
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "mqtls_modem_bridge: %s\n", error.what());
        return 1;
    }
}
