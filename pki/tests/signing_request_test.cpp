// Certificates for requested keys: which requests are refused, and what the certificates say.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "csr_test_support.hpp"
#include "mqtls/pki/pki.hpp"
#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::example_chain;
using testing::extension_value;
using testing::parse_chain;
using testing::RequestKey;
using testing::verify;

SigningProfile device_profile() {
    SigningProfile profile;
    profile.usage = Usage::client;
    profile.validity = Validity::days_from_now(365);
    return profile;
}

// The error of check_signing_request(), or success (Errc{}) when the request passes.
Errc check_error(const std::string& request) {
    const auto checked = check_signing_request(request);
    return checked ? Errc{} : checked.error().code;
}

Errc sign_error(const std::string& request, const SigningProfile& profile = device_profile()) {
    const auto signed_certificate = sign_request(request, profile, example_chain().ca);
    return signed_certificate ? Errc{} : signed_certificate.error().code;
}

TEST(PkiSigningRequest, DeviceRequestGetsTheDeviceProfileForItsOwnKey) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string request = key->request_pem("CN=sensor-17");
    const auto summary = check_signing_request(request);
    ASSERT_TRUE(summary) << summary.error().message();
    EXPECT_EQ(summary->common_name, "sensor-17");
    EXPECT_EQ(summary->key_description, "ecdsa-p256");
    EXPECT_FALSE(summary->has_other_subject_attributes);

    const auto certificate_pem = sign_request(request, device_profile(), example_chain().ca);
    ASSERT_TRUE(certificate_pem) << certificate_pem.error().message();
    const auto verification = verify(*certificate_pem, example_chain().ca.certificate_pem);
    EXPECT_EQ(verification.ret, 0);
    EXPECT_EQ(verification.flags, 0U);

    const auto parsed = parse_chain(*certificate_pem);
    const mbedtls_x509_crt& certificate = **parsed;
    // The certificate carries the requested key, not a new one.
    EXPECT_EQ(bytes_of(certificate.pk_raw), key->public_key_der());
    char subject[256];
    ASSERT_GT(mbedtls_x509_dn_gets(subject, sizeof(subject), &certificate.subject), 0);
    EXPECT_STREQ(subject, "CN=sensor-17");
    EXPECT_EQ(certificate.ca_istrue, 0);
    EXPECT_EQ(certificate.key_usage, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&certificate, MBEDTLS_OID_CLIENT_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
              0);
    EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(&certificate, MBEDTLS_OID_SERVER_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
              MBEDTLS_ERR_X509_BAD_INPUT_DATA);
    EXPECT_EQ(certificate.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME, 0);
    EXPECT_FALSE(extension_value(certificate, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER))
                     .empty());
    EXPECT_FALSE(extension_value(certificate, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER))
                     .empty());
}

TEST(PkiSigningRequest, OnlyTheCommonNameOfTheSubjectIsCopied) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string request = key->request_pem("C=DE,O=Acme,CN=sensor-18");
    const auto summary = check_signing_request(request);
    ASSERT_TRUE(summary);
    EXPECT_TRUE(summary->has_other_subject_attributes);
    const auto certificate_pem = sign_request(request, device_profile(), example_chain().ca);
    ASSERT_TRUE(certificate_pem);
    const auto parsed = parse_chain(*certificate_pem);
    char subject[256];
    ASSERT_GT(mbedtls_x509_dn_gets(subject, sizeof(subject), &parsed->get()->subject), 0);
    EXPECT_STREQ(subject, "CN=sensor-18");
}

TEST(PkiSigningRequest, DerRequestsAreAcceptedToo) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string request = key->request_der("CN=sensor-19");
    EXPECT_EQ(check_error(request), Errc{});
    EXPECT_EQ(sign_error(request), Errc{});
}

TEST(PkiSigningRequest, StrongerKeysAreAcceptedAndRsaGetsKeyEncipherment) {
    const auto p384 = RequestKey::ec(MBEDTLS_ECP_DP_SECP384R1);
    const auto p384_summary =
        check_signing_request(p384->request_pem("CN=p384", MBEDTLS_MD_SHA384));
    ASSERT_TRUE(p384_summary);
    EXPECT_EQ(p384_summary->key_description, "ecdsa-p384");
    const auto p521 = RequestKey::ec(MBEDTLS_ECP_DP_SECP521R1);
    EXPECT_EQ(check_error(p521->request_pem("CN=p521", MBEDTLS_MD_SHA512)), Errc{});

    const auto rsa = RequestKey::rsa(2048);
    const auto rsa_certificate =
        sign_request(rsa->request_pem("CN=rsa-device"), device_profile(), example_chain().ca);
    ASSERT_TRUE(rsa_certificate) << rsa_certificate.error().message();
    const auto parsed = parse_chain(*rsa_certificate);
    EXPECT_EQ(parsed->get()->key_usage,
              MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT);
    EXPECT_EQ(verify(*rsa_certificate, example_chain().ca.certificate_pem).ret, 0);
}

