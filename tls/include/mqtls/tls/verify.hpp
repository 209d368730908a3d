#pragma once
/// @file
/// Offline verification of a broker's certificate chain, by the code a handshake runs: the
/// Config's trusted roots, certificate profile, wall clock and pins, the same verify callback
/// (dates, RFC 6125 names, IP literals, pins) and the same server-usage checks mbedTLS applies
/// in the handshake (keyUsage digitalSignature, extendedKeyUsage serverAuth). `mqtls verify`
/// is built on it, so a broker's certificate can be checked before devices are deployed, and
/// the verifier can be run against validation suites.

#include <cstddef>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/tls/config.hpp"

namespace mqtls::tls {

struct VerifiedChain {
    std::size_t certificates = 0;  ///< how many the chain file held (leaf first)
};

/// Verifies `chain_pem` (the broker's certificate, then any intermediates, as it would send
/// them) for `name` (the DNS name or IP literal a device would dial), with a client `config`.
/// Errors are the handshake's: certificate_untrusted, certificate_weak, certificate_wrong_usage,
/// certificate_expired, certificate_not_yet_valid, hostname_mismatch, pin_mismatch, clock_unset
/// (detail: the X.509 verify flags), certificate_unsupported (a certificate mbedTLS cannot
/// parse, e.g. an unknown critical extension, or a chain over 8 intermediates); pem_invalid when
/// the text holds no certificate or broken PEM; invalid_argument (server Config, empty name).
Result<VerifiedChain> verify_server_chain(const Config& config, std::string_view chain_pem,
                                          std::string_view name) noexcept;

}  // namespace mqtls::tls
