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
#include "mqtls/node/device_stack.hpp"
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
// One connection's memory and the outbox index: node::DeviceStackStorage's defaults (the rx
// buffer holds the broker's acknowledgements, tx one flight of readings, the resend store the
// window's copies; 64 readings of up to 256 bytes), which these measurements are of.
using DeviceStorage = node::DeviceStackStorage<device_sealed_session_bytes>;

class Device {
public:
    /// Boots the port, reads the provisioning and opens the outbox; on failure prints what went
    /// wrong and exits with exit_provisioning (or exit_pending for the storage).
    void boot() noexcept;

    /// Sets up the TLS configuration and the connection; exits on failure as boot() does.
    void connect_setup() noexcept;

    [[nodiscard]] const Provisioning& provisioning() const noexcept { return provisioning_; }
    [[nodiscard]] port::baremetal::Platform& platform() noexcept { return platform_; }
    [[nodiscard]] node::TelemetryNode& telemetry() noexcept { return stack_->telemetry(); }
    [[nodiscard]] link::Connection& connection() noexcept { return stack_->connection(); }
    [[nodiscard]] HandshakeMeter& meter() noexcept { return *meter_; }
    [[nodiscard]] const port::baremetal::PowerCutPlan& power_cut() const noexcept {
        return power_cut_;
    }
    [[nodiscard]] std::string_view command_line() const noexcept {
        return std::string_view(command_line_);
    }
    /// The device as the stack sees it: everything assembled from the provisioning.
    [[nodiscard]] node::DeviceStack& stack() noexcept { return *stack_; }

    /// Adds the memory, heap, stack and instruction figures to `report`.
    void add_measurements(Report& report) noexcept;
    /// Prints `what` failed, with the error's message and hint, for the host's log.
    static void print_error(std::string_view what, const Error& error) noexcept;

private:
    void open_outbox() noexcept;
    void fill_settings() noexcept;

    char command_line_[1024] = {};
    ProvisioningFiles files_{};
    Provisioning provisioning_;
    port::baremetal::PowerCutPlan power_cut_;
    port::baremetal::Platform platform_;
    node::DeviceSettings settings_;
    DeviceStorage storage_;
    std::optional<node::DeviceStack> stack_;
    std::optional<HandshakeMeter> meter_;
};

}  // namespace mqtls::firmware
