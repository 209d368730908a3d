#include "property_flags.hpp"

#include <cctype>
#include <optional>
#include <string_view>

#include "broker_connection.hpp"
#include "cli_support.hpp"

namespace mqtls::cli {
namespace {

// The last property identifier MQTT 5 defines (Shared Subscription Available, table 2-4).
constexpr unsigned last_property_id = 0x2a;

// mosquitto's spelling of a property: the specification's name in lower case, '-' for ' '.
std::string flag_spelling(std::string_view specification_name) {
    std::string spelled;
    for (const char c : specification_name) {
        spelled += c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return spelled;
}

std::optional<mqtt::PropertyInfo> property_spelled(const std::string& name) {
    for (unsigned id = 1; id <= last_property_id; ++id) {
        const auto info = mqtt::property_info(static_cast<std::uint8_t>(id));
        if (info && flag_spelling(info->name) == name) return info;
    }
    return std::nullopt;
}

// Properties mqtls sets itself or cannot honour in `context`, with what to do instead.
const char* not_settable(mqtt::PropertyId id, mqtt::PropertyContext context) {
    switch (id) {
        case mqtt::PropertyId::session_expiry_interval:
            // DISCONNECT may change it (3.14.2.2.2); CONNECT's is -x.
            if (context == mqtt::PropertyContext::disconnect) return nullptr;
            return "give the Session Expiry Interval with -x SECONDS";
        case mqtt::PropertyId::topic_alias:
            return "mqtls chooses topic aliases itself once the broker allows them";
        case mqtt::PropertyId::topic_alias_maximum:
            return "mqtls announces the topic aliases it can resolve (16) itself";
        case mqtt::PropertyId::authentication_method:
        case mqtt::PropertyId::authentication_data:
            return "enhanced authentication (AUTH) is not supported: use -u/-P or a client "
                   "certificate";
        case mqtt::PropertyId::subscription_identifier:
            // Elsewhere than PUBLISH, table 2-4 decides (SUBSCRIBE only).
            if (context != mqtt::PropertyContext::publish) return nullptr;
            return "a client may not send it in PUBLISH [MQTT-3.3.4-6]; give it in SUBSCRIBE "
                   "(mqtls sub -D SUBSCRIBE subscription-identifier N)";
        case mqtt::PropertyId::server_reference:
            return "only a server sends it, to redirect its clients (section 4.11)";
        case mqtt::PropertyId::will_delay_interval:
            return "mqtls sends no Will Properties";
        default:
            return nullptr;
    }
}

std::optional<std::uint32_t> parse_number(const std::string& text, std::uint32_t largest) {
    if (text.empty() || text.size() > 10 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const unsigned long long number = std::stoull(text);
    if (number > largest) return std::nullopt;
    return static_cast<std::uint32_t>(number);
}

std::uint32_t largest_value(mqtt::PropertyType type) {
    switch (type) {
        case mqtt::PropertyType::byte:
            return 0xFF;
        case mqtt::PropertyType::two_byte_integer:
            return 0xFFFF;
        case mqtt::PropertyType::variable_byte_integer:
            return 268'435'455;  // section 1.5.5
        default:
            return 0xFFFF'FFFFU;
    }
}

bool is_number_type(mqtt::PropertyType type) {
    return type == mqtt::PropertyType::byte || type == mqtt::PropertyType::two_byte_integer ||
           type == mqtt::PropertyType::four_byte_integer ||
           type == mqtt::PropertyType::variable_byte_integer;
}

bool packet_named(const std::string& given, const char* name) {
    if (given.size() != std::string_view(name).size()) return false;
    for (std::size_t i = 0; i < given.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(given[i])) != name[i]) return false;
    }
    return true;
}

// A packet -D can name: its PropertyPacket bit, its name, its table 2-4 context, and where in
// ClientOptions its settings go.
struct PacketProperties {
    unsigned bit;
    const char* name;
    mqtt::PropertyContext context;
    std::vector<client::PropertySetting> client::ClientOptions::*settings;
};

constexpr PacketProperties packets_with_properties[] = {
    {property_connect, "CONNECT", mqtt::PropertyContext::connect,
     &client::ClientOptions::connect_properties},
    {property_publish, "PUBLISH", mqtt::PropertyContext::publish,
     &client::ClientOptions::publish_properties},
    {property_subscribe, "SUBSCRIBE", mqtt::PropertyContext::subscribe,
     &client::ClientOptions::subscribe_properties},
    {property_unsubscribe, "UNSUBSCRIBE", mqtt::PropertyContext::unsubscribe,
     &client::ClientOptions::unsubscribe_properties},
    {property_disconnect, "DISCONNECT", mqtt::PropertyContext::disconnect,
     &client::ClientOptions::disconnect_properties},
};

// The property a -D names, if mqtls lets a user set it in `context`; nullopt after reporting
// why not (`status` is then the usage exit status).
std::optional<mqtt::PropertyInfo> settable_property(const char* command, const std::string& name,
                                                    mqtt::PropertyContext context,
                                                    const char* packet, int& status) {
    const auto info = property_spelled(name);
    if (!info) {
        status = usage_error(command, ("-D: '" + name + "' is not an MQTT 5 property").c_str(),
                             "names as mosquitto_pub spells them: user-property, content-type, "
                             "message-expiry-interval, response-topic, correlation-data, "
                             "payload-format-indicator, receive-maximum, maximum-packet-size, "
                             "request-problem-information, request-response-information");
        return std::nullopt;
    }
    if (const char* instead = not_settable(info->id, context)) {
        status = usage_error(command, ("-D " + name + " is not settable").c_str(), instead);
        return std::nullopt;
    }
    if (!mqtt::property_allowed(info->id, context)) {
        status = usage_error(command, ("-D: " + name + " does not belong in " + packet).c_str(),
                             "table 2-4 of the MQTT 5 specification lists where each property "
                             "goes");
        return std::nullopt;
    }
    return info;
}

// The value(s) of a -D as `setting`; exit_ok or the usage status.
int parse_value(const char* command, const std::vector<std::string>& values,
                const mqtt::PropertyInfo& info, client::PropertySetting& setting) {
    const std::size_t wanted = info.type == mqtt::PropertyType::utf8_string_pair ? 4 : 3;
    if (values.size() != wanted) {
        return usage_error(command,
                           ("-D " + values[0] + " " + values[1] + " takes " +
                            (wanted == 4 ? "a name and a value" : "one value"))
                               .c_str(),
                           wanted == 4 ? "e.g. -D PUBLISH user-property site north"
                                       : "e.g. -D PUBLISH content-type application/json");
    }
    setting.id = info.id;
    if (!is_number_type(info.type)) {
        setting.text = values[2];
        if (wanted == 4) setting.value = values[3];
        return exit_ok;
    }
    const auto number = parse_number(values[2], largest_value(info.type));
    if (!number) {
        return usage_error(command,
                           ("-D " + values[1] + " needs a number up to " +
                            std::to_string(largest_value(info.type)))
                               .c_str(),
                           "e.g. -D PUBLISH message-expiry-interval 60");
    }
    setting.number = *number;
    return exit_ok;
}

// One -D: its packet, the property and its value; exit_ok or the usage status.
int parse_one(const char* command, const std::vector<std::string>& values, unsigned packets,
              client::ClientOptions& options) {
    if (values.size() < 3) {
        return usage_error(command, "-D takes a packet, a property and its value",
                           "e.g. -D PUBLISH user-property site north, -D PUBLISH "
                           "message-expiry-interval 60");
    }
    const PacketProperties* packet = nullptr;
    for (const PacketProperties& candidate : packets_with_properties) {
        if ((packets & candidate.bit) != 0 && packet_named(values[0], candidate.name)) {
            packet = &candidate;
        }
    }
    if (packet == nullptr) {
        return usage_error(command,
                           ("-D " + values[0] + ": mqtls " + command + " sets properties of " +
                            packet_names(packets) + " only")
                               .c_str(),
                           "the other packets are the session's own (acknowledgements) or ones "
                           "this command does not send");
    }
    int status = exit_ok;
    const auto info = settable_property(command, values[1], packet->context, packet->name, status);
    if (!info) return status;
    client::PropertySetting setting;
    if (const int parsed = parse_value(command, values, *info, setting)) return parsed;
    (options.*(packet->settings)).push_back(setting);
    return exit_ok;
}

// The lists as the codec will judge them (values, UTF-8, repeats), before anything connects.
int check_list(const char* command, const std::vector<client::PropertySetting>& settings,
               mqtt::PropertyContext context, const char* packet) {
    std::vector<mqtt::Property> properties;
    properties.reserve(settings.size());
    for (const client::PropertySetting& setting : settings) {
        properties.push_back(client::as_property(setting));
    }
    const auto checked = mqtt::properties_size(
        mqtt::PropertyList(span<const mqtt::Property>(properties.data(), properties.size())),
        context);
    if (checked) return exit_ok;
    const char* hint = checked.error().code == Errc::property_value_invalid
                           ? "payload-format-indicator and the request-*-information flags are 0 "
                             "or 1; receive-maximum and maximum-packet-size are at least 1"
                           : checked.error().hint();
    return usage_error(
        command, (std::string("-D ") + packet + ": " + checked.error().message()).c_str(), hint);
}

}  // namespace

std::string packet_names(unsigned packets) {
    std::vector<const char*> names;
    for (const PacketProperties& packet : packets_with_properties) {
        if ((packets & packet.bit) != 0) names.push_back(packet.name);
    }
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
        text += names[i];
    }
    return text;
}

