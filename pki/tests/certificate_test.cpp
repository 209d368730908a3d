// Certificates read back and verified with mbedTLS: extensions, names, serials, dates and chains.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509.h>

#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::example_chain;
using testing::extension_value;
using testing::parse_chain;
using testing::verify;

std::string subject_text(const mbedtls_x509_crt& certificate) {
    char text[512];
    const int ret = mbedtls_x509_dn_gets(text, sizeof(text), &certificate.subject);
    EXPECT_GT(ret, 0);
    return text;
}

std::vector<unsigned char> text_bytes(const std::string& text) {
    return {text.begin(), text.end()};
}

TEST(PkiCertificates, ServerCertificateVerifiesAgainstItsCa) {
    const auto& chain = example_chain();
    const auto result =
        verify(chain.server.certificate_pem, chain.ca.certificate_pem, "broker.test");
    EXPECT_EQ(result.ret, 0);
    EXPECT_EQ(result.flags, 0U);
}

TEST(PkiCertificates, ServerCertificateFailsAgainstAnUnrelatedCa) {
    const auto other_ca = make_self_signed(ca_request("mqtls test root"));  // same name, other key
    ASSERT_TRUE(other_ca);
    const auto result = verify(example_chain().server.certificate_pem, other_ca->certificate_pem);
    EXPECT_EQ(result.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0U);
}

TEST(PkiCertificates, RootCaIsTrustedByItself) {
    const auto& ca = example_chain().ca;
    const auto result = verify(ca.certificate_pem, ca.certificate_pem);
    EXPECT_EQ(result.ret, 0);
    EXPECT_EQ(result.flags, 0U);
}

TEST(PkiCertificates, CaHasCriticalBasicConstraintsAndCertSignUsage) {
    const auto ca = parse_chain(example_chain().ca.certificate_pem);
    const mbedtls_x509_crt& crt = **ca;
    EXPECT_NE(crt.ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS, 0);
    EXPECT_EQ(crt.ca_istrue, 1);
    EXPECT_EQ(crt.max_pathlen, 0);  // mbedTLS: 0 = no limit, otherwise RFC 5280 pathlen + 1
    EXPECT_EQ(crt.key_usage, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN);
    EXPECT_EQ(crt.ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE, 0);
    EXPECT_EQ(crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME, 0);

    bool critical = false;
    EXPECT_FALSE(extension_value(crt, MBEDTLS_OID_BASIC_CONSTRAINTS,
                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_BASIC_CONSTRAINTS), &critical)
                     .empty());
    EXPECT_TRUE(critical);
    critical = false;
    EXPECT_FALSE(extension_value(crt, MBEDTLS_OID_KEY_USAGE,
                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_KEY_USAGE), &critical)
                     .empty());
    EXPECT_TRUE(critical);
}

TEST(PkiCertificates, PathLengthIsWritten) {
    auto request = ca_request("constrained");
    request.path_len = 0;
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca);
    EXPECT_EQ((*parse_chain(ca->certificate_pem))->max_pathlen, 1);  // RFC 5280 value + 1
}

TEST(PkiCertificates, EcdsaServerLeafIsNotACaAndIsForServerAuthOnly) {
    const auto server = parse_chain(example_chain().server.certificate_pem);
    const mbedtls_x509_crt& crt = **server;
    EXPECT_NE(crt.ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS, 0);
    EXPECT_EQ(crt.ca_istrue, 0);
    EXPECT_EQ(crt.key_usage, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_SERVER_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
              0);
    EXPECT_NE(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_CLIENT_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
              0);
    EXPECT_EQ(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
}

TEST(PkiCertificates, ClientCertificateIsForClientAuthAndHasNoSubjectAltName) {
    const auto& ca = example_chain().ca;
    const auto client = issue(client_request("device-0042"), ca);
    ASSERT_TRUE(client);
    const auto parsed = parse_chain(client->certificate_pem);
    const mbedtls_x509_crt& crt = **parsed;
    EXPECT_EQ(crt.ca_istrue, 0);
    EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_CLIENT_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
              0);
    EXPECT_NE(mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_SERVER_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
              0);
    EXPECT_EQ(crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME, 0);
    const auto result = verify(client->certificate_pem, ca.certificate_pem);
    EXPECT_EQ(result.ret, 0);
    EXPECT_EQ(result.flags, 0U);
}

