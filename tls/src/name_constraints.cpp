#include "name_constraints.hpp"

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include <cstring>
#include <string_view>

namespace mqtls::tls::detail {
namespace {

constexpr int tag_sequence = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
constexpr int tag_permitted = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0;
constexpr int tag_excluded = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1;
constexpr unsigned char tag_dns_name = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
constexpr unsigned char tag_ip_address = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
// id-ce-nameConstraints, 2.5.29.30 (RFC 5280 4.2.1.10).
constexpr unsigned char oid_name_constraints[] = {0x55, 0x1d, 0x1e};

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool ends_with_ignoring_case(std::string_view name, std::string_view suffix) noexcept {
    if (suffix.size() > name.size()) return false;
    const std::string_view tail = name.substr(name.size() - suffix.size());
    for (std::size_t i = 0; i < suffix.size(); ++i) {
        if (lower(tail[i]) != lower(suffix[i])) return false;
    }
    return true;
}

// RFC 5280 4.2.1.10: "host.example.com" is within "example.com" (any number of labels added on
// the left) and so is "example.com" itself; ".example.com" (a common spelling) only admits
// names below it. An empty constraint admits every name.
bool dns_within(std::string_view name, std::string_view constraint) noexcept {
    if (constraint.empty()) return true;
    if (constraint.front() == '.') return ends_with_ignoring_case(name, constraint);
    if (!ends_with_ignoring_case(name, constraint)) return false;
    return name.size() == constraint.size() || name[name.size() - constraint.size() - 1] == '.';
}

// An iPAddress constraint is an address followed by its mask (8 bytes for IPv4, 32 for IPv6).
bool ip_within(bytes_view address, bytes_view constraint) noexcept {
    if (constraint.size() != 2 * address.size()) return false;
    for (std::size_t i = 0; i < address.size(); ++i) {
        const std::uint8_t mask = constraint[address.size() + i];
        if ((address[i] & mask) != (constraint[i] & mask)) return false;
    }
    return true;
}

struct Subtrees {
    bool has_dns = false;  // a dNSName subtree is present: names of that form must match one
    bool has_ip = false;
    bool dns_match = false;
    bool ip_match = false;
};

// One GeneralSubtree's base against the subject name, noted in `found`.
void note_base(unsigned char base_tag, bytes_view base, unsigned char name_tag, bytes_view name,
               Subtrees& found) noexcept {
    const auto text = [](bytes_view bytes) {
        return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    };
    if (base_tag == tag_dns_name) {
        found.has_dns = true;
        if (name_tag == tag_dns_name && dns_within(text(name), text(base))) found.dns_match = true;
    } else if (base_tag == tag_ip_address) {
        found.has_ip = true;
        if (name_tag == tag_ip_address && ip_within(name, base)) found.ip_match = true;
    }
}

// Walks one GeneralSubtrees (SEQUENCE OF GeneralSubtree { base GeneralName, ... }) for one
// subject name; false when it is malformed.
bool scan_subtrees(unsigned char* p, const unsigned char* end, unsigned char name_tag,
                   bytes_view name, Subtrees& found) noexcept {
    while (p < end) {
        std::size_t length = 0;
        if (mbedtls_asn1_get_tag(&p, end, &length, tag_sequence) != 0) return false;
        unsigned char* const subtree_end = p + length;
        if (p >= subtree_end) return false;
        const unsigned char base_tag = *p++;
        std::size_t base_length = 0;
        if (mbedtls_asn1_get_len(&p, subtree_end, &base_length) != 0) return false;
        note_base(base_tag, bytes_view(p, base_length), name_tag, name, found);
        p = subtree_end;  // minimum and maximum: RFC 5280 says they are absent for these forms
    }
    return true;
}

// What one part (permitted or excluded subtrees) says of the subject name.
bool part_refuses(int part_tag, const Subtrees& found, unsigned char name_tag) noexcept {
    const bool dns = name_tag == tag_dns_name;
    const bool constrained = dns ? found.has_dns : found.has_ip;
    const bool matched = dns ? found.dns_match : found.ip_match;
    if (part_tag == tag_excluded) return matched;
    return constrained && !matched;  // permitted: a name of a constrained form must match one
}

// One subject name against the whole NameConstraints: allowed, violated or malformed.
ConstraintVerdict check_one(bytes_view constraints, unsigned char name_tag,
                            bytes_view name) noexcept {
    auto* p = const_cast<unsigned char*>(constraints.data());
    const unsigned char* const end = p + constraints.size();
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, tag_sequence) != 0 || p + length != end) {
        return ConstraintVerdict::malformed;
    }
    while (p < end) {
        const int tag = *p++;
        std::size_t part_length = 0;
        if (mbedtls_asn1_get_len(&p, end, &part_length) != 0) return ConstraintVerdict::malformed;
        unsigned char* const part_end = p + part_length;
        Subtrees found;
        if ((tag != tag_permitted && tag != tag_excluded) ||
            !scan_subtrees(p, part_end, name_tag, name, found)) {
            return ConstraintVerdict::malformed;
        }
        if (part_refuses(tag, found, name_tag)) return ConstraintVerdict::violated;
        p = part_end;
    }
    return ConstraintVerdict::allowed;
}

