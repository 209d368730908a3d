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

// Properties mqtls sets itself or cannot honour, with what to do instead.
const char* not_settable(mqtt::PropertyId id) {
    switch (id) {
        case mqtt::PropertyId::session_expiry_interval:
            return "give the Session Expiry Interval with -x SECONDS";
        case mqtt::PropertyId::topic_alias:
            return "mqtls chooses topic aliases itself once the broker allows them";
        case mqtt::PropertyId::topic_alias_maximum:
            return "mqtls accepts no topic aliases from the broker: it always gets the topic";
        case mqtt::PropertyId::authentication_method:
        case mqtt::PropertyId::authentication_data:
            return "enhanced authentication (AUTH) is not supported: use -u/-P or a client "
                   "certificate";
        case mqtt::PropertyId::subscription_identifier:
            return "a client may not send it in PUBLISH [MQTT-3.3.4-6]";
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
    if (const char* instead = not_settable(info->id)) {
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
int parse_one(const char* command, const std::vector<std::string>& values, bool publish,
              client::ClientOptions& options) {
    if (values.size() < 3) {
        return usage_error(command, "-D takes a packet, a property and its value",
                           "e.g. -D PUBLISH user-property site north, -D PUBLISH "
                           "message-expiry-interval 60");
    }
    const bool for_connect = packet_named(values[0], "CONNECT");
    const bool for_publish = publish && packet_named(values[0], "PUBLISH");
    if (!for_connect && !for_publish) {
        return usage_error(command,
                           ("-D " + values[0] + ": mqtls " + command + " sets properties of " +
                            (publish ? "CONNECT or PUBLISH" : "CONNECT") + " only")
                               .c_str(),
                           "the other packets are the session's own (acknowledgements) or carry "
                           "nothing a command line needs");
    }
    int status = exit_ok;
    const auto info = settable_property(
        command, values[1],
        for_connect ? mqtt::PropertyContext::connect : mqtt::PropertyContext::publish,
        for_connect ? "CONNECT" : "PUBLISH", status);
    if (!info) return status;
    client::PropertySetting setting;
    if (const int parsed = parse_value(command, values, *info, setting)) return parsed;
    (for_connect ? options.connect_properties : options.publish_properties).push_back(setting);
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

int parse_property_flags(const char* command, const PropertyArguments& given, bool mqtt5,
                         bool publish, client::ClientOptions& options) {
    if (given.empty()) return exit_ok;
    if (!mqtt5) {
        return usage_error(command, "-D sets MQTT 5 properties: add -V 5",
                           "MQTT 3.1.1 packets have no properties");
    }
    for (const std::vector<std::string>& values : given) {
        if (const int status = parse_one(command, values, publish, options)) return status;
    }
    if (const int status = check_list(command, options.connect_properties,
                                      mqtt::PropertyContext::connect, "CONNECT")) {
        return status;
    }
    return check_list(command, options.publish_properties, mqtt::PropertyContext::publish,
                      "PUBLISH");
}

}  // namespace mqtls::cli
