// Fuzz target: the UTF-8 rules (MQTT 3.1.1 section 1.5.3), topic name and filter validation and
// topic matching (section 4.7), each compared with a deliberately plain reference written here
// from the specification text, so a disagreement points at one side or the other.
//
// Input: "<filter>\0<topic>". Without a NUL the whole input is both the filter and the topic.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::mqtt;

struct Verdict {
    bool valid = true;
    Errc code{};
    std::size_t offset = 0;
};

// A multi-byte sequence: its length, and the smallest code point it may encode (below it the
// sequence is overlong). Length 0 for a continuation byte, C0/C1 (always overlong) and F5..FF.
struct Shape {
    std::size_t length = 0;
    std::uint32_t smallest = 0;
};
Shape sequence_shape(std::uint8_t lead) {
    if (lead >= 0xc2 && lead <= 0xdf) return {2, 0x80};
    if (lead >= 0xe0 && lead <= 0xef) return {3, 0x800};
    if (lead >= 0xf0 && lead <= 0xf4) return {4, 0x10000};
    return {};
}

// Decodes every sequence in full and judges the code point, which is how section 1.5.3 reads.
Verdict reference_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[i]);
        const Verdict malformed{false, Errc::malformed_utf8, i};
        if (lead == 0) return {false, Errc::utf8_null_character, i};
        if (lead < 0x80) {
            ++i;
            continue;
        }
        const auto [length, smallest] = sequence_shape(lead);
        if (length == 0) return malformed;
        std::uint32_t code_point = lead & (0xffU >> (length + 1));
        if (text.size() - i < length) return malformed;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<std::uint8_t>(text[i + k]);
            if ((next & 0xc0) != 0x80) return malformed;
            code_point = (code_point << 6) | (next & 0x3fU);
        }
        if (code_point < smallest || code_point > 0x10ffff) return malformed;
        if (code_point >= 0xd800 && code_point <= 0xdfff) {
            return {false, Errc::utf8_surrogate, i};
        }
        i += length;
    }
    return {};
}

bool reference_string(std::string_view text) {
    return !text.empty() && text.size() <= 65535 && reference_utf8(text).valid;
}

bool reference_name(std::string_view text) {
    return reference_string(text) && text.find_first_of("+#") == std::string_view::npos;
}

// '#' only as the whole last level, '+' only as a whole level.
bool reference_filter(std::string_view text) {
    if (!reference_string(text)) return false;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t end = std::min(text.find('/', begin), text.size());
        const std::string_view level = text.substr(begin, end - begin);
        if (level.find('#') != std::string_view::npos && (level != "#" || end != text.size())) {
            return false;
        }
        if (level.find('+') != std::string_view::npos && level != "+") return false;
        if (end == text.size()) return true;
        begin = end + 1;
    }
}

// Level by level; '#' also matches the parent level ("a/#" matches "a"), and wildcards at the
// first level do not match topics that start with '$' [MQTT-4.7.2-1].
bool reference_match(std::string_view filter, std::string_view topic) {
    if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#')) return false;
    std::size_t f = 0;
    std::size_t t = 0;
    bool topic_done = false;
    for (;;) {
        const std::size_t f_end = std::min(filter.find('/', f), filter.size());
        const std::string_view level = filter.substr(f, f_end - f);
        if (level == "#") return true;
        if (topic_done) return false;
        const std::size_t t_end = std::min(topic.find('/', t), topic.size());
        if (level != "+" && level != topic.substr(t, t_end - t)) return false;
        if (f_end == filter.size()) return t_end == topic.size();
        f = f_end + 1;
        if (t_end == topic.size()) {
            topic_done = true;
        } else {
            t = t_end + 1;
        }
    }
}

void check_utf8(std::string_view text) {
    const Verdict expected = reference_utf8(text);
    const auto actual = validate_utf8(text);
    MQTLS_FUZZ_CHECK(actual.has_value() == expected.valid);
    if (expected.valid) return;
    MQTLS_FUZZ_CHECK(actual.error().code == expected.code);
    MQTLS_FUZZ_CHECK(actual.error().detail == static_cast<std::int32_t>(expected.offset));
}

void check_one(std::string_view text) {
    check_utf8(text);
    const bool name = validate_topic_name(text).has_value();
    const bool filter = validate_topic_filter(text).has_value();
    MQTLS_FUZZ_CHECK(name == reference_name(text));
    MQTLS_FUZZ_CHECK(filter == reference_filter(text));
    // A topic name without wildcards is also a filter that matches exactly itself.
    if (name) {
        MQTLS_FUZZ_CHECK(filter);
        MQTLS_FUZZ_CHECK(topic_matches(text, text));
    }
}

}  // namespace

// The libFuzzer entry point; its name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string_view filter = input.substr(0, nul);
    const std::string_view topic = nul == std::string_view::npos ? input : input.substr(nul + 1);

    check_one(filter);
    check_one(topic);
    if (validate_topic_filter(filter) && validate_topic_name(topic)) {
        MQTLS_FUZZ_CHECK(topic_matches(filter, topic) == reference_match(filter, topic));
        // A filter without wildcards matches only the identical topic.
        if (filter.find_first_of("+#") == std::string_view::npos) {
            MQTLS_FUZZ_CHECK(topic_matches(filter, topic) == (filter == topic));
        }
    }
    return 0;
}
