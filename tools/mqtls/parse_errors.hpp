#pragma once
// Command-line parse errors in mqtls's own words. CLI11's messages quote what the user typed,
// and a command line may hold a password (-P, a combined -dP, a URL with user:password), so
// nothing here ever prints an argument's value: it names the option at fault, says what was
// expected, and answers the flags mosquitto_pub/_sub users bring with them.

#include <CLI/CLI.hpp>
#include <string_view>

namespace mqtls::cli {

/// Prints the parse error of `app` (or of its subcommand being parsed) to stderr, never
/// echoing an argument value, and returns the exit status (exit_usage; exit_ok for --help).
/// `argc`/`argv` are what was parsed: an unexpected value is named by its position only.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv);

/// What mqtls says about a mosquitto_pub/_sub option it does not take (e.g. --insecure), or
/// empty when `option` ("--name" or "-x") is not one of them.
std::string_view answer_for_mosquitto_option(std::string_view option, std::string_view command);

}  // namespace mqtls::cli
