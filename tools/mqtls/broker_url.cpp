#include "broker_url.hpp"

#include <charconv>

namespace mqtls::cli {
namespace {

constexpr std::string_view secure_scheme = "mqtts://";
constexpr std::string_view plain_scheme = "mqtt://";

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c = text[i];
        const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != prefix[i]) return false;
    }
    return true;
}

bool parse_port(std::string_view text, BrokerUrl& url, std::string& problem) {
    unsigned value = 0;
    const char* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, value);
    if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end || value == 0 ||
        value > 65535) {
        problem = "the port in -L is not a number from 1 to 65535";
        return false;
    }
    url.port = static_cast<std::uint16_t>(value);
    return true;
}

// "host", "host:port", "[v6]" or "[v6]:port" into `url`; false with `problem` set otherwise.
bool parse_host_and_port(std::string_view authority, BrokerUrl& url, std::string& problem) {
    std::string_view rest;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            problem = "the IPv6 address in -L has no closing ']'";
            return false;
        }
        url.host = std::string(authority.substr(1, close - 1));
        rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            problem = "-L has characters after the IPv6 address that are not ':port'";
            return false;
        }
    } else {
        const std::size_t colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) rest = authority.substr(colon);
    }
    if (url.host.empty()) {
        problem = "-L names no host";
        return false;
    }
    return rest.empty() || parse_port(rest.substr(1), url, problem);
}

}  // namespace

std::optional<BrokerUrl> parse_broker_url(std::string_view url, std::string& problem) {
    if (starts_with_ignoring_case(url, plain_scheme)) {
        problem =
            "mqtls speaks MQTT over TLS only: use an mqtts:// URL (port 8883 by default); "
            "mqtt:// would send the password and every message in the clear";
        return std::nullopt;
    }
    if (!starts_with_ignoring_case(url, secure_scheme)) {
        problem = "-L must be mqtts://[user[:password]@]host[:port]/topic";
        return std::nullopt;
    }
    std::string_view rest = url.substr(secure_scheme.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size()) {
        problem = "the -L URL has no topic: end it with /topic";
        return std::nullopt;
    }
    BrokerUrl parsed;
    parsed.topic = std::string(rest.substr(slash + 1));
    std::string_view authority = rest.substr(0, slash);
    if (const std::size_t at = authority.find('@'); at != std::string_view::npos) {
        const std::string_view user_info = authority.substr(0, at);
        const std::size_t colon = user_info.find(':');
        parsed.username = std::string(user_info.substr(0, colon));
        if (colon != std::string_view::npos) {
            parsed.password = std::string(user_info.substr(colon + 1));
        }
        if (parsed.username->empty()) {
            problem = "the -L URL has an empty user name before '@'";
            return std::nullopt;
        }
        authority = authority.substr(at + 1);
    }
    if (!parse_host_and_port(authority, parsed, problem)) return std::nullopt;
    return parsed;
}

}  // namespace mqtls::cli
