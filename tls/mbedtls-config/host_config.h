/*
 * mqtls's mbedTLS 3.6 configuration for hosts (Linux gateways, the CLI, the tests).
 *
 * Written for mqtls, not trimmed from upstream's default: only what the tls layer (a TLS 1.2 and
 * 1.3 client and, for tests and the demo, server) and the pki layer (keys, certificates, CSRs and
 * CRLs for `mqtls pki`) use. cmake/MqtlsMbedtls.cmake installs it as the bundled mbedTLS's
 * include/mbedtls/mbedtls_config.h, so mqtls and anything else that includes the bundled headers
 * see the same configuration the library was compiled with.
 *
 * What is deliberately left out:
 *   - TLS 1.0/1.1 (3.6 has none), DTLS, renegotiation, CBC and non-AEAD suites, static RSA and
 *     plain (EC)DH key exchange, PSK-only key exchange: mqtls refuses them at run time anyway;
 *     building them out means a hostile server cannot even negotiate them.
 *   - NET, TIMING, FS_IO and PSA storage: mqtls does its own I/O, clocks and files.
 *   - Threading: mqtls uses mbedTLS from one thread per process.
 * What is deliberately kept:
 *   - RSA (2048+) and the P-384/P-521 curves, because brokers' public CAs use them; P-192 and
 *     secp256k1 are kept so that such certificates parse and are then refused by mqtls's
 *     certificate profile with a clear reason, rather than failing as "unparsable".
 *   - SHA-1, for the RFC 5280 §4.2.1.2 key identifiers `mqtls pki` writes (never for signatures:
 *     the profile refuses SHA-1 signed certificates).
 *   - MBEDTLS_PLATFORM_MEMORY, so that tls/src/heap.cpp counts every byte mbedTLS allocates.
 */
#ifndef MQTLS_MBEDTLS_HOST_CONFIG_H
#define MQTLS_MBEDTLS_HOST_CONFIG_H

/* Platform. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C

/* Random numbers: the OS entropy source (getrandom) unless a Config is given its own. */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C

/* Symmetric crypto: the AEADs of the TLS 1.2 and 1.3 suites mqtls offers, and session sealing. */
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CTR /* AES-CTR inside CTR_DRBG */

/* Hashes. */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C

/* Public keys. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_GENPRIME
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP192R1_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED
#define MBEDTLS_ECP_DP_SECP256K1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* Encodings and X.509. */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* PSA Crypto: required by TLS 1.3, and what mqtls's own crypto (sealing, pins) calls. The whole
 * process is one address space, so PSA need not copy its buffers (3.6 would otherwise add a
 * temporary allocation the size of the free output buffer to each TLS 1.3 operation). */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* TLS: 1.2 and 1.3, client and server (the server is for tests and the demo broker stand-in). */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* required by TLS 1.3 */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_CACHE_C
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN /* brokers that multiplex a port by ALPN: AWS IoT Core on 443 */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

#endif /* MQTLS_MBEDTLS_HOST_CONFIG_H */
