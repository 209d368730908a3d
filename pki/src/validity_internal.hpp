#pragma once

#include <string>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki::detail {

/// Whether `text` is a real "YYYYMMDDhhmmss" date (no leap second, which mbedTLS's parser
/// refuses).
bool is_valid_timestamp(const std::string& text) noexcept;

/// Checks that both ends are real "YYYYMMDDhhmmss" dates (mbedTLS's writer only checks the
/// length, and its parser would then refuse the certificate it wrote) and that not_before is not
/// after not_after.
/// Errors: invalid_argument.
Result<void> check_validity(const Validity& validity);

}  // namespace mqtls::pki::detail
