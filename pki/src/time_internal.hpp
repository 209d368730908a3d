#pragma once
// Dates as mbedTLS's certificate parser gives them.

#include <string>

#include <mbedtls/x509.h>

namespace mqtls::pki::detail {

/// `time` as "YYYYMMDDhhmmss" (Validity's form).
std::string timestamp_of(const mbedtls_x509_time& time);

}  // namespace mqtls::pki::detail
