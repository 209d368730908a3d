#pragma once
// Readings from outside `mqtls node` (--sensor-command, --sensor-stdin): one JSON object of
// sensor fields, e.g. {"temperature_c":21.5,"door":"open"}. It is parsed and checked here, on
// the host (nlohmann_json), and serialized again, so that what the node publishes is always
// well-formed JSON whatever came in; the node then adds device, run, seq and ts in front
// (TelemetryNode::take_json_reading, which stays heap- and exception-free).

#include <cstddef>
#include <string>
#include <string_view>

namespace mqtls::cli {

/// Largest input one reading may be (a line on standard input, a command's output).
inline constexpr std::size_t max_external_input_bytes = 4096;
/// Deepest nesting of a reading: the reading object is level 1, so a field may hold an object
/// or array nested up to 3 levels ({"a":{"b":[1]}} is 3 levels).
inline constexpr std::size_t max_external_depth = 4;

/// A reading from outside after checking: its members ("key":value,... without braces) for
/// TelemetryNode::take_json_reading, or why it was refused.
struct ExternalReading {
    std::string fields;
    std::string problem;  // empty: `fields` holds the reading

    [[nodiscard]] bool ok() const noexcept { return problem.empty(); }
};

/// Checks `text` (surrounding whitespace allowed): a JSON object of 1 or more fields, at most
/// max_external_input_bytes and max_external_depth, valid UTF-8, every number finite and in
/// range, no key twice in one object, and none of the node's own keys (device, run, seq, ts)
/// at the top, which the node sets itself. The problem never quotes the input, so a line of
/// binary junk cannot reach the terminal.
ExternalReading parse_external_reading(std::string_view text);

}  // namespace mqtls::cli
