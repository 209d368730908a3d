// A second opinion from OpenSSL (the library Mosquitto verifies with): our chains pass its strict
// verification, and a CA made by OpenSSL can issue through us. Skipped when the `openssl`
// command is not installed; the library itself never runs it.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
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

// Runs a shell command; its standard output and error.
std::string output_of(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return output;
    std::array<char, 4096> chunk{};
    for (std::size_t got = 0; (got = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0;) {
        output.append(chunk.data(), got);
    }
    ::pclose(pipe);
    return output;
}

bool has_openssl() {
    static const bool available = succeeds("openssl version");
    return available;
}

class PkiOpenSsl : public ::testing::Test {
public:
    void SetUp() override {
        if (!has_openssl()) {
            GTEST_SKIP() << "the openssl command is not installed";
        }
    }

    void store(const char* name, const std::string& pem) const {
        ASSERT_TRUE(write_public_file(directory_.file(name), pem));
    }

    [[nodiscard]] std::string path(const char* name) const { return directory_.file(name); }

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

// A CRL from `root` that revokes `revoked` (keyCompromise), valid for a week.
std::string crl_revoking(const Issued& root, const std::string& revoked_certificate_pem) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    CrlContents contents;
    contents.this_update = now - std::chrono::minutes(1);
    contents.next_update = now + std::chrono::hours(24 * 7);
    contents.crl_number = 12;
    if (!revoked_certificate_pem.empty()) {
        auto summary = describe_certificates(revoked_certificate_pem);
        EXPECT_TRUE(summary);
        contents.revoked.push_back({summary->front().serial_number, now - std::chrono::minutes(2),
                                    RevocationReason::key_compromise});
    }
    auto pem = make_crl(contents, root);
    EXPECT_TRUE(pem) << pem.error().message();
    return pem ? *pem : std::string{};
}

void expect_openssl_enforces_crl(PkiOpenSsl& test, const std::string& root_name, KeyType key_type) {
    auto request = ca_request(root_name);
    request.key_type = key_type;
    const auto root = make_self_signed(request);
    ASSERT_TRUE(root);
    const auto kept = issue(client_request("device-1"), *root);
    const auto lost = issue(client_request("device-2"), *root);
    ASSERT_TRUE(kept && lost);
    test.store("root.crt", root->certificate_pem);
    test.store("kept.crt", kept->certificate_pem);
    test.store("lost.crt", lost->certificate_pem);
    test.store("crl.pem", crl_revoking(*root, lost->certificate_pem));

    const std::string crl = test.path("crl.pem");
    const std::string ca = test.path("root.crt");
    const std::string text =
        output_of("openssl crl -in " + crl + " -CAfile " + ca + " -noout -text");
    EXPECT_NE(text.find("verify OK"), std::string::npos) << text;
    EXPECT_NE(text.find("Version 2 (0x1)"), std::string::npos) << text;
    EXPECT_NE(text.find("Issuer: CN = " + root_name), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 CRL Number: \n                12"), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 Authority Key Identifier"), std::string::npos) << text;
    EXPECT_NE(text.find("Key Compromise"), std::string::npos) << text;
    auto lost_summary = describe_certificates(lost->certificate_pem);
    ASSERT_TRUE(lost_summary);
    EXPECT_NE(text.find("Serial Number: " + lost_summary->front().serial_number), std::string::npos)
        << text;

    const std::string verify =
        "openssl verify -x509_strict -crl_check -CRLfile " + crl + " -CAfile " + ca + " ";
    EXPECT_TRUE(succeeds(verify + test.path("kept.crt")));
    const std::string refused = output_of(verify + test.path("lost.crt"));
    EXPECT_NE(refused.find("certificate revoked"), std::string::npos) << refused;
}

TEST_F(PkiOpenSsl, CrlOfAnEcdsaCaVerifiesAndRevokes) {
    expect_openssl_enforces_crl(*this, "interop ECDSA root", KeyType::ecdsa_p256);
}

TEST_F(PkiOpenSsl, CrlOfAnRsaCaVerifiesAndRevokes) {
    expect_openssl_enforces_crl(*this, "interop RSA root", KeyType::rsa_2048);
}

TEST_F(PkiOpenSsl, CrlOfAnotherKeyFailsOpenSslsSignatureCheck) {
    const auto root = make_self_signed(ca_request("interop root"));
    const auto impostor = make_self_signed(ca_request("interop root"));  // same name
    ASSERT_TRUE(root && impostor);
    store("root.crt", root->certificate_pem);
    store("crl.pem", crl_revoking(*impostor, ""));
    const std::string text = output_of("openssl crl -in " + path("crl.pem") + " -CAfile " +
                                       path("root.crt") + " -noout");
    EXPECT_EQ(text.find("verify OK"), std::string::npos) << text;
    EXPECT_NE(text.find("verify failure"), std::string::npos) << text;
}

TEST_F(PkiOpenSsl, CrlOfAnOpenSslCaCarriesItsExactName) {
    const std::string key = directory_.file("root.key");
    const std::string certificate = directory_.file("root.crt");
    ASSERT_TRUE(succeeds(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout " +
        key + " -out " + certificate +
        " -subj '/DC=test/DC=example/C=DE/O=Foreign, GmbH/CN=Foreign Root'"
        " -addext 'keyUsage=critical,keyCertSign,cRLSign'"));
    const Issued root{read_file(certificate).value_or(""), read_file(key).value_or("")};
    const auto device = issue(client_request("device-9"), root);
    ASSERT_TRUE(device);
    store("device.crt", device->certificate_pem);
    store("crl.pem", crl_revoking(root, device->certificate_pem));
    const std::string text =
        output_of("openssl crl -in " + path("crl.pem") + " -CAfile " + certificate + " -noout");
    EXPECT_NE(text.find("verify OK"), std::string::npos) << text;
    const std::string refused = output_of("openssl verify -crl_check -CRLfile " + path("crl.pem") +
                                          " -CAfile " + certificate + " " + path("device.crt"));
    EXPECT_NE(refused.find("certificate revoked"), std::string::npos) << refused;
}

}  // namespace
}  // namespace mqtls::pki
