#pragma once
// Shared helpers of the pki tests: read certificates back with mbedTLS's parser and verifier, so
// that every property is checked by the library the TLS layer will use.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "mbedtls_handle.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::pki::testing {

using detail::CertificateChain;
using detail::PkContext;

/// The (f_rng, p_rng) pair mbedTLS 3.6's key parsing and pair checks take (for RSA blinding);
/// the tests' keys are throw-away, so a seeded std::mt19937 serves.
inline int test_random(void* /*state*/, unsigned char* output, std::size_t size) {
    static std::mt19937 generator(std::random_device{}());
    for (std::size_t i = 0; i < size; ++i) output[i] = static_cast<unsigned char>(generator());
    return 0;
}

/// Parses one certificate or a bundle; fails the test (and returns an empty chain) when mbedTLS
/// refuses it.
inline std::unique_ptr<CertificateChain> parse_chain(const std::string& pem) {
    auto chain = std::make_unique<CertificateChain>();
    const int ret = mbedtls_x509_crt_parse(
        chain->get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1);
    EXPECT_EQ(ret, 0) << "mbedtls_x509_crt_parse: -0x" << std::hex << -ret;
    return chain;
}

/// The result of mbedtls_x509_crt_verify: its return code and the MBEDTLS_X509_BADCERT_* flags.
struct Verification {
    int ret = 0;
    std::uint32_t flags = 0;
};

/// Verifies `presented_pem` (the leaf, optionally followed by intermediates, as a server would
/// send them) against the trust anchors in `trusted_pem`, checking `host_name` when not null.
inline Verification verify(const std::string& presented_pem, const std::string& trusted_pem,
                           const char* host_name = nullptr) {
    const auto presented = parse_chain(presented_pem);
    const auto trusted = parse_chain(trusted_pem);
    Verification result;
    result.ret = mbedtls_x509_crt_verify(presented->get(), trusted->get(), nullptr, host_name,
                                         &result.flags, nullptr, nullptr);
    return result;
}

/// The bytes of `buffer`.
inline std::vector<unsigned char> bytes_of(const mbedtls_x509_buf& buffer) {
    return {buffer.p, buffer.p + buffer.len};
}

/// The extnValue (the DER inside the OCTET STRING) of the extension `oid` of `certificate`;
/// empty when the certificate has no such extension. `critical` receives its critical flag.
inline std::vector<unsigned char> extension_value(const mbedtls_x509_crt& certificate,
                                                  const char* oid, std::size_t oid_size,
                                                  bool* critical = nullptr) {
    // v3_ext holds the Extensions SEQUENCE (inside the [3] wrapper).
    unsigned char* p = certificate.v3_ext.p;
    const unsigned char* const end = certificate.v3_ext.p + certificate.v3_ext.len;
    std::size_t length = 0;
    if (p == nullptr ||
        mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
            0) {
        return {};
    }
    while (p < end) {
        if (mbedtls_asn1_get_tag(&p, end, &length,
                                 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) {
            return {};
        }
        const unsigned char* const extension_end = p + length;
        mbedtls_x509_buf extension_oid{};
        if (mbedtls_asn1_get_tag(&p, extension_end, &extension_oid.len, MBEDTLS_ASN1_OID) != 0) {
            return {};
        }
        extension_oid.p = p;
        p += extension_oid.len;
        // critical is BOOLEAN DEFAULT FALSE: absent unless true.
        int is_critical = 0;
        if (mbedtls_asn1_get_bool(&p, extension_end, &is_critical) != 0) {
            is_critical = 0;
        }
        std::size_t value_length = 0;
        if (mbedtls_asn1_get_tag(&p, extension_end, &value_length, MBEDTLS_ASN1_OCTET_STRING) !=
            0) {
            return {};
        }
        if (extension_oid.len == oid_size && std::memcmp(extension_oid.p, oid, oid_size) == 0) {
            if (critical != nullptr) {
                *critical = is_critical != 0;
            }
            return {p, p + value_length};
        }
        p += value_length;
    }
    return {};
}

/// A fresh directory under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
public:
    TemporaryDirectory() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "mqtls-pki-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp failed";
        }
        path_ = pattern;
    }
    ~TemporaryDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    TemporaryDirectory(TemporaryDirectory&&) = delete;
    TemporaryDirectory& operator=(TemporaryDirectory&&) = delete;

    /// The path of `name` inside the directory.
    [[nodiscard]] std::string file(const std::string& name) const {
        return (path_ / name).string();
    }

private:
    std::filesystem::path path_;
};

/// A CA and a server certificate it issued for "broker.test" and 127.0.0.1, made once per test
/// program: most tests only need some valid chain.
struct ExampleChain {
    Issued ca;
    Issued server;
};

inline const ExampleChain& example_chain() {
    static const ExampleChain chain = [] {
        ExampleChain made;
        auto ca = make_self_signed(ca_request("mqtls test root"));
        EXPECT_TRUE(ca) << ca.error().message();
        made.ca = *ca;
        auto server = issue(server_request("broker.test", {"broker.test"}, {"127.0.0.1"}), made.ca);
        EXPECT_TRUE(server) << server.error().message();
        made.server = *server;
        return made;
    }();
    return chain;
}

}  // namespace mqtls::pki::testing
