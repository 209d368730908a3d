/*
 * mqtls's mbedTLS 3.6 configuration for devices (bare-metal Cortex-M4 and rv32imc here, the
 * instruction sets of ESP32-class parts; ESP-IDF and Arduino builds use their SDK's mbedTLS).
 *
 * Written for mqtls: a TLS 1.2 and 1.3 *client* that verifies a broker and resumes across deep
 * sleep, with small record buffers, and nothing else. Compared with host_config.h:
 *   - no server, no session cache or ticket keys (a device does not serve TLS);
 *   - no certificate, CSR or CRL writing, no PEM writing, no key generation (pki is host-only);
 *   - no SHA-1, no P-192, no secp256k1; RSA only to verify brokers' RSA chains (public CAs);
 *   - records of at most 4096 bytes in and 2048 out, asked for with max_fragment_length, and
 *     buffers that shrink after the handshake (SSL_VARIABLE_BUFFER_LENGTH);
 *   - no OS: entropy from the port's hardware RNG (mbedtls_hardware_poll), milliseconds from the
 *     port's clock (mbedtls_ms_time, for TLS 1.3 ticket ages); certificate dates are checked by
 *     mqtls's verify callback against the injected wall clock, so mbedTLS needs no calendar
 *     (no MBEDTLS_HAVE_TIME_DATE);
 *   - MBEDTLS_PLATFORM_MEMORY, so that tls/src/heap.cpp counts the heap on the device too.
 * cmake/MqtlsMbedtls.cmake installs it as the cross-built mbedTLS's mbedtls_config.h; the lean
 * profile (MQTLS_DEVICE_TLS_PROFILE=lean) appends device_lean_profile.h to it.
 */
#ifndef MQTLS_MBEDTLS_DEVICE_CONFIG_H
#define MQTLS_MBEDTLS_DEVICE_CONFIG_H

/* Platform: no OS. */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED

/* Random numbers: the port's hardware RNG feeds the entropy pool. */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_CTR_DRBG_C

/* Symmetric crypto: the AEADs of the suites mqtls offers, and session sealing. */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
/* GCM, CTR and the session seal only ever run AES forwards: no inverse cipher or its tables. */
#define MBEDTLS_BLOCK_CIPHER_NO_DECRYPT
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CTR

/* Hashes: SHA-256 and SHA-384 (the AES-256-GCM-SHA384 suites and P-384 signatures). */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_HKDF_C

/* Public keys: ECDHE on P-256 and X25519, ECDSA on P-256/P-384, RSA verification. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C /* the client key-pair check compares public keys */

/* Encodings and X.509: parse and verify, PEM in (CA bundles and keys come as PEM). */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA signatures are ASN.1 */
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* PSA Crypto: required by TLS 1.3, and mqtls's own crypto. One address space: no copies. */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* TLS: a 1.2 and 1.3 client. */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* required by TLS 1.3 */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN /* brokers that multiplex a port by ALPN: AWS IoT Core on 443 */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define MBEDTLS_SSL_IN_CONTENT_LEN 4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048

#endif /* MQTLS_MBEDTLS_DEVICE_CONFIG_H */
