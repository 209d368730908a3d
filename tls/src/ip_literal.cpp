#include "ip_literal.hpp"

namespace mqtls::tls::detail {
namespace {

constexpr std::size_t ipv4_length = 4;
constexpr std::size_t ipv6_length = 16;
constexpr std::size_t ipv6_groups = 8;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One decimal octet: 1 to 3 digits, at most 255, "0" but no other leading zero (as inet_pton).
bool parse_octet(std::string_view text, std::uint8_t& out) noexcept {
    if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return false;
    unsigned value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return false;
    out = static_cast<std::uint8_t>(value);
    return true;
}

bool parse_ipv4(std::string_view text, std::uint8_t* out) noexcept {
    for (std::size_t octet = 0; octet < ipv4_length; ++octet) {
        const std::size_t dot = text.find('.');
        const bool last = octet + 1 == ipv4_length;
        if (last != (dot == std::string_view::npos)) return false;
        if (!parse_octet(text.substr(0, dot), out[octet])) return false;
        text = last ? std::string_view{} : text.substr(dot + 1);
    }
    return true;
}

// One group of 1 to 4 hex digits.
bool parse_hex_group(std::string_view group, unsigned& out) noexcept {
    if (group.empty() || group.size() > 4) return false;
    unsigned value = 0;
    for (const char c : group) {
        const int digit = hex_value(c);
        if (digit < 0) return false;
        value = (value << 4) | static_cast<unsigned>(digit);
    }
    out = value;
    return true;
}

// One run of colon-separated groups (either side of "::"), written as bytes into `out` (room
// for `capacity` bytes); the run's last element may be a dotted quad when `ipv4_tail_allowed`.
// Returns the number of bytes written, or -1.
int parse_group_run(std::string_view run, bool ipv4_tail_allowed, std::uint8_t* out,
                    std::size_t capacity) noexcept {
    std::size_t written = 0;
    while (!run.empty()) {
        const std::size_t colon = run.find(':');
        const std::string_view group = run.substr(0, colon);
        const bool last = colon == std::string_view::npos;
        if (last && ipv4_tail_allowed && group.find('.') != std::string_view::npos) {
            if (written + ipv4_length > capacity || !parse_ipv4(group, out + written)) return -1;
            return static_cast<int>(written + ipv4_length);
        }
        unsigned value = 0;
        if (written + 2 > capacity || !parse_hex_group(group, value)) return -1;
        out[written++] = static_cast<std::uint8_t>(value >> 8);
        out[written++] = static_cast<std::uint8_t>(value & 0xFF);
        if (last) break;
        run = run.substr(colon + 1);
        if (run.empty()) return -1;  // a trailing single ':'
    }
    return static_cast<int>(written);
}

bool parse_ipv6(std::string_view text, std::uint8_t* out) noexcept {
    const std::size_t gap = text.find("::");
    if (gap == std::string_view::npos) {
        return parse_group_run(text, true, out, ipv6_length) == static_cast<int>(ipv6_length);
    }
    const std::string_view head = text.substr(0, gap);
    const std::string_view tail = text.substr(gap + 2);
    std::uint8_t tail_bytes[ipv6_length] = {};
    const int head_length = parse_group_run(head, false, out, ipv6_length);
    const int tail_length = parse_group_run(tail, true, tail_bytes, ipv6_length);
    // "::" stands for at least one zero group (RFC 4291 2.2 (2)).
    if (head_length < 0 || tail_length < 0 ||
        static_cast<std::size_t>(head_length) + static_cast<std::size_t>(tail_length) >
            ipv6_length - 2) {
        return false;
    }
    const auto tail_start = ipv6_length - static_cast<std::size_t>(tail_length);
    for (auto i = static_cast<std::size_t>(head_length); i < tail_start; ++i) out[i] = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(tail_length); ++i) {
        out[tail_start + i] = tail_bytes[i];
    }
    return true;
}

}  // namespace

std::optional<IpAddress> parse_ip_literal(std::string_view name) noexcept {
    static_assert(ipv6_groups * 2 == ipv6_length);
    IpAddress ip;
    if (name.find(':') == std::string_view::npos) {
        if (!parse_ipv4(name, ip.bytes.data())) return std::nullopt;
        ip.length = ipv4_length;
        return ip;
    }
    if (!parse_ipv6(name, ip.bytes.data())) return std::nullopt;
    ip.length = ipv6_length;
    return ip;
}

}  // namespace mqtls::tls::detail
