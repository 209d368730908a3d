#include "mqtls/node/device.hpp"

#include <cstring>

#include "mqtls/mqtt/topic.hpp"

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

Result<std::string_view> expand_topic_template(std::string_view topic_template,
                                               std::string_view device_id,
                                               span<char> out) noexcept {
    std::size_t used = 0;
    // Pieces are views built from pointers: string_view's substr() and compare(pos, ...)
    // could throw, which the embeddable layers must not link in.
    const char* const text = topic_template.data();
    for (std::size_t at = 0; at < topic_template.size();) {
        const std::size_t left = topic_template.size() - at;
        std::string_view piece(text + at, 1);
        std::size_t consumed = 1;
        if (left >= device_placeholder.size() &&
            std::string_view(text + at, device_placeholder.size()) == device_placeholder) {
            piece = device_id;
            consumed = device_placeholder.size();
        } else if (text[at] == '{' || text[at] == '}') {
            // Only {device} is defined; a stray brace is most likely a mistyped placeholder
            // ({id}, {device_id}), which must not end up in the topic as written.
            return Error{Errc::invalid_argument, static_cast<std::int32_t>(at)};
        }
        if (piece.size() > out.size() - used) return Errc::buffer_too_small;
        std::memcpy(out.data() + used, piece.data(), piece.size());
        used += piece.size();
        at += consumed;
    }
    const std::string_view topic(out.data(), used);
    MQTLS_TRY(mqtt::validate_topic_name(topic));
    return topic;
}

}  // namespace mqtls::node
