// A second opinion from OpenSSL (the library Mosquitto verifies with): our chains pass its strict
// verification, and a CA made by OpenSSL can issue through us. Skipped when the `openssl`
// command is not installed; the library itself never runs it.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using testing::bytes_of;
using testing::parse_chain;
using testing::TemporaryDirectory;

// Runs a shell command quietly; true when it exits with status 0.
bool succeeds(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>&1").c_str());
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool has_openssl() {
    static const bool available = succeeds("openssl version");
    return available;
}

class PkiOpenSsl : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_openssl()) {
            GTEST_SKIP() << "the openssl command is not installed";
        }
    }

    void store(const char* name, const std::string& pem) const {
        ASSERT_TRUE(write_public_file(directory_.file(name), pem));
    }

    // `openssl verify -x509_strict` of `leaf` against root.crt, with intermediate.crt (if
    // stored) as the untrusted intermediate, plus `options`.
    [[nodiscard]] bool strictly_verifies(const char* leaf, const std::string& options) const {
        const std::string intermediate = directory_.file("intermediate.crt");
        const std::string untrusted =
            std::filesystem::exists(intermediate) ? " -untrusted " + intermediate : "";
        return succeeds("openssl verify -x509_strict -CAfile " + directory_.file("root.crt") +
                        untrusted + " " + options + " " + directory_.file(leaf));
    }

    TemporaryDirectory directory_;
};

TEST_F(PkiOpenSsl, StrictlyVerifiesServerAndClientChains) {
    const auto root = make_self_signed(ca_request("interop root"));
    ASSERT_TRUE(root);
    auto intermediate_request = ca_request("interop intermediate");
    intermediate_request.path_len = 0;
    const auto intermediate = issue(intermediate_request, *root);
    ASSERT_TRUE(intermediate);
    const auto server =
        issue(server_request("broker.test", {"broker.test"}, {"127.0.0.1", "::1"}), *intermediate);
    ASSERT_TRUE(server);
    const auto client = issue(client_request("device-7"), *intermediate);
    ASSERT_TRUE(client);
    store("root.crt", root->certificate_pem);
    store("intermediate.crt", intermediate->certificate_pem);
    store("server.crt", server->certificate_pem);
    store("client.crt", client->certificate_pem);
    ASSERT_TRUE(write_private_key_file(directory_.file("server.key"), server->private_key_pem));

    EXPECT_TRUE(strictly_verifies("server.crt", "-purpose sslserver -verify_hostname broker.test"));
    EXPECT_TRUE(strictly_verifies("server.crt", "-purpose sslserver -verify_ip 127.0.0.1"));
    EXPECT_TRUE(strictly_verifies("server.crt", "-purpose sslserver -verify_ip ::1"));
    EXPECT_TRUE(strictly_verifies("client.crt", "-purpose sslclient"));
    EXPECT_FALSE(strictly_verifies("server.crt", "-purpose sslserver -verify_hostname other.test"));
    EXPECT_FALSE(strictly_verifies("server.crt", "-purpose sslclient"));
    EXPECT_FALSE(strictly_verifies("client.crt", "-purpose sslserver"));
    EXPECT_TRUE(succeeds("openssl pkey -noout -check -in " + directory_.file("server.key")));
}

TEST_F(PkiOpenSsl, IssuesFromAnOpenSslCaUnderItsExactName) {
    // Repeated attributes, a comma, and PrintableString (C) next to UTF8String values: what a
    // text round trip through mbedTLS 2.28's name syntax would get wrong.
    const std::string key = directory_.file("root.key");
    const std::string certificate = directory_.file("root.crt");
    ASSERT_TRUE(succeeds(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout " +
        key + " -out " + certificate +
        " -subj '/DC=test/DC=example/C=DE/O=Foreign, GmbH/CN=Foreign Root'"
        " -addext 'keyUsage=critical,keyCertSign,cRLSign'"));
    const Issued root{read_file(certificate).value_or(""), read_file(key).value_or("")};
    const auto server = issue(server_request("broker.test", {"broker.test"}), root);
    ASSERT_TRUE(server) << server.error().message();
    EXPECT_EQ(bytes_of((*parse_chain(server->certificate_pem))->issuer_raw),
              bytes_of((*parse_chain(root.certificate_pem))->subject_raw));
    store("server.crt", server->certificate_pem);
    EXPECT_TRUE(strictly_verifies("server.crt", "-purpose sslserver -verify_hostname broker.test"));
}

}  // namespace
}  // namespace mqtls::pki
