// mqtls: secure MQTT-over-TLS telemetry from the command line.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iterator>
#include <string_view>
#include <utility>

#include "cli_support.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/version.hpp"
#include "node_flags.hpp"
#include "parse_errors.hpp"
#include "process_hardening.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace mqtls::cli;
    remember_command_line(argc, argv);  // the wake-cycle driver runs it again
    CLI::App app{
        "mqtls: secure MQTT-over-TLS telemetry. Every connection verifies the broker's "
        "certificate; there is no switch to turn that off.",
        "mqtls"};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         std::string("mqtls ") + MQTLS_VERSION_STRING + " (" +
                             mqtls::tls::tls_library_version() + ", MQTT 3.1.1, TLS 1.2 and 1.3)",
                         "print the version and the TLS library it was built with, and exit");
    app.footer(
        "Exit status: 0 success, 1 failure, 2 bad arguments, 3 file or PEM problem, 4 network,\n"
        "5 TLS verification refused, 6 refused by the broker (credentials or client certificate),\n"
        "7 timeout.\n"
        "Run 'mqtls <command> --help' for a command's options.");
    // Options may come from a file: `mqtls node --config node.toml` reads its [node] section
    // (a [pub] section serves `mqtls pub`, and so on); flags on the command line win. The
    // subcommands pass --config on to here (fallthrough).
    app.set_config("--config", "",
                   "read options from a TOML/INI file: a [node], [pub], [sub] or [broker] "
                   "section with 'long-option-name = value' lines");
    app.fallthrough();
    app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
    int exit_status = exit_ok;
    // Registering every subcommand's options costs about a million instructions; a device's
    // wake cycle (`mqtls node --wake-cycle`, one process per wake) pays that each time. So when
    // the first argument names a subcommand, only that one is registered; anything else
    // (--help, --config first, a typo) gets them all, and CLI11's usual messages.
    using Registration = void (*)(CLI::App&, int&);
    const std::pair<const char*, Registration> commands[] = {
        {"pki", &register_pki_command},
        {"broker", &register_broker_command},
        {"pub", &register_pub_command},
        {"sub", &register_sub_command},
        {"node", &register_node_command},
        {"demo", &register_demo_command},
        {"verify", &register_verify_command},
        {"explain", &register_explain_command},
        {"azure-sas", &register_azure_sas_command},
    };
    const std::string_view first = argc > 1 ? std::string_view(argv[1]) : std::string_view();
    const bool names_one = std::any_of(std::begin(commands), std::end(commands),
                                       [&](const auto& command) { return first == command.first; });
    for (const auto& [name, registration] : commands) {
        if (!names_one || first == name) registration(app, exit_status);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // Never CLI11's own message: it quotes arguments, and one may be a password.
        return report_parse_error(app, error, argc, argv);
    }
    return exit_status;
}

}  // namespace

int main(int argc, char** argv) {
    mqtls::cli::harden_process();  // before any secret is read
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        // The layers below never throw; this is CLI11 or the standard library (e.g. no memory).
        std::fprintf(stderr, "mqtls: internal error: %s\n", error.what());
    } catch (...) {
        std::fprintf(stderr, "mqtls: internal error\n");
    }
    return mqtls::cli::exit_failure;
}
