#include "mqtls/mqtt/topic.hpp"

#include <cstddef>
#include <cstdint>

#include "codec_rules.hpp"

namespace mqtls::mqtt {
namespace {

constexpr std::size_t max_mqtt_string = 65535;

// Length of the UTF-8 sequence introduced by `lead`, or 0 if `lead` cannot start one.
std::size_t sequence_length(std::uint8_t lead) noexcept {
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return 2;  // C0/C1 would be overlong encodings
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;  // above F4 exceeds U+10FFFF
    return 0;
}

// substr() could throw (and pull exception machinery into embedded builds); these cannot.
std::string_view slice(std::string_view text, std::size_t begin, std::size_t end) noexcept {
    return {text.data() + begin, end - begin};
}
std::size_t level_end(std::string_view text, std::size_t begin) noexcept {
    std::size_t i = begin;
    while (i < text.size() && text[i] != '/') ++i;
    return i;
}

}  // namespace

Result<void> validate_utf8(std::string_view text) noexcept {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        const auto offset = static_cast<std::int32_t>(i);
        const std::uint8_t lead = bytes[i];
        if (lead == 0) return Error{Errc::utf8_null_character, offset};  // [MQTT-1.5.3-2]
        const std::size_t length = sequence_length(lead);
        if (length == 0 || size - i < length) return Error{Errc::malformed_utf8, offset};
        for (std::size_t k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xc0) != 0x80) return Error{Errc::malformed_utf8, offset};
        }
        if (length == 3) {
            const std::uint8_t second = bytes[i + 1];
            if (lead == 0xe0 && second < 0xa0) return Error{Errc::malformed_utf8, offset};
            // U+D800..U+DFFF are UTF-16 surrogates, never characters [MQTT-1.5.3-1].
            if (lead == 0xed && second >= 0xa0) return Error{Errc::utf8_surrogate, offset};
        } else if (length == 4) {
            const std::uint8_t second = bytes[i + 1];
            if (lead == 0xf0 && second < 0x90) return Error{Errc::malformed_utf8, offset};
            if (lead == 0xf4 && second >= 0x90) return Error{Errc::malformed_utf8, offset};
        }
        i += length;
    }
    return ok();
}

Result<void> validate_topic_name(std::string_view topic) noexcept {
    if (topic.empty()) return Errc::empty_topic;  // [MQTT-4.7.3-1]
    MQTLS_TRY(rules::check_string(topic));
    for (std::size_t i = 0; i < topic.size(); ++i) {
        if (topic[i] == '+' || topic[i] == '#') {
            return Error{Errc::wildcard_in_topic, static_cast<std::int32_t>(i)};  // [MQTT-3.3.2-2]
        }
    }
    return ok();
}

Result<void> validate_topic_filter(std::string_view filter) noexcept {
    if (filter.empty()) return Errc::empty_topic;  // [MQTT-4.7.3-1]
    MQTLS_TRY(rules::check_string(filter));
    for (std::size_t i = 0; i < filter.size(); ++i) {
        const char c = filter[i];
        if (c != '+' && c != '#') continue;
        const bool starts_level = i == 0 || filter[i - 1] == '/';
        const bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
        const auto offset = static_cast<std::int32_t>(i);
        // [MQTT-4.7.1-2] '#' is alone in the last level; [MQTT-4.7.1-3] '+' fills a level.
        if (!starts_level || !ends_level) return Error{Errc::invalid_topic_filter, offset};
        if (c == '#' && i + 1 != filter.size()) return Error{Errc::invalid_topic_filter, offset};
    }
    return ok();
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
    // [MQTT-4.7.2-1] wildcards at the first level do not match topics beginning with '$'.
    if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
        (filter[0] == '+' || filter[0] == '#')) {
        return false;
    }
    std::size_t f = 0;  // start of the current level in each string
    std::size_t t = 0;
    for (;;) {
        const std::size_t f_end = level_end(filter, f);
        const std::size_t t_end = level_end(topic, t);
        const std::string_view f_level = slice(filter, f, f_end);
        if (f_level == "#") return true;  // this level, all deeper ones, and the parent level
        if (f_level != "+" && f_level != slice(topic, t, t_end)) return false;
        const bool f_last = f_end == filter.size();
        const bool t_last = t_end == topic.size();
        if (f_last || t_last) {
            // "sport/#" also matches "sport" [MQTT-4.7.1-2 non-normative example].
            return f_last == t_last || (t_last && slice(filter, f_end + 1, filter.size()) == "#");
        }
        f = f_end + 1;
        t = t_end + 1;
    }
}

namespace rules {

Result<void> check_string(std::string_view text) noexcept {
    if (text.size() > max_mqtt_string) return Errc::string_too_long;
    return validate_utf8(text);
}

Result<void> check_binary_length(std::size_t size) noexcept {
    if (size > max_mqtt_string) return Errc::string_too_long;
    return ok();
}

}  // namespace rules
}  // namespace mqtls::mqtt
