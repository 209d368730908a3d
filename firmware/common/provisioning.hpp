#pragma once
// What a device is told before it runs: broker, identity, trust, and the wake's settings. On a
// product this is compiled in or written to a provisioning partition at the factory; under QEMU
// the host passes it on the semihosting command line (docs/firmware.md lists every key), with
// the certificates and keys as host files read through semihosting.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/time.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::firmware {

struct Provisioning {
    std::string_view host;  ///< the broker's name as dialed and verified
    std::uint16_t port = 8883;
    /// When set, the name verified (and sent as SNI) instead of `host`: a broker reached by IP
    /// address or through a tunnel.
    std::string_view verify_name;
    /// ALPN protocols to offer, most preferred first (`alpn=x-amzn-mqtt-ca` for AWS IoT Core on
    /// port 443); the first alpn_count are set.
    std::array<std::string_view, 4> alpn{};
    std::size_t alpn_count = 0;
    std::string_view device_id;
    std::string_view username;
    std::string_view password;
    std::string_view ca_pem;           ///< the trusted root(s)
    std::string_view certificate_pem;  ///< optional: mutual TLS
    std::string_view private_key_pem;
    std::optional<tls::SessionKey> session_key;  ///< none: no resumption
    tls::TlsVersion tls_version = tls::TlsVersion::tls1_2;
    bool session_tickets = false;
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    Duration deadline = Duration::from_seconds(20);
    std::uint16_t keep_alive_s = 60;
    // The continuous node: readings every period, until this many were taken.
    Duration period = Duration::from_seconds(5);
    std::uint32_t readings = 3;
    // The power-cut test: cut the cut_at-th store to retained memory after cut_bytes bytes.
    std::uint32_t cut_at = 0;
    std::size_t cut_bytes = 0;
};

/// Room for the files (PEM text, NUL-terminated for mbedTLS).
struct ProvisioningFiles {
    char ca[4096];
    char certificate[2048];
    char private_key[1024];
};

/// The provisioning in `line` (the program name, then key=value words: each a known key, none
/// twice); `failed` names the key that was wrong, unknown or repeated.
/// Errors: invalid_argument (a missing or malformed key), the file errors of semihosting
/// (file_read_failed, file_too_large), session_key_invalid (not 32 bytes).
Result<Provisioning> provision(std::string_view line, ProvisioningFiles& files,
                               std::string_view& failed) noexcept;

}  // namespace mqtls::firmware
