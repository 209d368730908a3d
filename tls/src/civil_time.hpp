#pragma once
// Unix seconds to a UTC calendar date, for comparing with X.509 validity dates without relying
// on the C library's time zone state (and so that the wall clock is the one we were given).

#include <cstdint>

namespace mqtls::tls::detail {

struct CivilTime {
    int year, month, day, hour, minute, second;
};

// Days since 1970-01-01 to a proleptic Gregorian date. Works in 400-year eras of 146097 days,
// which repeat exactly, so only one era needs the month/leap-year arithmetic.
constexpr CivilTime civil_from_unix(std::int64_t seconds) noexcept {
    std::int64_t days = seconds / 86400;
    std::int64_t rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days -= 1;
    }
    // Shift the epoch to 0000-03-01 so the leap day is the last day of a "year".
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t day_of_era = days - era * 146097;
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
    const std::int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
    const std::int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
    const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
    return CivilTime{static_cast<int>(year),
                     static_cast<int>(month),
                     static_cast<int>(day),
                     static_cast<int>(rest / 3600),
                     static_cast<int>(rest / 60 % 60),
                     static_cast<int>(rest % 60)};
}

// The inverse: a proleptic Gregorian UTC date and time to Unix seconds (same era arithmetic).
constexpr std::int64_t unix_from_civil(const CivilTime& t) noexcept {
    const std::int64_t year = t.month <= 2 ? t.year - 1 : t.year;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const std::int64_t year_of_era = year - era * 400;
    const std::int64_t month_index = t.month > 2 ? t.month - 3 : t.month + 9;  // 0 = March
    const std::int64_t day_of_year = (153 * month_index + 2) / 5 + t.day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    const std::int64_t days = era * 146097 + day_of_era - 719468;
    return days * 86400 + std::int64_t{t.hour} * 3600 + std::int64_t{t.minute} * 60 + t.second;
}

}  // namespace mqtls::tls::detail