TEST(PkiCertificates, IsVersion3SignedWithSha256) {
    const auto& chain = example_chain();
    for (const std::string* pem : {&chain.ca.certificate_pem, &chain.server.certificate_pem}) {
        const auto parsed = parse_chain(*pem);
        EXPECT_EQ((*parsed)->version, 3);
        EXPECT_EQ((*parsed)->sig_md, MBEDTLS_MD_SHA256);
        EXPECT_EQ((*parsed)->sig_pk, MBEDTLS_PK_ECDSA);
    }
}

TEST(PkiCertificates, SerialIsSixteenPositiveOctetsAndDiffers) {
    const auto& ca = example_chain().ca;
    const auto first = issue(client_request("a"), ca);
    const auto second = issue(client_request("a"), ca);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    const auto first_serial = bytes_of((*parse_chain(first->certificate_pem))->serial);
    const auto second_serial = bytes_of((*parse_chain(second->certificate_pem))->serial);
    ASSERT_EQ(first_serial.size(), 16U);
    ASSERT_EQ(second_serial.size(), 16U);
    EXPECT_EQ(first_serial[0] & 0x80, 0);  // positive
    EXPECT_NE(first_serial[0], 0);         // shortest form: no leading zero octet
    EXPECT_NE(first_serial, second_serial);
}

TEST(PkiCertificates, SubjectNameIsOrganizationThenCommonName) {
    auto request = ca_request("mqtls root");
    request.subject.organization = "Example Org";
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca);
    EXPECT_EQ(subject_text(**parse_chain(ca->certificate_pem)), "O=Example Org, CN=mqtls root");
}

TEST(PkiCertificates, IssuerNameIsTheIssuersSubjectByteForByte) {
    const auto ca = parse_chain(example_chain().ca.certificate_pem);
    const auto server = parse_chain(example_chain().server.certificate_pem);
    EXPECT_EQ(bytes_of((*server)->issuer_raw), bytes_of((*ca)->subject_raw));
    EXPECT_EQ(bytes_of((*ca)->issuer_raw), bytes_of((*ca)->subject_raw));  // self-signed
}

TEST(PkiCertificates, CommasInNamesSurviveIssuing) {
    auto request = ca_request("Root, the first");
    request.subject.organization = "Example, Inc.";
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca);
    const auto parsed_ca = parse_chain(ca->certificate_pem);
    // The stored values hold plain commas; mbedTLS's text form escapes them again.
    const mbedtls_x509_name& organization = (*parsed_ca)->subject;
    const mbedtls_x509_name* common_name = organization.next;
    ASSERT_NE(common_name, nullptr);
    EXPECT_EQ(bytes_of(organization.val), text_bytes("Example, Inc."));
    EXPECT_EQ(bytes_of(common_name->val), text_bytes("Root, the first"));
    EXPECT_EQ(subject_text(**parsed_ca), "O=Example\\, Inc., CN=Root\\, the first");

    const auto server = issue(server_request("broker", {"broker.test"}), *ca);
    ASSERT_TRUE(server);
    EXPECT_EQ(bytes_of((*parse_chain(server->certificate_pem))->issuer_raw),
              bytes_of((*parsed_ca)->subject_raw));
    EXPECT_EQ(verify(server->certificate_pem, ca->certificate_pem, "broker.test").flags, 0U);
}

TEST(PkiCertificates, AuthorityKeyIdentifierIsTheIssuersSubjectKeyIdentifier) {
    const auto ca = parse_chain(example_chain().ca.certificate_pem);
    const auto server = parse_chain(example_chain().server.certificate_pem);
    const auto ca_ski = extension_value(**ca, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER));
    const auto server_ski = extension_value(**server, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                            MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER));
    const auto server_aki = extension_value(**server, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
                                            MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER));
    // SKI: OCTET STRING (04 14 <20-byte SHA-1>); AKI: SEQUENCE { [0] keyIdentifier }
    // (30 16 80 14 <the same 20 bytes>).
    ASSERT_EQ(ca_ski.size(), 22U);
    ASSERT_EQ(server_ski.size(), 22U);
    ASSERT_EQ(server_aki.size(), 24U);
    EXPECT_EQ(ca_ski[0], 0x04);
    EXPECT_EQ(server_aki[0], 0x30);
    EXPECT_EQ(server_aki[2], 0x80);
    EXPECT_EQ(std::vector<unsigned char>(server_aki.begin() + 4, server_aki.end()),
              std::vector<unsigned char>(ca_ski.begin() + 2, ca_ski.end()));
    EXPECT_NE(server_ski, ca_ski);
}

