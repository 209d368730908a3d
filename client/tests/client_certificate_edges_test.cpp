// The certificate edge cases an attacker's test run found (issue 14), each presented by a foreign
// server (OpenSSL's s_server presents what an mbedTLS server will not), each refused during the
// handshake for its own reason with a permanent error (exit 5), never as "handshake failed" that
// a node would retry for ever.
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "foreign_server.hpp"
#include "mqtls/host/text_file.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/tls/verify.hpp"

namespace mqtls::client {
namespace {

using namespace std::chrono_literals;

// Runs the openssl command with `arguments`; true when it succeeded (its output on failure).
bool openssl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "openssl");
    auto ran = mqtls::testing::run_process(arguments, 20s);
    EXPECT_TRUE(ran && ran->succeeded()) << (ran ? ran->output : ran.error().message());
    return ran && ran->succeeded();
}

std::string contents(const std::string& path) { return host::read_text_file(path).value_or(""); }

// Certificates made with the openssl command in one folder: `name`.crt and `name`.key.
class Forge {
public:
    explicit Forge(std::string folder) : folder_(std::move(folder)) {}

    // A self-signed CA on `curve` (OpenSSL's names: prime256v1, prime192v1).
    void root(const std::string& name, const std::string& curve = "prime256v1") {
        ASSERT_TRUE(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                             "ec_paramgen_curve:" + curve, "-nodes", "-days", "2", "-keyout",
                             path(name, "key"), "-out", path(name, "crt"), "-subj", "/CN=" + name,
                             "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                             "keyUsage=critical,keyCertSign,cRLSign"}));
    }

    // `name` signed by `issuer`, with the extensions `extensions` (an OpenSSL extfile's lines).
    void issue(const std::string& name, const std::string& issuer, const std::string& extensions,
               const std::string& curve = "prime256v1") {
        std::ofstream(path(name, "ext")) << extensions;
        ASSERT_TRUE(openssl({"req", "-new", "-newkey", "ec", "-pkeyopt",
                             "ec_paramgen_curve:" + curve, "-nodes", "-keyout", path(name, "key"),
                             "-out", path(name, "csr"), "-subj", "/CN=" + name}));
        ASSERT_TRUE(openssl({"x509", "-req", "-in", path(name, "csr"), "-CA", path(issuer, "crt"),
                             "-CAkey", path(issuer, "key"), "-CAcreateserial", "-days", "2",
                             "-sha256", "-extfile", path(name, "ext"), "-out", path(name, "crt")}));
    }

    // The server identity: `leaf`'s certificate, then `chain` (upwards), and its key.
    pki::Issued identity(const std::string& leaf, const std::vector<std::string>& chain = {}) {
        pki::Issued issued{contents(path(leaf, "crt")), contents(path(leaf, "key"))};
        for (const std::string& name : chain) issued.certificate_pem += contents(path(name, "crt"));
        return issued;
    }
    std::string pem(const std::string& name) { return contents(path(name, "crt")); }

private:
    [[nodiscard]] std::string path(const std::string& name, const char* extension) const {
        return folder_ + "/" + name + "." + extension;
    }
    std::string folder_;
};

constexpr const char* server_extensions =
    "subjectAltName=DNS:broker.test,IP:127.0.0.1\n"
    "keyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=serverAuth\n";
constexpr const char* ca_extensions =
    "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

class ClientCertificateEdges : public ::testing::Test {
protected:
    void SetUp() override {
        auto made = mqtls::testing::TempDir::create("mqtls-cert-edges-");
        ASSERT_TRUE(made);
        directory_.emplace(std::move(*made));
        forge_.emplace(directory_->path());
        forge_->root("root");
    }

    // A client trusting the forged root, dialing 127.0.0.1:`port`.
    ClientOptions device_options(std::uint16_t port) {
        ClientOptions options;
        options.host = "127.0.0.1";
        options.port = port;
        options.trusted_roots_pem = forge_->pem("root");
        options.client_id = "device-1";
        options.tls_version = testing::tested_tls_version();
        options.connect_timeout = 5000ms;
        return options;
    }

    // The error of that client when s_server presents `identity` (started with the s_server
    // options `server_options`).
    Error refusal(const pki::Issued& identity,
                  const std::vector<std::string>& server_options = {}) {
        auto server = testing::ForeignServer::start(identity, *directory_, server_options);
        if (!server) return Error{};
        Client device;
        const auto connected = device.connect(device_options(server->port()));
        EXPECT_FALSE(connected);
        EXPECT_FALSE(device.connected());
        if (connected) return Error{};
        EXPECT_TRUE(is_permanent(connected.error().code)) << name(connected.error().code);
        return connected.error();
    }

