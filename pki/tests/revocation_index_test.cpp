// Serial numbers in their one canonical form, revocation reasons by name, and the PKI folder's
// revocation index read back exactly as written, refusing anything else.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mqtls/pki/lifetime.hpp"
#include "mqtls/pki/revocation.hpp"
#include "mqtls/pki/revocation_index.hpp"

namespace mqtls::pki {
namespace {

std::chrono::system_clock::time_point at(const char* timestamp) {
    auto instant = time_of(timestamp);
    EXPECT_TRUE(instant);
    return instant ? *instant : std::chrono::system_clock::time_point{};
}

TEST(PkiRevocation, CanonicalSerialIsUpperCaseHexWithoutSeparatorsOrPadding) {
    const std::pair<const char*, const char*> cases[] = {
        {"5a1b", "5A1B"},
        {"5A:1B:C0", "5A1BC0"},
        {"00:00:7F", "7F"},
        {"80", "0080"},
        {"0080", "0080"},
        {"000080", "0080"},
        {"01", "01"},
        {"ff:ff", "00FFFF"},
        {"7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
    };
    for (const auto& [given, expected] : cases) {
        auto canonical = canonical_serial(given);
        ASSERT_TRUE(canonical) << given;
        EXPECT_EQ(*canonical, expected) << given;
    }
}

TEST(PkiRevocation, SerialsThatAreNoSerialAreRefused) {
    for (const char* text : {"", "0", "00", "00:00", "abc", "xyz1", "0x5A", "5A:", ":5A", "5A::1B",
                             "5:A1", "5A 1B", "-5A",
                             // 20 octets with the top bit set need a 21st: too long
                             "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                             "010203040506070809101112131415161718192021"}) {
        auto canonical = canonical_serial(text);
        ASSERT_FALSE(canonical) << text;
        EXPECT_EQ(canonical.error().code, Errc::invalid_argument) << text;
    }
}

TEST(PkiRevocation, SerialOctetsTakeOnlyTheCanonicalForm) {
    auto octets = serial_octets("0080FF");
    ASSERT_TRUE(octets);
    EXPECT_EQ(*octets, (std::vector<unsigned char>{0x00, 0x80, 0xff}));
    EXPECT_FALSE(serial_octets("80FF"));
    EXPECT_FALSE(serial_octets("00:80:FF"));
    EXPECT_FALSE(serial_octets("0080ff"));
}

TEST(PkiRevocation, ReasonsHaveTheirRfc5280Names) {
    EXPECT_EQ(all_revocation_reasons().size(), 6U);
    for (const RevocationReason reason : all_revocation_reasons()) {
        const auto back = revocation_reason_from_name(revocation_reason_name(reason));
        ASSERT_TRUE(back) << revocation_reason_name(reason);
        EXPECT_EQ(*back, reason);
    }
    EXPECT_STREQ(revocation_reason_name(RevocationReason::key_compromise), "keyCompromise");
    EXPECT_STREQ(revocation_reason_name(RevocationReason::cessation_of_operation),
                 "cessationOfOperation");
    EXPECT_FALSE(revocation_reason_from_name("certificateHold"));
    EXPECT_FALSE(revocation_reason_from_name("keycompromise"));
    EXPECT_FALSE(revocation_reason_from_name(""));
}

TEST(PkiRevocationIndex, ReadsBackWhatItWrote) {
    RevocationIndex index;
    index.last_crl_number = 42;
    index.records.push_back(
        {{"5A1B", at("20261202163957"), RevocationReason::key_compromise}, "sensor-17"});
    index.records.push_back(
        {{"0080", at("20270101000000"), RevocationReason::unspecified}, "My Broker"});
    const std::string text = revocation_index_text(index);
    EXPECT_NE(text.find("crl-number 42\n"), std::string::npos) << text;
    EXPECT_NE(text.find("revoked 5A1B 2026-12-02T16:39:57Z keyCompromise sensor-17\n"),
              std::string::npos)
        << text;

    auto parsed = parse_revocation_index(text);
    ASSERT_TRUE(parsed) << "line " << parsed.error().detail;
    EXPECT_EQ(parsed->last_crl_number, 42U);
    ASSERT_EQ(parsed->records.size(), 2U);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(parsed->records[i].certificate.serial, index.records[i].certificate.serial);
        EXPECT_EQ(parsed->records[i].certificate.revocation_date,
                  index.records[i].certificate.revocation_date);
        EXPECT_EQ(parsed->records[i].certificate.reason, index.records[i].certificate.reason);
        EXPECT_EQ(parsed->records[i].common_name, index.records[i].common_name);
    }
    ASSERT_NE(parsed->find("0080"), nullptr);
    EXPECT_EQ(parsed->find("0080")->common_name, "My Broker");
    EXPECT_EQ(parsed->find("80"), nullptr);
}

TEST(PkiRevocationIndex, EmptyTextIsAnEmptyIndex) {
    auto parsed = parse_revocation_index("");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->last_crl_number, 0U);
    EXPECT_TRUE(parsed->records.empty());
}

TEST(PkiRevocationIndex, CommonNamesAreKeptPrintable) {
    EXPECT_EQ(record_common_name("a\tb\nc\x1b[31m"), "a?b?c?[31m");
    EXPECT_EQ(record_common_name(""), "-");
    RevocationIndex index;
    index.records.push_back({{"01", at("20261202163957"), RevocationReason::superseded},
                             "evil\nrevoked 02 2026-12-02T16:39:57Z superseded x"});
    auto parsed = parse_revocation_index(revocation_index_text(index));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->records.size(), 1U) << "a name must not add a line";
}

TEST(PkiRevocationIndex, RefusesLinesItDidNotWriteNamingTheLine) {
    const std::string good = "revoked 5A1B 2026-12-02T16:39:57Z keyCompromise sensor-17\n";
    const std::pair<std::string, std::int32_t> cases[] = {
        {"crl-number 3\nsomething else\n", 2},
        {"crl-number three\n", 1},
        {"crl-number 03\n", 1},
        {"crl-number 3\ncrl-number 4\n", 2},
        {"crl-number 99999999999999999999\n", 1},
        {"# comment\n\nrevoked 5a1b 2026-12-02T16:39:57Z keyCompromise x\n", 3},
        {"revoked 5A1B 2026-12-02 keyCompromise x\n", 1},
        {"revoked 5A1B 2026-13-02T16:39:57Z keyCompromise x\n", 1},
        {"revoked 5A1B 2026-12-02T16:39:57Z certificateHold x\n", 1},
        {"revoked 5A1B 2026-12-02T16:39:57Z keyCompromise\n", 1},
        {"revoked 5A1B 2026-12-02T16:39:57Z keyCompromise \n", 1},
        {good + good, 2},
        {" crl-number 3\n", 1},
    };
    for (const auto& [text, line] : cases) {
        auto parsed = parse_revocation_index(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << text;
        EXPECT_EQ(parsed.error().detail, line) << text;
    }
}

}  // namespace
}  // namespace mqtls::pki