TEST(PkiCertificates, SelfSignedLeafIsSelfIssuedAndNotACa) {
    const auto leaf = make_self_signed(server_request("lonely.test", {"lonely.test"}));
    ASSERT_TRUE(leaf);
    const auto parsed = parse_chain(leaf->certificate_pem);
    EXPECT_EQ((*parsed)->ca_istrue, 0);
    EXPECT_EQ(bytes_of((*parsed)->issuer_raw), bytes_of((*parsed)->subject_raw));
    const auto result = verify(leaf->certificate_pem, example_chain().ca.certificate_pem);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0U);
}

TEST(PkiCertificates, IssuerKeyMustBelongToIssuerCertificate) {
    const auto other_ca = make_self_signed(ca_request("other"));
    ASSERT_TRUE(other_ca);
    const Issued mixed_up{example_chain().ca.certificate_pem, other_ca->private_key_pem};
    const auto result = issue(client_request("device"), mixed_up);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
    EXPECT_NE(result.error().detail, 0);
}

TEST(PkiCertificates, UnreadableIssuerGivesPemInvalid) {
    const auto& ca = example_chain().ca;
    const auto bad_certificate = issue(client_request("d"), Issued{"garbage", ca.private_key_pem});
    ASSERT_FALSE(bad_certificate);
    EXPECT_EQ(bad_certificate.error().code, Errc::pem_invalid);
    EXPECT_NE(bad_certificate.error().detail, 0);

    const auto bad_key = issue(client_request("d"), Issued{ca.certificate_pem, "garbage"});
    ASSERT_FALSE(bad_key);
    EXPECT_EQ(bad_key.error().code, Errc::pem_invalid);
    EXPECT_NE(bad_key.error().detail, 0);
}

TEST(PkiCertificates, RsaCaSignsEcdsaLeafWithSha256WithRsa) {
    auto request = ca_request("rsa root");
    request.key_type = KeyType::rsa_2048;
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca) << ca.error().message();
    EXPECT_EQ(key_type_of(ca->private_key_pem).value_or(KeyType::ecdsa_p256), KeyType::rsa_2048);
    const auto parsed_ca = parse_chain(ca->certificate_pem);
    EXPECT_EQ((*parsed_ca)->sig_pk, MBEDTLS_PK_RSA);
    EXPECT_EQ(mbedtls_pk_get_bitlen(&(*parsed_ca)->pk), 2048U);

    const auto server = issue(server_request("broker", {"broker.test"}), *ca);
    ASSERT_TRUE(server);
    const auto parsed_server = parse_chain(server->certificate_pem);
    EXPECT_EQ((*parsed_server)->sig_pk, MBEDTLS_PK_RSA);
    EXPECT_EQ((*parsed_server)->sig_md, MBEDTLS_MD_SHA256);
    EXPECT_EQ(mbedtls_pk_get_type(&(*parsed_server)->pk), MBEDTLS_PK_ECKEY);
    EXPECT_EQ(verify(server->certificate_pem, ca->certificate_pem, "broker.test").flags, 0U);
}

TEST(PkiCertificates, RsaLeafAlsoAllowsKeyEncipherment) {
    auto request = server_request("rsa broker", {"rsa.test"});
    request.key_type = KeyType::rsa_2048;
    const auto server = issue(request, example_chain().ca);
    ASSERT_TRUE(server) << server.error().message();
    const auto parsed = parse_chain(server->certificate_pem);
    EXPECT_EQ(mbedtls_pk_get_type(&(*parsed)->pk), MBEDTLS_PK_RSA);
    EXPECT_EQ((*parsed)->key_usage,
              MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT);
    EXPECT_EQ((*parsed)->sig_pk, MBEDTLS_PK_ECDSA);  // signed by the ECDSA CA
    EXPECT_NE(server->private_key_pem.find("-----BEGIN RSA PRIVATE KEY-----"), std::string::npos);
    EXPECT_EQ(verify(server->certificate_pem, example_chain().ca.certificate_pem, "rsa.test").flags,
              0U);
}

// ---------------------------------------------------------------------------------------------

