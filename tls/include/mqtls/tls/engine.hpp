#pragma once
/// @file
/// One TLS connection over memory buffers (sans-I/O, after picotls and rustls' unbuffered API):
/// the caller moves ciphertext between the Engine and its socket, and plaintext between the
/// Engine and the MQTT session. The Engine never touches a socket or a clock of its own.
///
/// @code
///   Engine tls(config);
///   tls.start("broker.example.com");
///   while (!tls.handshake_done()) {
///       auto done = tls.handshake();            // fails closed on any verification problem
///       send(tls.pending_ciphertext()); tls.consume_ciphertext(sent);
///       if (!*done) tls.feed_ciphertext(receive());
///   }
///   tls.write_plaintext(mqtt_bytes); ... tls.read_plaintext(buffer);
/// @endcode

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/heap.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::tls {

/// What was negotiated, for logs and the demo. Strings are static or owned by the Engine.
struct ConnectionInfo {
    const char* protocol = "";       ///< e.g. "TLSv1.2", "TLSv1.3"
    bool tls13 = false;              ///< the protocol is TLS 1.3
    const char* cipher_suite = "";   ///< e.g. "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"
    std::string_view verified_name;  ///< the name (or IP address) the certificate was checked for
    /// Certificates the peer sent (leaf first); lets tests check what a chain contained. After
    /// a resumed handshake: 1 with TLS 1.2 (the leaf kept in the session), 0 with TLS 1.3.
    std::size_t peer_chain_length = 0;
    /// True when the handshake resumed a session (abbreviated: no certificates, no key
    /// exchange), false after a full handshake.
    bool resumed = false;
    /// The application protocol agreed by ALPN (RFC 7301), empty when none was.
    std::string_view alpn_protocol;
};

/// The capacity of each ciphertext queue an Engine allocates for itself: one maximal TLS 1.2
/// record (16 KiB of data plus header, IV, tag and padding).
inline constexpr std::size_t default_queue_capacity = 16384 + 2048;

/// Caller memory for the Engine's two ciphertext queues (received, not yet read by mbedTLS;
/// written by mbedTLS, not yet sent). Any size from a few hundred bytes works: mbedTLS reads and
/// writes records through them piecewise (its own record buffers are in its heap), so small
/// queues cost round trips through the caller's pump, not correctness. A held one flight must
/// fit in `outgoing` (an abbreviated handshake's Finished: about 60 bytes).
struct EngineBuffers {
    mutable_bytes incoming;
    mutable_bytes outgoing;
};

class Engine {
public:
    /// `config` must be set up and outlive the Engine. Allocates its queues
    /// (2 x default_queue_capacity bytes).
    explicit Engine(const Config& config) noexcept;
    /// With the caller's queue memory, which must outlive the Engine (empty: start() fails
    /// with tls_setup_failed).
    Engine(const Config& config, const EngineBuffers& buffers) noexcept;
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Prepares the connection. A client passes the name it dialed: a DNS name (sent as SNI
    /// and matched against dNSName subjectAltNames, wildcards per RFC 6125) or an IPv4/IPv6
    /// literal (matched against iPAddress subjectAltNames; no SNI, as RFC 6066 forbids
    /// literals there). A server passes an empty name. Errors: invalid_argument (empty client
    /// name), tls_setup_failed.
    Result<void> start(std::string_view server_name) noexcept;

    /// Client, after start() and before the first handshake(): offers the session sealed in
    /// `sealed` (from save_session()) so the handshake can be abbreviated. Nothing is offered,
    /// and the handshake is a full one, when it fails:
    ///  - session_invalid: not a sealed session, truncated, tampered with, or sealed under
    ///    another key (detail: the mbedTLS code where there is one);
    ///  - session_mismatch: sealed for another server name, CA bundle, pin set, client
    ///    certificate or TLS version setting;
    ///  - session_expired: older than its lifetime (the broker's ticket lifetime hint, at most
    ///    a day), or the broker certificate it vouches for has expired since;
    ///  - clock_unset (the lifetime cannot be checked), invalid_argument (server role, not
    ///    started, or the handshake began), tls_setup_failed (out of memory).
    /// If the broker declines the offer, the handshake falls back to a full one by itself.
    Result<void> offer_session(bytes_view sealed, const SessionKey& key) noexcept;

    /// Client, once session_ready(): this connection's session, sealed under `key` for a
    /// SessionStore (see session.hpp); returns its size (at most max_sealed_session_size).
    /// Errors: invalid_argument (server, or handshake not done), session_invalid (TLS 1.3 and
    /// no NewSessionTicket yet), message_too_large (`out` is smaller than needed), clock_unset,
    /// tls_setup_failed.
    Result<std::size_t> save_session(const SessionKey& key, mutable_bytes out) noexcept;

    /// Hands received ciphertext to the Engine; returns how much it took (less than
    /// `bytes.size()` when its input buffer is full: drive handshake()/read_plaintext() first).
    std::size_t feed_ciphertext(bytes_view bytes) noexcept;

    /// Ciphertext waiting for the socket; valid until the next call that produces output.
    [[nodiscard]] bytes_view pending_ciphertext() const noexcept;
    void consume_ciphertext(std::size_t count) noexcept;

    /// Advances the handshake with the input fed so far. Returns true once it is complete, false
    /// while it needs more input (or room for output). Errors, all final: certificate_untrusted,
    /// certificate_expired, certificate_not_yet_valid, hostname_mismatch, pin_mismatch,
    /// clock_unset, peer_alert, handshake_failed (detail: the mbedTLS code, or the X.509 verify
    /// flags for certificate errors), client_certificate_required (the server asked for a
    /// client certificate the Config lacks, and refused with an alert), alpn_refused (no ALPN
    /// protocol agreed: refused by the peer, or required and not chosen). On error,
    /// pending_ciphertext() may hold our alert.
    Result<bool> handshake() noexcept;
    [[nodiscard]] bool handshake_done() const noexcept { return handshake_done_; }
    /// Client: a session can be saved now. TLS 1.2: as soon as the handshake is done. TLS 1.3:
    /// once read_plaintext() has processed the server's first NewSessionTicket, which servers
    /// send after the handshake (RFC 8446 4.6.1); whoever stores sessions reads until then.
    [[nodiscard]] bool session_ready() const noexcept;

    /// During the handshake: the server asked for a client certificate and this Config has none
    /// to give. Servers that require one then refuse with an alert (client_certificate_required
    /// from handshake()) or just close the connection; a caller whose transport closes during
    /// the handshake should report client_certificate_required when this is true.
    [[nodiscard]] bool client_certificate_missing() const noexcept;

    /// Encrypts application data; returns bytes taken (0: output full, send pending_ciphertext()
    /// first). After a 0, the next call must offer the same bytes again at the front of
    /// `plaintext` (more may follow); offering fewer fails with invalid_argument. Errors:
    /// tls_record_error and other final errors.
    Result<std::size_t> write_plaintext(bytes_view plaintext) noexcept;

    /// Decrypts into `out`; returns bytes written (0: need more ciphertext). Errors: tls_closed
    /// (the peer sent close_notify), tls_record_error, peer_alert.
    Result<std::size_t> read_plaintext(mutable_bytes out) noexcept;

    /// Queues close_notify.
    Result<void> close_notify() noexcept;

    [[nodiscard]] ConnectionInfo info() const noexcept;
    /// The protocol ALPN agreed on (RFC 7301), once the handshake is done; empty when none was
    /// (no protocols configured, or the server ignored them).
    [[nodiscard]] std::string_view negotiated_alpn() const noexcept;
    /// Heap mbedTLS holds for this connection (current and peak since construction).
    [[nodiscard]] HeapUsage heap_usage() const noexcept { return heap_.usage(); }
    /// Bytes of the two ciphertext queues (outside heap_usage(): allocated by the Engine with
    /// operator new, or the caller's EngineBuffers). A connection's memory is both.
    [[nodiscard]] std::size_t queue_bytes() const noexcept;

    struct Impl;

private:
    Result<void> prepare_context() noexcept;
    [[nodiscard]] bool alpn_agreed_if_required() const noexcept;
    Result<bool> on_handshake_over() noexcept;

    const Config& config_;
    std::unique_ptr<Impl> impl_;
    bool handshake_done_ = false;
    mutable HeapAccount heap_;
};

}  // namespace mqtls::tls