TEST(PkiSigningRequest, ServerRequestGetsTheNamesTheCaGives) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    SigningProfile profile;
    profile.usage = Usage::server;
    profile.validity = Validity::days_from_now(30);
    profile.dns_names = {"broker.example"};
    profile.ip_addresses = {"192.0.2.7"};
    // A server CN need not be a device id.
    const auto certificate_pem =
        sign_request(key->request_pem("CN=Broker at the plant"), profile, example_chain().ca);
    ASSERT_TRUE(certificate_pem) << certificate_pem.error().message();
    const auto verification =
        verify(*certificate_pem, example_chain().ca.certificate_pem, "broker.example");
    EXPECT_EQ(verification.ret, 0);
    const auto summaries = describe_certificates(*certificate_pem);
    ASSERT_TRUE(summaries);
    EXPECT_EQ(summaries->front().dns_names, std::vector<std::string>{"broker.example"});
    EXPECT_EQ(summaries->front().ip_addresses, std::vector<std::string>{"192.0.2.7"});
    const auto parsed = parse_chain(*certificate_pem);
    EXPECT_EQ(mbedtls_x509_crt_check_extended_key_usage(parsed->get(), MBEDTLS_OID_SERVER_AUTH,
                                                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
              0);
}

TEST(PkiSigningRequest, ValidityIsTheOneAskedFor) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    SigningProfile profile = device_profile();
    const auto before = std::chrono::system_clock::now();
    profile.validity = Validity::days_from_now(10);
    const auto certificate_pem =
        sign_request(key->request_pem("CN=short-lived"), profile, example_chain().ca);
    ASSERT_TRUE(certificate_pem);
    const auto summaries = describe_certificates(*certificate_pem);
    ASSERT_TRUE(summaries);
    const auto lifetime = summaries->front().not_after - before;
    EXPECT_GE(lifetime, 24h * 10 - 1s);
    EXPECT_LE(lifetime, 24h * 10 + 5s);
}

TEST(PkiSigningRequest, TamperedRequestsAreRefused) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string der = key->request_der("CN=sensor-20");

    // The CN changed after signing (same length, so the DER stays well-formed).
    std::string renamed = der;
    const auto at = renamed.find("sensor-20");
    ASSERT_NE(at, std::string::npos);
    renamed[at + 8] = '1';
    ASSERT_EQ(check_error(renamed), Errc::csr_signature_invalid);
    EXPECT_EQ(sign_error(renamed), Errc::csr_signature_invalid);

    // A bit of the signature flipped (inside the ECDSA r or s value, the last bytes).
    std::string flipped = der;
    flipped[flipped.size() - 3] = static_cast<char>(flipped[flipped.size() - 3] ^ 0x01);
    EXPECT_EQ(check_error(flipped), Errc::csr_signature_invalid);
}

TEST(PkiSigningRequest, RequestSignedByAnotherKeyIsRefused) {
    // Someone else's public key with a signature of the requester's own: no proof that the
    // requester holds the key to be certified.
    const auto victim = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const auto requester = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const auto victim_parts = testing::parts_of(victim->request_der("CN=sensor-21"));
    const auto requester_parts = testing::parts_of(requester->request_der("CN=sensor-21"));
    ASSERT_NE(victim_parts.info, requester_parts.info);
    const std::string spliced = testing::request_of(
        {victim_parts.info, requester_parts.algorithm, requester_parts.signature});
    EXPECT_EQ(check_error(spliced), Errc::csr_signature_invalid);
    // The unspliced parts still make a valid request, so the splice itself is sound.
    EXPECT_EQ(check_error(testing::request_of(requester_parts)), Errc{});
}

