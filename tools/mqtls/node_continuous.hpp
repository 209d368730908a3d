#pragma once
// `mqtls node` without --wake-cycle: the CLI's side of the continuous device loop. The loop
// itself (connect, restore, drain the window, await acknowledgements, back off, say goodbye) is
// node::NodeRunner (node/runtime) over link::Connection and link::TlsChannel; this file only
// feeds it readings from the CLI's sources (simulated, --sensor-command, --sensor-stdin), turns
// its events into log lines, and its stop into an exit status.

#include "mqtls/client/client.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "node_flags.hpp"
#include "node_outbox.hpp"

namespace mqtls::cli {

/// Runs the node until a limit (--count, --duration, the end of --sensor-stdin), a stop signal
/// or an error retrying cannot fix; returns the exit status. `options` come from
/// make_client_options().
int run_continuous_node(const NodeFlags& flags, const client::ClientOptions& options,
                        node::TelemetryNode& node, NodeOutbox& outbox);

}  // namespace mqtls::cli
