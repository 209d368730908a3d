#pragma once
// -L URL, as mosquitto_pub/_sub take it: mqtts://[username[:password]@]host[:port]/topic.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqtls::cli {

struct BrokerUrl {
    std::string host;
    std::uint16_t port = 8883;
    std::optional<std::string> username;
    std::optional<std::string> password;  // never printed
    std::string topic;
};

/// Parses `url` as mosquitto does (the topic is everything after the first '/' of the
/// authority, the user name ends at the first ':', the password at the first '@'), plus
/// bracketed IPv6 hosts. Only mqtts:// is accepted: mqtls never sends MQTT in the clear. On
/// failure returns nullopt and sets `problem` to what is wrong (never quoting the URL, which
/// may hold a password).
std::optional<BrokerUrl> parse_broker_url(std::string_view url, std::string& problem);

}  // namespace mqtls::cli