TEST(PkiExpiry, DatesAreWrittenAsRequested) {
    auto request = client_request("dated");
    request.validity = Validity{"20300102030405", "20600708091011"};  // 2060: GeneralizedTime
    const auto client = issue(request, example_chain().ca);
    ASSERT_TRUE(client);
    const auto parsed = parse_chain(client->certificate_pem);
    const mbedtls_x509_time& from = (*parsed)->valid_from;
    const mbedtls_x509_time& to = (*parsed)->valid_to;
    EXPECT_EQ(std::vector<int>({from.year, from.mon, from.day, from.hour, from.min, from.sec}),
              std::vector<int>({2030, 1, 2, 3, 4, 5}));
    EXPECT_EQ(std::vector<int>({to.year, to.mon, to.day, to.hour, to.min, to.sec}),
              std::vector<int>({2060, 7, 8, 9, 10, 11}));
}

TEST(PkiExpiry, ExpiredLeafIsFlaggedExpired) {
    auto request = server_request("old", {"old.test"});
    request.validity = Validity::relative_to_now(-48h, -24h);
    const auto server = issue(request, example_chain().ca);
    ASSERT_TRUE(server);
    const auto result = verify(server->certificate_pem, example_chain().ca.certificate_pem);
    EXPECT_EQ(result.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_EQ(result.flags, static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED));
}

TEST(PkiExpiry, NotYetValidLeafIsFlaggedFuture) {
    auto request = server_request("early", {"early.test"});
    request.validity = Validity::relative_to_now(24h, 48h);
    const auto server = issue(request, example_chain().ca);
    ASSERT_TRUE(server);
    const auto result = verify(server->certificate_pem, example_chain().ca.certificate_pem);
    EXPECT_EQ(result.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_EQ(result.flags, static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_FUTURE));
}

TEST(PkiExpiry, ExpiredRootIsFlaggedExpired) {
    auto request = ca_request("old root");
    request.validity = Validity::relative_to_now(-48h, -24h);
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca);
    const auto server = issue(server_request("s", {"s.test"}), *ca);
    ASSERT_TRUE(server);
    const auto result = verify(server->certificate_pem, ca->certificate_pem);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCERT_EXPIRED, 0U);
}

// ---------------------------------------------------------------------------------------------

TEST(PkiChain, IntermediateChainVerifiesOnlyWithTheIntermediate) {
    const auto& root = example_chain().ca;
    auto intermediate_request = ca_request("mqtls intermediate");
    intermediate_request.path_len = 0;
    const auto intermediate = issue(intermediate_request, root);
    ASSERT_TRUE(intermediate);
    const auto server = issue(server_request("broker", {"broker.test"}), *intermediate);
    ASSERT_TRUE(server);

    const auto with_intermediate = verify(server->certificate_pem + intermediate->certificate_pem,
                                          root.certificate_pem, "broker.test");
    EXPECT_EQ(with_intermediate.ret, 0);
    EXPECT_EQ(with_intermediate.flags, 0U);

    const auto without_intermediate = verify(server->certificate_pem, root.certificate_pem);
    EXPECT_NE(without_intermediate.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0U);
}

TEST(PkiChain, IssuerBundleSignsWithItsFirstCertificate) {
    const auto& root = example_chain().ca;
    const auto intermediate = issue(ca_request("bundle intermediate"), root);
    ASSERT_TRUE(intermediate);
    const Issued bundle{intermediate->certificate_pem + root.certificate_pem,
                        intermediate->private_key_pem};
    const auto server = issue(server_request("broker", {"broker.test"}), bundle);
    ASSERT_TRUE(server);
    EXPECT_EQ(
        verify(server->certificate_pem + intermediate->certificate_pem, root.certificate_pem).flags,
        0U);
}

