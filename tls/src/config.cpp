#include "mqtls/tls/config.hpp"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>

#include <cstring>
#include <new>
#include <string>

#include "config_impl.hpp"
#include "crypto.hpp"
#include "mbedtls_requirements.hpp"

namespace mqtls::tls {
namespace {

using detail::ensure_crypto_ready;
using detail::Sha256;

// Forward secrecy and AEAD only. TLS 1.3 (RFC 8446 B.4): AES-GCM and ChaCha20-Poly1305; TLS
// 1.2: ECDHE with the same AEADs. Zero-terminated, as mbedTLS expects; static because
// mbedtls_ssl_conf_ciphersuites keeps the pointer.
const int allowed_cipher_suites[] = {
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

// Key-exchange groups, by IANA number: P-256 first (the TLS 1.3 key share is sent for the first
// only, and P-256 is what device crypto accelerators do), then X25519. Every ClientHello byte is
// radio time on a device, so nothing else is offered.
const std::uint16_t offered_groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

// Signature schemes (RFC 8446 4.2.3) for the handshake's signatures and, in TLS 1.3, the
// certificates': ECDSA and RSA-PSS with SHA-2, and RSA PKCS#1 v1.5 for TLS 1.2 servers and
// certificates. SHA-1 and SHA-224 are left out.
const std::uint16_t offered_signature_schemes[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256, MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512, MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,       MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,       MBEDTLS_TLS1_3_SIG_NONE,
};

// What every certificate of a chain must use (root, intermediates and leaf): SHA-256 or
// stronger signatures, P-256/P-384/P-521 or RSA of 2048 bits and more. mbedTLS flags the rest
// BADCERT_BAD_MD / BAD_PK / BAD_KEY, which the Engine reports as certificate_weak.
const mbedtls_x509_crt_profile certificate_profile = {
    MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) | MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
        MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
    MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) |
        MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSASSA_PSS),
    MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
        MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1) |
        MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP521R1),
    2048,
};

// mbedTLS parses PEM only from NUL-terminated buffers whose length counts the terminator.
std::string pem_buffer(std::string_view pem) { return std::string(pem); }

int parse_certificates(mbedtls_x509_crt& chain, std::string_view pem) {
    const std::string text = pem_buffer(pem);
    return mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(text.c_str()),
                                  text.size() + 1);
}

