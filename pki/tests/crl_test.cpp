// CRLs from make_crl() read back and used with mbedTLS's own parser and verifier: the issuer,
// dates, serials, reasons and CRL number are what was asked for, the signature verifies with
// the CA's key, and a revoked certificate fails verification while the others pass.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>

#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;
using testing::bytes_of;
using testing::parse_chain;

using RevocationList =
    detail::MbedtlsHandle<mbedtls_x509_crl, mbedtls_x509_crl_init, mbedtls_x509_crl_free>;

std::unique_ptr<RevocationList> parse_crl(const std::string& pem) {
    auto crl = std::make_unique<RevocationList>();
    const int ret = mbedtls_x509_crl_parse(
        crl->get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1);
    EXPECT_EQ(ret, 0) << "mbedtls_x509_crl_parse: -0x" << std::hex << -ret;
    return crl;
}

// Whole seconds: CRL times carry no fractions.
system_clock::time_point seconds_from_now(std::chrono::seconds offset) {
    return std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now() + offset);
}

std::string timestamp_of(const mbedtls_x509_time& time) {
    char text[32];
    std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d", time.year, time.mon, time.day,
                  time.hour, time.min, time.sec);
    return text;
}

struct Verification {
    int ret = 0;
    std::uint32_t flags = 0;
};

Verification verify_with_crl(const std::string& leaf_pem, const std::string& ca_pem,
                             const std::string& crl_pem) {
    const auto leaf = parse_chain(leaf_pem);
    const auto ca = parse_chain(ca_pem);
    const auto crl = parse_crl(crl_pem);
    Verification result;
    result.ret = mbedtls_x509_crt_verify(leaf->get(), ca->get(), crl->get(), nullptr, &result.flags,
                                         nullptr, nullptr);
    return result;
}

std::string serial_of(const std::string& certificate_pem) {
    auto summaries = describe_certificates(certificate_pem);
    EXPECT_TRUE(summaries);
    return summaries ? summaries->front().serial_number : std::string{};
}

// A CA with three devices, made once: RSA CAs take a while.
struct Fleet {
    Issued ca;
    std::vector<Issued> devices;
};

Fleet make_fleet(KeyType ca_key_type) {
    Fleet fleet;
    auto request = ca_request("mqtls crl test CA");
    request.key_type = ca_key_type;
    auto ca = make_self_signed(request);
    EXPECT_TRUE(ca);
    fleet.ca = *ca;
    for (const char* id : {"device-1", "device-2", "device-3"}) {
        auto device = issue(client_request(id), fleet.ca);
        EXPECT_TRUE(device);
        fleet.devices.push_back(*device);
    }
    return fleet;
}

const Fleet& ecdsa_fleet() {
    static const Fleet fleet = make_fleet(KeyType::ecdsa_p256);
    return fleet;
}

const Fleet& rsa_fleet() {
    static const Fleet fleet = make_fleet(KeyType::rsa_2048);
    return fleet;
}

CrlContents contents_revoking(const std::vector<std::string>& serials,
                              RevocationReason reason = RevocationReason::key_compromise) {
    CrlContents contents;
    contents.this_update = seconds_from_now(-60s);
    contents.next_update = seconds_from_now(24h * 30);
    contents.crl_number = 7;
    for (const auto& serial : serials) {
        contents.revoked.push_back({serial, seconds_from_now(-120s), reason});
    }
    return contents;
}

// The Extensions SEQUENCE inside `crl_ext`, searched for `oid`.
std::vector<unsigned char> crl_extension(const mbedtls_x509_crl& crl, const char* oid,
                                         std::size_t oid_size) {
    mbedtls_x509_crt holder{};
    holder.v3_ext = crl.crl_ext;
    return testing::extension_value(holder, oid, oid_size);
}

// The content of the DER element at the start of `der` with tag `tag`, or empty.
std::vector<unsigned char> content_of(const std::vector<unsigned char>& der, int tag) {
    auto* p = const_cast<unsigned char*>(der.data());
    std::size_t length = 0;
    if (der.empty() || mbedtls_asn1_get_tag(&p, der.data() + der.size(), &length, tag) != 0) {
        return {};
    }
    return {p, p + length};
}

// The second element of TBSCertList (the signature AlgorithmIdentifier), whole.
std::vector<unsigned char> tbs_signature_algorithm(const mbedtls_x509_crl& crl) {
    unsigned char* p = crl.tbs.p;
    const unsigned char* const end = crl.tbs.p + crl.tbs.len;
    std::size_t length = 0;
    EXPECT_EQ(
        mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE),
        0);
    EXPECT_EQ(mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_INTEGER), 0);
    p += length;
    unsigned char* const start = p;
    EXPECT_EQ(
        mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE),
        0);
    return {start, p + length};
}

