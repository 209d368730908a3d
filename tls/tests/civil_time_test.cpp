#include "civil_time.hpp"

#include <gtest/gtest.h>

namespace mqtls::tls::detail {
namespace {

void expect_civil(std::int64_t seconds, int y, int mo, int d, int h, int mi, int s) {
    const CivilTime t = civil_from_unix(seconds);
    EXPECT_EQ(t.year, y) << seconds;
    EXPECT_EQ(t.month, mo) << seconds;
    EXPECT_EQ(t.day, d) << seconds;
    EXPECT_EQ(t.hour, h) << seconds;
    EXPECT_EQ(t.minute, mi) << seconds;
    EXPECT_EQ(t.second, s) << seconds;
}

TEST(CivilTime, KnownInstants) {
    expect_civil(0, 1970, 1, 1, 0, 0, 0);
    expect_civil(951782400, 2000, 2, 29, 0, 0, 0);      // leap day of a 400-year leap
    expect_civil(1704067200, 2024, 1, 1, 0, 0, 0);      // earliest_plausible_time
    expect_civil(1709251199, 2024, 2, 29, 23, 59, 59);  // end of a leap day
    expect_civil(4102444800, 2100, 1, 1, 0, 0, 0);      // 2100 is not a leap year...
    expect_civil(4107542400, 2100, 3, 1, 0, 0, 0);      // ...so March follows February 28
    expect_civil(-1, 1969, 12, 31, 23, 59, 59);
}

TEST(CivilTime, UnixFromCivilInvertsCivilFromUnix) {
    for (const std::int64_t seconds :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{951782400}, std::int64_t{1704067200},
          std::int64_t{1709251199}, std::int64_t{4102444800}, std::int64_t{4107542400},
          std::int64_t{1795574400} + 12345}) {
        EXPECT_EQ(unix_from_civil(civil_from_unix(seconds)), seconds) << seconds;
    }
    // Every day across a few centuries, leap rules included.
    for (std::int64_t day = -40000; day < 120000; day += 37) {
        const std::int64_t seconds = day * 86400 + 3723;
        ASSERT_EQ(unix_from_civil(civil_from_unix(seconds)), seconds) << seconds;
    }
}

}  // namespace
}  // namespace mqtls::tls::detail