TEST(PkiChain, PathLengthZeroRootRejectsAnIntermediate) {
    auto root_request = ca_request("strict root");
    root_request.path_len = 0;
    const auto root = make_self_signed(root_request);
    ASSERT_TRUE(root);
    const auto intermediate = issue(ca_request("forbidden intermediate"), *root);
    ASSERT_TRUE(intermediate);
    const auto server = issue(server_request("broker", {"broker.test"}), *intermediate);
    ASSERT_TRUE(server);
    const auto result =
        verify(server->certificate_pem + intermediate->certificate_pem, root->certificate_pem);
    EXPECT_EQ(result.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_NE(result.flags, 0U);
}

// issue() does not police its issuer (so tests can forge this); the verifier must refuse it.
TEST(PkiChain, CertificateSignedByALeafIsRejected) {
    const auto& chain = example_chain();
    const auto forged = issue(server_request("evil", {"evil.test"}), chain.server);
    ASSERT_TRUE(forged);
    const auto result =
        verify(forged->certificate_pem + chain.server.certificate_pem, chain.ca.certificate_pem);
    EXPECT_EQ(result.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0U);
}

// ---------------------------------------------------------------------------------------------

void expect_refused(const CertificateRequest& request, const char* why) {
    const auto result = make_self_signed(request);
    ASSERT_FALSE(result) << why;
    EXPECT_EQ(result.error().code, Errc::invalid_argument) << why;
}

TEST(PkiRequests, BadSubjectsAreRefused) {
    auto request = client_request("");
    expect_refused(request, "empty common name");
    request.subject.common_name = std::string(65, 'a');
    expect_refused(request, "common name over 64 bytes");
    request.subject.common_name = "back\\slash";
    expect_refused(request, "backslash");
    request.subject.common_name = "new\nline";
    expect_refused(request, "control character");
    request.subject.common_name = "fine";
    request.subject.organization = std::string(65, 'o');
    expect_refused(request, "organization over 64 bytes");

    request.subject.organization = "";
    request.subject.common_name = std::string(64, 'a');
    EXPECT_TRUE(make_self_signed(request)) << "64 bytes is the limit, not over it";
}

TEST(PkiRequests, PathLengthOnlyForCas) {
    auto leaf = client_request("leaf");
    leaf.path_len = 0;
    expect_refused(leaf, "path length on a leaf");
    auto ca = ca_request("ca");
    ca.path_len = -2;
    expect_refused(ca, "negative path length");
    ca.path_len = 128;
    expect_refused(ca, "path length over mbedTLS's 127");
    ca.path_len = 127;
    EXPECT_TRUE(make_self_signed(ca));
}

TEST(PkiRequests, BadValiditiesAreRefused) {
    auto request = client_request("dates");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", ""},
        {"2024010100000", "20250101000000"},   // 13 digits
        {"2024010100000a", "20250101000000"},  // not a digit
        {"20241301000000", "20250101000000"},  // month 13
        {"20230229000000", "20250101000000"},  // 29 February of a common year
        {"20240101240000", "20250101000000"},  // hour 24
        {"20240101000060", "20250101000000"},  // leap second
        {"20250101000000", "20240101000000"},  // ends before it starts
    };
    for (const auto& [not_before, not_after] : bad) {
        request.validity = Validity{not_before, not_after};
        expect_refused(request, not_before.c_str());
    }
    request.validity = Validity{"20240229235959", "20240229235959"};
    EXPECT_TRUE(make_self_signed(request)) << "a leap day, one second long";
}

TEST(PkiRequests, UnknownEnumeratorsAreRefused) {
    auto request = client_request("cast");
    request.usage = static_cast<Usage>(42);
    expect_refused(request, "usage cast from an integer");
    request = client_request("cast");
    request.key_type = static_cast<KeyType>(42);
    expect_refused(request, "key type cast from an integer");
}

TEST(PkiRequests, DefaultConstructedRequestIsRefused) {
    CertificateRequest request;
    request.subject.common_name = "no dates";
    expect_refused(request, "empty validity");
}

TEST(PkiRequests, HelpersFillSensibleDefaults) {
    const auto ca = ca_request("ca");
    EXPECT_EQ(ca.usage, Usage::ca);
    EXPECT_EQ(ca.key_type, KeyType::ecdsa_p256);
    EXPECT_EQ(ca.path_len, -1);
    EXPECT_EQ(ca.validity.not_after.substr(0, 4),
              std::to_string(
                  std::stoi(utc_timestamp(std::chrono::system_clock::now()).substr(0, 4)) + 10));
    const auto server = server_request("s", {"a.test"}, {"::1"});
    EXPECT_EQ(server.usage, Usage::server);
    EXPECT_EQ(server.dns_names, std::vector<std::string>{"a.test"});
    EXPECT_EQ(server.ip_addresses, std::vector<std::string>{"::1"});
    EXPECT_EQ(client_request("c").usage, Usage::client);
}

}  // namespace
}  // namespace mqtls::pki
