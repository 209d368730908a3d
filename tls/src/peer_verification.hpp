#pragma once
// The checks we add to mbedTLS's chain verification, the same for TLS 1.2 and 1.3 and for
// `mqtls verify`: validity dates against the injected wall clock, the dialed name against the
// leaf's subjectAltNames (dNSName per RFC 6125 without the CN fallback, iPAddress for literals),
// and SPKI pins.

#include <mbedtls/x509_crt.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ip_literal.hpp"
#include "mqtls/core/error.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/tls/config.hpp"

namespace mqtls::tls::detail {

/// What the verify callback needs, and what it found; one per Engine.
struct PeerPolicy {
    WallClock wall_clock;
    std::string_view expected_name;                 // the dialed name (DNS name or literal)
    std::optional<IpAddress> expected_ip;           // dialed by IP: check iPAddress SANs
    const std::vector<SpkiSha256>* pins = nullptr;  // empty: no pinning
    std::optional<Errc> failure;                    // set when we, not mbedTLS, refused
    bool certificate_seen = false;                  // the callback ran: not a resumption
    // The nameConstraints of the CAs seen so far in this verification (mbedTLS presents the
    // chain root first, so all of them are in before the leaf); views into the chain.
    std::array<bytes_view, 10> name_constraints{};
    std::size_t name_constraint_count = 0;
};

/// What a failed verification means, most fundamental problem first: certificate_untrusted,
/// certificate_weak, certificate_wrong_usage, certificate_expired, certificate_not_yet_valid,
/// hostname_mismatch. The Engine and verify_server_chain() both report through it.
Errc verification_error(std::uint32_t flags) noexcept;

/// mbedTLS verify callback (mbedtls_ssl_set_verify) with a PeerPolicy as context.
int verify_peer_certificate(void* policy, mbedtls_x509_crt* crt, int depth,
                            std::uint32_t* flags) noexcept;

/// Whether `crt` lists a dNSName subjectAltName that certifies `name` (RFC 6125 6.4).
bool certificate_has_dns_name(const mbedtls_x509_crt& crt, std::string_view name) noexcept;

/// Whether `crt` lists `ip` among its iPAddress subjectAltNames.
bool certificate_has_ip(const mbedtls_x509_crt& crt, const IpAddress& ip) noexcept;

}  // namespace mqtls::tls::detail
