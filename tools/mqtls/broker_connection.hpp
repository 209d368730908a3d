#pragma once
// The connection flags `mqtls pub` and `mqtls sub` share (named as in mosquitto_pub/_sub where
// they overlap), and turning them into client options. Header-only so that the command sources
// stay one file per subcommand.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "mqtls/client/client.hpp"

namespace mqtls::cli {

struct BrokerConnectionFlags {
    std::string host = "localhost";
    std::uint16_t port = 8883;
    std::string ca_file;
    std::string certificate_file;
    std::string key_file;
    std::vector<std::string> pins_hex;
    std::string client_id;
    std::string username;
    std::string password;  // never printed
    std::uint16_t keep_alive_s = 60;
    bool debug = false;
};

inline void add_broker_connection_flags(CLI::App& command, BrokerConnectionFlags& flags) {
    // -h is the host, as in mosquitto_pub/_sub; help is --help only.
    command.set_help_flag("--help", "print this help and exit");
    command.add_option("-h,--host", flags.host, "broker host name or IP address")
        ->capture_default_str();
    command.add_option("-p,--port", flags.port, "broker TLS port")->capture_default_str();
    command.add_option("--cafile", flags.ca_file,
                       "PEM file with the broker's root CA (required: the broker's certificate is "
                       "always verified)");
    command.add_option("--cert", flags.certificate_file,
                       "PEM client certificate, for mutual TLS (with --key)");
    command.add_option("--key", flags.key_file, "PEM private key of --cert");
    command.add_option("--pin-sha256", flags.pins_hex,
                       "also require the broker's public key (SHA-256 of its SPKI, 64 hex "
                       "digits); repeatable, any one must match");
    command.add_option("-i,--id", flags.client_id,
                       "MQTT client id (default mqtls-<command>-<pid>)");
    command.add_option("-u,--username", flags.username, "user name");
    command.add_option(
        "-P,--pw", flags.password,
        "password (never printed by mqtls; note that other local users can see argv)");
    command.add_option("-k,--keepalive", flags.keep_alive_s, "keepalive interval in seconds")
        ->capture_default_str();
    command.add_flag("-d,--debug", flags.debug,
                     "print the TLS protocol, cipher suite and verified name to stderr");
}

/// Prints a usage error for `command` with a hint and returns exit_usage.
inline int usage_error(const char* command, const char* what, const char* hint) {
    std::fprintf(stderr, "mqtls %s: %s\n  hint: %s\n", command, what, hint);
    return exit_usage;
}

/// Builds client options from the flags, reading the PEM files. Returns exit_ok, or the exit
/// status after reporting the problem.
inline int make_client_options(const char* command, const BrokerConnectionFlags& flags,
                               client::ClientOptions& options) {
    if (flags.ca_file.empty()) {
        return usage_error(command, "missing --cafile",
                           "pass the broker's root CA with --cafile (mqtls never connects "
                           "without verifying the broker)");
    }
    if (flags.certificate_file.empty() != flags.key_file.empty()) {
        return usage_error(command, "--cert and --key go together",
                           "pass both the client certificate and its private key for mutual TLS");
    }
    options.host = flags.host;
    options.port = flags.port;
    auto ca = read_text_file(flags.ca_file);
    if (!ca) return report(command, ca.error(), "--cafile " + flags.ca_file);
    options.trusted_roots_pem = std::move(*ca);
    if (!flags.certificate_file.empty()) {
        auto certificate = read_text_file(flags.certificate_file);
        if (!certificate) {
            return report(command, certificate.error(), "--cert " + flags.certificate_file);
        }
        auto key = read_text_file(flags.key_file);
        if (!key) return report(command, key.error(), "--key " + flags.key_file);
        options.certificate_pem = std::move(*certificate);
        options.private_key_pem = std::move(*key);
    }
    for (const std::string& hex : flags.pins_hex) {
        auto pin = tls::parse_spki_pin(hex);
        if (!pin) {
            return usage_error(
                command, "--pin-sha256 is not a SHA-256 in hex",
                "give 64 hex digits: the SHA-256 of the broker's SubjectPublicKeyInfo");
        }
        options.pinned_spki.push_back(*pin);
    }
    options.client_id = flags.client_id.empty()
                            ? std::string("mqtls-") + command + "-" + std::to_string(::getpid())
                            : flags.client_id;
    if (!flags.username.empty()) options.username = flags.username;
    if (!flags.password.empty()) options.password = flags.password;
    options.keep_alive_s = flags.keep_alive_s;
    return exit_ok;
}

/// Connects, reporting failures with the broker address (and the CA file for TLS refusals, the
/// usual culprit). Returns exit_ok or the reported exit status.
inline int connect_client(const char* command, const BrokerConnectionFlags& flags,
                          const client::ClientOptions& options, client::Client& client) {
    auto connected = client.connect(options);
    const std::string where = flags.host + ":" + std::to_string(flags.port);
    if (!connected) {
        const int status = exit_code_for(connected.error());
        if (status == exit_tls) {
            return report(command, connected.error(),
                          where + ", CA from --cafile " + flags.ca_file);
        }
        return report(command, connected.error(), where);
    }
    if (flags.debug) {
        const tls::ConnectionInfo info = client.tls_info();
        std::fprintf(stderr, "mqtls %s: connected to %s over %s, %s, verified name %.*s%s\n",
                     command, where.c_str(), info.protocol, info.cipher_suite,
                     static_cast<int>(info.verified_name.size()), info.verified_name.data(),
                     info.resumed ? " (resumed)" : "");
    }
    return exit_ok;
}

}  // namespace mqtls::cli
