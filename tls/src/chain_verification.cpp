// verify_server_chain(): the handshake's certificate checks without a handshake (verify.hpp).
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include <string>

#include "config_impl.hpp"
#include "mqtls/tls/verify.hpp"
#include "peer_verification.hpp"

namespace mqtls::tls {
namespace {

// PEM's own error codes (MBEDTLS_ERR_PEM_*) mean the file is not PEM; the X.509 module's mean
// a certificate inside it is one mbedTLS will not take, which a handshake would refuse too.
constexpr int pem_error_low = -0x1500;
constexpr int pem_error_high = -0x1000;

struct ParsedChain {
    ParsedChain() noexcept { mbedtls_x509_crt_init(&chain); }
    ~ParsedChain() { mbedtls_x509_crt_free(&chain); }
    ParsedChain(const ParsedChain&) = delete;
    ParsedChain& operator=(const ParsedChain&) = delete;
    mbedtls_x509_crt chain{};
};

Result<std::size_t> parse_chain(mbedtls_x509_crt& chain, std::string_view pem) noexcept {
    // Not PEM certificates at all: a file problem, not a verdict on a certificate.
    if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
        return Error{Errc::pem_invalid, 0};
    }
    // mbedTLS parses PEM only from NUL-terminated buffers whose length counts the terminator.
    std::string text;
    text.reserve(pem.size() + 1);
    text.assign(pem.data(), pem.size());
    const int ret = mbedtls_x509_crt_parse(
        &chain, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1);
    if (ret < 0 && ret > pem_error_low && ret <= pem_error_high)
        return Error{Errc::pem_invalid, ret};
    if (ret != 0) return Error{Errc::certificate_unsupported, ret};
    std::size_t count = 0;
    for (const mbedtls_x509_crt* crt = &chain; crt != nullptr; crt = crt->next) {
        if (crt->version != 0) ++count;
    }
    if (count == 0) return Error{Errc::pem_invalid, 0};
    return count;
}

// What mbedtls_ssl_verify_certificate() adds for a client: the leaf must be usable by a TLS
// server for the (EC)DHE suites and TLS 1.3 (RFC 5280 4.2.1.3 and 4.2.1.12).
std::uint32_t server_usage_flags(const mbedtls_x509_crt& leaf) noexcept {
    std::uint32_t flags = 0;
    if (mbedtls_x509_crt_check_key_usage(&leaf, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0) {
        flags |= MBEDTLS_X509_BADCERT_KEY_USAGE;
    }
    if (mbedtls_x509_crt_check_extended_key_usage(&leaf, MBEDTLS_OID_SERVER_AUTH,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0) {
        flags |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
    }
    return flags;
}

}  // namespace

Result<VerifiedChain> verify_server_chain(const Config& config, std::string_view chain_pem,
                                          std::string_view name) noexcept {
    if (config.role() != Role::client || name.empty()) return Error{Errc::invalid_argument, 0};
    const Config::Impl& impl = config.impl();
    ParsedChain parsed;
    MQTLS_TRY_ASSIGN(const std::size_t count, parse_chain(parsed.chain, chain_pem));

    const std::string dialed(name);
    detail::PeerPolicy policy;
    policy.wall_clock = impl.wall_clock;
    policy.pins = &impl.pinned_spki;
    policy.expected_name = dialed;
    policy.expected_ip = detail::parse_ip_literal(dialed);
    std::uint32_t flags = 0;
    // The name is checked by the callback, as in the handshake (which passes mbedTLS the name
    // only for SNI and then replaces its verdict).
    const int ret = mbedtls_x509_crt_verify_with_profile(
        &parsed.chain, const_cast<mbedtls_x509_crt*>(&impl.trusted_roots), nullptr, impl.profile,
        nullptr, &flags, &detail::verify_peer_certificate, &policy);
    if (policy.failure) return Error{*policy.failure, static_cast<std::int32_t>(flags)};
    // A chain longer than mbedTLS follows (8 intermediates) stops it with every flag set.
    if (ret == MBEDTLS_ERR_X509_FATAL_ERROR) return Error{Errc::certificate_unsupported, ret};
    flags |= server_usage_flags(parsed.chain);
    if (flags != 0) {
        return Error{detail::verification_error(flags), static_cast<std::int32_t>(flags)};
    }
    if (ret != 0) return Error{Errc::certificate_unsupported, ret};  // e.g. the chain is too long
    return VerifiedChain{count};
}

}  // namespace mqtls::tls
