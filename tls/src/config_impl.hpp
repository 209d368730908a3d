#pragma once
// The mbedTLS objects behind a Config; private to the tls layer.

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <string>
#include <vector>

#include "mqtls/tls/config.hpp"

namespace mqtls::tls {

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
    mbedtls_entropy_context entropy{};
    mbedtls_ctr_drbg_context drbg{};
    std::vector<SpkiSha256> pinned_spki;
    WallClock wall_clock;
    bool has_trusted_roots = false;
};

}  // namespace mqtls::tls
