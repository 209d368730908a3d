#pragma once
// SIGINT/SIGTERM as a request to stop: long-running subcommands (node, demo) poll
// stop_requested() at least every few hundred milliseconds, finish cleanly (a retained
// "offline", DISCONNECT, children stopped) and exit.

#include <csignal>

namespace mqtls::cli {

/// Installs handlers for SIGINT and SIGTERM that only record the signal. Idempotent.
void install_stop_signal_handlers() noexcept;

/// The signal that asked us to stop (SIGINT or SIGTERM), or 0.
int stop_requested() noexcept;

}  // namespace mqtls::cli