    std::optional<mqtls::testing::TempDir> directory_;
    std::optional<Forge> forge_;
};

TEST_F(ClientCertificateEdges, ValidChainIsAccepted) {
    // The control: the same forge and server, with nothing wrong, is accepted.
    forge_->issue("server", "root", server_extensions);
    auto server = testing::ForeignServer::start(forge_->identity("server"), *directory_, {});
    ASSERT_TRUE(server);
    ClientOptions options = device_options(server->port());
    options.connect_timeout = 3000ms;
    Client device;
    const auto connected = device.connect(options);
    // s_server speaks no MQTT: the TLS handshake succeeds, then no CONNACK comes.
    ASSERT_FALSE(connected);
    EXPECT_NE(error_class(connected.error().code), ErrorClass::tls) << name(connected.error().code);
}

TEST_F(ClientCertificateEdges, ClientAuthOnlyLeafIsTheWrongUsage) {
    forge_->issue("server", "root",
                  "subjectAltName=DNS:broker.test,IP:127.0.0.1\n"
                  "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    EXPECT_EQ(refusal(forge_->identity("server")).code, Errc::certificate_wrong_usage);
}

TEST_F(ClientCertificateEdges, KeyUsageWithoutDigitalSignatureIsTheWrongUsage) {
    forge_->issue("server", "root",
                  "subjectAltName=DNS:broker.test,IP:127.0.0.1\n"
                  "keyUsage=critical,keyAgreement\nextendedKeyUsage=serverAuth\n");
    // OpenSSL will not sign a TLS 1.2 ECDHE key exchange with such a key, and says so with the
    // ServerHello's place taken by an alert; under TLS 1.3 it presents it, and the client
    // refuses. Offline, verify_server_chain() refuses it either way.
    const Errc online = refusal(forge_->identity("server")).code;
    if (testing::testing_tls13()) {
        EXPECT_EQ(online, Errc::certificate_wrong_usage);
    } else {
        EXPECT_EQ(online, Errc::tls_parameters_refused);
    }
    const std::string roots = forge_->pem("root");
    tls::ConfigOptions options;
    options.trusted_roots_pem = roots;
    options.wall_clock =
        tls::WallClock{[](void*) -> std::int64_t { return std::time(nullptr); }, nullptr};
    tls::Config config;
    ASSERT_TRUE(config.setup(options));
    auto offline = tls::verify_server_chain(config, forge_->pem("server"), "127.0.0.1");
    ASSERT_FALSE(offline);
    EXPECT_EQ(offline.error().code, Errc::certificate_wrong_usage);
}

TEST_F(ClientCertificateEdges, UnknownCriticalExtensionIsUnsupported) {
    forge_->issue("server", "root",
                  std::string(server_extensions) + "1.3.6.1.4.1.55555.1=critical,ASN1:NULL\n");
    EXPECT_EQ(refusal(forge_->identity("server")).code, Errc::certificate_unsupported);
}

TEST_F(ClientCertificateEdges, CriticallyNameConstrainedIntermediateIsUnsupported) {
    forge_->issue(
        "intermediate", "root",
        std::string(ca_extensions) + "nameConstraints=critical,permitted;DNS:broker.test\n");
    forge_->issue("server", "intermediate", server_extensions);
    EXPECT_EQ(refusal(forge_->identity("server", {"intermediate"})).code,
              Errc::certificate_unsupported);
}

TEST_F(ClientCertificateEdges, NonCriticalNameConstraintsExcludingTheNameAreEnforced) {
    forge_->issue("intermediate", "root",
                  std::string(ca_extensions) + "nameConstraints=excluded;DNS:broker.test\n");
    forge_->issue("server", "intermediate", server_extensions);
    EXPECT_EQ(refusal(forge_->identity("server", {"intermediate"})).code,
              Errc::name_constraint_violation);
}

TEST_F(ClientCertificateEdges, P192IntermediateIsWeak) {
    forge_->issue("intermediate", "root", ca_extensions, "prime192v1");
    forge_->issue("server", "intermediate", server_extensions);
    // OpenSSL refuses to serve a P-192 CA above security level 0.
    EXPECT_EQ(
        refusal(forge_->identity("server", {"intermediate"}), {"-cipher", "DEFAULT@SECLEVEL=0"})
            .code,
        Errc::certificate_weak);
}

TEST_F(ClientCertificateEdges, ChainOfNineIntermediatesIsUnsupported) {
    std::string issuer = "root";
    std::vector<std::string> chain;
    for (int i = 0; i < 9; ++i) {
        const std::string name = "intermediate" + std::to_string(i);
        forge_->issue(name, issuer, ca_extensions);
        chain.insert(chain.begin(), name);
        issuer = name;
    }
    forge_->issue("server", issuer, server_extensions);
    EXPECT_EQ(refusal(forge_->identity("server", chain)).code, Errc::certificate_unsupported);
}

TEST_F(ClientCertificateEdges, CommonNameOnlyIsNotForTheName) {
    forge_->issue("server", "root",
                  "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
    // The CN is "server"; dialing by IP, no iPAddress SAN matches either.
    EXPECT_EQ(refusal(forge_->identity("server")).code, Errc::hostname_mismatch);
}

}  // namespace
}  // namespace mqtls::client
