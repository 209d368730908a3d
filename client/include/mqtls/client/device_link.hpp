#pragma once
/// @file
/// client::DeviceLink: a link::Connection over link::TlsChannel, set up from ClientOptions, for
/// a device loop on Linux (node::NodeRunner in `mqtls node`). It owns what client::Client owns
/// for its connection (the session's memory, the pump's scratch, the TLS configuration) and a
/// RAM store for the TLS session under a key of this process, so that reconnects resume it (one
/// round trip, no public-key operations), but takes its events through the Connection itself:
/// the device loop reads them, not an inbox. The stream and the clock are the caller's (a
/// port::posix::Platform gives both).
///
/// @code
///   port::posix::Platform device;
///   client::DeviceLink link(options, device.stream(), device.node().clock);
///   if (auto ready = link.set_up(); !ready) { ... }
///   node::NodeRunner runner(node, link.connection(), device.node(), config, sensor);
/// @endcode

#include <cstddef>
#include <cstdint>
#include <memory>

#include "mqtls/client/client.hpp"
#include "mqtls/core/clock.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/link/byte_stream.hpp"
#include "mqtls/link/connection.hpp"

namespace mqtls::client {

/// Largest packet a DeviceLink sends or takes: room for a reading of a few KiB with its topic.
inline constexpr std::size_t device_link_max_packet = std::size_t{8} * 1024;
/// Most QoS 1/2 messages it keeps in flight (node::TelemetryNodeConfig::max_in_flight at most).
inline constexpr std::size_t device_link_max_in_flight = 64;

class DeviceLink {
public:
    /// `options` (host, port, trust, credentials, timeouts) and `stream` must outlive the link.
    DeviceLink(const ClientOptions& options, link::ByteStream& stream, MonotonicClock clock);
    DeviceLink(const DeviceLink&) = delete;
    DeviceLink& operator=(const DeviceLink&) = delete;
    ~DeviceLink();

    /// The TLS configuration from the options, a fresh random key for the session store and
    /// the MQTT version (ClientOptions::protocol). Errors: tls::Config::setup's (a bad
    /// certificate or key), fill_random's, mqtt5_unavailable (MQTT 5 left out of the build).
    Result<void> set_up() noexcept;

    [[nodiscard]] link::Connection& connection() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mqtls::client
