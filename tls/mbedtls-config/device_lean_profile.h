/*
 * The lean device profile (MQTLS_DEVICE_TLS_PROFILE=lean): what it takes out of device_config.h,
 * which the build appends this file to (CMakeLists.txt). For a device whose broker is known: a
 * TLS 1.2 client offering only ECDHE-ECDSA with AES-GCM on P-256 and SHA-256, so the broker's
 * chain must be ECDSA P-256 from root to leaf (as `mqtls pki` makes them). The full profile
 * stays the default.
 *
 * What is given up, and why it is safe to give up here:
 *   - TLS 1.3 (and with it HKDF): resumption then uses TLS 1.2 session IDs or tickets, which
 *     are also the cheapest resumed wake (no ECDHE: docs/firmware.md's figures);
 *   - RSA (brokers with RSA chains, RSA device keys, RSASSA-PSS): such a chain is refused as
 *     certificate_unsupported, never accepted unverified;
 *   - P-384, X25519, SHA-384/512, ChaCha20-Poly1305: the broker must offer P-256 and AES-GCM,
 *     which every TLS 1.2 broker does (RFC 8422 5.1.1, RFC 5289);
 *   - ALPN: only brokers that share a port between protocols need it (AWS IoT Core on 443; on
 *     8883 it needs none); asking for it is refused as alpn_unavailable.
 */
#ifndef MQTLS_MBEDTLS_DEVICE_LEAN_PROFILE_H
#define MQTLS_MBEDTLS_DEVICE_LEAN_PROFILE_H

#undef MBEDTLS_SSL_PROTO_TLS1_3
#undef MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#undef MBEDTLS_HKDF_C

#undef MBEDTLS_RSA_C
#undef MBEDTLS_PKCS1_V15
#undef MBEDTLS_PKCS1_V21
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED

#undef MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
#undef MBEDTLS_SHA384_C
#undef MBEDTLS_SHA512_C
#undef MBEDTLS_SHA512_SMALLER
#undef MBEDTLS_CHACHA20_C
#undef MBEDTLS_POLY1305_C
#undef MBEDTLS_CHACHAPOLY_C

#undef MBEDTLS_SSL_ALPN

#endif /* MQTLS_MBEDTLS_DEVICE_LEAN_PROFILE_H */
