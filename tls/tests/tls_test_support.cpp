#include "tls_test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

namespace mqtls::tls::testing {
namespace {

using namespace std::chrono_literals;

pki::Issued must(Result<pki::Issued> issued, const char* what) {
    if (!issued) {
        ADD_FAILURE() << "generating " << what << ": " << issued.error().message();
        std::abort();  // every test depends on the PKI; stop rather than report noise
    }
    return std::move(*issued);
}

TestPki make_test_pki() {
    TestPki p;
    p.root = must(pki::make_self_signed(pki::ca_request("mqtls test root")), "root");
    p.other_root = must(pki::make_self_signed(pki::ca_request("unrelated root")), "other root");
    p.server = must(pki::issue(pki::server_request("broker.test", {"broker.test", "*.wild.test"},
                                                   {"127.0.0.1", "::1"}),
                               p.root),
                    "server");
    auto rsa = pki::server_request("broker.test", {"broker.test"});
    rsa.key_type = pki::KeyType::rsa_2048;
    p.server_rsa = must(pki::issue(rsa, p.root), "rsa server");
    p.server_dns_only_literal =
        must(pki::issue(pki::server_request("127.0.0.1", {"127.0.0.1"}), p.root), "dns literal");
    p.server_cn_only_name =
        must(pki::issue(pki::server_request("broker.test", {"other.test"}), p.root), "cn only");
    p.server_other_ca =
        must(pki::issue(pki::server_request("broker.test", {"broker.test"}), p.other_root),
             "server of other CA");
    auto expired = pki::server_request("broker.test", {"broker.test"});
    expired.validity = pki::Validity::relative_to_now(-48h, -24h);
    p.server_expired = must(pki::issue(expired, p.root), "expired server");
    auto future = pki::server_request("broker.test", {"broker.test"});
    future.validity = pki::Validity::relative_to_now(24h, 48h);
    p.server_not_yet_valid = must(pki::issue(future, p.root), "future server");
    p.intermediate = must(pki::issue(pki::ca_request("mqtls test intermediate"), p.root), "ica");
    p.server_via_intermediate =
        must(pki::issue(pki::server_request("broker.test", {"broker.test"}), p.intermediate),
             "server via intermediate");
    p.client = must(pki::issue(pki::client_request("device-1"), p.root), "client");
    p.client_other_ca =
        must(pki::issue(pki::client_request("device-1"), p.other_root), "client other CA");
    return p;
}

std::int64_t read_real_clock(void*) { return now_seconds(); }
std::int64_t read_fixed_clock(void* context) { return *static_cast<std::int64_t*>(context); }

}  // namespace

const TestPki& test_pki() {
    static const TestPki pki = make_test_pki();
    return pki;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

WallClock real_clock() { return WallClock{&read_real_clock, nullptr}; }

WallClock unset_clock() {
    static std::int64_t epoch_start = 0;  // what an ESP32 reads before SNTP
    return WallClock{&read_fixed_clock, &epoch_start};
}

WallClock clock_at(std::int64_t unix_seconds) {
    // Each call gets its own slot; tests make a handful of these, so a small ring suffices.
    static std::int64_t slots[64];
    static std::size_t next = 0;
    std::int64_t* slot = &slots[next++ % 64];
    *slot = unix_seconds;
    return WallClock{&read_fixed_clock, slot};
}

TlsVersion tested_tls_version() {
    const char* version = std::getenv("MQTLS_TEST_TLS_VERSION");
    return version != nullptr && std::string_view(version) == "1.3" ? TlsVersion::tls1_3
                                                                    : TlsVersion::tls1_2;
}

bool testing_tls13() { return tested_tls_version() == TlsVersion::tls1_3; }

ConfigOptions client_options(const std::string& roots_pem) {
    ConfigOptions options;
    options.role = Role::client;
    options.tls_version = tested_tls_version();
    options.trusted_roots_pem = roots_pem;
    options.wall_clock = real_clock();
    return options;
}

ConfigOptions server_options(const pki::Issued& identity) {
    ConfigOptions options;
    options.role = Role::server;
    options.tls_version = TlsVersion::automatic;  // the client's choice decides
    options.certificate_pem = identity.certificate_pem;
    options.private_key_pem = identity.private_key_pem;
    options.wall_clock = real_clock();
    return options;
}

std::unique_ptr<EnginePair> handshake_pair(const ConfigOptions& client, const ConfigOptions& server,
                                           std::string_view name) {
    auto pair = std::make_unique<EnginePair>();
    const auto client_setup = pair->client_config.setup(client);
    EXPECT_TRUE(client_setup) << (client_setup ? "" : client_setup.error().message());
    const auto server_setup = pair->server_config.setup(server);
    EXPECT_TRUE(server_setup) << (server_setup ? "" : server_setup.error().message());
    pair->client = std::make_unique<Engine>(pair->client_config);
    pair->server = std::make_unique<Engine>(pair->server_config);
    EXPECT_TRUE(pair->client->start(name));
    EXPECT_TRUE(pair->server->start(""));
    pair->outcome = run_handshake(*pair->client, *pair->server);
    return pair;
}

std::size_t transfer(Engine& from, Engine& to) {
    const bytes_view pending = from.pending_ciphertext();
    const std::size_t moved = to.feed_ciphertext(pending);
    from.consume_ciphertext(moved);
    return moved;
}

HandshakeOutcome run_handshake(Engine& client, Engine& server, int max_rounds) {
    HandshakeOutcome outcome;
    for (int round = 0; round < max_rounds; ++round) {
        if (!outcome.client || !*outcome.client) outcome.client = client.handshake();
        std::size_t moved = transfer(client, server);
        if (!outcome.server || !*outcome.server) outcome.server = server.handshake();
        moved += transfer(server, client);
        if (!outcome.client || !outcome.server) {
            // Let the other side read the alert we may have queued, then stop.
            if (outcome.client && !*outcome.client) outcome.client = client.handshake();
            if (outcome.server && !*outcome.server) outcome.server = server.handshake();
            return outcome;
        }
        if (outcome.both_done()) return outcome;
        if (moved == 0 && round > 2) return outcome;
    }
    return outcome;
}

}  // namespace mqtls::tls::testing
