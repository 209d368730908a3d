// The MQTT 5 rules that the encoder and the decoder share (codec_rules.hpp), so that what we send
// and what we accept are judged by the same code.
#include <cstdint>

#include "codec_rules.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::mqtt::rules {

Result<void> check_publish_topic(std::string_view topic, const PropertyList& properties) noexcept {
    if (!topic.empty()) return validate_topic_name(topic);
    // Section 3.3.2.1: "a Protocol Error if the Topic Name is zero length and there is no Topic
    // Alias"; with one, it stands for the topic the alias names (3.3.2.3.4).
    if (find_property(properties, PropertyId::topic_alias)) return ok();
    return Errc::empty_topic;
}

Result<void> check_authentication(const PropertyList& properties) noexcept {
    if (find_property(properties, PropertyId::authentication_data) &&
        !find_property(properties, PropertyId::authentication_method)) {
        return Error{Errc::property_value_invalid,
                     static_cast<std::int32_t>(PropertyId::authentication_data)};
    }
    return ok();
}

Result<void> check_subscription_options(std::uint8_t options, std::string_view filter) noexcept {
    if ((options & subscription_reserved) != 0) {
        return Error{Errc::invalid_subscription_options, options};  // [MQTT-3.8.3-5]
    }
    MQTLS_TRY(check_qos(options & subscription_qos_mask));
    const auto retain_handling = static_cast<std::uint8_t>(
        (options & subscription_retain_handling_mask) >> subscription_retain_handling_shift);
    if (retain_handling == 3) return Error{Errc::invalid_subscription_options, options};
    constexpr std::string_view shared_prefix = "$share/";
    if ((options & subscription_no_local) != 0 &&
        filter.substr(0, shared_prefix.size()) == shared_prefix) {
        return Error{Errc::invalid_subscription_options, options};  // [MQTT-3.8.3-4]
    }
    return ok();
}

}  // namespace mqtls::mqtt::rules
