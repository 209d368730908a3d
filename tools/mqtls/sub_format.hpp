#pragma once
// `mqtls sub -F FORMAT`: mosquitto_sub's output format strings (man mosquitto_sub, "OUTPUT
// FORMAT"), parsed once before connecting and rendered for each message. Kept apart from the
// command so that the receive loop stays small.
//
//   %t topic   %p payload   %x %X payload in hex   %l payload length   %q QoS   %r retain
//   %m message id   %j %J JSON line   %I ISO-8601 time   %U Unix time with nanoseconds   %%
//   %C content type  %D correlation data  %E message expiry  %F payload format indicator
//   %P user properties (name:value, space-separated)  %R response topic  %S subscription ids
//   (MQTT 5 properties: empty over MQTT 3.1.1 and when absent; %A, a topic alias, always empty)
//   @X strftime's %X (local time)   @N nanoseconds   @@
//   \\ \0 \a \e \n \r \t \v
// Flags, width and precision as mosquitto_sub 2.0 applies them: %[-][0][width][.precision]c.

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtls/client/client.hpp"

namespace mqtls::cli {

/// How one %-field is laid out.
struct FieldLayout {
    bool left_align = false;               ///< '-': pad on the right
    bool zero_pad = false;                 ///< '0': pad numbers (and %p, %x, %X) with zeros
    std::size_t width = 0;                 ///< minimum width; for %p, %x, %X the exact width
    std::optional<std::size_t> precision;  ///< maximum width of %t and %I
};

/// One piece of a parsed format: literal bytes, a %-field, an @-time field or @N.
struct FormatPiece {
    enum class Kind { literal, field, time, nanoseconds };
    Kind kind = Kind::literal;
    std::string literal;  ///< Kind::literal
    char conversion = 0;  ///< Kind::field: the letter after %; Kind::time: after @
    FieldLayout layout;   ///< Kind::field
};

/// What rendering one message found worth telling the user.
struct RenderNotes {
    /// A %J payload was not JSON; it was written as a JSON string instead.
    bool payload_not_json = false;
};

class OutputFormat {
public:
    /// Parses a -F string. On a mistake, returns nullopt and sets `problem` to what is wrong
    /// (naming the specifier or escape, never the rest of the string).
    static std::optional<OutputFormat> parse(std::string_view format, std::string& problem);

    /// Appends the text for `message`, which arrived at `arrival` (CLOCK_REALTIME; every time
    /// field of the line shows this one instant), to `out`. No newline is added: -N decides.
    void render(const client::Message& message, const timespec& arrival, std::string& out,
                RenderNotes& notes) const;

private:
    std::vector<FormatPiece> pieces_;
};

/// Appends mosquitto_sub's JSON line for `message`: {"tst":..,"topic":..,"qos":..,"retain":..,
/// "payloadlen":..,"payload":..}. With `payload_as_json` (%J) a payload that is one JSON value
/// is embedded as JSON; otherwise (and for %j) it is a JSON string. An empty payload is null.
/// Returns false when %J had to write the payload as a string.
bool append_message_json(std::string& out, const client::Message& message, const timespec& arrival,
                         bool payload_as_json);

}  // namespace mqtls::cli
