#pragma once
/// @file
/// The whole device over a node::Platform: the outbox recovered from the platform's two
/// segments, the telemetry node, the TLS configuration and one connection, in memory the caller
/// owns (static on a device). What every device application assembles the same way, so that a
/// port is only its Platform: the QEMU firmware (firmware/common/device.cpp), the ESP-IDF
/// component and the Arduino library (ports/) all build on this.
///
/// @code
///   static node::DeviceStackStorage<> storage;          // sized for a small device
///   node::DeviceStack stack(platform.node(), storage.memory());
///   if (auto begun = stack.begin(settings); !begun) { report(begun.error()); }
///   stack.telemetry().take_reading(sensor, now, wall_ms);
///   node::WakeConfig wake = stack.wake_config(mqtt::QoS::at_least_once, deadline);
///   node::WakeReport report = node::run_wake_cycle(stack.telemetry(), stack.connection(),
///                                                  platform.node(), wake);
/// @endcode

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/node/node_runner.hpp"
#include "mqtls/node/outbox_set.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/telemetry_node.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "mqtls/tls/config.hpp"

namespace mqtls::node {

/// What a device is told. Views: the strings must outlive the stack (compiled in, or read from
/// a provisioning partition into static memory).
struct DeviceSettings {
    std::string_view host;  ///< DNS name or IP literal the stream connects to
    std::uint16_t port = 8883;
    /// Verify the certificate for (and send SNI) this name instead of `host`; empty: `host`.
    std::string_view verify_name;
    std::string_view device_id;        ///< the client id and the {device} of the topics
    std::string_view username;         ///< empty: none
    std::string_view password;         ///< empty: none
    std::string_view ca_pem;           ///< the broker's root CA(s), PEM; required
    std::string_view certificate_pem;  ///< the device's certificate (mutual TLS); optional
    std::string_view private_key_pem;
    span<const std::string_view> alpn_protocols;  ///< e.g. "x-amzn-mqtt-ca"; empty: no ALPN
    bool alpn_required = false;
    tls::TlsVersion tls_version = tls::TlsVersion::tls1_2;
    bool session_tickets = false;
    std::uint16_t keep_alive_s = 60;
    /// Bounds each wait for the broker (acknowledgements, room to send).
    Duration operation_timeout = Duration::from_seconds(20);
    /// Topics, reading period, run id, window (TelemetryNodeConfig).
    TelemetryNodeConfig node;
    /// The capacity of each of the platform's outbox segments
    /// (port::baremetal::outbox_segment_bytes, port::espidf::rtc_outbox_segment_bytes): the live
    /// readings may fill half of it, so that compaction into the other always fits.
    std::size_t outbox_segment_bytes = 0;
    OverflowPolicy outbox_overflow = OverflowPolicy::drop_oldest;
};

/// The stack's memory, all of it the caller's.
struct DeviceStackMemory {
    mqtt::SessionMemory session;
    mutable_bytes scratch;         ///< stream reads and decrypted records
    mutable_bytes sealed_session;  ///< one sealed TLS session, loaded or saved
    mutable_bytes record_in;       ///< the TLS engine's ciphertext queues (tls::EngineBuffers)
    mutable_bytes record_out;
    span<OutboxEntry> outbox_index;  ///< one entry per live reading
    mutable_bytes outbox_scratch;    ///< one record: outbox_record_overhead + largest payload
};

/// DeviceStackMemory with sizes fixed at compile time. The defaults are the QEMU firmware's,
/// measured there (docs/firmware.md): acknowledgements in (no subscriptions), one flight of
/// readings out, the resend window's copies, record queues of 1 KiB (mbedTLS keeps its own
/// record buffers), a sealed session of 2 KiB (644 B with an ECDSA broker, 1,039 B with an
/// RSA-2048 one: bench/README.md), and 64 readings of up to 256 bytes in the outbox.
template <std::size_t SealedSessionBytes = 2048, std::size_t OutboxRecords = 64,
          std::size_t OutboxRecordBytes = 256, std::size_t RecordQueueBytes = 1024>
struct DeviceStackStorage {
    mqtt::SessionStorage</*RxBytes=*/1024, /*TxBytes=*/2048, /*StoreBytes=*/4096,
                         /*OutgoingMax=*/16, /*IncomingQos2Max=*/4, /*RequestsMax=*/4>
        session;
    std::uint8_t scratch[1024] = {};
    std::uint8_t sealed_session[SealedSessionBytes] = {};
    std::uint8_t record_in[RecordQueueBytes] = {};
    std::uint8_t record_out[RecordQueueBytes] = {};
    OutboxEntry outbox_index[OutboxRecords] = {};
    std::uint8_t outbox_scratch[outbox_record_overhead + OutboxRecordBytes] = {};

