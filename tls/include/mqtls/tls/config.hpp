#pragma once
/// @file
/// The TLS configuration shared by every connection of one kind (one broker, one identity):
/// trusted roots, our own certificate, pins, the wall clock and the random generator. Built once
/// with setup(), then read-only; many Engines may use one Config. After mbedTLS's init/setup
/// idiom: the constructor cannot fail, setup() can.
///
/// Verification is not optional: a client Config always requires a certificate chain that ends
/// in one of the given roots, valid at the wall clock's time, for the name the Engine dials.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/tls/heap.hpp"

namespace mqtls::tls {

/// Unix time in seconds, from a clock the platform provides (CLOCK_REALTIME, SNTP-set RTC...).
/// Returns a value before 2024 when the clock is unset, which makes connections fail with
/// `clock_unset` instead of skipping the date checks.
struct WallClock {
    std::int64_t (*now_seconds)(void* context) = nullptr;
    void* context = nullptr;
};

/// The platform's strong entropy source (getrandom(2), a hardware RNG), with the signature of
/// mbedTLS's `mbedtls_entropy_f_source_ptr`. When given, it alone seeds the random generator;
/// without it mbedTLS's own entropy pool is used (platforms without one, microcontrollers,
/// must give a source).
struct EntropySource {
    int (*poll)(void* context, unsigned char* output, std::size_t length,
                std::size_t* produced) = nullptr;
    void* context = nullptr;
};

/// SHA-256 of a certificate's DER SubjectPublicKeyInfo.
using SpkiSha256 = std::array<std::uint8_t, 32>;

/// Parses 64 hexadecimal digits (case-insensitive) into a pin; fails with invalid_argument.
Result<SpkiSha256> parse_spki_pin(std::string_view hex) noexcept;

/// The TLS library this layer was built with, e.g. "Mbed TLS 3.6.6" (for `mqtls --version`
/// and bug reports).
const char* tls_library_version() noexcept;

enum class Role : std::uint8_t { client, server };

/// The TLS versions a Config speaks. `automatic`: a client offers 1.3 and accepts 1.2, a server
/// accepts both. TLS 1.2 is the default because a device resumes a TLS 1.2 session for about
/// 2 % of the CPU a TLS 1.3 resumption costs (0.56 M against 25 M instructions on a Cortex-M4:
/// TLS 1.3 resumption always repeats the ECDHE key exchange); docs/design.md has the figures.
enum class TlsVersion : std::uint8_t { tls1_2, tls1_3, automatic };

/// "1.2", "1.3" or "auto".
const char* tls_version_name(TlsVersion version) noexcept;
/// Parses "1.2", "1.3" or "auto"; fails with invalid_argument.
Result<TlsVersion> parse_tls_version(std::string_view text) noexcept;

struct ConfigOptions {
    Role role = Role::client;
    /// PEM text of one or more trusted root certificates (a bundle allows CA rotation). For a
    /// client: required. For a server: the CA that client certificates must chain to; when
    /// given, a client certificate is required.
    std::string_view trusted_roots_pem;
    /// Our certificate (PEM; intermediates may follow) and its private key (PEM, unencrypted).
    /// Optional for a client (mutual TLS), required for a server. Self-signed certificates in
    /// the chain are left out of what we send: the peer has its own roots.
    std::string_view certificate_pem;
    std::string_view private_key_pem;
    /// Which TLS versions to speak (see TlsVersion).
    TlsVersion tls_version = TlsVersion::tls1_2;
    /// Optional: accept the server only if its public key hashes to one of these.
    std::vector<SpkiSha256> pinned_spki;
    /// Required: certificate dates are checked against this clock, not mbedTLS's.
    WallClock wall_clock;
    /// The entropy source (see EntropySource); optional where mbedTLS has a default one.
    std::optional<EntropySource> entropy;
    /// Client: how a stored session is resumed. By default by session ID: 32 bytes in the
    /// ClientHello, resumed from the broker's session cache (Mosquitto keeps one). Tickets
    /// (RFC 5077) put the whole session state, about 180 bytes with Mosquitto (600 with a
    /// client certificate), into every resuming ClientHello, but the broker keeps no state, so
    /// they also work across a cluster whose nodes share ticket keys. A broker that cannot
    /// resume falls back to a full handshake either way.
    bool session_tickets = false;
    /// Server: lets clients resume sessions, by RFC 5077 tickets (keys random per Config, so a
    /// restarted server declines old tickets, as Mosquitto does) and by a session-ID cache.
    /// Client: ignored; a client resumes when given a sealed session (Engine::offer_session).
    bool session_resumption = true;
    /// Application-Layer Protocol Negotiation (RFC 7301), most preferred first, each 1 to 255
    /// bytes. A client offers them; a server picks the first of its own that the client offered
    /// and refuses a client that offered only others (no_application_protocol alert). Brokers
    /// that serve more than MQTT on a port need one: AWS IoT Core takes MQTT with a client
    /// certificate on port 443 only under "x-amzn-mqtt-ca". Empty: no ALPN. The strings are
    /// copied by setup().
    std::vector<std::string_view> alpn_protocols;
    /// Fail the handshake with alpn_refused unless one of alpn_protocols was agreed. A client:
    /// when the server ignored the offer (RFC 7301 allows it; a broker that needs ALPN refuses
    /// later, or answers as something else). A server: when the client offered no ALPN at all.
    bool alpn_required = false;
};

/// How long a server's session tickets are valid, as announced in its lifetime hint (the
/// value OpenSSL, and so Mosquitto, use).
inline constexpr std::uint32_t server_ticket_lifetime_s = 7'200;

/// The earliest wall-clock time (2024-01-01T00:00:00Z) taken as "set".
inline constexpr std::int64_t earliest_plausible_time = 1'704'067'200;

class Config {
public:
    Config() noexcept;
    ~Config();
    Config(const Config&) = delete;
    Config& operator=(const Config&) = delete;

    /// Parses the certificates and keys, seeds the random generator and fixes the policy:
    /// TLS 1.2 and/or 1.3 (options.tls_version), ECDHE with AES-GCM or ChaCha20-Poly1305, a
    /// certificate profile (SHA-256+, P-256+, RSA 2048+), renegotiation off, peer
    /// verification required (client). Errors: ca_bundle_invalid, client_certificate_invalid,
    /// client_key_invalid, client_key_mismatch, invalid_argument (no wall clock; server
    /// without certificate), tls_setup_failed (detail: mbedTLS code). Call once.
    Result<void> setup(const ConfigOptions& options) noexcept;

    [[nodiscard]] Role role() const noexcept { return role_; }
    /// Heap that mbedTLS used for this Config (parsed certificates, keys, DRBG).
    [[nodiscard]] HeapUsage heap_usage() const noexcept { return heap_.usage(); }

    struct Impl;  // mbedTLS state; internal, used by Engine
    [[nodiscard]] Impl& impl() const noexcept { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
    Role role_ = Role::client;
    mutable HeapAccount heap_;
};

}  // namespace mqtls::tls
