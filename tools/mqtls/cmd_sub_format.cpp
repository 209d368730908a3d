// `mqtls sub -F FORMAT` (sub_format.hpp). Part of the sub command; named cmd_sub_* so the
// cmd_*.cpp glob of tools/mqtls/CMakeLists.txt builds it into mqtls.
//
// Where mosquitto_sub 2.0.11's behaviour and its manual disagree, this follows what the program
// does (checked side by side on the same broker), except where that loses data: %5x on a
// 2-byte payload prints both bytes here, one byte there.
#include <cctype>
#include <cstdio>
#include <string>

#include "sub_format.hpp"
#include "sub_json.hpp"

namespace mqtls::cli {
namespace {

// Larger widths are mistakes, and would make every line that large.
constexpr std::size_t max_field_width = 65535;

// The %-conversions mosquitto_sub 2.0 knows. The MQTT 5 ones (A C D E F P R S) name properties
// that an MQTT 3.1.1 message never carries, so they print as empty fields there, as with
// mosquitto_sub -V 311; under -V 5 they show the message's properties.
constexpr std::string_view known_conversions = "%ACDEFIJPRSUXjlmpqrtx";

// The character as a user typed it, or \xNN for one that does not print.
std::string shown(char c) {
    if (std::isprint(static_cast<unsigned char>(c)) != 0) {
        std::string text(1, c);
        return text;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return hex;
}

std::optional<char> escaped_character(char name) {
    switch (name) {
        case '\\':
            return '\\';
        case '0':
            return '\0';
        case 'a':
            return '\a';
        case 'e':
            return '\x1b';
        case 'n':
            return '\n';
        case 'r':
            return '\r';
        case 't':
            return '\t';
        case 'v':
            return '\v';
        default:
            return std::nullopt;
    }
}

// Reads decimal digits at format[at...]; false when the number exceeds max_field_width.
bool read_number(std::string_view format, std::size_t& at, std::size_t& value) {
    value = 0;
    while (at < format.size() && std::isdigit(static_cast<unsigned char>(format[at])) != 0) {
        value = value * 10 + static_cast<std::size_t>(format[at] - '0');
        if (value > max_field_width) return false;
        ++at;
    }
    return true;
}

// The parser's cursor and output.
struct Parse {
    std::string_view format;
    std::size_t at = 0;  // the next character to read
    std::vector<FormatPiece> pieces;
    std::string problem;

    void add_literal(std::string_view text) {
        if (pieces.empty() || pieces.back().kind != FormatPiece::Kind::literal) {
            pieces.push_back(FormatPiece{});
        }
        pieces.back().literal.append(text.data(), text.size());
    }
    bool fail(std::string what) {
        problem = std::move(what);
        return false;
    }
};

// After '%': [-][0][width][.precision]conversion.
bool parse_field(Parse& parse) {
    const std::string_view format = parse.format;
    std::size_t& at = parse.at;
    FieldLayout layout;
    if (at < format.size() && format[at] == '-') {
        layout.left_align = true;
        ++at;
    }
    if (at < format.size() && format[at] == '0') {
        layout.zero_pad = true;
        ++at;
    }
    bool number_ok = read_number(format, at, layout.width);
    if (number_ok && at < format.size() && format[at] == '.') {
        ++at;
        std::size_t precision = 0;
        number_ok = read_number(format, at, precision);
        layout.precision = precision;
    }
    if (!number_ok) {
        return parse.fail("-F: a field width or precision above " +
                          std::to_string(max_field_width));
    }
    if (at >= format.size()) return parse.fail("-F: the format ends inside a %-specifier");
    const char conversion = format[at++];
    if (known_conversions.find(conversion) == std::string_view::npos) {
        return parse.fail("-F: unknown format specifier '%" + shown(conversion) + "'");
    }
    if (conversion == '%') {
        parse.add_literal("%");
        return true;
    }
    FormatPiece piece;
    piece.kind = FormatPiece::Kind::field;
    piece.conversion = conversion;
    piece.layout = layout;
    parse.pieces.push_back(std::move(piece));
    return true;
}

// After '@': @@, @N, or a strftime conversion (any character: strftime decides, as there).
bool parse_time(Parse& parse) {
    if (parse.at >= parse.format.size()) {
        return parse.fail("-F: the format ends inside an @-specifier");
    }
    const char conversion = parse.format[parse.at++];
    if (conversion == '@') {
        parse.add_literal("@");
        return true;
    }
    FormatPiece piece;
    piece.kind = conversion == 'N' ? FormatPiece::Kind::nanoseconds : FormatPiece::Kind::time;
    piece.conversion = conversion;
    parse.pieces.push_back(std::move(piece));
    return true;
}

bool parse_escape(Parse& parse) {
    if (parse.at >= parse.format.size()) {
        return parse.fail("-F: the format ends inside a \\-escape");
    }
    const char name = parse.format[parse.at++];
    const std::optional<char> character = escaped_character(name);
    if (!character) return parse.fail("-F: unknown escape '\\" + shown(name) + "'");
    parse.add_literal(std::string_view(&*character, 1));
    return true;
}

void append_padded(std::string& out, std::string_view value, const FieldLayout& layout, char pad) {
    const std::size_t padding = layout.width > value.size() ? layout.width - value.size() : 0;
    if (!layout.left_align) out.append(padding, pad);
    out.append(value.data(), value.size());
    if (layout.left_align) out.append(padding, ' ');
}

// %t, %I and the empty MQTT 5 fields: minimum width, precision the maximum, blank padding.
void append_text(std::string& out, std::string_view value, const FieldLayout& layout) {
    if (layout.precision && value.size() > *layout.precision) {
        value = value.substr(0, *layout.precision);
    }
    append_padded(out, value, layout, ' ');
}

char number_pad(const FieldLayout& layout) {
    return layout.zero_pad && !layout.left_align ? '0' : ' ';
}

void append_number(std::string& out, unsigned long long value, const FieldLayout& layout) {
    append_padded(out, std::to_string(value), layout, number_pad(layout));
}

// %p: a width is exact (mosquitto_sub cuts a longer payload to it).
void append_payload(std::string& out, std::string_view payload, const FieldLayout& layout) {
    if (layout.width > 0 && payload.size() > layout.width)
        payload = payload.substr(0, layout.width);
    append_padded(out, payload, layout, number_pad(layout));
}

// %x / %X: a width is exact too, in hex digits: as many whole bytes as fit.
void append_hex(std::string& out, std::string_view payload, const FieldLayout& layout,
                bool upper_case) {
    if (layout.width > 0 && payload.size() > layout.width / 2) {
        payload = payload.substr(0, layout.width / 2);
    }
    const char* digits = upper_case ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string hex;
    hex.reserve(payload.size() * 2);
    for (const char byte : payload) {
        const auto value = static_cast<unsigned char>(byte);
        hex += digits[value >> 4U];
        hex += digits[value & 0x0fU];
    }
    append_padded(out, hex, layout, number_pad(layout));
}

std::tm local_time(const timespec& when) {
    std::tm broken_down{};
    const std::time_t seconds = when.tv_sec;
    localtime_r(&seconds, &broken_down);
    return broken_down;
}

void append_strftime(std::string& out, const char* format, const std::tm& when) {
    char text[256];
    const std::size_t length = std::strftime(text, sizeof text, format, &when);
    out.append(text, length);
}

// %I: 2016-08-10T09:47:38+0100 (local time).
std::string iso_time(const timespec& when) {
    std::string text;
    append_strftime(text, "%Y-%m-%dT%H:%M:%S%z", local_time(when));
    return text;
}

void append_unix_time(std::string& out, const timespec& when) {
    char text[48];
    std::snprintf(text, sizeof text, "%lld.%09ld", static_cast<long long>(when.tv_sec),
                  static_cast<long>(when.tv_nsec));
    out += text;
}

// %P: "name:value", separated by spaces, in the order the broker sent them.
std::string user_property_pairs(const client::Message& message) {
    std::string pairs;
    for (const auto& [name, value] : message.user_properties) {
        if (!pairs.empty()) pairs += ' ';
        pairs += name;
        pairs += ':';
        pairs += value;
    }
    return pairs;
}

// %S: the Subscription Identifiers, separated by spaces.
std::string subscription_identifier_list(const client::Message& message) {
    std::string identifiers;
    for (const std::uint32_t identifier : message.subscription_identifiers) {
        if (!identifiers.empty()) identifiers += ' ';
        identifiers += std::to_string(identifier);
    }
    return identifiers;
}

// %A %C %D %E %F %P %R %S: the message's MQTT 5 properties (3.3.2.3), empty when it has none.
void append_property(std::string& out, char conversion, const client::Message& message,
                     const FieldLayout& layout) {
    switch (conversion) {
        case 'A':
            if (message.topic_alias) return append_number(out, *message.topic_alias, layout);
            break;
        case 'C':
            return append_text(out, message.content_type, layout);
        case 'D':
            return append_text(out, message.correlation_data, layout);
        case 'E':
            if (message.message_expiry_s)
                return append_number(out, *message.message_expiry_s, layout);
            break;
        case 'F':
            if (message.payload_format) return append_number(out, *message.payload_format, layout);
            break;
        case 'P':
            return append_text(out, user_property_pairs(message), layout);
        case 'R':
            return append_text(out, message.response_topic, layout);
        case 'S':
            return append_text(out, subscription_identifier_list(message), layout);
        default:
            break;
    }
    append_text(out, {}, layout);
}

void append_field(std::string& out, const FormatPiece& piece, const client::Message& message,
                  const timespec& arrival, RenderNotes& notes) {
    const FieldLayout& layout = piece.layout;
    switch (piece.conversion) {
        case 't':
            return append_text(out, message.topic, layout);
        case 'p':
            return append_payload(out, message.payload, layout);
        case 'x':
        case 'X':
            return append_hex(out, message.payload, layout, piece.conversion == 'X');
        case 'l':
            return append_number(out, message.payload.size(), layout);
        case 'q':
            out += std::to_string(static_cast<unsigned>(message.qos));
            return;
        case 'r':
            out += message.retain ? '1' : '0';
            return;
        case 'm':
            // A QoS 0 message has no identifier (mosquitto_sub prints 0). For QoS 1 and 2 the
            // client does not pass the packet identifier on, so the field stays empty.
            if (message.qos == mqtt::QoS::at_most_once) return append_number(out, 0, layout);
            return append_text(out, {}, layout);
        case 'j':
        case 'J':
            if (!append_message_json(out, message, arrival, piece.conversion == 'J')) {
                notes.payload_not_json = true;
            }
            return;
        case 'I':
            return append_text(out, iso_time(arrival), layout);
        case 'U':
            return append_unix_time(out, arrival);
        default:
            return append_property(out, piece.conversion, message, layout);
    }
}

}  // namespace

std::optional<OutputFormat> OutputFormat::parse(std::string_view format, std::string& problem) {
    Parse parse{format, 0, {}, {}};
    while (parse.at < format.size()) {
        const std::size_t special = format.find_first_of("%@\\", parse.at);
        if (special != parse.at) {
            const std::size_t end = special == std::string_view::npos ? format.size() : special;
            parse.add_literal(format.substr(parse.at, end - parse.at));
            parse.at = end;
            continue;
        }
        const char introducer = format[parse.at++];
        const bool parsed = introducer == '%'   ? parse_field(parse)
                            : introducer == '@' ? parse_time(parse)
                                                : parse_escape(parse);
        if (!parsed) {
            problem = std::move(parse.problem);
            return std::nullopt;
        }
    }
    OutputFormat parsed;
    parsed.pieces_ = std::move(parse.pieces);
    return parsed;
}

void OutputFormat::render(const client::Message& message, const timespec& arrival, std::string& out,
                          RenderNotes& notes) const {
    std::optional<std::tm> local;  // converted once, when the first @-field needs it
    for (const FormatPiece& piece : pieces_) {
        switch (piece.kind) {
            case FormatPiece::Kind::literal:
                out += piece.literal;
                break;
            case FormatPiece::Kind::field:
                append_field(out, piece, message, arrival, notes);
                break;
            case FormatPiece::Kind::time: {
                if (!local) local = local_time(arrival);
                const char format[3] = {'%', piece.conversion, '\0'};
                append_strftime(out, format, *local);
                break;
            }
            case FormatPiece::Kind::nanoseconds: {
                char text[32];
                std::snprintf(text, sizeof text, "%09ld", static_cast<long>(arrival.tv_nsec));
                out += text;
                break;
            }
        }
    }
}

bool append_message_json(std::string& out, const client::Message& message, const timespec& arrival,
                         bool payload_as_json) {
    // "tst" is local time with microseconds. mosquitto_sub 2.0.11 writes a 'Z' before the UTC
    // offset ("2026-12-02T14:58:23.825518Z+0000"); the same bytes here, so that whatever
    // parses its lines parses ours.
    const std::tm local = local_time(arrival);
    out += R"({"tst":")";
    append_strftime(out, "%Y-%m-%dT%H:%M:%S", local);
    char microseconds[32];
    std::snprintf(microseconds, sizeof microseconds, ".%06ldZ",
                  static_cast<long>(arrival.tv_nsec / 1000));
    out += microseconds;
    append_strftime(out, "%z", local);
    out += R"(","topic":)";
    append_json_string(out, message.topic);
    out += ",\"qos\":" + std::to_string(static_cast<unsigned>(message.qos));
    out += ",\"retain\":";
    out += message.retain ? '1' : '0';
    // mosquitto_sub adds "mid" for QoS 1 and 2; the client does not pass the packet id on.
    out += ",\"payloadlen\":" + std::to_string(message.payload.size());
    out += ",\"payload\":";
    bool as_asked = true;
    if (message.payload.empty()) {
        out += "null";
    } else if (!payload_as_json || !append_compact_json(out, message.payload)) {
        as_asked = !payload_as_json;  // %J, but the payload is not JSON
        append_json_string(out, message.payload);
    }
    out += '}';
    return as_asked;
}

}  // namespace mqtls::cli
