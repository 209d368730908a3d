#pragma once
// Where the CA certificates that verify the broker come from: --cafile, --capath (a folder, as
// OpenSSL's c_rehash lays out /etc/ssl/certs) and --tls-use-os-certs (the system bundle).

#include <string>

#include "mqtls/core/result.hpp"

namespace mqtls::cli {

/// The system's CA bundle (Debian's ca-certificates).
constexpr const char* os_ca_bundle_path = "/etc/ssl/certs/ca-certificates.crt";

/// Every PEM certificate in the files of `folder` (*.pem, *.crt, *.cer and c_rehash's
/// <hash>.N links), each file once however many links point to it, in name order. Errors:
/// file_read_failed (detail: errno; ENOENT when the folder holds no certificate at all).
Result<std::string> read_ca_folder(const std::string& folder);

}  // namespace mqtls::cli
