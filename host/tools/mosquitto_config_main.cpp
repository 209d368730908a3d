// mqtls_mosquitto_config: prints the Mosquitto configuration of the shared generator
// (host/mosquitto_config.hpp) for scripts that start Mosquitto themselves, so that they meet the
// listener `mqtls broker` and the test fixture write. The wake-cycle benchmark uses it for its
// TLS listeners (bench/wake_cycle.py). For deployments, run `mqtls broker` instead: it refuses
// anonymous clients and checks the PKI first.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "mqtls/host/mosquitto_config.hpp"

namespace {

using mqtls::host::MosquittoConfig;
using mqtls::host::MosquittoListener;

constexpr int exit_usage = 2;

bool has_control_character(const std::string& text) {
    for (const char character : text) {
        const auto byte = static_cast<unsigned char>(character);
        if (byte < 0x20 || byte == 0x7f) return true;
    }
    return false;
}

std::string absolute_path(const std::string& path) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    return error ? path : absolute.lexically_normal().string();
}

// PORT:PKI_DIR or PORT:PKI_DIR:client-certificate; false when malformed.
bool parse_listener(const std::string& value, const std::string& address,
                    const std::string& certificate_name, MosquittoListener& listener) {
    const std::size_t colon = value.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    std::string directory = value.substr(colon + 1);
    const std::string mutual_suffix = ":client-certificate";
    if (directory.size() > mutual_suffix.size() &&
        directory.compare(directory.size() - mutual_suffix.size(), mutual_suffix.size(),
                          mutual_suffix) == 0) {
        directory.resize(directory.size() - mutual_suffix.size());
        listener.require_certificate = true;
    }
    const std::string port_text = value.substr(0, colon);
    if (directory.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    const long port = std::stol(port_text);
    if (port < 1 || port > 65535) return false;
    listener.port = static_cast<std::uint16_t>(port);
    listener.address = address;
    const std::string prefix = absolute_path(directory) + "/";
    listener.ca_file = prefix + "ca.crt";
    listener.certificate_file = prefix + certificate_name + ".crt";
    listener.key_file = prefix + certificate_name + ".key";
    return true;
}

int usage_error(const char* what, const char* hint) {
    std::fprintf(stderr, "mqtls_mosquitto_config: %s\n  hint: %s\n", what, hint);
    return exit_usage;
}

// The tool itself; main() only catches what it throws (out of memory).
int run(int argc, char** argv) {
    CLI::App app{
        "Print a Mosquitto 2.0 configuration made by mqtls's shared generator (the one "
        "'mqtls broker' and the test fixture use): TLS 1.2/1.3 listeners with AEAD suites only, "
        "never a plaintext one. For scripts and benchmarks that run Mosquitto themselves; a "
        "deployment runs 'mqtls broker'.",
        "mqtls_mosquitto_config"};
    std::vector<std::string> listeners;
    std::string address = "127.0.0.1";
    std::string certificate_name = "broker";
    MosquittoConfig config;
    config.generated_by = "mqtls_mosquitto_config";
    config.log_to_stderr = false;
    app.add_option("--listener", listeners,
                   "PORT:PKI_DIR, or PORT:PKI_DIR:client-certificate for mutual TLS (the CN "
                   "becomes the user name): a TLS listener with PKI_DIR/ca.crt and the broker's "
                   "certificate and key (repeatable)")
        ->required();
    app.add_option("--bind", address, "Address every listener binds to")->capture_default_str();
    app.add_option("--cert-name", certificate_name,
                   "Base name of the broker's certificate and key in each PKI directory")
        ->capture_default_str();
    app.add_flag("--allow-anonymous", config.allow_anonymous,
                 "Let clients without a user name connect (benchmarks only; client ids are then "
                 "not bound to user names, since anonymous clients have none)");
    app.add_option("--log-file", config.log_file, "Mosquitto's log file (log_dest file)");
    app.add_flag("--log-stderr", config.log_to_stderr, "Also log to standard error");
    app.footer("Paths are written as absolute paths. Exit status: 0, or 2 for bad arguments.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // CLI11 prints the help or the problem; every problem is a usage error here.
        return app.exit(error) == 0 ? 0 : exit_usage;
    }

    for (const std::string* value : {&address, &certificate_name, &config.log_file}) {
        if (has_control_character(*value)) {
            return usage_error("arguments must not contain control characters",
                               "check --bind, --cert-name and --log-file");
        }
    }
    if (!config.log_file.empty()) config.log_file = absolute_path(config.log_file);
    for (const std::string& value : listeners) {
        MosquittoListener listener;
        if (has_control_character(value) ||
            !parse_listener(value, address, certificate_name, listener)) {
            return usage_error("a --listener is not PORT:PKI_DIR[:client-certificate]",
                               "e.g. --listener 8883:pki or --listener 8884:pki:client-certificate "
                               "(port 1-65535)");
        }
        config.listeners.push_back(std::move(listener));
    }
    config.client_id_is_user_name = !config.allow_anonymous;
    std::fputs(mqtls::host::mosquitto_config_text(config).c_str(), stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "mqtls_mosquitto_config: %s\n", error.what());
        return 1;
    }
}
