#pragma once
/// @file
/// The seam between the portable pump and the TLS library: what link::Connection needs from a
/// TLS client engine, and nothing of mbedTLS. `link/tls/` adapts tls::Engine to it (host and,
/// once the tls layer builds on a device's mbedTLS, the device); the simulation gives a scripted
/// channel so the pump, the runner and the wake cycle are tested where mbedTLS is not built.
///
/// There is deliberately no "plaintext" implementation in the library: verification is never
/// optional, so only tests provide a channel that does not verify.
///
/// Lifetime: one channel object serves connection after connection. start() begins one,
/// end() forgets it (keys wiped, memory given back); start() may then be called again.
/// Every function is non-blocking and never throws. Errors are final for the connection.

#include <cstddef>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::link {

/// What was negotiated, for logs and reports. Strings are static or owned by the channel and
/// valid until its next start() or end().
struct ChannelInfo {
    const char* protocol = "";       ///< e.g. "TLSv1.2"
    const char* cipher_suite = "";   ///< e.g. "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"
    std::string_view verified_name;  ///< the name (or address) the certificate was checked for
    std::size_t peer_chain_length = 0;
    bool resumed = false;            ///< abbreviated handshake from an offered session
    std::string_view alpn_protocol;  ///< what ALPN agreed on (RFC 7301); empty: none
};

class SecureChannel {
public:
    SecureChannel(const SecureChannel&) = delete;
    SecureChannel& operator=(const SecureChannel&) = delete;

    /// Begins a client connection to `server_name` (the name dialed: DNS name or IP literal).
    virtual Result<void> start(std::string_view server_name) noexcept = 0;
    /// After start(), before the first handshake(): offers a session sealed under `key` (see
    /// tls/session.hpp). Failure only means a full handshake; the error says why.
    ///
    /// The key is passed per call, not held by the channel: the Connection owns the resumption
    /// policy (store, key, and the fail-closed refusal of an all-zero key), so the key lives in
    /// one place, ConnectionSettings, next to the store it protects.
    virtual Result<void> offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept = 0;
    /// After the handshake, once session_ready(): this connection's session, sealed under `key`;
    /// returns its size.
    virtual Result<std::size_t> save_session(const tls::SessionKey& key,
                                             mutable_bytes out) noexcept = 0;

    /// Received ciphertext in; returns how much was taken (less when the channel's input queue
    /// is full: drive handshake()/read_plaintext() first).
    virtual std::size_t feed_ciphertext(bytes_view bytes) noexcept = 0;
    /// Ciphertext for the stream; valid until the next call that produces output.
    [[nodiscard]] virtual bytes_view pending_ciphertext() const noexcept = 0;
    virtual void consume_ciphertext(std::size_t count) noexcept = 0;

    /// Advances the handshake: true once complete. Errors are final (certificate_untrusted,
    /// hostname_mismatch, peer_alert, ...); pending_ciphertext() may then hold our alert.
    virtual Result<bool> handshake() noexcept = 0;
    [[nodiscard]] virtual bool handshake_done() const noexcept = 0;
    /// A session can be saved: at the end of a TLS 1.2 handshake, or once the first TLS 1.3
    /// NewSessionTicket has been read (it follows the handshake, RFC 8446 4.6.1).
    [[nodiscard]] virtual bool session_ready() const noexcept = 0;
    /// The server asked for a client certificate we do not have (see tls::Engine).
    [[nodiscard]] virtual bool client_certificate_missing() const noexcept = 0;

    /// Encrypts; returns bytes taken (0: output full). After a 0 the same bytes must be offered
    /// again at the front of `plaintext`.
    virtual Result<std::size_t> write_plaintext(bytes_view plaintext) noexcept = 0;
    /// Decrypts into `out`; returns bytes written (0: need more ciphertext). tls_closed after
    /// the peer's close_notify.
    virtual Result<std::size_t> read_plaintext(mutable_bytes out) noexcept = 0;
    /// Queues close_notify.
    virtual Result<void> close_notify() noexcept = 0;

    [[nodiscard]] virtual ChannelInfo info() const noexcept = 0;
    /// Bytes this connection holds now and at most since start(): the TLS library's heap plus
    /// the channel's own record queues (the memory table counts both).
    [[nodiscard]] virtual std::size_t memory_peak() const noexcept = 0;

    /// Ends the connection: forgets keys and state. Harmless when nothing was started.
    virtual void end() noexcept = 0;

protected:
    SecureChannel() = default;
    ~SecureChannel() = default;
};

}  // namespace mqtls::link
