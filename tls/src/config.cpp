#include "mqtls/tls/config.hpp"

#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>

#include <cstring>
#include <new>
#include <string>

#include "config_impl.hpp"

namespace mqtls::tls {
namespace {

// TLS 1.2, forward secrecy and AEAD only. Zero-terminated, as mbedTLS expects; static because
// mbedtls_ssl_conf_ciphersuites keeps the pointer.
const int allowed_cipher_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

// ECDHE groups and the broker certificate's curve (mbedTLS applies this list to both): the NIST
// curves CAs issue, P-256 first (the cheapest on devices), and X25519. mbedTLS would otherwise
// offer all twelve it knows.
const mbedtls_ecp_group_id offered_curves[] = {
    MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP384R1,
    MBEDTLS_ECP_DP_SECP521R1, MBEDTLS_ECP_DP_NONE,
};

// Hashes for the handshake's signatures (ServerKeyExchange, our CertificateVerify); SHA-224 is
// left out. Certificate signatures follow mbedTLS's verification profile instead.
const int offered_signature_hashes[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512,
                                        MBEDTLS_MD_NONE};

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

const char* tls_library_version() noexcept { return MBEDTLS_VERSION_STRING_FULL; }

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
    mbedtls_ssl_ticket_init(&tickets);
    mbedtls_ssl_cache_init(&cache);
}

Config::Impl::~Impl() {
    mbedtls_ssl_config_free(&ssl);
    mbedtls_ssl_ticket_free(&tickets);
    mbedtls_ssl_cache_free(&cache);
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
// computes it while parsing otherwise), so comparing the two public points gives the same
// answer for a real mix-up. RSA keys keep the full check, which costs no exponentiation.
bool key_matches_certificate(const mbedtls_pk_context& certificate_key,
                             const mbedtls_pk_context& private_key) {
    if (mbedtls_pk_get_type(&certificate_key) == MBEDTLS_PK_ECKEY &&
        mbedtls_pk_get_type(&private_key) == MBEDTLS_PK_ECKEY) {
        const mbedtls_ecp_keypair* certified = mbedtls_pk_ec(certificate_key);
        const mbedtls_ecp_keypair* ours = mbedtls_pk_ec(private_key);
        return certified->grp.id == ours->grp.id &&
               mbedtls_ecp_point_cmp(&certified->Q, &ours->Q) == 0 &&
               mbedtls_ecp_check_privkey(&ours->grp, &ours->d) == 0;
    }
    return mbedtls_pk_check_pair(&certificate_key, &private_key) == 0;
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
                               key.size() + 1, nullptr, 0);
    mbedtls_platform_zeroize(key.data(), key.size());
    if (ret != 0) return Error{Errc::client_key_invalid, ret};
    if (!key_matches_certificate(impl.own_chain.pk, impl.own_key)) {
        return Error{Errc::client_key_mismatch, 0};
    }
    impl.has_own_certificate = true;
    return ok();
}

// Feeds one length-prefixed item into the identity digest, so items cannot run together.
int hash_item(mbedtls_sha256_context& sha, const unsigned char* bytes, std::size_t length) {
    unsigned char prefix[4];
    for (int i = 0; i < 4; ++i) prefix[i] = static_cast<unsigned char>(length >> (24 - 8 * i));
    int ret = mbedtls_sha256_update_ret(&sha, prefix, sizeof prefix);
    if (ret == 0 && length > 0) ret = mbedtls_sha256_update_ret(&sha, bytes, length);
    return ret;
}

// A label, then each parsed certificate of `chain` (an unparsed head has version 0).
int hash_chain(mbedtls_sha256_context& sha, const unsigned char* label, std::size_t label_length,
               const mbedtls_x509_crt& chain) {
    int ret = hash_item(sha, label, label_length);
    for (const mbedtls_x509_crt* crt = &chain; ret == 0 && crt != nullptr; crt = crt->next) {
        if (crt->version != 0) ret = hash_item(sha, crt->raw.p, crt->raw.len);
    }
    return ret;
}

Result<void> compute_identity_digest(Config::Impl& impl) {
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    int ret = mbedtls_sha256_starts_ret(&sha, 0);
    static const unsigned char roots_label[] = "roots";
    static const unsigned char pins_label[] = "pins";
    static const unsigned char own_label[] = "own";
    if (ret == 0) ret = hash_chain(sha, roots_label, sizeof roots_label, impl.trusted_roots);
    if (ret == 0) ret = hash_item(sha, pins_label, sizeof pins_label);
    for (const SpkiSha256& pin : impl.pinned_spki) {
        if (ret == 0) ret = hash_item(sha, pin.data(), pin.size());
    }
    if (ret == 0) ret = hash_chain(sha, own_label, sizeof own_label, impl.own_chain);
    if (ret == 0) ret = mbedtls_sha256_finish_ret(&sha, impl.identity_digest.data());
    mbedtls_sha256_free(&sha);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    return ok();
}

Result<void> enable_server_resumption(Config::Impl& impl) {
    int ret = mbedtls_ssl_ticket_setup(&impl.tickets, mbedtls_ctr_drbg_random, &impl.drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, server_ticket_lifetime_s);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_conf_session_tickets_cb(&impl.ssl, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &impl.tickets);
    mbedtls_ssl_cache_set_timeout(&impl.cache, static_cast<int>(server_ticket_lifetime_s));
    mbedtls_ssl_conf_session_cache(&impl.ssl, &impl.cache, mbedtls_ssl_cache_get,
                                   mbedtls_ssl_cache_set);
    return ok();
}

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

// A client without roots could verify nothing, a server without a certificate prove nothing.
Result<void> check_options(const ConfigOptions& options) {
    if (options.wall_clock.now_seconds == nullptr) return Error{Errc::invalid_argument, 0};
    if (options.role == Role::client && options.trusted_roots_pem.empty()) {
        return Errc::ca_bundle_invalid;
    }
    if (options.role == Role::server && options.certificate_pem.empty()) {
        return Error{Errc::invalid_argument, 0};
    }
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

    MQTLS_TRY(load_trusted_roots(impl, options.trusted_roots_pem));
    MQTLS_TRY(load_own_identity(impl, options.certificate_pem, options.private_key_pem));
    MQTLS_TRY(seed_random(impl, options.entropy));
    MQTLS_TRY(compute_identity_digest(impl));

    const int endpoint = role_ == Role::client ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER;
    int ret = mbedtls_ssl_config_defaults(&impl.ssl, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_conf_rng(&impl.ssl, mbedtls_ctr_drbg_random, &impl.drbg);
    mbedtls_ssl_conf_min_version(&impl.ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&impl.ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&impl.ssl, allowed_cipher_suites);
    mbedtls_ssl_conf_renegotiation(&impl.ssl, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    if (impl.has_trusted_roots) {
        mbedtls_ssl_conf_ca_chain(&impl.ssl, &impl.trusted_roots, nullptr);
        // A client always verifies; a server verifies client certificates when given a CA.
        mbedtls_ssl_conf_authmode(&impl.ssl, MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    if (impl.own_chain.version != 0) {
        ret = mbedtls_ssl_conf_own_cert(&impl.ssl, &impl.own_chain, &impl.own_key);
        if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    }
    if (role_ == Role::client) {
        // An empty SessionTicket extension asks the broker for a ticket to resume with;
        // without it the broker's session ID serves instead.
        mbedtls_ssl_conf_session_tickets(&impl.ssl, options.session_tickets
                                                        ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                        : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
        // Every ClientHello byte is radio time on a device: offer only what we use.
        mbedtls_ssl_conf_curves(&impl.ssl, offered_curves);
        mbedtls_ssl_conf_sig_hashes(&impl.ssl, offered_signature_hashes);
        // Encrypt-then-MAC only concerns CBC suites, which we never offer.
        mbedtls_ssl_conf_encrypt_then_mac(&impl.ssl, MBEDTLS_SSL_ETM_DISABLED);
    } else if (options.session_resumption) {
        MQTLS_TRY(enable_server_resumption(impl));
    }
    return ok();
}

}  // namespace mqtls::tls