TEST(PkiCrl, EmptyCrlCarriesIssuerDatesNumberAndKeyIdentifier) {
    const Fleet& fleet = ecdsa_fleet();
    CrlContents contents = contents_revoking({});
    auto pem = make_crl(contents, fleet.ca);
    ASSERT_TRUE(pem) << pem.error().message();
    EXPECT_EQ(pem->rfind("-----BEGIN X509 CRL-----\n", 0), 0U) << *pem;

    const auto crl = parse_crl(*pem);
    const auto ca = parse_chain(fleet.ca.certificate_pem);
    EXPECT_EQ((*crl)->version, 2);
    EXPECT_EQ(bytes_of((*crl)->issuer_raw), bytes_of((*ca)->subject_raw));
    EXPECT_EQ(timestamp_of((*crl)->this_update), utc_timestamp(contents.this_update));
    EXPECT_EQ(timestamp_of((*crl)->next_update), utc_timestamp(contents.next_update));
    EXPECT_EQ((*crl)->entry.serial.p, nullptr) << "an empty CRL must not list anything";

    const auto number =
        crl_extension(**crl, MBEDTLS_OID_CRL_NUMBER, MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER));
    EXPECT_EQ(number, (std::vector<unsigned char>{0x02, 0x01, 0x07}));
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] } = the CA's subjectKeyIdentifier.
    const auto authority = crl_extension(**crl, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
                                         MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER));
    const auto subject_key_id =
        testing::extension_value(**ca, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER));
    const auto key_id = content_of(subject_key_id, MBEDTLS_ASN1_OCTET_STRING);
    ASSERT_FALSE(key_id.empty());
    EXPECT_EQ(content_of(content_of(authority, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE),
                         MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0),
              key_id);

    auto summary = describe_crl(*pem);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->issuer, "CN=mqtls crl test CA");
    EXPECT_EQ(summary->crl_number, 7U);
    EXPECT_EQ(summary->this_update, contents.this_update);
    EXPECT_EQ(summary->next_update, contents.next_update);
    EXPECT_TRUE(summary->revoked_serials.empty());
}

TEST(PkiCrl, ListsSerialsRevocationDatesAndReasons) {
    const Fleet& fleet = ecdsa_fleet();
    CrlContents contents = contents_revoking(
        {serial_of(fleet.devices[0].certificate_pem), serial_of(fleet.devices[2].certificate_pem)});
    contents.revoked[1].reason = RevocationReason::unspecified;
    contents.revoked[1].revocation_date = seconds_from_now(-3600s);
    auto pem = make_crl(contents, fleet.ca);
    ASSERT_TRUE(pem) << pem.error().message();
    const auto crl = parse_crl(*pem);

    const mbedtls_x509_crl_entry* first = &(*crl)->entry;
    ASSERT_NE(first->serial.p, nullptr);
    const auto device_1 = parse_chain(fleet.devices[0].certificate_pem);
    EXPECT_EQ(bytes_of(first->serial), bytes_of((*device_1)->serial));
    EXPECT_EQ(timestamp_of(first->revocation_date),
              utc_timestamp(contents.revoked[0].revocation_date));
    // entry_ext starts at the Extensions SEQUENCE; its one extension is reasonCode
    // (id-ce 21) = ENUMERATED 1 (keyCompromise).
    ASSERT_NE(first->entry_ext.p, nullptr);
    const std::vector<unsigned char> reason_extension{0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55,
                                                      0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01, 0x01};
    EXPECT_EQ(std::vector<unsigned char>(first->entry_ext.p,
                                         first->entry_ext.p + reason_extension.size()),
              reason_extension);

    const mbedtls_x509_crl_entry* second = first->next;
    ASSERT_NE(second, nullptr);
    const auto device_3 = parse_chain(fleet.devices[2].certificate_pem);
    EXPECT_EQ(bytes_of(second->serial), bytes_of((*device_3)->serial));
    EXPECT_EQ(timestamp_of(second->revocation_date),
              utc_timestamp(contents.revoked[1].revocation_date));
    EXPECT_EQ(second->entry_ext.p, nullptr) << "unspecified is left out (RFC 5280 5.3.1)";
    EXPECT_EQ(second->next, nullptr);

    auto summary = describe_crl(*pem);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->revoked_serials,
              (std::vector<std::string>{contents.revoked[0].serial, contents.revoked[1].serial}));
}

