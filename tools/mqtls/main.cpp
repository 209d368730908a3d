// mqtls: secure MQTT-over-TLS telemetry from the command line.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli_support.hpp"

namespace {

int run(int argc, char** argv) {
    using namespace mqtls::cli;
    CLI::App app{
        "mqtls: secure MQTT-over-TLS telemetry. Every connection verifies the broker's "
        "certificate; there is no switch to turn that off.",
        "mqtls"};
    app.require_subcommand(1);
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
    register_pki_command(app, exit_status);
    register_broker_command(app, exit_status);
    register_pub_command(app, exit_status);
    register_sub_command(app, exit_status);
    register_node_command(app, exit_status);
    register_demo_command(app, exit_status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int status = app.exit(error);
        // CLI11 returns 0 for --help; any other parse problem is a usage error for scripts.
        return status == 0 ? exit_ok : exit_usage;
    }
    return exit_status;
}

}  // namespace

int main(int argc, char** argv) {
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
