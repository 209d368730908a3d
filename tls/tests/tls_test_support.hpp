#pragma once
// Shared fixtures of the TLS tests: one generated PKI per test binary, wall clocks, and a pump
// that moves ciphertext between a client and a server Engine in memory.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mqtls/pki/certificate.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/engine.hpp"

namespace mqtls::tls::testing {

/// Certificates generated once per process (key generation is the slow part).
struct TestPki {
    pki::Issued root;                     // "mqtls test root"
    pki::Issued other_root;               // an unrelated CA
    pki::Issued server;                   // DNS broker.test, *.wild.test; IP 127.0.0.1 and ::1
    pki::Issued server_rsa;               // RSA-2048 key, DNS broker.test
    pki::Issued server_dns_only_literal;  // dNSName "127.0.0.1" (not an iPAddress)
    pki::Issued server_cn_only_name;      // CN broker.test, SAN other.test only
    pki::Issued server_other_ca;          // DNS broker.test, signed by other_root
    pki::Issued server_expired;           // DNS broker.test, expired yesterday
    pki::Issued server_not_yet_valid;     // DNS broker.test, valid from tomorrow
    pki::Issued intermediate;             // CA under root
    pki::Issued server_via_intermediate;  // DNS broker.test, signed by intermediate
    pki::Issued client;                   // device-1, signed by root
    pki::Issued client_other_ca;          // device-1, signed by other_root
};
const TestPki& test_pki();

/// Wall clocks for Config: the real time, an unset clock (1970), and fixed offsets.
WallClock real_clock();
WallClock unset_clock();
WallClock clock_at(std::int64_t unix_seconds);  // keeps one value per call site; see .cpp
std::int64_t now_seconds();

/// The version every client Config of the tests speaks: TLS 1.2, or TLS 1.3 when the
/// environment says MQTLS_TEST_TLS_VERSION=1.3 (ctest runs the suite both ways, the second with
/// the prefix Tls13.). Servers accept both.
TlsVersion tested_tls_version();
bool testing_tls13();

ConfigOptions client_options(const std::string& roots_pem);
ConfigOptions server_options(const pki::Issued& identity);

/// Result of driving both handshakes until both finish, one fails, or nothing moves.
struct HandshakeOutcome {
    Result<bool> client = false;
    Result<bool> server = false;
    [[nodiscard]] bool both_done() const { return client && *client && server && *server; }
};

/// Moves ciphertext both ways and advances both handshakes, at most `max_rounds` times.
HandshakeOutcome run_handshake(Engine& client, Engine& server, int max_rounds = 50);

/// A client and a server Engine with their Configs, handshaken in memory.
struct EnginePair {
    Config client_config;
    Config server_config;
    std::unique_ptr<Engine> client;
    std::unique_ptr<Engine> server;
    HandshakeOutcome outcome;
};

/// Sets up both Configs (failing the test if either fails), starts the client for `name` and
/// runs the handshake. Config is not movable, hence the unique_ptr.
std::unique_ptr<EnginePair> handshake_pair(const ConfigOptions& client, const ConfigOptions& server,
                                           std::string_view name);

/// Moves ciphertext from one engine to the other; returns bytes moved.
std::size_t transfer(Engine& from, Engine& to);

}  // namespace mqtls::tls::testing
