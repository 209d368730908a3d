// Reading certificates back for `mqtls pki show`.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "mqtls/pki/pki.hpp"
#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;
using testing::example_chain;

TEST(PkiInspection, DescribesAServerCertificate) {
    const auto summaries = describe_certificates(example_chain().server.certificate_pem);
    ASSERT_TRUE(summaries);
    ASSERT_EQ(summaries->size(), 1U);
    const CertificateSummary& server = summaries->front();
    EXPECT_EQ(server.subject, "CN=broker.test");
    EXPECT_EQ(server.issuer, "CN=mqtls test root");
    EXPECT_EQ(server.dns_names, std::vector<std::string>{"broker.test"});
    EXPECT_EQ(server.ip_addresses, std::vector<std::string>{"127.0.0.1"});
    EXPECT_EQ(server.key_description, "ecdsa-p256");
    const auto pin = spki_sha256_hex(example_chain().server.certificate_pem);
    ASSERT_TRUE(pin);
    EXPECT_EQ(server.spki_sha256, *pin);
    // 16 octets as "XX:" pairs, without the last colon.
    EXPECT_EQ(server.serial.size(), 16U * 3 - 1) << server.serial;
    // server_request(): one year from an hour ago.
    const auto now = Clock::now();
    EXPECT_LE(server.not_before, now - clock_skew_allowance + 1s);
    EXPECT_GE(server.not_after, now + 24h * 365 - 1min);
    EXPECT_LE(server.not_after, now + 24h * 366 + 1min);
}

TEST(PkiInspection, DescribesEveryCertificateOfABundleInOrder) {
    const std::string bundle =
        example_chain().server.certificate_pem + example_chain().ca.certificate_pem;
    const auto summaries = describe_certificates(bundle);
    ASSERT_TRUE(summaries);
    ASSERT_EQ(summaries->size(), 2U);
    EXPECT_EQ((*summaries)[0].subject, "CN=broker.test");
    EXPECT_EQ((*summaries)[1].subject, "CN=mqtls test root");
    EXPECT_TRUE((*summaries)[1].dns_names.empty());
    EXPECT_TRUE((*summaries)[1].ip_addresses.empty());
}

TEST(PkiInspection, DescribesRsaKeysAndIpv6Names) {
    CertificateRequest request = server_request("v6", {}, {"::1", "2001:db8::7"});
    request.key_type = KeyType::rsa_2048;
    request.subject.organization = "Acme, Inc.";
    const auto issued = issue(request, example_chain().ca);
    ASSERT_TRUE(issued);
    const auto summaries = describe_certificates(issued->certificate_pem);
    ASSERT_TRUE(summaries);
    EXPECT_EQ(summaries->front().key_description, "rsa-2048");
    EXPECT_EQ(summaries->front().ip_addresses, (std::vector<std::string>{"::1", "2001:db8::7"}));
    // RFC 4514's text form, as mbedTLS writes it: a comma inside a value is escaped.
    EXPECT_EQ(summaries->front().subject, "O=Acme\\, Inc., CN=v6");
}

TEST(PkiInspection, WhatIsNotACertificateIsRefused) {
    for (const std::string& text :
         {std::string(), std::string("hello"), example_chain().ca.private_key_pem}) {
        const auto summaries = describe_certificates(text);
        ASSERT_FALSE(summaries);
        EXPECT_EQ(summaries.error().code, Errc::pem_invalid);
    }
}

}  // namespace
}  // namespace mqtls::pki