    DeviceStackMemory memory() noexcept {
        return DeviceStackMemory{session.memory(),
                                 mutable_bytes(scratch, sizeof scratch),
                                 mutable_bytes(sealed_session, sizeof sealed_session),
                                 mutable_bytes(record_in, sizeof record_in),
                                 mutable_bytes(record_out, sizeof record_out),
                                 span<OutboxEntry>(outbox_index, OutboxRecords),
                                 mutable_bytes(outbox_scratch, sizeof outbox_scratch)};
    }
};

class DeviceStack {
public:
    /// `platform` and `memory` must outlive the stack.
    DeviceStack(const Platform& platform, const DeviceStackMemory& memory) noexcept;
    DeviceStack(const DeviceStack&) = delete;
    DeviceStack& operator=(const DeviceStack&) = delete;

    /// open_outbox(), set_up_tls() and open_connection(), stopping at the first error.
    Result<void> begin(const DeviceSettings& settings) noexcept;

    /// Recovers the outbox from the platform's segments (what an earlier boot or wake left)
    /// and makes the telemetry node. Errors: invalid_argument (no segments, no
    /// outbox_segment_bytes), the outbox's storage errors, invalid_device_id and the topic
    /// templates' errors (TelemetryNode::create).
    Result<void> open_outbox(const DeviceSettings& settings) noexcept;
    /// The TLS configuration (trust, identity, ALPN, versions) and the channel over the
    /// record queues. Errors: tls::Config::setup's (ca_bundle_invalid, client_key_mismatch,
    /// alpn_unavailable, tls13_unavailable, ...).
    Result<void> set_up_tls(const DeviceSettings& settings) noexcept;
    /// The connection over `channel`: the stack's TlsChannel, or one wrapping it (a meter).
    /// Resumes sessions when the platform has a session store and its key source gives a key;
    /// a key that cannot be loaded leaves resumption off (session_key_problem() says why).
    /// After set_up_tls().
    void open_connection(link::SecureChannel* channel = nullptr) noexcept;

    [[nodiscard]] TelemetryNode& telemetry() noexcept { return *telemetry_; }
    [[nodiscard]] OutboxSet& outbox() noexcept { return *outbox_; }
    [[nodiscard]] link::TlsChannel& channel() noexcept { return *channel_; }
    [[nodiscard]] const tls::Config& tls_config() const noexcept { return tls_config_; }
    [[nodiscard]] link::Connection& connection() noexcept { return *connection_; }
    [[nodiscard]] bool connection_open() const noexcept { return connection_.has_value(); }
    [[nodiscard]] const link::ConnectionSettings& connection_settings() const noexcept {
        return connection_settings_;
    }
    [[nodiscard]] const std::optional<Error>& session_key_problem() const noexcept {
        return session_key_problem_;
    }

    /// The CONNECT of every connection: the device id as client id, the credentials.
    [[nodiscard]] mqtt::Connect connect_packet() const noexcept;
    /// One wake's configuration with this device's CONNECT.
    [[nodiscard]] WakeConfig wake_config(mqtt::QoS qos, Duration deadline) const noexcept;
    /// The continuous runner's configuration with this device's identity (persistent session:
    /// the outbox survives restarts, so the broker must keep the session).
    [[nodiscard]] NodeRunnerConfig runner_config(mqtt::QoS qos) const noexcept;

private:
    const Platform& platform_;
    DeviceStackMemory memory_;
    DeviceSettings settings_;
    std::optional<OutboxSet> outbox_;
    std::optional<TelemetryNode> telemetry_;
    tls::Config tls_config_;
    std::optional<link::TlsChannel> channel_;
    link::ConnectionSettings connection_settings_;
    std::optional<link::Connection> connection_;
    tls::SessionKey session_key_{};
    std::optional<Error> session_key_problem_;
};

}  // namespace mqtls::node
