#pragma once
// The device both firmware images are made of: the bare-metal port's Platform, the provisioning,
// the TLS configuration, and one connection's memory, sized for a small device and counted in
// the report (per-connection memory: docs/firmware.md).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "metering.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/node/outbox_set.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/port/baremetal/platform.hpp"
#include "mqtls/tls/config.hpp"
#include "provisioning.hpp"

namespace mqtls::firmware {

/// Firmware exit statuses (the host's tests and benchmarks read them).
enum ExitStatus : int {
    exit_delivered = 0,     ///< everything in the outbox was delivered
    exit_pending = 1,       ///< readings wait for the next wake (a transient failure)
    exit_provisioning = 2,  ///< the command line or a provisioning file is wrong
    exit_permanent = 5,     ///< a failure retrying cannot fix (TLS refused the broker, ...)
};

// One connection's memory on the device. rx holds the broker's acknowledgements (no
// subscriptions); tx one flight of readings; the resend store the window's copies.
using DeviceSessionStorage = mqtt::SessionStorage</*RxBytes=*/1024, /*TxBytes=*/2048,
                                                  /*StoreBytes=*/4096, /*OutgoingMax=*/16,
                                                  /*IncomingQos2Max=*/4, /*RequestsMax=*/4>;
inline constexpr std::size_t device_scratch_bytes = 1024;
inline constexpr std::size_t device_record_queue_bytes = 1024;
// The sealed session holds the broker's leaf certificate and its ticket or ID (measured with
// Mosquitto: 644 B for an ECDSA P-256 broker over TLS 1.2, 1,039 B for RSA-2048, about 360 B
// over TLS 1.3: bench/README.md, `sealed_session_used`). The lean profile's brokers are ECDSA
// P-256, so 2 KiB leaves three times that; a session that does not fit is reported (session_problem
// message_too_large) and the next wake does a full handshake. The full profile keeps the format's
// maximum.
#if MQTLS_DEVICE_TLS_LEAN
inline constexpr std::size_t device_sealed_session_bytes = 2048;
#else
inline constexpr std::size_t device_sealed_session_bytes = tls::max_sealed_session_size;
#endif
static_assert(device_sealed_session_bytes <= tls::max_sealed_session_size);
inline constexpr std::size_t outbox_max_records = 64;
inline constexpr std::size_t outbox_max_record_bytes = 256;

class Device {
public:
    /// Boots the port, reads the provisioning and opens the outbox; on failure prints what went
    /// wrong and exits with exit_provisioning (or exit_pending for the storage).
    void boot() noexcept;

    /// Sets up the TLS configuration and the connection; exits on failure as boot() does.
    void connect_setup() noexcept;

    [[nodiscard]] const Provisioning& provisioning() const noexcept { return provisioning_; }
    [[nodiscard]] port::baremetal::Platform& platform() noexcept { return platform_; }
    [[nodiscard]] node::TelemetryNode& telemetry() noexcept { return *node_; }
    [[nodiscard]] link::Connection& connection() noexcept { return *connection_; }
    [[nodiscard]] HandshakeMeter& meter() noexcept { return *meter_; }
    [[nodiscard]] const port::baremetal::PowerCutPlan& power_cut() const noexcept {
        return power_cut_;
    }
    [[nodiscard]] std::string_view command_line() const noexcept {
        return std::string_view(command_line_);
    }
    /// The CONNECT every connection sends (views into the provisioning).
    [[nodiscard]] mqtt::Connect connect_packet() const noexcept;
    /// The connection settings (host, port, the session store and key when provisioned).
    [[nodiscard]] link::ConnectionSettings settings() const noexcept;

    /// Adds the memory, heap, stack and instruction figures to `report`.
    void add_measurements(Report& report) noexcept;
    /// Prints `what` failed, with the error's message and hint, for the host's log.
    static void print_error(std::string_view what, const Error& error) noexcept;

private:
    void open_outbox() noexcept;

    char command_line_[1024] = {};
    ProvisioningFiles files_{};
    Provisioning provisioning_;
    port::baremetal::PowerCutPlan power_cut_;
    port::baremetal::Platform platform_;
    node::OutboxEntry outbox_index_[outbox_max_records] = {};
    std::uint8_t outbox_scratch_[node::outbox_record_overhead + outbox_max_record_bytes] = {};
    std::optional<node::OutboxSet> outbox_;
    std::optional<node::TelemetryNode> node_;
    tls::Config tls_config_;
    std::uint8_t record_in_[device_record_queue_bytes] = {};
    std::uint8_t record_out_[device_record_queue_bytes] = {};
    std::optional<link::TlsChannel> channel_;
    std::optional<HandshakeMeter> meter_;
    DeviceSessionStorage session_storage_;
    std::uint8_t scratch_[device_scratch_bytes] = {};
    std::uint8_t sealed_[device_sealed_session_bytes] = {};
    link::ConnectionSettings settings_;
    std::optional<link::Connection> connection_;
};

}  // namespace mqtls::firmware
