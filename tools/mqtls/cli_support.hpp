#pragma once
// What every mqtls subcommand shares: exit codes scripts can rely on, and error reports that
// say what went wrong and what to do (never a secret: errors carry codes, not inputs).

#include <string>
#include <string_view>

#include "mqtls/core/error.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/host/text_file.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace mqtls::cli {

/// Exit statuses of the mqtls command (documented in `mqtls --help`).
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,  ///< anything not listed below
    exit_usage = 2,    ///< missing or malformed arguments
    exit_file = 3,     ///< a file could not be read, written, or parsed (PEM)
    exit_network = 4,  ///< resolve, connect, connection lost
    exit_tls = 5,      ///< the broker's certificate or name was refused (fail closed)
    exit_refused = 6,  ///< the broker refused us (credentials, not authorized)
    exit_timeout = 7,  ///< no answer in time
};

/// The exit status for an error, by its class and code.
int exit_code_for(const Error& error) noexcept;

/// The error's message, with what the detail means where it has words (a CONNACK refusal:
/// "the broker refused the connection: not authorized (CONNACK 5)").
std::string describe(const Error& error);
/// The error's hint, made specific where the detail says more (a CONNACK return code).
const char* hint_for(const Error& error) noexcept;

/// Prints "mqtls <command>: <what> (<context>)\n  hint: <hint>" to stderr and returns the
/// matching exit code. `context` names the object (a path, a host:port) and must not be secret.
int report(std::string_view command, const Error& error, std::string_view context = {});

// The one whole-file reader, shared with the other host tools (host/text_file.hpp).
using host::default_max_file_bytes;
using host::read_text_file;

/// Prints a warning when the secret file `path` (given as `flag`) can be read by other users.
void warn_if_readable_by_others(std::string_view command, std::string_view flag,
                                const std::string& path);

// Subcommand registration, one function per cmd_*.cpp. Each adds its subcommand to `app` with a
// callback that stores its exit status in `exit_status`.
void register_pki_command(CLI::App& app, int& exit_status);
void register_broker_command(CLI::App& app, int& exit_status);
void register_pub_command(CLI::App& app, int& exit_status);
void register_sub_command(CLI::App& app, int& exit_status);
void register_node_command(CLI::App& app, int& exit_status);
void register_demo_command(CLI::App& app, int& exit_status);
void register_verify_command(CLI::App& app, int& exit_status);
void register_explain_command(CLI::App& app, int& exit_status);
void register_azure_sas_command(CLI::App& app, int& exit_status);

}  // namespace mqtls::cli
