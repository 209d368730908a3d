#pragma once
/// @file
/// Topic names, topic filters and MQTT's UTF-8 string rules (MQTT 3.1.1 sections 1.5.3 and 4.7).

#include <string_view>

#include "mqtls/core/result.hpp"

namespace mqtls::mqtt {

/// Checks an MQTT UTF-8 string: well-formed UTF-8 (shortest form, no code point above U+10FFFF),
/// no UTF-16 surrogates and no U+0000. Fails with malformed_utf8, utf8_surrogate or
/// utf8_null_character; `detail` is the byte offset of the offending sequence.
Result<void> validate_utf8(std::string_view text) noexcept;

/// A topic name to publish to: a valid MQTT string, non-empty, without '+' or '#'.
Result<void> validate_topic_name(std::string_view topic) noexcept;

/// A subscription filter: a valid MQTT string, non-empty, '#' only as the whole last level and
/// '+' only as a whole level.
Result<void> validate_topic_filter(std::string_view filter) noexcept;

/// Whether `topic` (a valid topic name) matches `filter` (a valid filter), including the rule that
/// wildcards at the first level do not match topics starting with '$' [MQTT-4.7.2-1].
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace mqtls::mqtt
