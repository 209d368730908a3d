#pragma once
// The mbedTLS objects behind a Config; private to the tls layer.

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

// The server role (tests, the demo broker's stand-ins) needs mbedTLS's server side and its ticket
// and cache modules; the device configuration (mbedtls-config/device_config.h) is a client only,
// and there a server Config fails setup() with Errc::tls_server_unavailable.
#if defined(MBEDTLS_SSL_SRV_C) && defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_CACHE_C)
#define MQTLS_TLS_SERVER_ROLE 1
#else
#define MQTLS_TLS_SERVER_ROLE 0
#endif

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mqtls/tls/config.hpp"

namespace mqtls::tls {

namespace detail {
// Whether a server Engine's handshake resumed: mbedTLS tells neither side (Mbed-TLS/mbedtls#5606),
// and a server sees no verify callback to go by, so the server's ticket and cache look-ups note a
// hit in the Engine whose handshake is running on this thread (the look-ups get only the
// Config's context).
struct ResumptionProbe {
    bool session_found = false;
};
extern thread_local ResumptionProbe* handshaking_server;
}  // namespace detail

struct Config::Impl {
    Impl() noexcept;
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Value-initialised here, then set up by the mbedtls_*_init calls in the constructor.
    mbedtls_ssl_config ssl{};
    mbedtls_x509_crt trusted_roots{};
    mbedtls_x509_crt own_chain{};
    mbedtls_pk_context own_key{};
    mbedtls_entropy_context entropy{};  // only without a platform EntropySource
    bool entropy_in_use = false;
    EntropySource platform_entropy;
    mbedtls_ctr_drbg_context drbg{};
    // Server-side resumption: ticket keys and a session-ID cache
    // (ConfigOptions::session_resumption).
#if MQTLS_TLS_SERVER_ROLE
    mbedtls_ssl_ticket_context tickets{};
    mbedtls_ssl_cache_context cache{};
#endif
    std::vector<SpkiSha256> pinned_spki;
    WallClock wall_clock;
    // SHA-256 over what a verified session vouches for: trusted roots, pins, our own chain. A
    // sealed session is only offered under the same digest (see session_seal.hpp).
    std::array<std::uint8_t, 32> identity_digest{};
    TlsVersion tls_version = TlsVersion::tls1_2;
    const mbedtls_x509_crt_profile* profile = nullptr;  // what every chain certificate must meet
    bool has_trusted_roots = false;
    bool has_own_certificate = false;  // a certificate to answer a CertificateRequest with
    // ALPN (ConfigOptions::alpn_protocols): mbedTLS keeps the pointer to the NULL-terminated
    // list, so the names and the list live as long as the Config.
    std::vector<std::string> alpn_names;
    std::vector<const char*> alpn_list;
    bool alpn_required = false;
};

}  // namespace mqtls::tls
