#include "node_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

namespace mqtls::cli {
namespace {

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

std::string vformat(const char* format, va_list arguments) {
    va_list copy;
    va_copy(copy, arguments);
    const int length = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (length <= 0) return {};
    std::string text(static_cast<std::size_t>(length) + 1, '\0');
    std::vsnprintf(text.data(), text.size(), format, arguments);
    text.resize(static_cast<std::size_t>(length));
    return text;
}

}  // namespace

std::string iso8601_now() {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto now = std::chrono::system_clock::now();
    const std::int64_t since_epoch_ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
    const auto seconds = static_cast<std::time_t>(since_epoch_ms / 1000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[40];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + length, sizeof text - length, ".%03dZ",
                  static_cast<int>(since_epoch_ms % 1000));
    return text;
}

NodeLog::NodeLog(std::string device_id, const NodeLogFlags& flags, std::string prefix)
    : device_id_(std::move(device_id)),
      prefix_(std::move(prefix)),
      json_(flags.format == "json"),
      timestamps_(!flags.no_timestamps),
      quiet_(flags.quiet) {}

void NodeLog::event(LogLevel level, const char* name, nlohmann::ordered_json fields,
                    const char* format, ...) const {
    if (quiet_ && level == LogLevel::info) return;
    va_list arguments;
    va_start(arguments, format);
    std::string message = vformat(format, arguments);
    va_end(arguments);
    write(level, name, std::move(fields), message);
}

void NodeLog::write(LogLevel level, const char* name, nlohmann::ordered_json fields,
                    const std::string& message) const {
    std::string line;
    if (json_) {
        // The fixed members first, so a reader of the raw log finds them in the same place.
        nlohmann::ordered_json object = {{"ts", iso8601_now()},
                                         {"level", level_name(level)},
                                         {"event", name},
                                         {"device", device_id_}};
        if (fields.is_object()) {
            for (auto& [key, value] : fields.items()) object[key] = std::move(value);
        }
        object["message"] = prefix_ + message;
        // Text that is not UTF-8 (an odd error string) must not end the log line's JSON.
        line = object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    } else {
        if (timestamps_) line = iso8601_now() + " ";
        line += "mqtls node " + device_id_ + ": " + prefix_ + message;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    // Flushed per line, so whoever reads the pipe (the demo, a test, a log) sees each event at
    // once.
    std::fflush(stdout);
}

void NodeLog::pass_on(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace mqtls::cli
