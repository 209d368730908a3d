#include "session_seal.hpp"

#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>

#include <cstring>

namespace mqtls::tls::detail {
namespace {

constexpr std::uint8_t magic[8] = {'M', 'Q', 'T', 'L', 'S', 'S', 'E', 'S'};
constexpr std::uint8_t format_version = 1;
constexpr std::size_t nonce_offset = 56;

void put_u32(std::uint8_t* out, std::uint32_t value) noexcept {
    for (int i = 3; i >= 0; --i) {
        out[i] = static_cast<std::uint8_t>(value & 0xFFU);
        value >>= 8;
    }
}

void put_u64(std::uint8_t* out, std::uint64_t value) noexcept {
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<std::uint8_t>(value & 0xFFU);
        value >>= 8;
    }
}

std::uint64_t get_be(const std::uint8_t* in, std::size_t count) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value = (value << 8) | in[i];
    return value;
}

// One GCM operation (mode MBEDTLS_GCM_ENCRYPT or _DECRYPT) over the sealed layout.
// Encrypting writes the tag to `tag_out`; decrypting checks it against `tag_in`.
int run_gcm(const SessionKey& key, int mode, const std::uint8_t* header, const std::uint8_t* input,
            std::size_t length, std::uint8_t* output, std::uint8_t* tag_out,
            const std::uint8_t* tag_in) noexcept {
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key.bytes.data(), 256);
    if (ret == 0 && mode == MBEDTLS_GCM_ENCRYPT) {
        ret = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, length, header + nonce_offset,
                                        sizeof(Nonce), header, sealed_header_size, input, output,
                                        sealed_tag_size, tag_out);
    } else if (ret == 0) {
        ret = mbedtls_gcm_auth_decrypt(&gcm, length, header + nonce_offset, sizeof(Nonce), header,
                                       sealed_header_size, tag_in, sealed_tag_size, input, output);
    }
    mbedtls_gcm_free(&gcm);
    return ret;
}

}  // namespace

Result<Digest> session_binding(std::string_view server_name, const Digest& identity) noexcept {
    static const char label[] = "mqtls sealed tls session binding v1";
    Digest digest{};
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    const std::uint8_t separator = 0;
    int ret = mbedtls_sha256_starts_ret(&sha, 0);
    if (ret == 0) {
        ret = mbedtls_sha256_update_ret(&sha, reinterpret_cast<const std::uint8_t*>(label),
                                        sizeof label);
    }
    if (ret == 0) {
        ret = mbedtls_sha256_update_ret(
            &sha, reinterpret_cast<const std::uint8_t*>(server_name.data()), server_name.size());
    }
    if (ret == 0) ret = mbedtls_sha256_update_ret(&sha, &separator, 1);
    if (ret == 0) ret = mbedtls_sha256_update_ret(&sha, identity.data(), identity.size());
    if (ret == 0) ret = mbedtls_sha256_finish_ret(&sha, digest.data());
    mbedtls_sha256_free(&sha);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    return digest;
}

Result<std::size_t> seal_session(const SessionKey& key, const SealedHeader& header,
                                 const Nonce& nonce, bytes_view session,
                                 mutable_bytes out) noexcept {
    const std::size_t total = session.size() + sealed_overhead;
    if (total > max_sealed_session_size || total > out.size()) return Errc::message_too_large;
    std::uint8_t* p = out.data();
    std::memset(p, 0, sealed_header_size);
    std::memcpy(p, magic, sizeof magic);
    p[8] = format_version;
    put_u64(p + 12, static_cast<std::uint64_t>(header.created));
    put_u32(p + 20, header.lifetime_s);
    std::memcpy(p + 24, header.binding.data(), header.binding.size());
    std::memcpy(p + nonce_offset, nonce.data(), nonce.size());
    const int ret =
        run_gcm(key, MBEDTLS_GCM_ENCRYPT, p, session.data(), session.size(), p + sealed_header_size,
                p + sealed_header_size + session.size(), nullptr);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    return total;
}

Result<SealedHeader> peek_sealed_header(bytes_view sealed) noexcept {
    if (sealed.size() <= sealed_overhead || sealed.size() > max_sealed_session_size) {
        return Error{Errc::session_invalid, static_cast<std::int32_t>(sealed.size())};
    }
    const std::uint8_t* p = sealed.data();
    if (std::memcmp(p, magic, sizeof magic) != 0 || p[8] != format_version || p[9] != 0 ||
        p[10] != 0 || p[11] != 0) {
        return Error{Errc::session_invalid, 0};
    }
    SealedHeader header;
    header.created = static_cast<std::int64_t>(get_be(p + 12, 8));
    header.lifetime_s = static_cast<std::uint32_t>(get_be(p + 20, 4));
    std::memcpy(header.binding.data(), p + 24, header.binding.size());
    return header;
}

Result<std::size_t> open_sealed_session(const SessionKey& key, bytes_view sealed,
                                        mutable_bytes session_out) noexcept {
    MQTLS_TRY(peek_sealed_header(sealed));
    const std::size_t length = sealed.size() - sealed_overhead;
    if (session_out.size() < length) return Errc::message_too_large;
    const std::uint8_t* p = sealed.data();
    const int ret = run_gcm(key, MBEDTLS_GCM_DECRYPT, p, p + sealed_header_size, length,
                            session_out.data(), nullptr, p + sealed_header_size + length);
    if (ret != 0) {
        std::memset(session_out.data(), 0, length);
        return Error{Errc::session_invalid, ret};
    }
    return length;
}

}  // namespace mqtls::tls::detail
