// Name constraints (RFC 5280 4.2.1.10), which mbedTLS 3.6 does not apply: a CA made by OpenSSL
// with a nameConstraints extension, and server certificates inside and outside it, checked by
// the handshake and by verify_server_chain() alike.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/host/text_file.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/tls/verify.hpp"
#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::server_options;

// Runs the openssl command with `arguments`; true when it succeeded (its output on failure).
bool openssl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "openssl");
    auto ran = mqtls::testing::run_process(arguments, std::chrono::seconds(20));
    EXPECT_TRUE(ran && ran->succeeded()) << (ran ? ran->output : ran.error().message());
    return ran && ran->succeeded();
}

std::string contents(const std::string& path) { return host::read_text_file(path).value_or(""); }

class TlsNameConstraints : public ::testing::Test {
protected:
    void SetUp() override {
        auto made = mqtls::testing::TempDir::create("mqtls-name-constraints-");
        ASSERT_TRUE(made);
        folder_.emplace(std::move(*made));
        directory_ = folder_->path();
    }

    // A P-256 root CA made by OpenSSL carrying `constraints` (an OpenSSL nameConstraints value).
    pki::Issued constrained_ca(const std::string& constraints, bool critical = false) {
        const std::string key = directory_ + "/ca.key";
        const std::string certificate = directory_ + "/ca.crt";
        EXPECT_TRUE(
            openssl({"req",
                     "-x509",
                     "-newkey",
                     "ec",
                     "-pkeyopt",
                     "ec_paramgen_curve:P-256",
                     "-nodes",
                     "-days",
                     "2",
                     "-keyout",
                     key,
                     "-out",
                     certificate,
                     "-subj",
                     "/CN=constrained CA",
                     "-addext",
                     "basicConstraints=critical,CA:TRUE",
                     "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign",
                     "-addext",
                     "nameConstraints=" + std::string(critical ? "critical," : "") + constraints}));
        return {contents(certificate), contents(key)};
    }

    // verify_server_chain()'s verdict and the handshake's, which must be the same; returns it.
    Errc verdict(const pki::Issued& ca, const pki::Issued& server, const std::string& name) {
        const ConfigOptions client = client_options(ca.certificate_pem);
        Config config;
        EXPECT_TRUE(config.setup(client));
        auto offline = verify_server_chain(config, server.certificate_pem, name);
        const Errc offline_code = offline ? Errc{} : offline.error().code;
        auto p = testing::handshake_pair(client, server_options(server), name);
        const Errc handshake_code = p->outcome.client ? Errc{} : p->outcome.client.error().code;
        EXPECT_EQ(handshake_code, offline_code) << "handshake " << mqtls::name(handshake_code)
                                                << ", verify " << mqtls::name(offline_code);
        if (handshake_code == Errc{}) {
            EXPECT_TRUE(p->outcome.both_done());
        }
        return offline_code;
    }

    static pki::Issued issue(const pki::Issued& ca, const std::string& dns,
                             std::vector<std::string> ips = {}) {
        auto issued = pki::issue(pki::server_request(dns, {dns}, std::move(ips)), ca);
        EXPECT_TRUE(issued) << (issued ? "" : issued.error().message());
        return issued ? *issued : pki::Issued{};
    }

    std::optional<mqtls::testing::TempDir> folder_;
    std::string directory_;
};

TEST_F(TlsNameConstraints, PermittedSubtreesAdmitOnlyTheirNamesAndAddresses) {
    const pki::Issued ca =
        constrained_ca("permitted;DNS:allowed.test,permitted;IP:127.0.0.0/255.0.0.0");
    EXPECT_EQ(verdict(ca, issue(ca, "broker.allowed.test", {"127.0.0.1"}), "broker.allowed.test"),
              Errc{});
    EXPECT_EQ(verdict(ca, issue(ca, "allowed.test"), "allowed.test"), Errc{});
    // notallowed.test ends in "allowed.test" but is not below it.
    EXPECT_EQ(verdict(ca, issue(ca, "notallowed.test"), "notallowed.test"),
              Errc::name_constraint_violation);
    EXPECT_EQ(verdict(ca, issue(ca, "evil.test"), "evil.test"), Errc::name_constraint_violation);
    // Every name of the certificate counts, not only the one dialed.
    EXPECT_EQ(verdict(ca, issue(ca, "broker.allowed.test", {"10.0.0.1"}), "broker.allowed.test"),
              Errc::name_constraint_violation);
}

