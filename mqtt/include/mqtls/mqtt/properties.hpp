#pragma once
/// @file
/// MQTT 5 properties (OASIS MQTT Version 5.0, section 2.2.2): every property identifier with its
/// data type and the packets that may carry it, a list type that is either the caller's array
/// (to encode) or validated wire bytes (decoded), and the strict size/encode/decode functions.
/// The encoder and the decoder check a list with the same rules, so what we send is what we
/// accept. Nothing here owns or allocates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/entry_list.hpp"

namespace mqtls::mqtt {

/// Property identifiers, MQTT 5.0 section 2.2.2.2 (table 2-4).
enum class PropertyId : std::uint8_t {
    payload_format_indicator = 0x01,
    message_expiry_interval = 0x02,
    content_type = 0x03,
    response_topic = 0x08,
    correlation_data = 0x09,
    subscription_identifier = 0x0b,
    session_expiry_interval = 0x11,
    assigned_client_identifier = 0x12,
    server_keep_alive = 0x13,
    authentication_method = 0x15,
    authentication_data = 0x16,
    request_problem_information = 0x17,
    will_delay_interval = 0x18,
    request_response_information = 0x19,
    response_information = 0x1a,
    server_reference = 0x1c,
    reason_string = 0x1f,
    receive_maximum = 0x21,
    topic_alias_maximum = 0x22,
    topic_alias = 0x23,
    maximum_qos = 0x24,
    retain_available = 0x25,
    user_property = 0x26,
    maximum_packet_size = 0x27,
    wildcard_subscription_available = 0x28,
    subscription_identifier_available = 0x29,
    shared_subscription_available = 0x2a,
};

/// The data types (section 1.5) a property value can have.
enum class PropertyType : std::uint8_t {
    byte,                   ///< one byte ("Byte" in table 2-4)
    two_byte_integer,       ///< section 1.5.2
    four_byte_integer,      ///< section 1.5.3
    variable_byte_integer,  ///< section 1.5.5
    utf8_string,            ///< section 1.5.4
    binary_data,            ///< section 1.5.6
    utf8_string_pair,       ///< section 1.5.7 (User Property only)
};

/// Where a property list sits: the packets of section 3, and the Will Properties of CONNECT
/// (section 3.1.3.2), which have their own set.
enum class PropertyContext : std::uint8_t {
    connect,
    connack,
    publish,
    will,
    puback,
    pubrec,
    pubrel,
    pubcomp,
    subscribe,
    suback,
    unsubscribe,
    unsuback,
    disconnect,
    auth,
};

/// What the specification says about one property identifier.
struct PropertyInfo {
    PropertyId id;
    PropertyType type;
    std::uint16_t contexts;  ///< bit (1 << PropertyContext) for each place it may appear
    const char* name;        ///< the specification's name, e.g. "Receive Maximum"
};

/// The specification's entry for `id`; nullopt for an identifier MQTT 5 does not define.
std::optional<PropertyInfo> property_info(std::uint8_t id) noexcept;
/// Human name of a property ("Topic Alias"); "unknown property" for an undefined identifier;
/// "" without MQTLS_ERROR_TEXT (as PropertyInfo::name).
const char* property_name(PropertyId id) noexcept;

/// Whether `id` may appear in `context` (table 2-4's last column).
bool property_allowed(PropertyId id, PropertyContext context) noexcept;

/// One property. Which fields matter depends on the type of `id`: `number` for the integer
/// types and Byte, `text` for a UTF-8 string (and a User Property's name), `value` for a User
/// Property's value, `binary` for binary data.
struct Property {
    PropertyId id = PropertyId::user_property;
    std::uint32_t number = 0;
    std::string_view text;
    std::string_view value;
    bytes_view binary;

    static constexpr Property integer(PropertyId id, std::uint32_t number) noexcept {
        Property p;
        p.id = id;
        p.number = number;
        return p;
    }
    static constexpr Property string(PropertyId id, std::string_view text) noexcept {
        Property p;
        p.id = id;
        p.text = text;
        return p;
    }
    static constexpr Property data(PropertyId id, bytes_view binary) noexcept {
        Property p;
        p.id = id;
        p.binary = binary;
        return p;
    }
    static constexpr Property user(std::string_view name, std::string_view value) noexcept {
        Property p;
        p.id = PropertyId::user_property;
        p.text = name;
        p.value = value;
        return p;
    }
};

/// Reads the property at `offset` of wire bytes decode_properties() validated, and where the next
/// one starts; what EntryList<Property> iterates with.
void read_wire_entry(bytes_view wire, std::size_t offset, Property& out,
                     std::size_t& next) noexcept;

/// A property list: the caller's array (to encode), or the validated wire bytes of a decoded
/// packet (the property section after its length), as EntryList is for SUBSCRIBE entries.
using PropertyList = EntryList<Property>;

/// The first property with `id` in `list`, if any.
std::optional<Property> find_property(const PropertyList& list, PropertyId id) noexcept;

/// The size of a variable byte integer (1..4), or 0 above 268,435,455 (section 1.5.5).
std::size_t variable_byte_integer_size(std::uint32_t value) noexcept;

/// Checks `list` for `context` and returns the size of the property section on the wire: its
/// Property Length (a variable byte integer) and the properties. Errors, each the decoder's for
/// the same fault: property_not_allowed, property_duplicated, property_value_invalid, the string
/// errors of a UTF-8 field (malformed_utf8, utf8_null_character, utf8_surrogate,
/// string_too_long), and packet_too_large when the section exceeds a variable byte integer.
Result<std::size_t> properties_size(const PropertyList& list, PropertyContext context) noexcept;

/// Writes the property section (length, then the properties in list order) into `out`;
/// returns the bytes written. Errors: those of properties_size(), and buffer_too_small.
Result<std::size_t> encode_properties(const PropertyList& list, PropertyContext context,
                                      mutable_bytes out) noexcept;

/// A decoded property section: the list (viewing `in`) and the bytes it took.
struct DecodedProperties {
    PropertyList list;
    std::size_t consumed = 0;
};

/// Decodes the property section at the start of `in` (the rest of a complete packet), strictly:
/// length_mismatch (the section runs past `in`, or a property past the section),
/// malformed_variable_byte_integer (a length or value longer than 4 bytes or not in its
/// shortest form, [MQTT-1.5.5-1]), property_unknown, property_not_allowed,
/// property_duplicated, property_value_invalid, and the UTF-8 string errors.
Result<DecodedProperties> decode_properties(bytes_view in, PropertyContext context) noexcept;

}  // namespace mqtls::mqtt