void expect_revocation_enforced(const Fleet& fleet) {
    const std::string revoked_serial = serial_of(fleet.devices[1].certificate_pem);
    auto pem = make_crl(contents_revoking({revoked_serial}), fleet.ca);
    ASSERT_TRUE(pem) << pem.error().message();

    const auto revoked =
        verify_with_crl(fleet.devices[1].certificate_pem, fleet.ca.certificate_pem, *pem);
    EXPECT_EQ(revoked.ret, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    EXPECT_EQ(revoked.flags, static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_REVOKED));
    for (const std::size_t other : {0U, 2U}) {
        const auto passed =
            verify_with_crl(fleet.devices[other].certificate_pem, fleet.ca.certificate_pem, *pem);
        EXPECT_EQ(passed.ret, 0) << "device " << other;
        // No BADCRL_NOT_TRUSTED: the CRL's signature verified with the CA's key.
        EXPECT_EQ(passed.flags, 0U) << "device " << other;
    }
}

TEST(PkiCrl, RevokedCertificateFailsVerificationAndTheOthersPassWithAnEcdsaCa) {
    expect_revocation_enforced(ecdsa_fleet());
    auto pem = make_crl(contents_revoking({}), ecdsa_fleet().ca);
    ASSERT_TRUE(pem);
    // ecdsa-with-SHA256 without parameters (RFC 5758 section 3.2).
    EXPECT_EQ(tbs_signature_algorithm(**parse_crl(*pem)),
              (std::vector<unsigned char>{0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                          0x04, 0x03, 0x02}));
}

TEST(PkiCrl, RevokedCertificateFailsVerificationAndTheOthersPassWithAnRsaCa) {
    expect_revocation_enforced(rsa_fleet());
    auto pem = make_crl(contents_revoking({}), rsa_fleet().ca);
    ASSERT_TRUE(pem);
    // sha256WithRSAEncryption with NULL parameters (RFC 4055 section 5).
    EXPECT_EQ(tbs_signature_algorithm(**parse_crl(*pem)),
              (std::vector<unsigned char>{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                          0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00}));
}