bool is_self_issued(const mbedtls_x509_crt& crt) {
    return crt.subject_raw.len == crt.issuer_raw.len &&
           std::memcmp(crt.subject_raw.p, crt.issuer_raw.p, crt.subject_raw.len) == 0;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

namespace detail {
thread_local ResumptionProbe* handshaking_server = nullptr;
}  // namespace detail

const char* tls_library_version() noexcept { return MBEDTLS_VERSION_STRING_FULL; }

const char* tls_version_name(TlsVersion version) noexcept {
    switch (version) {
        case TlsVersion::tls1_2:
            return "1.2";
        case TlsVersion::tls1_3:
            return "1.3";
        case TlsVersion::automatic:
            return "auto";
    }
    return "?";
}

Result<TlsVersion> parse_tls_version(std::string_view text) noexcept {
    if (text == "1.2") return TlsVersion::tls1_2;
    if (text == "1.3") return TlsVersion::tls1_3;
    if (text == "auto") return TlsVersion::automatic;
    return Error{Errc::invalid_argument, 0};
}

Result<SpkiSha256> parse_spki_pin(std::string_view hex) noexcept {
    SpkiSha256 pin{};
    if (hex.size() != pin.size() * 2)
        return Error{Errc::invalid_argument, static_cast<std::int32_t>(hex.size())};
    for (std::size_t i = 0; i < pin.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return Error{Errc::invalid_argument, static_cast<std::int32_t>(2 * i)};
        pin[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return pin;
}

Config::Impl::Impl() noexcept {
    mbedtls_ssl_config_init(&ssl);
    mbedtls_x509_crt_init(&trusted_roots);
    mbedtls_x509_crt_init(&own_chain);
    mbedtls_pk_init(&own_key);
    mbedtls_ctr_drbg_init(&drbg);
#if MQTLS_TLS_SERVER_ROLE
    mbedtls_ssl_ticket_init(&tickets);
    mbedtls_ssl_cache_init(&cache);
#endif
}

Config::Impl::~Impl() {
    mbedtls_ssl_config_free(&ssl);
#if MQTLS_TLS_SERVER_ROLE
    mbedtls_ssl_ticket_free(&tickets);
    mbedtls_ssl_cache_free(&cache);
#endif
    mbedtls_x509_crt_free(&trusted_roots);
    mbedtls_x509_crt_free(&own_chain);
    mbedtls_pk_free(&own_key);
    mbedtls_ctr_drbg_free(&drbg);
    if (entropy_in_use) mbedtls_entropy_free(&entropy);
}

// nothrow: the layer never throws; a failed allocation is reported by setup().
Config::Config() noexcept : impl_(new (std::nothrow) Impl) {}

Config::~Config() {
    const HeapScope scope(heap_);
    impl_.reset();
}

namespace {

Result<void> load_trusted_roots(Config::Impl& impl, std::string_view pem) {
    if (pem.empty()) return ok();
    const int ret = parse_certificates(impl.trusted_roots, pem);
    // A positive value counts certificates that failed to parse; a bundle with at least one
    // good root is usable, but one with none is not.
    if (ret < 0 || impl.trusted_roots.version == 0) return Error{Errc::ca_bundle_invalid, ret};
    impl.has_trusted_roots = true;
    return ok();
}

// Whether the private key belongs to the certificate. mbedtls_pk_check_pair() recomputes an EC
// public key from the private scalar: a P-256 multiplication, about 9 M instructions here and
// tens of milliseconds on an ESP32, paid at every wake from deep sleep. An EC key file carries
// its public key (SEC1 and PKCS#8 as written by mqtls pki, mbedTLS and OpenSSL; mbedTLS
// computes it while parsing otherwise, and checks the private scalar's range), so comparing the
// two public keys' encodings gives the same answer for a real mix-up. RSA keys keep the full
// check, which costs no exponentiation.
bool key_matches_certificate(const mbedtls_pk_context& certificate_key,
                             const mbedtls_pk_context& private_key,
                             mbedtls_ctr_drbg_context& drbg) {
    if (mbedtls_pk_get_type(&certificate_key) == MBEDTLS_PK_ECKEY &&
        mbedtls_pk_get_type(&private_key) == MBEDTLS_PK_ECKEY) {
        // Written from the end of each buffer; 160 bytes hold a P-521 SubjectPublicKeyInfo.
        constexpr std::size_t spki_capacity = 200;
        unsigned char certified[spki_capacity];
        unsigned char ours[spki_capacity];
        const int certified_length =
            mbedtls_pk_write_pubkey_der(&certificate_key, certified, sizeof certified);
        const int our_length = mbedtls_pk_write_pubkey_der(&private_key, ours, sizeof ours);
        return certified_length > 0 && certified_length == our_length &&
               std::memcmp(certified + sizeof certified - certified_length,
                           ours + sizeof ours - our_length,
                           static_cast<std::size_t>(our_length)) == 0;
    }
    return mbedtls_pk_check_pair(&certificate_key, &private_key, mbedtls_ctr_drbg_random, &drbg) ==
           0;
}

Result<void> load_own_identity(Config::Impl& impl, std::string_view cert_pem,
                               std::string_view key_pem) {
    if (cert_pem.empty() && key_pem.empty()) return ok();
    if (cert_pem.empty()) return Error{Errc::client_certificate_invalid, 0};
    if (key_pem.empty()) return Error{Errc::client_key_invalid, 0};

    mbedtls_x509_crt parsed;
    mbedtls_x509_crt_init(&parsed);
    int ret = parse_certificates(parsed, cert_pem);
    if (ret != 0 || parsed.version == 0) {
        mbedtls_x509_crt_free(&parsed);
        return Error{Errc::client_certificate_invalid, ret};
    }
    // Send our certificate and intermediates, never a root: the peer decides what it trusts.
    for (const mbedtls_x509_crt* crt = &parsed; crt != nullptr && ret == 0; crt = crt->next) {
        if (crt == &parsed || !is_self_issued(*crt)) {
            ret = mbedtls_x509_crt_parse_der(&impl.own_chain, crt->raw.p, crt->raw.len);
        }
    }
    mbedtls_x509_crt_free(&parsed);
    if (ret != 0) return Error{Errc::client_certificate_invalid, ret};

    std::string key = pem_buffer(key_pem);
    ret = mbedtls_pk_parse_key(&impl.own_key, reinterpret_cast<const unsigned char*>(key.c_str()),
                               key.size() + 1, nullptr, 0, mbedtls_ctr_drbg_random, &impl.drbg);
    mbedtls_platform_zeroize(key.data(), key.size());
    if (ret != 0) return Error{Errc::client_key_invalid, ret};
    if (!key_matches_certificate(impl.own_chain.pk, impl.own_key, impl.drbg)) {
        return Error{Errc::client_key_mismatch, 0};
    }
    impl.has_own_certificate = true;
    return ok();
}

// Feeds one length-prefixed item into the identity digest, so items cannot run together.
void hash_item(Sha256& hash, const unsigned char* bytes, std::size_t length) {
    std::uint8_t prefix[4];
    for (int i = 0; i < 4; ++i) prefix[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
    hash.update(bytes_view(prefix, sizeof prefix));
    hash.update(bytes_view(bytes, length));
}

// A label, then each parsed certificate of `chain` (an unparsed head has version 0).
void hash_chain(Sha256& hash, const unsigned char* label, std::size_t label_length,
                const mbedtls_x509_crt& chain) {
    hash_item(hash, label, label_length);
    for (const mbedtls_x509_crt* crt = &chain; crt != nullptr; crt = crt->next) {
        if (crt->version != 0) hash_item(hash, crt->raw.p, crt->raw.len);
    }
}

Result<void> compute_identity_digest(Config::Impl& impl) {
    static const unsigned char roots_label[] = "roots";
    static const unsigned char pins_label[] = "pins";
    static const unsigned char own_label[] = "own";
    static const unsigned char version_label[] = "tls version";
    Sha256 hash;
    hash_chain(hash, roots_label, sizeof roots_label, impl.trusted_roots);
    hash_item(hash, pins_label, sizeof pins_label);
    for (const SpkiSha256& pin : impl.pinned_spki) hash_item(hash, pin.data(), pin.size());
    hash_chain(hash, own_label, sizeof own_label, impl.own_chain);
    // A session of one TLS version is not offered by a Config of another (session_mismatch).
    const auto version = static_cast<std::uint8_t>(impl.tls_version);
    hash_item(hash, version_label, sizeof version_label);
    hash_item(hash, &version, 1);
    MQTLS_TRY_ASSIGN(impl.identity_digest, hash.finish());
    return ok();
}

#if MQTLS_TLS_SERVER_ROLE
void note_session_found(int ret) noexcept {
    if (ret == 0 && detail::handshaking_server != nullptr) {
        detail::handshaking_server->session_found = true;
    }
}

int parse_ticket_noting_resumption(void* tickets, mbedtls_ssl_session* session,
                                   unsigned char* ticket, std::size_t length) {
    const int ret = mbedtls_ssl_ticket_parse(tickets, session, ticket, length);
    note_session_found(ret);
    return ret;
}

int find_cached_noting_resumption(void* cache, const unsigned char* session_id,
                                  std::size_t id_length, mbedtls_ssl_session* session) {
    const int ret = mbedtls_ssl_cache_get(cache, session_id, id_length, session);
    note_session_found(ret);
    return ret;
}

Result<void> enable_server_resumption(Config::Impl& impl) {
    int ret = mbedtls_ssl_ticket_setup(&impl.tickets, mbedtls_ctr_drbg_random, &impl.drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, server_ticket_lifetime_s);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_conf_session_tickets_cb(&impl.ssl, mbedtls_ssl_ticket_write,
                                        parse_ticket_noting_resumption, &impl.tickets);
    mbedtls_ssl_cache_set_timeout(&impl.cache, static_cast<int>(server_ticket_lifetime_s));
    mbedtls_ssl_conf_session_cache(&impl.ssl, &impl.cache, find_cached_noting_resumption,
                                   mbedtls_ssl_cache_set);
    return ok();
}
#endif

// CTR_DRBG's entropy callback over the platform's source (getrandom(2), an ESP32's hardware
// RNG): fills the whole request or fails.
int poll_platform_entropy(void* context, unsigned char* output, std::size_t length) {
    const auto& source = *static_cast<const EntropySource*>(context);
    std::size_t filled = 0;
    for (int attempt = 0; filled < length && attempt < 64; ++attempt) {
        std::size_t produced = 0;
        const int ret = source.poll(source.context, output + filled, length - filled, &produced);
        if (ret != 0) return ret;
        filled += produced < length - filled ? produced : length - filled;
    }
    return filled == length ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

Result<void> seed_random(Config::Impl& impl, const std::optional<EntropySource>& platform) {
    static const unsigned char personalization[] = "mqtls";
    int ret = 0;
    if (platform && platform->poll != nullptr) {
        // The platform's source seeds the DRBG directly. mbedTLS's entropy pool would add
        // nothing to a kernel or hardware RNG, and its set-up (HAVEGE, in Debian's build) costs
        // a million instructions per Config: on a device, that is every wake.
        impl.platform_entropy = *platform;
        ret = mbedtls_ctr_drbg_seed(&impl.drbg, &poll_platform_entropy, &impl.platform_entropy,
                                    personalization, sizeof personalization - 1);
    } else {
        mbedtls_entropy_init(&impl.entropy);
        impl.entropy_in_use = true;
        ret = mbedtls_ctr_drbg_seed(&impl.drbg, mbedtls_entropy_func, &impl.entropy,
                                    personalization, sizeof personalization - 1);
    }
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    return ok();
}

// TLS 1.2, 1.3, or both (a client offers 1.3 and accepts 1.2). TLS 1.3 resumes with
// PSK + ECDHE only: psk_ke alone skips the key exchange, so it gives up forward secrecy.
// A build without TLS 1.3 (the lean device profile) makes "auto" mean TLS 1.2; asking for 1.3
// there was refused by check_options.
void configure_versions(mbedtls_ssl_config& ssl, TlsVersion version) {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    mbedtls_ssl_conf_min_tls_version(&ssl, version == TlsVersion::tls1_3
                                               ? MBEDTLS_SSL_VERSION_TLS1_3
                                               : MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&ssl, version == TlsVersion::tls1_2
                                               ? MBEDTLS_SSL_VERSION_TLS1_2
                                               : MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_tls13_key_exchange_modes(
        &ssl, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                  MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
#else
    (void)version;
    mbedtls_ssl_conf_min_tls_version(&ssl, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&ssl, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
}

// A device's mbedTLS receives records of at most MBEDTLS_SSL_IN_CONTENT_LEN bytes
// (mbedtls-config/device_config.h: 4096), so it asks a TLS 1.2 broker for records no longer
// than that (max_fragment_length, RFC 6066 4). A host build keeps the 16 KiB default and asks
// nothing. (TLS 1.3 brokers are not asked: mbedTLS 3.6 sends no record_size_limit; Mosquitto's
// handshake and MQTT records stay far below 4096 bytes.)
void configure_record_size(mbedtls_ssl_config& ssl) {
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH) && MBEDTLS_SSL_IN_CONTENT_LEN <= 4096
    static_assert(MBEDTLS_SSL_IN_CONTENT_LEN >= 512, "max_fragment_length starts at 512 bytes");
    const unsigned char code = MBEDTLS_SSL_IN_CONTENT_LEN >= 4096   ? MBEDTLS_SSL_MAX_FRAG_LEN_4096
                               : MBEDTLS_SSL_IN_CONTENT_LEN >= 2048 ? MBEDTLS_SSL_MAX_FRAG_LEN_2048
                               : MBEDTLS_SSL_IN_CONTENT_LEN >= 1024 ? MBEDTLS_SSL_MAX_FRAG_LEN_1024
                                                                    : MBEDTLS_SSL_MAX_FRAG_LEN_512;
    mbedtls_ssl_conf_max_frag_len(&ssl, code);
#else
    (void)ssl;
#endif
}

#if defined(MBEDTLS_SSL_ALPN)
#if MQTLS_TLS_SERVER_ROLE
// A server that requires ALPN refuses a client that offered none. mbedTLS has already refused
// one that offered only other protocols (no_application_protocol); without an offer it goes on
// with no protocol. The certificate-selection callback runs once the ClientHello's extensions
// are parsed, early enough to refuse with the same alert (RFC 7301 3.2).
int refuse_client_without_alpn(mbedtls_ssl_context* ssl) {
    if (mbedtls_ssl_get_alpn_protocol(ssl) != nullptr) return 0;
    (void)mbedtls_ssl_send_alert_message(ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                         MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL);
    return MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL;
}
#endif

Result<void> configure_alpn(Config::Impl& impl, const ConfigOptions& options) {
    if (options.alpn_protocols.empty()) return ok();
    impl.alpn_names.assign(options.alpn_protocols.begin(), options.alpn_protocols.end());
    for (const std::string& name : impl.alpn_names) impl.alpn_list.push_back(name.c_str());
    impl.alpn_list.push_back(nullptr);
    impl.alpn_required = options.alpn_required;
    const int ret = mbedtls_ssl_conf_alpn_protocols(&impl.ssl, impl.alpn_list.data());
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
#if MQTLS_TLS_SERVER_ROLE
    if (options.role == Role::server && options.alpn_required) {
        mbedtls_ssl_conf_cert_cb(&impl.ssl, &refuse_client_without_alpn);
    }
#endif
    return ok();
}
#else
Result<void> configure_alpn(Config::Impl&, const ConfigOptions&) { return ok(); }
#endif

// A client without roots could verify nothing, a server without a certificate prove nothing.
Result<void> check_options(const ConfigOptions& options) {
    if (options.wall_clock.now_seconds == nullptr) return Error{Errc::invalid_argument, 0};
    if (options.role == Role::client && options.trusted_roots_pem.empty()) {
        return Errc::ca_bundle_invalid;
    }
    if (options.role == Role::server && options.certificate_pem.empty()) {
        return Error{Errc::invalid_argument, 0};
    }
    if (options.role == Role::server && !MQTLS_TLS_SERVER_ROLE) {
        return Error{Errc::tls_server_unavailable, MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE};
    }
    for (std::size_t i = 0; i < options.alpn_protocols.size(); ++i) {
        // RFC 7301 3.1: a ProtocolName is 1 to 255 bytes.
        const std::size_t length = options.alpn_protocols[i].size();
        if (length == 0 || length > 255) {
            return Error{Errc::invalid_argument, static_cast<std::int32_t>(i)};
        }
    }
    if (options.alpn_required && options.alpn_protocols.empty()) {
        return Error{Errc::invalid_argument, 0};
    }
#if !defined(MBEDTLS_SSL_ALPN)
    if (!options.alpn_protocols.empty()) {
        return Error{Errc::alpn_unavailable, MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE};
    }
#endif
#if !defined(MBEDTLS_SSL_PROTO_TLS1_3)
    if (options.tls_version == TlsVersion::tls1_3) {
        return Error{Errc::tls13_unavailable, MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE};
    }
#endif
    return ok();
}

}  // namespace

Result<void> Config::setup(const ConfigOptions& options) noexcept {
    const HeapScope scope(heap_);
    if (!impl_) return Error{Errc::tls_setup_failed, MBEDTLS_ERR_SSL_ALLOC_FAILED};
    Impl& impl = *impl_;
    MQTLS_TRY(check_options(options));
    role_ = options.role;
    impl.wall_clock = options.wall_clock;
    impl.pinned_spki = options.pinned_spki;

    impl.tls_version = options.tls_version;
    // TLS 1.3 and mqtls's own crypto run on PSA; the key parser's blinding needs the DRBG.
    MQTLS_TRY(ensure_crypto_ready());
    MQTLS_TRY(seed_random(impl, options.entropy));
    MQTLS_TRY(load_trusted_roots(impl, options.trusted_roots_pem));
    MQTLS_TRY(load_own_identity(impl, options.certificate_pem, options.private_key_pem));
    MQTLS_TRY(compute_identity_digest(impl));

    const int endpoint = role_ == Role::client ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER;
    int ret = mbedtls_ssl_config_defaults(&impl.ssl, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_conf_rng(&impl.ssl, mbedtls_ctr_drbg_random, &impl.drbg);
    configure_versions(impl.ssl, options.tls_version);
    mbedtls_ssl_conf_ciphersuites(&impl.ssl, allowed_cipher_suites);
    mbedtls_ssl_conf_cert_profile(&impl.ssl, &certificate_profile);
    impl.profile = &certificate_profile;
    mbedtls_ssl_conf_groups(&impl.ssl, offered_groups);
    mbedtls_ssl_conf_sig_algs(&impl.ssl, offered_signature_schemes);
    // Renegotiation is compiled out of the bundled mbedTLS, and TLS 1.3 has none; a system
    // build may have it.
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(&impl.ssl, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    if (impl.has_trusted_roots) {
        mbedtls_ssl_conf_ca_chain(&impl.ssl, &impl.trusted_roots, nullptr);
        // A client always verifies; a server verifies client certificates when given a CA.
        mbedtls_ssl_conf_authmode(&impl.ssl, MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    if (impl.own_chain.version != 0) {
        ret = mbedtls_ssl_conf_own_cert(&impl.ssl, &impl.own_chain, &impl.own_key);
        if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    }
    MQTLS_TRY(configure_alpn(impl, options));
    if (role_ == Role::client) {
        // An empty SessionTicket extension asks the broker for a ticket to resume with;
        // without it the broker's session ID serves instead.
        mbedtls_ssl_conf_session_tickets(&impl.ssl, options.session_tickets
                                                        ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                        : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
        // TLS 1.3 tickets arrive after the handshake; mbedTLS hands them over only when asked
        // (mbedtls_ssl_read() then returns RECEIVED_NEW_SESSION_TICKET: Engine::session_ready).
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
        mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
            &impl.ssl, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
        configure_record_size(impl.ssl);
        // Encrypt-then-MAC only concerns CBC suites, which we never offer (and the device
        // configuration compiles out).
#if defined(MBEDTLS_SSL_ENCRYPT_THEN_MAC)
        mbedtls_ssl_conf_encrypt_then_mac(&impl.ssl, MBEDTLS_SSL_ETM_DISABLED);
#endif
    } else if (options.session_resumption) {
#if MQTLS_TLS_SERVER_ROLE
        MQTLS_TRY(enable_server_resumption(impl));
#endif
    }
    return ok();
}

}  // namespace mqtls::tls
