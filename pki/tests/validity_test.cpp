// Validity periods: the timestamp format and the calendar arithmetic of the helpers.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

Clock::time_point at(std::time_t seconds_since_epoch) {
    return Clock::from_time_t(seconds_since_epoch);
}

// Seconds since the epoch of a few fixed instants (computed with Python's calendar.timegm).
constexpr std::time_t leap_day_2000 = 951782400;        // 2000-02-29 00:00:00 UTC
constexpr std::time_t leap_day_2024_noon = 1709208000;  // 2024-02-29 12:00:00 UTC
constexpr std::time_t march_2021 = 1614834367;          // 2021-03-04 05:06:07 UTC

TEST(PkiValidity, TimestampIsUtcDigits) {
    EXPECT_EQ(utc_timestamp(at(0)), "19700101000000");
    EXPECT_EQ(utc_timestamp(at(leap_day_2000)), "20000229000000");
    EXPECT_EQ(utc_timestamp(at(march_2021)), "20210304050607");
    EXPECT_EQ(utc_timestamp(at(march_2021) + 999ms), "20210304050607");  // truncated, not rounded
}

TEST(PkiValidity, YearsAfterKeepsTheCalendarDate) {
    const Validity validity = Validity::years_after(at(march_2021), 3);
    EXPECT_EQ(validity.not_before, "20210304050607");
    EXPECT_EQ(validity.not_after, "20240304050607");
}

TEST(PkiValidity, LeapDayBecomesTheLastDayOfFebruary) {
    EXPECT_EQ(Validity::years_after(at(leap_day_2024_noon), 1).not_after, "20250228120000");
    EXPECT_EQ(Validity::years_after(at(leap_day_2024_noon), 4).not_after, "20280229120000");
    EXPECT_EQ(Validity::years_after(at(leap_day_2000), 100).not_after, "21000228000000");
}

TEST(PkiValidity, YearsOutsideFourDigitsGiveEmptyDatesThatAreRefused) {
    const Validity validity = Validity::years_after(at(march_2021), 8000);
    EXPECT_TRUE(validity.not_after.empty());
    CertificateRequest request = client_request("far future");
    request.validity = validity;
    const auto result = make_self_signed(request);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
    EXPECT_TRUE(Validity::days_from_now(2'000'000'000).not_after.empty());
    EXPECT_TRUE(Validity::relative_to_now(std::chrono::seconds::max(), 0s).not_before.empty());
}

TEST(PkiValidity, ConvenienceValiditiesStartBeforeNowByTheAllowance) {
    const auto before = Clock::now();
    const Validity years = Validity::years_from_now(2);
    const Validity days = Validity::days_from_now(30);
    const auto after = Clock::now();
    for (const Validity& validity : {years, days}) {
        EXPECT_GE(validity.not_before, utc_timestamp(before - clock_skew_allowance));
        EXPECT_LE(validity.not_before, utc_timestamp(after - clock_skew_allowance));
    }
    EXPECT_GE(years.not_after, Validity::years_after(before, 2).not_after);
    EXPECT_LE(years.not_after, Validity::years_after(after, 2).not_after);
    EXPECT_GE(days.not_after, utc_timestamp(before + 30 * 24h));
    EXPECT_LE(days.not_after, utc_timestamp(after + 30 * 24h));
}

TEST(PkiValidity, RelativeToNowHasNoAllowance) {
    const auto before = Clock::now();
    const Validity validity = Validity::relative_to_now(-48h, -24h);
    const auto after = Clock::now();
    EXPECT_GE(validity.not_before, utc_timestamp(before - 48h));
    EXPECT_LE(validity.not_before, utc_timestamp(after - 48h));
    EXPECT_GE(validity.not_after, utc_timestamp(before - 24h));
    EXPECT_LE(validity.not_after, utc_timestamp(after - 24h));
}

TEST(PkiValidity, BetweenIsExact) {
    const Validity validity = Validity::between(at(leap_day_2000), at(march_2021));
    EXPECT_EQ(validity.not_before, "20000229000000");
    EXPECT_EQ(validity.not_after, "20210304050607");
}

}  // namespace
}  // namespace mqtls::pki
