#include "session_seal.hpp"

#include <cstring>

#include "crypto.hpp"

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

bytes_view key_bytes(const SessionKey& key) noexcept {
    return {key.bytes.data(), key.bytes.size()};
}

std::uint64_t get_be(const std::uint8_t* in, std::size_t count) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value = (value << 8) | in[i];
    return value;
}

}  // namespace

Result<Digest> session_binding(std::string_view server_name, const Digest& identity) noexcept {
    static const char label[] = "mqtls sealed tls session binding v1";
    const std::uint8_t separator = 0;
    Sha256 hash;
    hash.update(bytes_view(reinterpret_cast<const std::uint8_t*>(label), sizeof label));
    hash.update(
        bytes_view(reinterpret_cast<const std::uint8_t*>(server_name.data()), server_name.size()));
    hash.update(bytes_view(&separator, 1));
    hash.update(bytes_view(identity.data(), identity.size()));
    return hash.finish();
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
    MQTLS_TRY(
        aes256_gcm_seal(key_bytes(key), bytes_view(p + nonce_offset, sizeof(Nonce)),
                        bytes_view(p, sealed_header_size), session,
                        mutable_bytes(p + sealed_header_size, session.size() + sealed_tag_size)));
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
    auto opened = aes256_gcm_open(key_bytes(key), bytes_view(p + nonce_offset, sizeof(Nonce)),
                                  bytes_view(p, sealed_header_size),
                                  bytes_view(p + sealed_header_size, length + sealed_tag_size),
                                  session_out.first(length));
    if (!opened) {
        std::memset(session_out.data(), 0, length);
        return Error{Errc::session_invalid, opened.error().detail};
    }
    return length;
}

}  // namespace mqtls::tls::detail
