#pragma once
/// @file
/// A real Mosquitto broker for integration tests, secured the way production brokers are: one TLS
/// listener on loopback (TLS 1.2 or 1.3, AEAD suites only, as `mqtls broker` writes it; never a
/// plaintext one), a CA and server certificate generated at test
/// time with mqtls::pki (no private key is committed), password and/or client-certificate
/// authentication, an optional ACL.
///
///     mqtls::testing::BrokerOptions options;
///     options.users = {{"device-1", "secret"}};
///     auto broker = mqtls::testing::MosquittoBroker::start(options);
///     ASSERT_TRUE(broker) << mqtls::name(broker.error().code);
///     // connect to 127.0.0.1:(*broker)->tls_port(), trusting (*broker)->ca_pem()
///     // on failure: std::cerr << (*broker)->log();
///
/// What start() does:
///  - makes a fresh directory /tmp/mqtls-mosquitto-XXXXXX (0700) holding ca.crt, server.crt,
///    server.key (0600), passwords, acl, mosquitto.conf, mosquitto.log (the broker's log,
///    `log_type all`) and mosquitto.out (its stdout and stderr); the destructor removes it;
///  - picks a free port by binding 127.0.0.1:0 (and [::1] on the same port with listen_ipv6);
///  - runs `mosquitto -c mosquitto.conf` in the foreground (fork + exec, the PID is kept) with
///    PR_SET_PDEATHSIG = SIGTERM, so the broker goes away if the test process dies; start() and
///    restart() must therefore be called from a thread that outlives the broker (the death signal
///    follows the thread that forked, e.g. the gtest main thread);
///  - waits (polling every 20 ms, at most start_timeout) until the log says "running", the
///    process is alive and the port accepts a TCP connection; when another program took the port
///    in between, it tries again with a new port (3 attempts).
///
/// The configuration comes from the generator `mqtls broker` uses (host/mosquitto_config.hpp),
/// with the same listener settings: `per_listener_settings false`, `allow_anonymous` false
/// unless there are no users and no certificate authentication, `password_file`, `acl_file`,
/// `persistence` (location: the directory), `set_tcp_nodelay true`, `log_dest file`, `log_type
/// all`, ISO 8601 `log_timestamp_format`, `user root` when run as root, then `listener <port>
/// 127.0.0.1` (and `::1`) with `cafile`, `certfile`, `keyfile`, `tls_version tlsv1.2` (the
/// minimum: TLS 1.3 is allowed too), `ciphers` and `ciphers_tls1.3` (tls12_ciphers,
/// tls13_ciphers) and, for mutual TLS, `require_certificate true` and
/// `use_identity_as_username true`; extra_config comes last. Unlike `mqtls broker`, client ids
/// are not bound to user names (tests connect several clients under one user name).
///
/// Failures of start() and restart() print the broker's output and log to stderr and, when a
/// `diagnostics` string is given, store them there too: an Error carries a number only.
///
/// Not thread-safe: use one broker object from one thread.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/process.hpp"

namespace mqtls::testing {

/// The certificates the broker presents: a root CA and a server certificate it signed.
struct BrokerPki {
    pki::Issued ca;
    pki::Issued server;

    /// A new root CA "mqtls test CA" and a server certificate for CN localhost with
    /// subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1 (all ECDSA P-256).
    /// Errors: those of pki::make_self_signed() and pki::issue().
    static Result<BrokerPki> generate();
};

/// How the broker is set up. The defaults give an anonymous TLS-only broker.
struct BrokerOptions {
    /// Mutual TLS: clients must present a certificate signed by the broker's CA
    /// (issue_client_certificate()), and its CN becomes their user name for the ACL.
    bool require_certificate = false;
    /// User name -> password, hashed into the password file with `mosquitto_passwd -b`
    /// (sha512-pbkdf2, its default). Ignored for clients authenticated by certificate. User names
    /// must be non-empty without ':' or control characters; passwords without control characters.
    std::vector<std::pair<std::string, std::string>> users;
    /// The text of the ACL file (Mosquitto syntax), e.g.
    /// "user device-1\ntopic write telemetry/device-1/#\n"; empty: no ACL file (all allowed).
    /// Mosquitto 2.0.11 with an ACL file grants every SUBSCRIBE (the SUBACK carries the requested
    /// QoS, never 0x80) and just does not deliver what the user may not read; a denied PUBLISH is
    /// acknowledged as usual, dropped, and logged as "Denied PUBLISH from <client id>".
    std::string acl;
    /// Mosquitto's own persistence (retained messages and sessions survive restart()), stored in
    /// the broker's directory. Off by default.
    bool persistence = false;
    /// Also listen on [::1], same port.
    bool listen_ipv6 = false;
    /// The listener's TLS 1.2 suites (`ciphers`, OpenSSL names): by default ECDHE with AES-GCM or
    /// ChaCha20-Poly1305, for ECDSA and RSA certificates, the list `mqtls broker` writes; empty:
    /// no `ciphers` line (Mosquitto's default, which includes CBC and static RSA suites).
    std::string tls12_ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-CHACHA20-POLY1305";
    /// The listener's TLS 1.3 suites (`ciphers_tls1.3`); empty: no such line.
    std::string tls13_ciphers =
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
    /// Appended verbatim after the listener block, so listener settings apply to the TLS
    /// listener; global ones (e.g. `max_keepalive 10`) work as well. Mosquitto refuses a setting
    /// given twice: change the suites with tls12_ciphers and tls13_ciphers, not here. Do not add
    /// a plaintext `listener` here.
    std::string extra_config;
    /// The certificates to use; generated with BrokerPki::generate() when empty (e.g. pass an
    /// expired or RSA server certificate here).
    std::optional<BrokerPki> pki;
    /// How long start() and restart() wait for the broker to listen, per attempt.
    std::chrono::milliseconds start_timeout{5000};
};

/// Paths of a client certificate and key written into the broker's directory, for programs such
/// as mosquitto_pub (--cert, --key).
struct ClientCertificateFiles {
    pki::Issued issued;
    std::string certificate_path;
    std::string key_path;  ///< mode 0600
};

/// A running Mosquitto (see the file comment). The destructor stops it (SIGTERM, then SIGKILL
/// after 3 s), reaps it and removes its directory.
class MosquittoBroker {
public:
    /// Starts a broker. Errors:
    ///  - invalid_argument: a user name or password the options do not allow;
    ///  - the errors of BrokerPki::generate() and pki::write_*_file();
    ///  - file_write_failed (detail: errno): the directory or a configuration file;
    ///  - socket_error (detail: errno): choosing a port, fork, or mosquitto_passwd failing (detail:
    ///    its exit status);
    ///  - connection_refused (detail: exit status, or minus the signal): mosquitto exited before it
    ///    was listening (bad configuration, unreadable file, port taken three times);
    ///  - io_timed_out: not listening within options.start_timeout (mosquitto is killed).
    static Result<std::unique_ptr<MosquittoBroker>> start(const BrokerOptions& options = {},
                                                          std::string* diagnostics = nullptr);

