#include "mqtls/pki/revocation.hpp"

#include <array>

namespace mqtls::pki {

namespace {

constexpr unsigned char top_bit = 0x80U;
constexpr char hex_digits[] = "0123456789ABCDEF";

int hex_value(char digit) noexcept {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

struct NamedReason {
    RevocationReason reason;
    const char* name;
};

constexpr std::array<NamedReason, 6> named_reasons{{
    {RevocationReason::unspecified, "unspecified"},
    {RevocationReason::key_compromise, "keyCompromise"},
    {RevocationReason::affiliation_changed, "affiliationChanged"},
    {RevocationReason::superseded, "superseded"},
    {RevocationReason::cessation_of_operation, "cessationOfOperation"},
    {RevocationReason::privilege_withdrawn, "privilegeWithdrawn"},
}};

// The hex digits of `text` with the ':' separators dropped; empty when anything else is there
// or a separator does not sit between two octets.
std::string digits_of(std::string_view text) {
    std::string digits;
    digits.reserve(text.size());
    std::size_t since_separator = 0;
    for (const char character : text) {
        if (character == ':') {
            if (since_separator == 0 || since_separator % 2 != 0) return {};
            since_separator = 0;
            continue;
        }
        if (hex_value(character) < 0) return {};
        digits += character;
        ++since_separator;
    }
    if (!text.empty() && text.back() == ':') return {};
    return digits;
}

std::string hex_of(const std::vector<unsigned char>& octets) {
    std::string text;
    text.reserve(2 * octets.size());
    for (const unsigned char octet : octets) {
        text += hex_digits[octet >> 4U];
        text += hex_digits[octet & 0x0fU];
    }
    return text;
}

}  // namespace

const char* revocation_reason_name(RevocationReason reason) noexcept {
    for (const NamedReason& named : named_reasons) {
        if (named.reason == reason) return named.name;
    }
    return "unknown";
}

std::optional<RevocationReason> revocation_reason_from_name(std::string_view name) noexcept {
    for (const NamedReason& named : named_reasons) {
        if (name == named.name) return named.reason;
    }
    return std::nullopt;
}

const std::vector<RevocationReason>& all_revocation_reasons() {
    static const std::vector<RevocationReason> reasons = [] {
        std::vector<RevocationReason> list;
        list.reserve(named_reasons.size());
        for (const NamedReason& named : named_reasons) list.push_back(named.reason);
        return list;
    }();
    return reasons;
}

Result<std::string> canonical_serial(std::string_view text) {
    const std::string digits = digits_of(text);
    if (digits.empty() || digits.size() % 2 != 0) return Error{Errc::invalid_argument};
    std::vector<unsigned char> octets;
    octets.reserve(digits.size() / 2 + 1);
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        const int value = hex_value(digits[i]) * 16 + hex_value(digits[i + 1]);
        // Leading zero octets carry no value; the sign octet is added back below.
        if (octets.empty() && value == 0) continue;
        octets.push_back(static_cast<unsigned char>(value));
    }
    if (octets.empty()) return Error{Errc::invalid_argument};  // zero is not a serial
    // DER INTEGERs are two's complement: a set top bit would make the number negative.
    if ((octets.front() & top_bit) != 0) octets.insert(octets.begin(), 0);
    if (octets.size() > max_serial_octets) return Error{Errc::invalid_argument};
    return hex_of(octets);
}

Result<std::vector<unsigned char>> serial_octets(std::string_view canonical) {
    MQTLS_TRY_ASSIGN(const std::string checked, canonical_serial(canonical));
    if (checked != canonical) return Error{Errc::invalid_argument};
    std::vector<unsigned char> octets;
    octets.reserve(checked.size() / 2);
    for (std::size_t i = 0; i < checked.size(); i += 2) {
        octets.push_back(
            static_cast<unsigned char>(hex_value(checked[i]) * 16 + hex_value(checked[i + 1])));
    }
    return octets;
}

}  // namespace mqtls::pki
