#include "mqtls/tls/azure_sas.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>

#include <cstdio>
#include <cstring>

#include "crypto.hpp"

namespace mqtls::tls {
namespace {

constexpr std::size_t max_resource = 256;
constexpr std::size_t max_key = 64;  // IoT Hub's keys are 32 or 64 bytes

// Appends to a fixed buffer; remembers whether anything did not fit.
class Text {
public:
    explicit Text(span<char> out) noexcept : out_(out) {}
    void add(std::string_view text) noexcept {
        if (text.size() > out_.size() - length_) {
            overflow_ = true;
            return;
        }
        std::memcpy(out_.data() + length_, text.data(), text.size());
        length_ += text.size();
    }
    // RFC 3986 2.3: unreserved characters as they are, everything else %XX (upper case), as
    // IoT Hub's own SDKs encode the resource and the signature.
    void add_url_encoded(std::string_view text) noexcept {
        static constexpr char hex[] = "0123456789ABCDEF";
        for (const char c : text) {
            const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                                    c == '~';
            if (unreserved) {
                add(std::string_view(&c, 1));
            } else {
                const auto byte = static_cast<unsigned char>(c);
                const char escaped[3] = {'%', hex[byte >> 4U], hex[byte & 0x0FU]};
                add(std::string_view(escaped, sizeof escaped));
            }
        }
    }
    [[nodiscard]] std::string_view view() const noexcept { return {out_.data(), length_}; }
    [[nodiscard]] bool overflow() const noexcept { return overflow_; }
    [[nodiscard]] std::size_t size() const noexcept { return length_; }

private:
    span<char> out_;
    std::size_t length_ = 0;
    bool overflow_ = false;
};

}  // namespace

Result<std::size_t> azure_sas_token(std::string_view resource, std::string_view base64_key,
                                    std::int64_t expiry_unix_s, span<char> out) noexcept {
    if (resource.empty() || resource.size() > max_resource) return Error{Errc::invalid_argument, 1};
    std::uint8_t key[max_key];
    std::size_t key_length = 0;
    if (base64_key.empty() ||
        mbedtls_base64_decode(key, sizeof key, &key_length,
                              reinterpret_cast<const unsigned char*>(base64_key.data()),
                              base64_key.size()) != 0 ||
        key_length == 0) {
        mbedtls_platform_zeroize(key, sizeof key);
        return Error{Errc::invalid_argument, 2};
    }
    if (expiry_unix_s <= 0) {
        mbedtls_platform_zeroize(key, sizeof key);
        return Error{Errc::invalid_argument, 3};
    }
    char expiry[24];
    const int expiry_length =
        std::snprintf(expiry, sizeof expiry, "%lld", static_cast<long long>(expiry_unix_s));

    // What is signed: the URL-encoded resource, a newline, the expiry.
    char signed_text[3 * max_resource + 1 + sizeof expiry];
    Text to_sign(span<char>(signed_text, sizeof signed_text));
    to_sign.add_url_encoded(resource);
    const std::size_t encoded_resource_length = to_sign.size();
    to_sign.add("\n");
    to_sign.add(std::string_view(expiry, static_cast<std::size_t>(expiry_length)));
    auto mac = detail::hmac_sha256(bytes_view(key, key_length),
                                   as_bytes(to_sign.view().data(), to_sign.view().size()));
    mbedtls_platform_zeroize(key, sizeof key);
    if (!mac) return mac.error();

    unsigned char signature[48];  // Base64 of 32 bytes: 44 characters and a NUL
    std::size_t signature_length = 0;
    if (mbedtls_base64_encode(signature, sizeof signature, &signature_length, mac->data(),
                              mac->size()) != 0) {
        return Error{Errc::tls_setup_failed, 0};
    }
    Text token(out);
    token.add("SharedAccessSignature sr=");
    token.add(std::string_view(signed_text, encoded_resource_length));
    token.add("&sig=");
    token.add_url_encoded(
        std::string_view(reinterpret_cast<const char*>(signature), signature_length));
    token.add("&se=");
    token.add(std::string_view(expiry, static_cast<std::size_t>(expiry_length)));
    if (token.overflow()) return Error{Errc::buffer_too_small, 0};
    return token.size();
}

}  // namespace mqtls::tls