TEST(PkiSigningRequest, WeakKeysAreRefused) {
    const auto p192 = RequestKey::ec(MBEDTLS_ECP_DP_SECP192R1);
    EXPECT_EQ(check_error(p192->request_pem("CN=weak-ec")), Errc::csr_key_rejected);
    const auto secp256k1 = RequestKey::ec(MBEDTLS_ECP_DP_SECP256K1);
    EXPECT_EQ(check_error(secp256k1->request_pem("CN=koblitz")), Errc::csr_key_rejected);
    const auto rsa1024 = RequestKey::rsa(1024);
    const std::string weak_rsa = rsa1024->request_pem("CN=weak-rsa");
    EXPECT_EQ(check_error(weak_rsa), Errc::csr_key_rejected);
    EXPECT_EQ(sign_error(weak_rsa), Errc::csr_key_rejected);
}

TEST(PkiSigningRequest, WeakSignatureHashesAreRefused) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    EXPECT_EQ(check_error(key->request_pem("CN=sha1", MBEDTLS_MD_SHA1)),
              Errc::csr_signature_algorithm_refused);
    EXPECT_EQ(check_error(key->request_pem("CN=sha224", MBEDTLS_MD_SHA224)),
              Errc::csr_signature_algorithm_refused);
}

TEST(PkiSigningRequest, DeviceCommonNameMustBeADeviceId) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    for (const char* subject : {"CN=has space", "CN=wild+card", "CN=-starts-with-dash", "CN=..",
                                "CN=topic/level", "CN=multi#level"}) {
        const std::string request = key->request_pem(subject);
        // A fine name for a server, so the request itself passes ...
        EXPECT_EQ(check_error(request), Errc{}) << subject;
        // ... but it cannot be a device's.
        EXPECT_EQ(sign_error(request), Errc::csr_common_name_invalid) << subject;
    }
    EXPECT_EQ(check_error(key->request_pem("O=Acme")), Errc::csr_common_name_invalid);
    // Longer than RFC 5280's 64 characters.
    const std::string long_name = "CN=" + std::string(65, 'a');
    EXPECT_EQ(check_error(key->request_pem(long_name.c_str())), Errc::csr_common_name_invalid);
}

TEST(PkiSigningRequest, WhatIsNotARequestIsRefused) {
    EXPECT_EQ(check_error(""), Errc::csr_invalid);
    EXPECT_EQ(check_error("hello"), Errc::csr_invalid);
    EXPECT_EQ(check_error(example_chain().server.certificate_pem), Errc::csr_invalid);
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string der = key->request_der("CN=sensor-22");
    EXPECT_EQ(check_error(der.substr(0, der.size() - 1)), Errc::csr_invalid);
}

TEST(PkiSigningRequest, ProfilesThatMakeNoSenseAreRefused) {
    const auto key = RequestKey::ec(MBEDTLS_ECP_DP_SECP256R1);
    const std::string request = key->request_pem("CN=sensor-23");
    SigningProfile ca_profile = device_profile();
    ca_profile.usage = Usage::ca;
    EXPECT_EQ(sign_error(request, ca_profile), Errc::invalid_argument);
    SigningProfile client_with_names = device_profile();
    client_with_names.dns_names = {"sensor-23.example"};
    EXPECT_EQ(sign_error(request, client_with_names), Errc::invalid_argument);
    SigningProfile no_dates = device_profile();
    no_dates.validity = {};
    EXPECT_EQ(sign_error(request, no_dates), Errc::invalid_argument);
    // A device certificate as issuer: its key does not match the CA certificate given with it.
    Issued mismatched{example_chain().ca.certificate_pem, example_chain().server.private_key_pem};
    const auto refused = sign_request(request, device_profile(), mismatched);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);
}

TEST(PkiDeviceId, AcceptsWhatIsSafeEverywhereAndSaysWhyNot) {
    for (const char* id : {"sensor-17", "a", "Greenhouse_2.north-A", "collector", "x@site"}) {
        EXPECT_EQ(device_id_problem(id), "") << id;
    }
    EXPECT_EQ(device_id_problem(std::string(64, 'a')), "");
    EXPECT_EQ(device_id_problem(""), "must not be empty");
    EXPECT_EQ(device_id_problem(std::string(65, 'a')), "must be at most 64 characters");
    EXPECT_EQ(device_id_problem(".."), "must not be '.' or '..'");
    EXPECT_EQ(device_id_problem("-rf"), "must not start with '-'");
    EXPECT_EQ(device_id_problem("a b"), "must be printable ASCII without spaces");
    EXPECT_EQ(device_id_problem("caf\xc3\xa9"), "must be printable ASCII without spaces");
    for (const char* id : {"a/b", "a+b", "a#b", "a\\b"}) {
        EXPECT_EQ(device_id_problem(id), "must not contain '/', '+', '#' or '\\'") << id;
    }
}

}  // namespace
}  // namespace mqtls::pki
