#pragma once

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace mqtls::pki::detail {

/// Checks that both ends are real "YYYYMMDDhhmmss" dates (mbedTLS's writer only checks the
/// length, and its parser would then refuse the certificate it wrote) and that not_before is not
/// after not_after.
/// Errors: invalid_argument.
Result<void> check_validity(const Validity& validity);

}  // namespace mqtls::pki::detail
