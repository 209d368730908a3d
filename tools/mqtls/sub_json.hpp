#pragma once
// JSON as `mqtls sub -F %j/%J` writes it: byte for byte what mosquitto_sub 2.0 prints (it uses
// cJSON), so that scripts written against mosquitto_sub's JSON lines read ours unchanged.

#include <string>
#include <string_view>

namespace mqtls::cli {

/// Appends `text` as a JSON string: '"' and '\' escaped, \b \f \n \r \t by name, the other
/// control characters as \u00xx (lower-case hex); every other byte as it is (UTF-8 or not,
/// as mosquitto_sub does: the payload is not re-encoded).
void append_json_string(std::string& out, std::string_view text);

/// Appends a JSON number as cJSON prints it (mosquitto_sub's %J): the shortest of %1.15g and
/// %1.17g that reads back as the same double; "null" for infinities and NaN.
void append_json_number(std::string& out, double value);

/// If `text` is exactly one JSON value (RFC 8259; white space around it allowed), appends it
/// without white space, with strings re-escaped and numbers re-printed as above, and returns
/// true; object keys keep their order and duplicates. Otherwise appends nothing, returns false.
bool append_compact_json(std::string& out, std::string_view text);

}  // namespace mqtls::cli
