#include "extensions.hpp"

#include <arpa/inet.h>

#include <mbedtls/oid.h>

#include "der_writer.hpp"

namespace mqtls::pki::detail {

namespace {

constexpr unsigned char sequence_tag = der_sequence_tag;
constexpr std::size_t header_room = der_header_room;
constexpr std::size_t ipv4_size = 4;
constexpr std::size_t ipv6_size = 16;
// GeneralName tags (RFC 5280 section 4.2.1.6), implicitly tagged, hence primitive.
constexpr unsigned char dns_name_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
constexpr unsigned char ip_address_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;

// IA5String is 7-bit ASCII; controls and spaces have no place in a host name.
bool is_acceptable_dns_name(const std::string& name) {
    if (name.empty() || name.size() > max_dns_name_size) {
        return false;
    }
    for (const char ch : name) {
        if (ch <= ' ' || ch > '~') {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<IpAddressBytes> parse_ip_address(const std::string& text) {
    IpAddressBytes address;
    if (inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) {
        address.size = ipv4_size;
        return address;
    }
    if (inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) {
        address.size = ipv6_size;
        return address;
    }
    return Error{Errc::invalid_argument};
}

Result<std::vector<unsigned char>> subject_alt_name_value(
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses) {
    if (dns_names.empty() && ip_addresses.empty()) {
        return Error{Errc::invalid_argument};
    }
    std::vector<IpAddressBytes> addresses;
    addresses.reserve(ip_addresses.size());
    std::size_t capacity = header_room;
    for (const std::string& text : ip_addresses) {
        MQTLS_TRY_ASSIGN(const IpAddressBytes address, parse_ip_address(text));
        addresses.push_back(address);
        capacity += header_room + address.size;
    }
    for (const std::string& name : dns_names) {
        if (!is_acceptable_dns_name(name)) {
            return Error{Errc::invalid_argument};
        }
        capacity += header_room + name.size();
    }

    BackwardsDerWriter writer(capacity);
    for (auto address = addresses.rbegin(); address != addresses.rend(); ++address) {
        writer.raw(address->bytes.data(), address->size);
        writer.header(ip_address_tag, address->size);
    }
    for (auto name = dns_names.rbegin(); name != dns_names.rend(); ++name) {
        writer.raw(reinterpret_cast<const unsigned char*>(name->data()), name->size());
        writer.header(dns_name_tag, name->size());
    }
    writer.header(sequence_tag, writer.written());
    return writer.finish(Errc::certificate_generation_failed);
}

Result<std::vector<unsigned char>> extended_key_usage_value(Usage usage) {
    BackwardsDerWriter writer(2 * header_room + MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
    switch (usage) {
        case Usage::server:
            writer.oid(MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
            break;
        case Usage::client:
            writer.oid(MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
            break;
        case Usage::ca:
            return Error{Errc::invalid_argument};
    }
    writer.header(sequence_tag, writer.written());
    return writer.finish(Errc::certificate_generation_failed);
}

}  // namespace mqtls::pki::detail