int parse_property_flags(const char* command, const PropertyArguments& given, bool mqtt5,
                         unsigned packets, client::ClientOptions& options) {
    if (given.empty()) return exit_ok;
    if (!mqtt5) {
        return usage_error(command, "-D sets MQTT 5 properties: add -V 5",
                           "MQTT 3.1.1 packets have no properties");
    }
    for (const std::vector<std::string>& values : given) {
        if (const int status = parse_one(command, values, packets, options)) return status;
    }
    for (const PacketProperties& packet : packets_with_properties) {
        if (const int status =
                check_list(command, options.*(packet.settings), packet.context, packet.name)) {
            return status;
        }
    }
    // [MQTT-3.14.2-2]: a session CONNECT let end with the connection cannot be kept by DISCONNECT.
    const bool connect_keeps = options.session_expiry_s.value_or(0) != 0;
    for (const client::PropertySetting& setting : options.disconnect_properties) {
        if (setting.id == mqtt::PropertyId::session_expiry_interval && setting.number != 0 &&
            !connect_keeps) {
            return usage_error(command,
                               "-D DISCONNECT session-expiry-interval: only 0 unless -x keeps the "
                               "session",
                               "a session that ends with the connection (no -x, or -x 0) cannot be "
                               "kept at DISCONNECT [MQTT-3.14.2-2]; give -x SECONDS instead");
        }
    }
    return exit_ok;
}

}  // namespace mqtls::cli
