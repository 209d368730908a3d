#include "mqtls/mqtt/topic.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

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

// Rules on the second byte of 3- and 4-byte sequences that the lead byte alone cannot express.
std::optional<Errc> second_byte_error(std::uint8_t lead, std::uint8_t second) noexcept {
    if (lead == 0xe0 && second < 0xa0) return Errc::malformed_utf8;  // overlong
    // U+D800..U+DFFF are UTF-16 surrogates, never characters [MQTT-1.5.3-1].
    if (lead == 0xed && second >= 0xa0) return Errc::utf8_surrogate;
    if (lead == 0xf0 && second < 0x90) return Errc::malformed_utf8;   // overlong
    if (lead == 0xf4 && second >= 0x90) return Errc::malformed_utf8;  // above U+10FFFF
    return std::nullopt;
}

// Checks the UTF-8 sequence at `s` (with `available` bytes left); sets `length` when it is valid.
std::optional<Errc> sequence_error(const std::uint8_t* s, std::size_t available,
                                   std::size_t& length) noexcept {
    if (s[0] == 0) return Errc::utf8_null_character;  // [MQTT-1.5.3-2]
    length = sequence_length(s[0]);
    if (length == 0 || available < length) return Errc::malformed_utf8;
    for (std::size_t k = 1; k < length; ++k) {
        if ((s[k] & 0xc0) != 0x80) return Errc::malformed_utf8;
    }
    return length >= 3 ? second_byte_error(s[0], s[1]) : std::nullopt;
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
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = 0;
        if (const auto error = sequence_error(bytes + i, text.size() - i, length)) {
            return Error{*error, static_cast<std::int32_t>(i)};
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
