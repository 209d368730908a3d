#pragma once
// The certificate revocation list `mqtls broker` gives Mosquitto (crlfile): DIR/crl.pem, made
// by `mqtls pki revoke` / `mqtls pki crl`. Mosquitto hands it to OpenSSL with CRL checking on,
// and OpenSSL then refuses every client certificate when the CRL is past its nextUpdate, not
// yet valid, or not signed by the CA (no CRL for the issuer), so such a CRL is refused here,
// before Mosquitto starts, with a message that says what to do.

#include <chrono>
#include <string>

#include "broker_config.hpp"

namespace mqtls::cli::broker {

/// How long before its nextUpdate `mqtls broker` warns about a CRL.
inline constexpr int crl_warning_days = 30;

/// The absolute path of DIR/crl.pem when client certificates are required (only then does
/// Mosquitto check them) and the file exists; empty otherwise (no crlfile line).
std::string crl_path_for(const BrokerOptions& options);

/// exit_ok when the CRL at `crl_path` is one Mosquitto can use for the CA at
/// `ca_certificate_path` (after a warning on stderr when its nextUpdate is less than
/// crl_warning_days away); otherwise exit_file after saying why it is not.
int check_crl_file(const BrokerOptions& options, const std::string& crl_path,
                   const std::string& ca_certificate_path,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace mqtls::cli::broker
