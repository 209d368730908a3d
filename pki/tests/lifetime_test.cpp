// Validity next to the CA's: --days honoured, cut at the CA's end, refused past it; and the
// dates people read.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mqtls/pki/pki.hpp"
#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;
using testing::verify;

constexpr std::time_t march_2021 = 1614834367;  // 2021-03-04 05:06:07 UTC

// A root CA valid from an hour ago for `lifetime`.
Issued ca_ending_in(std::chrono::seconds lifetime) {
    CertificateRequest request = ca_request("short CA");
    request.validity = Validity::relative_to_now(-1h, lifetime);
    auto ca = make_self_signed(request);
    EXPECT_TRUE(ca) << ca.error().message();
    return ca ? *ca : Issued{};
}

Clock::time_point not_after_of(const std::string& certificate_pem) {
    const auto summaries = describe_certificates(certificate_pem);
    EXPECT_TRUE(summaries && !summaries->empty());
    return summaries && !summaries->empty() ? summaries->front().not_after : Clock::time_point{};
}

TEST(PkiLifetime, DaysAreHonouredToTheSecond) {
    const auto before = Clock::now();
    CertificateRequest request = client_request("ten-days");
    request.validity = Validity::days_from_now(10);
    const auto fitted =
        fit_to_issuer(request.validity, testing::example_chain().ca.certificate_pem);
    ASSERT_TRUE(fitted);
    EXPECT_FALSE(fitted->clamped_to_issuer);
    EXPECT_EQ(fitted->validity.not_after, request.validity.not_after);
    const auto issued = issue(request, testing::example_chain().ca);
    ASSERT_TRUE(issued);
    const auto after = Clock::now();
    const auto summaries = describe_certificates(issued->certificate_pem);
    ASSERT_TRUE(summaries);
    // Whole seconds: the certificate cannot hold the fraction of `before`.
    EXPECT_GE(summaries->front().not_after, before + 24h * 10 - 1s);
    EXPECT_LE(summaries->front().not_after, after + 24h * 10);
    EXPECT_GE(summaries->front().not_before, before - clock_skew_allowance - 1s);
    EXPECT_LE(summaries->front().not_before, after - clock_skew_allowance);
}

TEST(PkiLifetime, CertificateIsCutAtTheCaEnd) {
    const Issued ca = ca_ending_in(24h * 20);
    const Clock::time_point ca_end = not_after_of(ca.certificate_pem);
    const auto fitted = fit_to_issuer(Validity::days_from_now(365), ca.certificate_pem);
    ASSERT_TRUE(fitted);
    EXPECT_TRUE(fitted->clamped_to_issuer);
    EXPECT_EQ(fitted->issuer_not_after, ca_end);
    EXPECT_EQ(fitted->validity.not_after, utc_timestamp(ca_end));

    CertificateRequest request = client_request("cut-short");
    request.validity = fitted->validity;
    const auto issued = issue(request, ca);
    ASSERT_TRUE(issued);
    EXPECT_EQ(not_after_of(issued->certificate_pem), ca_end);
    EXPECT_EQ(verify(issued->certificate_pem, ca.certificate_pem).ret, 0);
}

TEST(PkiLifetime, ExpiredCaIsRefused) {
    CertificateRequest request = ca_request("expired CA");
    request.validity = Validity::relative_to_now(-48h, -24h);
    const auto ca = make_self_signed(request);
    ASSERT_TRUE(ca);
    const auto fitted = fit_to_issuer(Validity::days_from_now(30), ca->certificate_pem);
    ASSERT_FALSE(fitted);
    EXPECT_EQ(fitted.error().code, Errc::issuer_expired);
}

TEST(PkiLifetime, CaEndingBeforeTheCertificateStartsIsRefused) {
    const Issued ca = ca_ending_in(24h * 5);
    const auto now = Clock::now();
    const auto later =
        fit_to_issuer(Validity::between(now + 24h * 10, now + 24h * 20), ca.certificate_pem);
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().code, Errc::issuer_expired);
    // As seen from a week later, the CA has expired even for a certificate starting now.
    const auto from_next_week =
        fit_to_issuer(Validity::days_from_now(1), ca.certificate_pem, now + 24h * 7);
    ASSERT_FALSE(from_next_week);
    EXPECT_EQ(from_next_week.error().code, Errc::issuer_expired);
}

TEST(PkiLifetime, BadInputsAreRefused) {
    const auto no_dates = fit_to_issuer(Validity{}, testing::example_chain().ca.certificate_pem);
    ASSERT_FALSE(no_dates);
    EXPECT_EQ(no_dates.error().code, Errc::invalid_argument);
    const auto no_issuer = fit_to_issuer(Validity::days_from_now(1), "not a certificate");
    ASSERT_FALSE(no_issuer);
    EXPECT_EQ(no_issuer.error().code, Errc::pem_invalid);
}

TEST(PkiLifetime, DatesForPeopleAreIso8601Utc) {
    EXPECT_EQ(iso8601_utc(Clock::from_time_t(march_2021)), "2021-03-04T05:06:07Z");
    EXPECT_EQ(iso8601_utc(Clock::from_time_t(0)), "1970-01-01T00:00:00Z");
    const auto parsed = time_of("20210304050607");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, Clock::from_time_t(march_2021));
    EXPECT_EQ(time_of("20240229000000").has_value(), true);
    for (const char* bad : {"", "20230229000000", "2021030405060", "20210304250000", "x"}) {
        const auto refused = time_of(bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.error().code, Errc::invalid_argument);
    }
}

}  // namespace
}  // namespace mqtls::pki
