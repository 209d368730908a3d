#pragma once
// The log of `mqtls node`: one line per event on standard output, as text
//   2026-12-02T10:15:30.123Z mqtls node sensor-17: published seq=3 qos=1 to ...
// (without the timestamp with --no-timestamps) or, with --log-format json, as one JSON object
// per line: {"ts":"2026-12-02T10:15:30.123Z","level":"info","event":"published",
// "device":"sensor-17", <the event's fields>, "message":"<the text line's message>"}.
// --quiet keeps warnings and errors only. Standard error carries the errors that end the
// node (the common "mqtls node: <what>\n  hint: ..." report) and a sensor command's own
// standard error, so the log on standard output stays in one format.

#include <cstdarg>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mqtls::cli {

enum class LogLevel { info, warning, error };

struct NodeLogFlags {
    std::string format = "text";  // text | json
    bool no_timestamps = false;
    bool quiet = false;
};

/// The wall clock as ISO 8601 UTC with milliseconds: 2026-12-02T10:15:30.123Z.
std::string iso8601_now();

class NodeLog {
public:
    /// `prefix` starts every text message (the wake-cycle mode's "wake: ").
    NodeLog(std::string device_id, const NodeLogFlags& flags, std::string prefix = {});

    /// Logs event `name` with `fields` (a JSON object) and the human message `format`.
    void event(LogLevel level, const char* name, nlohmann::ordered_json fields, const char* format,
               ...) const __attribute__((format(printf, 5, 6)));
    /// Logs a line that is already formatted (the output of a wake cycle's own process, which
    /// logs in the same format): passed on as it is.
    static void pass_on(const std::string& line);

    [[nodiscard]] bool json() const noexcept { return json_; }

private:
    void write(LogLevel level, const char* name, nlohmann::ordered_json fields,
               const std::string& message) const;

    std::string device_id_;
    std::string prefix_;
    bool json_ = false;
    bool timestamps_ = true;
    bool quiet_ = false;
};

}  // namespace mqtls::cli
