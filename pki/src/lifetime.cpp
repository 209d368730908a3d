#include "mqtls/pki/lifetime.hpp"

#include <cstdio>
#include <ctime>

#include "certificate_internal.hpp"
#include "mbedtls_handle.hpp"
#include "time_internal.hpp"
#include "validity_internal.hpp"

namespace mqtls::pki {

namespace {

constexpr int tm_year_base = 1900;
constexpr int max_year = 9999;

// The number spelt by `count` digits of `text` from `offset` (checked to be digits).
int digits(const std::string& text, std::size_t offset, std::size_t count) noexcept {
    int value = 0;
    for (std::size_t i = offset; i < offset + count; ++i) {
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

namespace detail {

std::string timestamp_of(const mbedtls_x509_time& time) {
    char text[32];
    std::snprintf(text, sizeof(text), "%04d%02d%02d%02d%02d%02d", time.year, time.mon, time.day,
                  time.hour, time.min, time.sec);
    return text;
}

}  // namespace detail

std::string iso8601_utc(std::chrono::system_clock::time_point when) {
    const std::time_t time = std::chrono::system_clock::to_time_t(when);
    std::tm fields{};
    if (gmtime_r(&time, &fields) == nullptr) {
        return {};
    }
    const long long year = static_cast<long long>(fields.tm_year) + tm_year_base;
    if (year < 0 || year > max_year) {
        return {};
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%04lld-%02d-%02dT%02d:%02d:%02dZ", year, fields.tm_mon + 1,
                  fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec);
    return text;
}

Result<std::chrono::system_clock::time_point> time_of(const std::string& timestamp) {
    if (!detail::is_valid_timestamp(timestamp)) {
        return Error{Errc::invalid_argument};
    }
    std::tm fields{};
    fields.tm_year = digits(timestamp, 0, 4) - tm_year_base;
    fields.tm_mon = digits(timestamp, 4, 2) - 1;
    fields.tm_mday = digits(timestamp, 6, 2);
    fields.tm_hour = digits(timestamp, 8, 2);
    fields.tm_min = digits(timestamp, 10, 2);
    fields.tm_sec = digits(timestamp, 12, 2);
    // timegm (not mktime): the timestamp is UTC, whatever the local time zone.
    return std::chrono::system_clock::from_time_t(timegm(&fields));
}

Result<FittedValidity> fit_to_issuer(const Validity& wanted,
                                     std::string_view issuer_certificate_pem,
                                     std::chrono::system_clock::time_point now) {
    MQTLS_TRY(detail::check_validity(wanted));
    detail::CertificateChain issuer;
    MQTLS_TRY(detail::parse_certificates(issuer_certificate_pem, *issuer));
    const std::string issuer_not_after = detail::timestamp_of(issuer->valid_to);
    MQTLS_TRY_ASSIGN(const auto issuer_end, time_of(issuer_not_after));
    // Fixed-width digits compare like the dates they spell.
    if (issuer_end < now || issuer_not_after < wanted.not_before) {
        return Error{Errc::issuer_expired};
    }
    FittedValidity fitted{wanted, false, issuer_end};
    if (wanted.not_after > issuer_not_after) {
        fitted.validity.not_after = issuer_not_after;
        fitted.clamped_to_issuer = true;
    }
    return fitted;
}

}  // namespace mqtls::pki