TEST(PkiCrl, CrlOfAnotherKeyWithTheSameNameIsNotTrusted) {
    const Fleet& fleet = ecdsa_fleet();
    auto impostor = make_self_signed(ca_request("mqtls crl test CA"));  // same name, other key
    ASSERT_TRUE(impostor);
    auto pem = make_crl(contents_revoking({}), *impostor);
    ASSERT_TRUE(pem);
    const auto result =
        verify_with_crl(fleet.devices[0].certificate_pem, fleet.ca.certificate_pem, *pem);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCRL_NOT_TRUSTED, 0U);

    auto forged = check_crl(*pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(forged);
    EXPECT_FALSE(forged->signed_by_ca);
    auto genuine_pem = make_crl(contents_revoking({}), fleet.ca);
    ASSERT_TRUE(genuine_pem);
    auto genuine = check_crl(*genuine_pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(genuine);
    EXPECT_TRUE(genuine->signed_by_ca);
    EXPECT_EQ(genuine->summary.crl_number, 7U);

    auto other_name = make_self_signed(ca_request("another CA"));
    ASSERT_TRUE(other_name);
    auto elsewhere_pem = make_crl(contents_revoking({}), *other_name);
    ASSERT_TRUE(elsewhere_pem);
    auto elsewhere = check_crl(*elsewhere_pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(elsewhere);
    EXPECT_FALSE(elsewhere->signed_by_ca);
}

TEST(PkiCrl, CrlPastItsNextUpdateIsFlaggedExpired) {
    const Fleet& fleet = ecdsa_fleet();
    CrlContents contents = contents_revoking({});
    contents.this_update = seconds_from_now(-48h);
    contents.next_update = seconds_from_now(-24h);
    auto pem = make_crl(contents, fleet.ca);
    ASSERT_TRUE(pem);
    const auto result =
        verify_with_crl(fleet.devices[0].certificate_pem, fleet.ca.certificate_pem, *pem);
    EXPECT_NE(result.flags & MBEDTLS_X509_BADCRL_EXPIRED, 0U);
    auto check = check_crl(*pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(check);
    EXPECT_TRUE(check->signed_by_ca);
    EXPECT_EQ(check->summary.next_update, contents.next_update);
}

TEST(PkiCrl, DatesFrom2050AreGeneralizedTimeAndLargeNumbersKeepTheirValue) {
    const Fleet& fleet = ecdsa_fleet();
    CrlContents contents = contents_revoking({"01"});
    auto next = time_of("20610102030405");
    ASSERT_TRUE(next);
    contents.next_update = *next;
    contents.crl_number = 0x8000000000000005ULL;  // needs a sign octet
    auto pem = make_crl(contents, fleet.ca);
    ASSERT_TRUE(pem) << pem.error().message();
    const auto crl = parse_crl(*pem);
    EXPECT_EQ(timestamp_of((*crl)->next_update), "20610102030405");
    // The raw TBSCertList holds "20610102030405Z" as a GeneralizedTime (tag 0x18, 15 octets).
    const std::string tbs(reinterpret_cast<const char*>((*crl)->tbs.p), (*crl)->tbs.len);
    EXPECT_NE(tbs.find(std::string("\x18\x0f") + "20610102030405Z"), std::string::npos);
    auto summary = describe_crl(*pem);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->crl_number, 0x8000000000000005ULL);
    EXPECT_EQ(summary->revoked_serials, std::vector<std::string>{"01"});
}

TEST(PkiCrl, RefusesContentsItCannotEncodeFaithfully) {
    const Fleet& fleet = ecdsa_fleet();
    const auto refused = [&](const CrlContents& contents) {
        auto pem = make_crl(contents, fleet.ca);
        return !pem && pem.error().code == Errc::invalid_argument;
    };
    CrlContents backwards = contents_revoking({});
    backwards.next_update = backwards.this_update;
    EXPECT_TRUE(refused(backwards));
    for (const char* serial : {"", "zz", "0001", "ab", "5A:1B", "00", "AB"}) {
        EXPECT_TRUE(refused(contents_revoking({serial}))) << serial;
    }
    CrlContents unknown_reason = contents_revoking({"01"});
    unknown_reason.revoked[0].reason = static_cast<RevocationReason>(6);  // certificateHold
    EXPECT_TRUE(refused(unknown_reason));
    CrlContents ancient = contents_revoking({});
    auto before_utc_time = time_of("19491231235959");
    ASSERT_TRUE(before_utc_time);
    ancient.this_update = *before_utc_time;
    EXPECT_TRUE(refused(ancient));
}

TEST(PkiCrl, KeyThatIsNotTheCertificatesIsRefused) {
    Issued mismatched = ecdsa_fleet().ca;
    mismatched.private_key_pem = ecdsa_fleet().devices[0].private_key_pem;
    auto pem = make_crl(contents_revoking({}), mismatched);
    ASSERT_FALSE(pem);
    EXPECT_EQ(pem.error().code, Errc::invalid_argument);
}

TEST(PkiCrl, WhatIsNotACrlIsRefused) {
    for (const std::string& text :
         {std::string{}, std::string{"not a CRL"}, ecdsa_fleet().ca.certificate_pem}) {
        auto summary = describe_crl(text);
        ASSERT_FALSE(summary);
        EXPECT_EQ(summary.error().code, Errc::pem_invalid);
    }
}

TEST(PkiCrl, IssuedByTellsTheCasOwnCertificatesApart) {
    const Fleet& fleet = ecdsa_fleet();
    auto own = is_issued_by(fleet.devices[0].certificate_pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(own);
    EXPECT_TRUE(*own);
    auto foreign = is_issued_by(rsa_fleet().devices[0].certificate_pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(foreign);
    EXPECT_FALSE(*foreign);
    // An expired certificate of the CA is still its own.
    auto expired_request = client_request("old-device");
    expired_request.validity = Validity::relative_to_now(-48h, -24h);
    auto expired = issue(expired_request, fleet.ca);
    ASSERT_TRUE(expired);
    auto expired_own = is_issued_by(expired->certificate_pem, fleet.ca.certificate_pem);
    ASSERT_TRUE(expired_own);
    EXPECT_TRUE(*expired_own);
}

TEST(PkiCrl, SerialNumberOfASummaryIsTheCanonicalSerial) {
    const auto& certificate = ecdsa_fleet().devices[0].certificate_pem;
    const auto parsed = parse_chain(certificate);
    std::string hex;
    for (const unsigned char octet : bytes_of((*parsed)->serial)) {
        char digits[3];
        std::snprintf(digits, sizeof digits, "%02X", octet);
        hex += digits;
    }
    EXPECT_EQ(serial_of(certificate), hex);
    EXPECT_EQ(hex.size(), 32U);  // mqtls serials are 16 octets
}

}  // namespace
}  // namespace mqtls::pki