TEST_F(TlsNameConstraints, ExcludedSubtreesRefuseTheirNames) {
    const pki::Issued ca = constrained_ca("excluded;DNS:evil.test,excluded;IP:10.0.0.0/255.0.0.0");
    EXPECT_EQ(verdict(ca, issue(ca, "broker.test", {"127.0.0.1"}), "broker.test"), Errc{});
    EXPECT_EQ(verdict(ca, issue(ca, "evil.test"), "evil.test"), Errc::name_constraint_violation);
    EXPECT_EQ(verdict(ca, issue(ca, "www.evil.test"), "www.evil.test"),
              Errc::name_constraint_violation);
    EXPECT_EQ(verdict(ca, issue(ca, "broker.test", {"10.1.2.3"}), "10.1.2.3"),
              Errc::name_constraint_violation);
}

TEST_F(TlsNameConstraints, CriticalConstraintsInAnIntermediateAreRefusedAsUnsupported) {
    // mbedTLS will not parse a certificate with a critical extension it does not implement, so
    // a broker chain with a critically constrained intermediate is refused as
    // certificate_unsupported (permanent, exit 5), not as a handshake failure to retry. The
    // in-memory server cannot present such a chain (it must parse its own), so this is the
    // offline verdict; ClientCertificateEdges tests a handshake with OpenSSL's server.
    auto root = pki::make_self_signed(pki::ca_request("plain root"));
    ASSERT_TRUE(root);
    const std::string d = directory_;
    {
        std::ofstream(d + "/root.crt") << root->certificate_pem;
        std::ofstream(d + "/root.key") << root->private_key_pem;
        std::ofstream(d + "/ca.ext") << "basicConstraints=critical,CA:TRUE\n"
                                        "keyUsage=critical,keyCertSign,cRLSign\n"
                                        "nameConstraints=critical,permitted;DNS:allowed.test\n";
        std::ofstream(d + "/leaf.ext") << "subjectAltName=DNS:broker.allowed.test\n"
                                          "keyUsage=critical,digitalSignature\n"
                                          "extendedKeyUsage=serverAuth\n";
    }
    const auto new_key = [&d](const std::string& name, const std::string& subject) {
        return openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", d + "/" + name + ".key", "-out",
                        d + "/" + name + ".csr", "-subj", subject});
    };
    const auto sign = [&d](const std::string& name, const std::string& issuer) {
        return openssl({"x509", "-req", "-in", d + "/" + name + ".csr", "-CA",
                        d + "/" + issuer + ".crt", "-CAkey", d + "/" + issuer + ".key",
                        "-CAcreateserial", "-days", "2", "-extfile", d + "/" + name + ".ext",
                        "-out", d + "/" + name + ".crt"});
    };
    ASSERT_TRUE(new_key("ca", "/CN=ca"));
    ASSERT_TRUE(sign("ca", "root"));
    ASSERT_TRUE(new_key("leaf", "/CN=broker.allowed.test"));
    ASSERT_TRUE(sign("leaf", "ca"));
    Config config;
    ASSERT_TRUE(config.setup(client_options(root->certificate_pem)));
    auto verified = verify_server_chain(config, contents(d + "/leaf.crt") + contents(d + "/ca.crt"),
                                        "broker.allowed.test");
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code, Errc::certificate_unsupported)
        << mqtls::name(verified.error().code) << " " << verified.error().detail;
}

}  // namespace
}  // namespace mqtls::tls
