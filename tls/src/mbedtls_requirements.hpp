#pragma once
// What the tls layer needs from the mbedTLS it is built with, checked when it compiles: a
// configuration that lacks one fails here, with the option to turn on, instead of at link time
// or at run time. Our own configurations (mbedtls-config/) have all of it; this is for builds
// on another's mbedTLS: ESP-IDF's mbedtls component (its Kconfig name follows each option),
// a system mbedTLS (-DMQTLS_MBEDTLS=system).
#include <mbedtls/build_info.h>

#if !defined(MBEDTLS_SSL_TLS_C) || !defined(MBEDTLS_SSL_CLI_C)
#error \
    "mqtls needs mbedTLS's TLS client: MBEDTLS_SSL_TLS_C and MBEDTLS_SSL_CLI_C (ESP-IDF: CONFIG_MBEDTLS_TLS_CLIENT)"
#endif
#if !defined(MBEDTLS_SSL_PROTO_TLS1_2)
#error "mqtls needs TLS 1.2: MBEDTLS_SSL_PROTO_TLS1_2 (ESP-IDF: CONFIG_MBEDTLS_SSL_PROTO_TLS1_2)"
#endif
#if !defined(MBEDTLS_X509_CRT_PARSE_C)
#error "mqtls verifies certificates: MBEDTLS_X509_CRT_PARSE_C"
#endif
#if !defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
// A resumed session is checked against the certificate it vouches for (its expiry).
#error \
    "mqtls needs MBEDTLS_SSL_KEEP_PEER_CERTIFICATE (ESP-IDF: CONFIG_MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)"
#endif
#if !defined(MBEDTLS_SSL_SESSION_TICKETS)
#error \
    "mqtls needs MBEDTLS_SSL_SESSION_TICKETS (ESP-IDF: CONFIG_MBEDTLS_CLIENT_SSL_SESSION_TICKETS)"
#endif
#if !defined(MBEDTLS_PSA_CRYPTO_C)
// Session sealing, the identity digest and the pins go through PSA (crypto.cpp).
#error \
    "mqtls's own crypto uses PSA: MBEDTLS_PSA_CRYPTO_C (ESP-IDF 5: see docs/espidf.md, TLS 1.3 and PSA)"
#endif
#if !defined(MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED) && \
    !defined(MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED)
#error \
    "mqtls offers ECDHE only: MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED or _ECDHE_RSA_ENABLED (ESP-IDF: CONFIG_MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA / _RSA)"
#endif
#if !defined(MBEDTLS_GCM_C) && !defined(MBEDTLS_CHACHAPOLY_C)
#error \
    "mqtls offers AEAD suites only: MBEDTLS_GCM_C or MBEDTLS_CHACHAPOLY_C (ESP-IDF: CONFIG_MBEDTLS_GCM_C)"
#endif
#if !defined(MBEDTLS_CTR_DRBG_C) || !defined(MBEDTLS_ENTROPY_C)
#error "mqtls seeds its random generator with MBEDTLS_CTR_DRBG_C over MBEDTLS_ENTROPY_C"
#endif
