// The PSA Crypto calls behind crypto.hpp: the only file of the tls layer that names PSA.
#include "crypto.hpp"

#include <psa/crypto.h>

#include <new>

namespace mqtls::tls::detail {
namespace {

static_assert(sizeof(psa_hash_operation_t) <= 256, "Sha256::operation_ is too small");
static_assert(alignof(psa_hash_operation_t) <= alignof(std::max_align_t),
              "Sha256::operation_ is not aligned enough");

Error psa_error(Errc code, psa_status_t status) noexcept {
    return Error{code, static_cast<std::int32_t>(status)};
}

// A volatile AES-256-GCM key for one operation, destroyed on every way out.
class GcmKey {
public:
    explicit GcmKey(bytes_view key) noexcept {
        psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
        psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
        psa_set_key_bits(&attributes, 256);
        psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
        psa_set_key_algorithm(&attributes, PSA_ALG_GCM);
        status_ = psa_import_key(&attributes, key.data(), key.size(), &id_);
        psa_reset_key_attributes(&attributes);
    }
    ~GcmKey() {
        if (status_ == PSA_SUCCESS) (void)psa_destroy_key(id_);
    }
    GcmKey(const GcmKey&) = delete;
    GcmKey& operator=(const GcmKey&) = delete;
    [[nodiscard]] psa_status_t status() const noexcept { return status_; }
    [[nodiscard]] psa_key_id_t id() const noexcept { return id_; }

private:
    psa_key_id_t id_ = PSA_KEY_ID_NULL;
    psa_status_t status_ = PSA_ERROR_BAD_STATE;
};

bool sizes_fit(bytes_view key, bytes_view nonce) noexcept {
    return key.size() == aes256_key_size && nonce.size() == gcm_nonce_size;
}

}  // namespace

Result<void> ensure_crypto_ready() noexcept {
    const psa_status_t status = psa_crypto_init();
    if (status != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status);
    return ok();
}

Sha256::Sha256() noexcept {
    auto* operation = new (operation_) psa_hash_operation_t(PSA_HASH_OPERATION_INIT);
    psa_status_t status = psa_crypto_init();
    if (status == PSA_SUCCESS) status = psa_hash_setup(operation, PSA_ALG_SHA_256);
    status_ = status;
}

Sha256::~Sha256() {
    auto* operation = reinterpret_cast<psa_hash_operation_t*>(operation_);
    if (!finished_) (void)psa_hash_abort(operation);
    operation->~psa_hash_operation_t();
}

void Sha256::update(bytes_view bytes) noexcept {
    if (status_ != PSA_SUCCESS || finished_ || bytes.empty()) return;
    status_ = psa_hash_update(reinterpret_cast<psa_hash_operation_t*>(operation_), bytes.data(),
                              bytes.size());
}

Result<Sha256Digest> Sha256::finish() noexcept {
    if (finished_) return Error{Errc::invalid_argument, 0};
    auto* operation = reinterpret_cast<psa_hash_operation_t*>(operation_);
    Sha256Digest digest{};
    std::size_t length = 0;
    if (status_ == PSA_SUCCESS) {
        status_ = psa_hash_finish(operation, digest.data(), digest.size(), &length);
    } else {
        (void)psa_hash_abort(operation);
    }
    finished_ = true;
    if (status_ != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status_);
    return digest;
}

Result<Sha256Digest> sha256(bytes_view bytes) noexcept {
    Sha256 hash;
    hash.update(bytes);
    return hash.finish();
}

Result<Sha256Digest> hmac_sha256(bytes_view key, bytes_view message) noexcept {
    MQTLS_TRY(ensure_crypto_ready());
    psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attributes, PSA_KEY_TYPE_HMAC);
    psa_set_key_bits(&attributes, PSA_BYTES_TO_BITS(key.size()));
    psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_MESSAGE);
    psa_set_key_algorithm(&attributes, PSA_ALG_HMAC(PSA_ALG_SHA_256));
    psa_key_id_t id = PSA_KEY_ID_NULL;
    psa_status_t status = psa_import_key(&attributes, key.data(), key.size(), &id);
    psa_reset_key_attributes(&attributes);
    if (status != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status);
    Sha256Digest mac{};
    std::size_t length = 0;
    status = psa_mac_compute(id, PSA_ALG_HMAC(PSA_ALG_SHA_256), message.data(), message.size(),
                             mac.data(), mac.size(), &length);
    (void)psa_destroy_key(id);
    if (status != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status);
    return mac;
}

Result<void> aes256_gcm_seal(bytes_view key, bytes_view nonce, bytes_view additional_data,
                             bytes_view plaintext, mutable_bytes out) noexcept {
    if (!sizes_fit(key, nonce) || out.size() < plaintext.size() + gcm_tag_size) {
        return Error{Errc::invalid_argument, 0};
    }
    MQTLS_TRY(ensure_crypto_ready());
    const GcmKey gcm(key);
    if (gcm.status() != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, gcm.status());
    std::size_t written = 0;
    const psa_status_t status =
        psa_aead_encrypt(gcm.id(), PSA_ALG_GCM, nonce.data(), nonce.size(), additional_data.data(),
                         additional_data.size(), plaintext.data(), plaintext.size(), out.data(),
                         out.size(), &written);
    if (status != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status);
    return ok();
}

Result<void> aes256_gcm_open(bytes_view key, bytes_view nonce, bytes_view additional_data,
                             bytes_view sealed, mutable_bytes out) noexcept {
    if (!sizes_fit(key, nonce) || sealed.size() < gcm_tag_size ||
        out.size() < sealed.size() - gcm_tag_size) {
        return Error{Errc::invalid_argument, 0};
    }
    MQTLS_TRY(ensure_crypto_ready());
    const GcmKey gcm(key);
    if (gcm.status() != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, gcm.status());
    std::size_t written = 0;
    const psa_status_t status = psa_aead_decrypt(
        gcm.id(), PSA_ALG_GCM, nonce.data(), nonce.size(), additional_data.data(),
        additional_data.size(), sealed.data(), sealed.size(), out.data(), out.size(), &written);
    if (status == PSA_ERROR_INVALID_SIGNATURE) return psa_error(Errc::session_invalid, status);
    if (status != PSA_SUCCESS) return psa_error(Errc::tls_setup_failed, status);
    return ok();
}

}  // namespace mqtls::tls::detail
