#include "mqtls/node/device.hpp"

#include <cstring>

namespace mqtls::node {
namespace {

constexpr bool is_device_id_character(char character) noexcept {
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
           (character >= '0' && character <= '9') || character == '.' || character == '_' ||
           character == '-';
}

}  // namespace

Result<void> validate_device_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_device_id_length) return Errc::invalid_device_id;
    for (const char character : id) {
        if (!is_device_id_character(character)) return Errc::invalid_device_id;
    }
    return ok();
}

Result<std::string_view> compose_topic(std::string_view prefix, std::string_view device_id,
                                       span<char> out) noexcept {
    const std::size_t length = prefix.size() + 1 + device_id.size();
    if (length > out.size()) return Errc::buffer_too_small;
    std::memcpy(out.data(), prefix.data(), prefix.size());
    out[prefix.size()] = '/';
    std::memcpy(out.data() + prefix.size() + 1, device_id.data(), device_id.size());
    return std::string_view(out.data(), length);
}

}  // namespace mqtls::node
