#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

#include "mqtls/pki/certificate.hpp"
#include "validity_internal.hpp"

namespace mqtls::pki {

namespace {

constexpr std::size_t timestamp_length = 14;  // YYYYMMDDhhmmss
constexpr int max_year = 9999;
constexpr int tm_year_base = 1900;
constexpr int february = 1;  // struct tm counts months from 0

bool is_leap_year(int year) noexcept {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month_from_one) noexcept {
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month_from_one == 2 && is_leap_year(year)) {
        return 29;
    }
    return days[month_from_one - 1];
}

// The fields of a broken-down UTC time as "YYYYMMDDhhmmss"; empty outside years 0000..9999.
std::string format_timestamp(const std::tm& fields) {
    const long long year = static_cast<long long>(fields.tm_year) + tm_year_base;
    if (year < 0 || year > max_year) {
        return {};
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%04lld%02d%02d%02d%02d%02d", year, fields.tm_mon + 1,
                  fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec);
    return text;
}

std::string timestamp_at(std::int64_t seconds_since_epoch) {
    const auto time = static_cast<std::time_t>(seconds_since_epoch);
    std::tm fields{};
    if (gmtime_r(&time, &fields) == nullptr) {
        return {};
    }
    return format_timestamp(fields);
}

// now + offset, as a timestamp; empty when the sum leaves the range of time_t.
std::string timestamp_from_now(std::chrono::seconds offset) {
    const std::int64_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::int64_t when = 0;
    if (__builtin_add_overflow(now, offset.count(), &when)) {
        return {};
    }
    return timestamp_at(when);
}

// Parses `count` decimal digits of `text` from `offset`; -1 when one of them is not a digit.
int digits_at(const std::string& text, std::size_t offset, std::size_t count) noexcept {
    int value = 0;
    for (std::size_t i = offset; i < offset + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point when) {
    return timestamp_at(std::chrono::system_clock::to_time_t(when));
}

Validity Validity::years_after(std::chrono::system_clock::time_point start, int years) {
    const std::time_t start_time = std::chrono::system_clock::to_time_t(start);
    std::tm fields{};
    if (gmtime_r(&start_time, &fields) == nullptr || years < -max_year || years > max_year) {
        return Validity{utc_timestamp(start), {}};
    }
    fields.tm_year += years;
    if (fields.tm_mon == february && fields.tm_mday == 29 &&
        !is_leap_year(fields.tm_year + tm_year_base)) {
        fields.tm_mday = 28;
    }
    return Validity{utc_timestamp(start), format_timestamp(fields)};
}

Validity Validity::years_from_now(int years) {
    const auto now = std::chrono::system_clock::now();
    return Validity{utc_timestamp(now - clock_skew_allowance), years_after(now, years).not_after};
}

Validity Validity::days_from_now(int days) {
    constexpr std::int64_t seconds_per_day = std::int64_t{24} * 60 * 60;
    return Validity{timestamp_from_now(-clock_skew_allowance),
                    timestamp_from_now(std::chrono::seconds(days * seconds_per_day))};
}

Validity Validity::relative_to_now(std::chrono::seconds not_before_offset,
                                   std::chrono::seconds not_after_offset) {
    return Validity{timestamp_from_now(not_before_offset), timestamp_from_now(not_after_offset)};
}

Validity Validity::between(std::chrono::system_clock::time_point not_before,
                           std::chrono::system_clock::time_point not_after) {
    return Validity{utc_timestamp(not_before), utc_timestamp(not_after)};
}

namespace detail {

bool is_valid_timestamp(const std::string& text) noexcept {
    if (text.size() != timestamp_length) {
        return false;
    }
    const int year = digits_at(text, 0, 4);
    const int month = digits_at(text, 4, 2);
    const int day = digits_at(text, 6, 2);
    const int hour = digits_at(text, 8, 2);
    const int minute = digits_at(text, 10, 2);
    const int second = digits_at(text, 12, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0) {
        return false;
    }
    // mbedTLS's parser accepts no leap second (60), so neither do we.
    return day <= days_in_month(year, month) && hour < 24 && minute < 60 && second < 60;
}

Result<void> check_validity(const Validity& validity) {
    if (!is_valid_timestamp(validity.not_before) || !is_valid_timestamp(validity.not_after)) {
        return Error{Errc::invalid_argument};
    }
    // Fixed-width digits compare like the dates they spell.
    if (validity.not_before > validity.not_after) {
        return Error{Errc::invalid_argument};
    }
    return ok();
}

}  // namespace detail

}  // namespace mqtls::pki