// Positions `p`/`end` on the contents of the Extensions SEQUENCE in a certificate's v3_ext
// (with or without its explicit [3] wrapper); false when it is not one.
bool enter_extensions(unsigned char*& p, const unsigned char*& end) noexcept {
    std::size_t length = 0;
    if (*p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3)) {
        if (mbedtls_asn1_get_tag(&p, end, &length, *p) != 0) return false;
        end = p + length;
    }
    if (mbedtls_asn1_get_tag(&p, end, &length, tag_sequence) != 0) return false;
    end = p + length;
    return true;
}

// Reads one Extension { extnID, critical DEFAULT FALSE, extnValue } at `p`; false when it is
// malformed. `value` is the extnValue's contents when the extension is nameConstraints.
bool read_extension(unsigned char*& p, const unsigned char* end, bytes_view& value) noexcept {
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, tag_sequence) != 0) return false;
    unsigned char* const extension_end = p + length;
    std::size_t oid_length = 0;
    if (mbedtls_asn1_get_tag(&p, extension_end, &oid_length, MBEDTLS_ASN1_OID) != 0) return false;
    const bool wanted = oid_length == sizeof oid_name_constraints &&
                        std::memcmp(p, oid_name_constraints, oid_length) == 0;
    p += oid_length;
    int critical = 0;
    (void)mbedtls_asn1_get_bool(&p, extension_end, &critical);  // DEFAULT FALSE
    std::size_t value_length = 0;
    if (mbedtls_asn1_get_tag(&p, extension_end, &value_length, MBEDTLS_ASN1_OCTET_STRING) != 0) {
        return false;
    }
    if (wanted) value = bytes_view(p, value_length);
    p = extension_end;
    return true;
}

}  // namespace

bytes_view name_constraints_of(const mbedtls_x509_crt& crt, bool& malformed) noexcept {
    malformed = false;
    if (crt.v3_ext.p == nullptr || crt.v3_ext.len == 0) return {};
    unsigned char* p = crt.v3_ext.p;
    const unsigned char* end = p + crt.v3_ext.len;
    if (!enter_extensions(p, end)) {
        malformed = true;
        return {};
    }
    while (p < end) {
        bytes_view value;
        if (!read_extension(p, end, value)) {
            malformed = true;
            return {};
        }
        if (!value.empty()) return value;
    }
    return {};
}

ConstraintVerdict check_name_constraints(bytes_view constraints,
                                         const mbedtls_x509_crt& leaf) noexcept {
    for (const mbedtls_x509_sequence* san = &leaf.subject_alt_names; san != nullptr;
         san = san->next) {
        if (san->buf.p == nullptr) continue;
        const auto tag = static_cast<unsigned char>(san->buf.tag);
        if (tag != tag_dns_name && tag != tag_ip_address) continue;
        const ConstraintVerdict verdict =
            check_one(constraints, tag, bytes_view(san->buf.p, san->buf.len));
        if (verdict != ConstraintVerdict::allowed) return verdict;
    }
    return ConstraintVerdict::allowed;
}

}  // namespace mqtls::tls::detail
