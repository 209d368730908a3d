#include "external_reading.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace mqtls::cli {
namespace {

using OrderedJson = nlohmann::ordered_json;

// The keys TelemetryNode writes itself. Refused rather than overridden: a producer that sends
// its own "ts" most likely means something else by it than the node does.
constexpr const char* reserved_keys[] = {"device", "run", "seq", "ts"};

// nlohmann's exception id for a number too large for its type (1e400, 2^64 as an integer
// that does not fit).
constexpr int number_out_of_range_id = 406;

std::string quoted_key(const std::string& key) {
    // Escaped and cut, so a key of control characters or megabytes cannot flood the log.
    constexpr std::size_t shown = 40;
    std::string text = OrderedJson(key.substr(0, shown))
                           .dump(-1, ' ', true, OrderedJson::error_handler_t::replace);
    if (key.size() > shown) text += "...";
    return text;
}

// First pass: the checks nlohmann does not make while it builds a value, made before it
// builds one, so that deep nesting is refused without ever being materialized.
class ReadingChecker final : public nlohmann::json_sax<OrderedJson> {
public:
    std::string problem;

    bool null() override { return scalar(); }
    bool boolean(bool /*value*/) override { return scalar(); }
    bool number_integer(number_integer_t /*value*/) override { return scalar(); }
    bool number_unsigned(number_unsigned_t /*value*/) override { return scalar(); }
    bool number_float(number_float_t value, const string_t& /*text*/) override {
        if (!std::isfinite(value)) return fail("a number is not finite");
        return scalar();
    }
    bool string(string_t& /*value*/) override { return scalar(); }
    bool binary(binary_t& /*value*/) override { return scalar(); }
    bool start_object(std::size_t /*elements*/) override {
        if (!open_container(true)) return false;
        keys_.emplace_back();
        return true;
    }
    bool key(string_t& key) override {
        if (!keys_.back().insert(key).second) {
            return fail("the key " + quoted_key(key) + " appears twice in one object");
        }
        return true;
    }
    bool end_object() override {
        keys_.pop_back();
        --depth_;
        return true;
    }
    bool start_array(std::size_t /*elements*/) override { return open_container(false); }
    bool end_array() override {
        --depth_;
        return true;
    }
    bool parse_error(std::size_t position, const std::string& /*last_token*/,
                     const nlohmann::detail::exception& error) override {
        const std::string what = error.what();
        const std::string at = " at byte " + std::to_string(position);
        if (error.id == number_out_of_range_id) return fail("a number is out of range" + at);
        if (what.find("UTF-8") != std::string::npos) return fail("not valid UTF-8" + at);
        if (what.find("surrogate") != std::string::npos) {
            return fail("a \\u escape is a lone UTF-16 surrogate, not a character" + at);
        }
        if (what.find("control character") != std::string::npos) {
            return fail("not JSON: a string holds an unescaped control character" + at);
        }
        return fail("not JSON: syntax error" + at);
    }

private:
    bool scalar() {
        if (depth_ == 0) return fail("not a JSON object");
        return true;
    }
    bool open_container(bool is_object) {
        if (depth_ == 0 && !is_object) return fail("not a JSON object (an array)");
        ++depth_;
        if (depth_ > max_external_depth) {
            return fail("nested deeper than " + std::to_string(max_external_depth) + " levels");
        }
        return true;
    }
    bool fail(std::string why) {
        if (problem.empty()) problem = std::move(why);
        return false;
    }

    std::size_t depth_ = 0;
    std::vector<std::set<std::string>> keys_;
};

}  // namespace

namespace {

// Why `text` cannot even be looked at as a reading; empty when it can.
std::string problem_before_parsing(std::string_view text) {
    if (text.size() > max_external_input_bytes) {
        return "larger than " + std::to_string(max_external_input_bytes) + " bytes";
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return "empty (no JSON object)";
    }
    ReadingChecker checker;
    const bool parsed = OrderedJson::sax_parse(text.begin(), text.end(), &checker,
                                               nlohmann::detail::input_format_t::json,
                                               /*strict=*/true);
    if (!parsed || !checker.problem.empty()) {
        return checker.problem.empty() ? "not JSON" : checker.problem;
    }
    return {};
}

// Why the parsed `value` is not a reading the node may publish; empty when it is one.
std::string problem_with_fields(const OrderedJson& value) {
    if (!value.is_object()) return value.is_discarded() ? "not JSON" : "not a JSON object";
    if (value.empty()) return "has no sensor fields ({})";
    for (const char* reserved : reserved_keys) {
        if (value.contains(reserved)) {
            return std::string("sets \"") + reserved +
                   "\", which the node adds itself (rename the field)";
        }
    }
    return {};
}

}  // namespace

ExternalReading parse_external_reading(std::string_view text) {
    ExternalReading reading;
    reading.problem = problem_before_parsing(text);
    if (!reading.problem.empty()) return reading;
    const OrderedJson value = OrderedJson::parse(text.begin(), text.end(), nullptr, false);
    reading.problem = problem_with_fields(value);
    if (!reading.problem.empty()) return reading;
    for (const auto& [key, member] : value.items()) {
        if (!reading.fields.empty()) reading.fields += ',';
        // Valid UTF-8 throughout (the parser checked it), so strict dumping cannot throw.
        reading.fields += OrderedJson(key).dump();
        reading.fields += ':';
        reading.fields += member.dump();
    }
    return reading;
}

}  // namespace mqtls::cli