    MosquittoBroker(const MosquittoBroker&) = delete;
    MosquittoBroker& operator=(const MosquittoBroker&) = delete;
    ~MosquittoBroker();

    /// The loopback address the listener is bound to: "127.0.0.1".
    [[nodiscard]] static const char* host() noexcept { return "127.0.0.1"; }
    /// The TLS listener's port; the same after restart().
    [[nodiscard]] std::uint16_t tls_port() const noexcept { return port_; }

    /// The root CA that signed the server certificate (PEM), and its file.
    [[nodiscard]] const std::string& ca_pem() const noexcept { return pki_.ca.certificate_pem; }
    [[nodiscard]] std::string ca_file() const { return dir_.file("ca.crt"); }
    /// The server certificate the broker presents (PEM).
    [[nodiscard]] const std::string& server_certificate_pem() const noexcept {
        return pki_.server.certificate_pem;
    }
    /// The certificates in use (including the CA's private key, to issue more).
    [[nodiscard]] const BrokerPki& pki() const noexcept { return pki_; }

    /// A new client certificate for `common_name`, signed by the broker's CA (for mutual TLS).
    /// Errors: those of pki::issue().
    [[nodiscard]] Result<pki::Issued> issue_client_certificate(std::string common_name) const;
    /// issue_client_certificate(), written to client-<n>.crt and client-<n>.key (0600) in the
    /// broker's directory, where n counts the calls.
    /// Errors: those of pki::issue() and pki::write_*_file().
    [[nodiscard]] Result<ClientCertificateFiles> write_client_certificate(std::string common_name);

    /// The broker's directory, configuration file, and the contents of its log and stdout/stderr
    /// (with headers; for printing when a test fails).
    [[nodiscard]] const std::string& dir() const noexcept { return dir_.path(); }
    [[nodiscard]] std::string config_file() const { return dir_.file("mosquitto.conf"); }
    [[nodiscard]] std::string log() const;

    /// The broker's PID while it runs, -1 after stop() or once it died.
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// Whether the process is still alive; reaps it (and forgets the PID) when it has exited.
    [[nodiscard]] bool running();

    /// Stops the broker: SIGTERM, up to 3 s for it to exit, then SIGKILL; always reaps it. Does
    /// nothing when it is not running. Errors: connection_reset when it had died on its own
    /// before (detail: exit status, or minus the signal), reported once.
    Result<void> stop();
    /// stop(), then the same broker again: same port, configuration, certificates and directory
    /// (the log continues). Returns once it listens. Errors: those of start() about the process;
    /// connection_refused when another program holds the port (3 attempts, 100 ms apart).
    Result<void> restart(std::string* diagnostics = nullptr);

private:
    MosquittoBroker(TempDir dir, BrokerPki pki, BrokerOptions options) noexcept;
    Result<void> write_config(std::uint16_t port);
    Result<void> launch(std::string& failure, bool& port_taken);
    Result<void> launch_with_retries(bool new_port, std::string* diagnostics);
    void kill_and_reap() noexcept;

    TempDir dir_;
    BrokerPki pki_;
    BrokerOptions options_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int died_status_ = 0;
    bool died_ = false;
    int client_files_ = 0;
};

}  // namespace mqtls::testing
