#pragma once
/// @file
/// The one writer of Mosquitto 2.0 configurations in mqtls: `mqtls broker`, the test fixture
/// (testing/mosquitto) and the wake-cycle benchmark (through mqtls_mosquitto_config) all get
/// their mosquitto.conf from mosquitto_config_text(), so the listener the tests and benchmarks
/// meet is the one a deployment gets. Text only: the callers choose the paths and run Mosquitto.
///
/// What the text always says: `per_listener_settings false` (so authentication is global),
/// `set_tcp_nodelay true`, and for each listener `tls_version tlsv1.2` (Mosquitto's minimum:
/// TLS 1.3 stays on) with the AEAD-only suites below; never a plaintext listener. `user root`
/// when running as root (Mosquitto would otherwise switch to the user mosquitto, which cannot
/// read keys root made 0600).

#include <cstdint>
#include <string>
#include <vector>

namespace mqtls::host {

/// The TLS 1.2 suites a listener allows (OpenSSL names): ECDHE key exchange (forward secrecy)
/// with an AEAD cipher, for ECDSA and RSA broker certificates. The same six suites the mqtls
/// client offers (tls/src/config.cpp).
inline constexpr const char* mosquitto_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
/// The TLS 1.3 suites it allows: the three AEAD suites of RFC 8446 that OpenSSL enables
/// (TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 are not).
inline constexpr const char* mosquitto_tls13_ciphers =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/// One TLS listener. Paths should be absolute (Mosquitto resolves relative ones against its
/// working directory, not the configuration's).
struct MosquittoListener {
    std::uint16_t port = 8883;
    std::string address = "127.0.0.1";
    std::string ca_file;
    std::string certificate_file;
    std::string key_file;
    /// The CA's CRL (`crlfile`); empty: none. OpenSSL refuses every client certificate once it
    /// is past its next update, so only give a current one.
    std::string crl_file;
    /// Mutual TLS: clients must present a certificate from ca_file, and its CN becomes their
    /// user name (`require_certificate`, `use_identity_as_username`).
    bool require_certificate = false;
};

/// Everything the configuration says. The defaults are those of `mqtls broker`.
struct MosquittoConfig {
    /// Who made it, for the first comment line ("mqtls broker").
    std::string generated_by = "mqtls";
    /// Only the test fixture (a broker without users) and the benchmark set this.
    bool allow_anonymous = false;
    std::string password_file;  ///< empty: none
    std::string acl_file;       ///< empty: none
    /// Mosquitto's own persistence, stored in this directory; empty: `persistence false`.
    std::string persistence_directory;
    /// `max_queued_messages`; negative: no line (Mosquitto's default, 1000).
    int max_queued_messages = -1;
    bool log_to_stderr = true;
    std::string log_file;  ///< empty: no log file
    /// `log_type all` (debug lines: denied publishes, subscriptions) instead of error, warning,
    /// notice and information.
    bool log_everything = false;
    /// The suites (empty: no such line, and Mosquitto's defaults, which include CBC suites).
    std::string tls12_ciphers = mosquitto_tls12_ciphers;
    std::string tls13_ciphers = mosquitto_tls13_ciphers;
    std::vector<MosquittoListener> listeners;
    /// `use_username_as_clientid true`: each client's client id is its user name, so no client
    /// can take over (and so disconnect, MQTT-3.1.4-2) the session of another. Clients without
    /// a user name are then refused, so a broker with anonymous clients leaves it off.
    bool client_id_is_user_name = true;
    /// Appended verbatim at the end (test fixtures: `max_keepalive 10`); not checked.
    std::string extra_config;
};

/// mosquitto.conf for `config`. Every value is written as given, one per line: the caller
/// refuses values with control characters (a line break would inject configuration).
std::string mosquitto_config_text(const MosquittoConfig& config);

/// The ACL of `mqtls broker --acl-devices`: each user may publish only to telemetry/<its user
/// name>/# and status/<its user name>, and read nothing; `collector` (empty: none) reads
/// telemetry/# and status/#.
std::string device_acl_text(const std::string& collector);

}  // namespace mqtls::host
