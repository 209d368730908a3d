// verify_server_chain() (what `mqtls verify` runs) against the handshake, on every certificate
// the security tests forge and on the edge cases an attacker's test run found: both must give
// the same verdict, because they are meant to be one code path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mqtls/pki/certificate.hpp"
#include "mqtls/tls/verify.hpp"
#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::server_options;
using testing::test_pki;

pki::Issued must(Result<pki::Issued> issued) {
    EXPECT_TRUE(issued) << (issued ? "" : issued.error().message());
    return issued ? *issued : pki::Issued{};
}

// The handshake's verdict: Errc{} when it succeeded.
Errc handshake_verdict(const ConfigOptions& client, const pki::Issued& identity,
                       const std::string& name) {
    auto p = testing::handshake_pair(client, server_options(identity), name);
    if (p->outcome.client) return Errc{};
    return p->outcome.client.error().code;
}

Errc offline_verdict(const ConfigOptions& client, const std::string& chain_pem,
                     const std::string& name) {
    Config config;
    EXPECT_TRUE(config.setup(client));
    auto verified = verify_server_chain(config, chain_pem, name);
    return verified ? Errc{} : verified.error().code;
}

struct Case {
    std::string what;
    pki::Issued identity;
    std::string name;
    Errc expected;
    ConfigOptions client = client_options(test_pki().root.certificate_pem);
    // mbedTLS as a server will not present a certificate it may not use (no serverAuth), so
    // the in-memory handshake cannot show the client's verdict; Mosquitto does present it
    // (ClientSecurity tests the client against it).
    bool server_presents_it = true;
};

// A chain of `depth` intermediates under the test root, and a server certificate at its end;
// the PEM holds the leaf first, then the intermediates upwards, as a server sends them.
pki::Issued server_below_intermediates(int depth) {
    pki::Issued issuer = test_pki().root;
    std::vector<std::string> intermediates;
    for (int i = 0; i < depth; ++i) {
        issuer = must(pki::issue(pki::ca_request("intermediate " + std::to_string(i)), issuer));
        intermediates.insert(intermediates.begin(), issuer.certificate_pem);
    }
    pki::Issued leaf =
        must(pki::issue(pki::server_request("broker.test", {"broker.test"}), issuer));
    for (const std::string& pem : intermediates) leaf.certificate_pem += pem;
    return leaf;
}

std::vector<Case> cases() {
    const auto& pki_set = test_pki();
    std::vector<Case> all = {
        {"valid, DNS name", pki_set.server, "broker.test", Errc{}},
        {"valid, wildcard", pki_set.server, "a.wild.test", Errc{}},
        {"valid, IPv4", pki_set.server, "127.0.0.1", Errc{}},
        {"valid, IPv6", pki_set.server, "::1", Errc{}},
        {"valid, RSA", pki_set.server_rsa, "broker.test", Errc{}},
        {"valid, via an intermediate",
         {pki_set.server_via_intermediate.certificate_pem + pki_set.intermediate.certificate_pem,
          pki_set.server_via_intermediate.private_key_pem},
         "broker.test",
         Errc{}},
        {"intermediate not sent", pki_set.server_via_intermediate, "broker.test",
         Errc::certificate_untrusted},
        {"another CA", pki_set.server_other_ca, "broker.test", Errc::certificate_untrusted},
        {"expired", pki_set.server_expired, "broker.test", Errc::certificate_expired},
        {"not yet valid", pki_set.server_not_yet_valid, "broker.test",
         Errc::certificate_not_yet_valid},
        {"wrong name", pki_set.server, "evil.test", Errc::hostname_mismatch},
        {"wildcard over two labels", pki_set.server, "a.b.wild.test", Errc::hostname_mismatch},
        {"IP not in SAN", pki_set.server, "127.0.0.2", Errc::hostname_mismatch},
        {"dNSName spelling the IP", pki_set.server_dns_only_literal, "127.0.0.1",
         Errc::hostname_mismatch},
        {"CN beside other SANs", pki_set.server_cn_only_name, "broker.test",
         Errc::hostname_mismatch},
        {"self-signed",
         must(pki::make_self_signed(pki::server_request("broker.test", {"broker.test"}))),
         "broker.test", Errc::certificate_untrusted},
        // The attacker's findings (issue 14): each a refusal for the right reason.
        {"client certificate as a server (extendedKeyUsage clientAuth only)", pki_set.client,
         "device-1", Errc::certificate_wrong_usage, client_options(test_pki().root.certificate_pem),
         false},
        {"CN only, no subjectAltName (RFC 6125 deprecates the CN fallback)",
         must(pki::issue(pki::server_request("broker.test", {}), pki_set.root)), "broker.test",
         Errc::hostname_mismatch},
        {"*.com", must(pki::issue(pki::server_request("a.com", {"*.com"}), pki_set.root)), "a.com",
         Errc::hostname_mismatch},
        {"8 intermediates", server_below_intermediates(8), "broker.test", Errc{}},
        {"9 intermediates", server_below_intermediates(9), "broker.test",
         Errc::certificate_unsupported},
    };
    Case unset_clock{"unset clock", pki_set.server, "broker.test", Errc::clock_unset};
    unset_clock.client.wall_clock = testing::unset_clock();
    all.push_back(unset_clock);
    Case pinned{"pin of another key", pki_set.server, "broker.test", Errc::pin_mismatch};
    auto other_pin = pki::spki_sha256_hex(pki_set.server_rsa.certificate_pem);
    EXPECT_TRUE(other_pin);
    if (other_pin) pinned.client.pinned_spki = {*parse_spki_pin(*other_pin)};
    all.push_back(pinned);
    return all;
}

TEST(TlsChainVerification, AgreesWithTheHandshakeOnEveryForgedCertificate) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.what);
        const Errc offline = offline_verdict(c.client, c.identity.certificate_pem, c.name);
        EXPECT_EQ(offline, c.expected) << name(offline) << ", expected " << name(c.expected);
        if (!c.server_presents_it) continue;
        const Errc handshake = handshake_verdict(c.client, c.identity, c.name);
        EXPECT_EQ(handshake, offline)
            << "handshake " << name(handshake) << ", verify " << name(offline);
    }
}

TEST(TlsChainVerification, NotPemIsAFileProblemNotAVerdict) {
    Config config;
    ASSERT_TRUE(config.setup(client_options(test_pki().root.certificate_pem)));
    auto verified = verify_server_chain(config, "this is not a certificate\n", "broker.test");
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code, Errc::pem_invalid);
    std::string broken = test_pki().server.certificate_pem;
    broken[broken.size() / 2] = '!';  // base64 no more
    verified = verify_server_chain(config, broken, "broker.test");
    ASSERT_FALSE(verified);
    EXPECT_NE(verified.error().code, Errc{});
}

TEST(TlsChainVerification, CountsTheCertificatesOfTheChain) {
    Config config;
    ASSERT_TRUE(config.setup(client_options(test_pki().root.certificate_pem)));
    auto verified =
        verify_server_chain(config, server_below_intermediates(2).certificate_pem, "broker.test");
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->certificates, 3U);
}

}  // namespace
}  // namespace mqtls::tls
