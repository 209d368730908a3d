#pragma once
// IP address literals as a dialed name, for the iPAddress subjectAltName check (RFC 6125 6.2.1:
// a reference identity that is an address is compared with iPAddress entries only). Our own
// parser rather than inet_pton(3), so that the layer builds where there are no sockets
// (bare-metal firmware); it accepts exactly what inet_pton accepts (tls/tests/ip_literal_test.cpp
// compares the two on the host).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mqtls::tls::detail {

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address literal, as it appears in an iPAddress SAN.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    std::size_t length = 0;
};

/// The address if `name` is an IPv4 dotted quad (four decimal octets, no leading zeros) or an
/// IPv6 text form (RFC 4291 2.2: eight 16-bit groups, one "::", an optional dotted-quad tail).
/// Brackets, zone ids and prefixes are not accepted.
std::optional<IpAddress> parse_ip_literal(std::string_view name) noexcept;

}  // namespace mqtls::tls::detail
