// JSON for `mqtls sub -F %j/%J` (sub_json.hpp). Part of the sub command; named cmd_sub_* so the
// cmd_*.cpp glob of tools/mqtls/CMakeLists.txt builds it into mqtls.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sub_json.hpp"

namespace mqtls::cli {
namespace {

// Rewrites the SAX events of one JSON value compactly into `out`. The parser (strict, RFC 8259)
// decides what is valid; this only adds the commas and colons back. Iterative like the parser,
// so deep nesting in a payload cannot exhaust the stack.
class CompactJsonWriter final : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit CompactJsonWriter(std::string& out) : out_(out) {}

    bool null() override {
        begin_value();
        out_ += "null";
        return true;
    }
    bool boolean(bool value) override {
        begin_value();
        out_ += value ? "true" : "false";
        return true;
    }
    // cJSON keeps every number as a double, so integers beyond 2^53 print rounded, as there.
    bool number_integer(number_integer_t value) override {
        return number(static_cast<double>(value));
    }
    bool number_unsigned(number_unsigned_t value) override {
        return number(static_cast<double>(value));
    }
    bool number_float(number_float_t value, const string_t& /*text*/) override {
        return number(value);
    }
    bool string(string_t& value) override {
        begin_value();
        append_json_string(out_, value);
        return true;
    }
    bool binary(binary_t& /*value*/) override { return false; }  // not produced by text JSON
    bool start_object(std::size_t /*elements*/) override {
        begin_value();
        out_ += '{';
        first_in_container_.push_back(true);
        return true;
    }
    bool key(string_t& name) override {
        separate();
        append_json_string(out_, name);
        out_ += ':';
        after_key_ = true;
        return true;
    }
    bool end_object() override {
        out_ += '}';
        first_in_container_.pop_back();
        return true;
    }
    bool start_array(std::size_t /*elements*/) override {
        begin_value();
        out_ += '[';
        first_in_container_.push_back(true);
        return true;
    }
    bool end_array() override {
        out_ += ']';
        first_in_container_.pop_back();
        return true;
    }
    bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                     const nlohmann::detail::exception& /*error*/) override {
        return false;
    }

private:
    bool number(double value) {
        begin_value();
        append_json_number(out_, value);
        return true;
    }
    // A value in an array is preceded by a comma unless it is the first; in an object the key
    // has placed it already.
    void begin_value() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        separate();
    }
    void separate() {
        if (first_in_container_.empty()) return;
        if (!first_in_container_.back()) out_ += ',';
        first_in_container_.back() = false;
    }

    std::string& out_;
    std::vector<bool> first_in_container_;
    bool after_key_ = false;
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (const char byte : text) {
        switch (byte) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(byte) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x",
                                  static_cast<unsigned>(static_cast<unsigned char>(byte)));
                    out += escaped;
                } else {
                    out += byte;
                }
        }
    }
    out += '"';
}

void append_json_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    // Long enough for "-1.2345678901234567e-308".
    char text[32];
    std::snprintf(text, sizeof text, "%1.15g", value);
    if (std::strtod(text, nullptr) != value) std::snprintf(text, sizeof text, "%1.17g", value);
    out += text;
}

bool append_compact_json(std::string& out, std::string_view text) {
    std::string compact;
    CompactJsonWriter writer(compact);
    bool parsed = false;
    try {
        parsed = nlohmann::json::sax_parse(text.begin(), text.end(), &writer);
    } catch (const nlohmann::json::exception&) {
        parsed = false;
    }
    if (parsed) out += compact;
    return parsed;
}

}  // namespace mqtls::cli
