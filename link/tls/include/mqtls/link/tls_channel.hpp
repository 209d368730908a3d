#pragma once
/// @file
/// link::TlsChannel: the SecureChannel of a real connection, over tls::Engine (mbedTLS, always
/// verifying the broker). It holds one Engine at a time, made at start() and destroyed at end(),
/// so one channel serves connection after connection and keeps no keys in between.
///
/// Memory: the Engine's ciphertext queues are the caller's (`queues`, any size from a few
/// hundred bytes: small queues cost pump rounds, not correctness) or, without them, allocated by
/// the Engine (2 x tls::default_queue_capacity). memory_peak() counts them together with the
/// heap mbedTLS used, so the memory table reports the connection whole.

#include <cstddef>
#include <optional>
#include <string_view>

#include "mqtls/link/secure_channel.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/engine.hpp"

namespace mqtls::link {

class TlsChannel final : public SecureChannel {
public:
    /// `config` (a client Config, set up) must outlive the channel or the next use_config().
    explicit TlsChannel(const tls::Config& config) noexcept : config_(&config) {}
    /// With the caller's queue memory, which must outlive the channel.
    TlsChannel(const tls::Config& config, const tls::EngineBuffers& queues) noexcept
        : config_(&config), queues_(queues), caller_queues_(true) {}

    /// Between connections: the Config the next start() uses (a client that rebuilds its
    /// Config for new options).
    void use_config(const tls::Config& config) noexcept { config_ = &config; }

    Result<void> start(std::string_view server_name) noexcept override;
    Result<void> offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept override;
    Result<std::size_t> save_session(const tls::SessionKey& key,
                                     mutable_bytes out) noexcept override;
    std::size_t feed_ciphertext(bytes_view bytes) noexcept override;
    [[nodiscard]] bytes_view pending_ciphertext() const noexcept override;
    void consume_ciphertext(std::size_t count) noexcept override;
    Result<bool> handshake() noexcept override;
    [[nodiscard]] bool handshake_done() const noexcept override;
    [[nodiscard]] bool session_ready() const noexcept override;
    [[nodiscard]] bool client_certificate_missing() const noexcept override;
    Result<std::size_t> write_plaintext(bytes_view plaintext) noexcept override;
    Result<std::size_t> read_plaintext(mutable_bytes out) noexcept override;
    Result<void> close_notify() noexcept override;
    /// Its verified_name stays valid after end(), until the next start() (a WakeReport or a
    /// NodeEvent outlives the connection); the other strings are static or the Config's.
    [[nodiscard]] ChannelInfo info() const noexcept override;
    /// The longest name start() takes: a DNS name has at most 253 characters (RFC 1035 2.3.4).
    static constexpr std::size_t max_server_name = 255;
    /// mbedTLS heap peak plus the two queues, of this connection (or the last one).
    [[nodiscard]] std::size_t memory_peak() const noexcept override;
    void end() noexcept override;

    /// The Engine's own report of this connection (empty when none is started).
    [[nodiscard]] tls::ConnectionInfo tls_info() const noexcept;
    /// The heap mbedTLS used at most, of this connection (or the last one), queues left out.
    [[nodiscard]] std::size_t tls_heap_peak() const noexcept;
    /// The bytes of the two ciphertext queues, of this connection (or the last one).
    [[nodiscard]] std::size_t queue_bytes() const noexcept;

private:
    const tls::Config* config_;
    tls::EngineBuffers queues_{};
    bool caller_queues_ = false;
    std::optional<tls::Engine> engine_;
    char server_name_[max_server_name] = {};
    std::size_t server_name_length_ = 0;
    std::size_t last_heap_peak_ = 0;
    std::size_t last_queue_bytes_ = 0;
};

}  // namespace mqtls::link
