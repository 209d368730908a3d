// MQTT 5 properties, section 2.2.2. One table (table 2-4) drives both directions; check_property()
// is the single place a property's value is judged, for what we encode and what we decode.
#include "mqtls/mqtt/properties.hpp"

#include "mqtls/core/error.hpp"

#include "codec_rules.hpp"
#include "encoder.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "wire.hpp"

namespace mqtls::mqtt {
namespace {

using Context = PropertyContext;
using Type = PropertyType;

constexpr std::uint16_t in(Context c) noexcept {
    return static_cast<std::uint16_t>(1U << static_cast<unsigned>(c));
}
template <class... More>
constexpr std::uint16_t in(Context c, More... more) noexcept {
    return static_cast<std::uint16_t>(in(c) | in(more...));
}

// The acknowledgements that carry a Reason String and User Properties (sections 3.4-3.7, 3.9,
// 3.11).
constexpr std::uint16_t acks = in(Context::puback, Context::pubrec, Context::pubrel,
                                  Context::pubcomp, Context::suback, Context::unsuback);

// A row of table 2-4: PropertyInfo, with the name only in builds that keep texts.
struct Row {
    PropertyId id;
    PropertyType type;
    std::uint16_t contexts;
#if MQTLS_ERROR_TEXT
    const char* name;
#endif
};

// Table 2-4, in identifier order.
constexpr Row table[] = {
    {PropertyId::payload_format_indicator, Type::byte,
     in(Context::publish, Context::will)MQTLS_TEXT_FIELD("Payload Format Indicator")},
    {PropertyId::message_expiry_interval, Type::four_byte_integer,
     in(Context::publish, Context::will)MQTLS_TEXT_FIELD("Message Expiry Interval")},
    {PropertyId::content_type, Type::utf8_string,
     in(Context::publish, Context::will)MQTLS_TEXT_FIELD("Content Type")},
    {PropertyId::response_topic, Type::utf8_string,
     in(Context::publish, Context::will)MQTLS_TEXT_FIELD("Response Topic")},
    {PropertyId::correlation_data, Type::binary_data,
     in(Context::publish, Context::will)MQTLS_TEXT_FIELD("Correlation Data")},
    {PropertyId::subscription_identifier, Type::variable_byte_integer,
     in(Context::publish, Context::subscribe)MQTLS_TEXT_FIELD("Subscription Identifier")},
    {PropertyId::session_expiry_interval, Type::four_byte_integer,
     in(Context::connect, Context::connack,
        Context::disconnect)MQTLS_TEXT_FIELD("Session Expiry Interval")},
    {PropertyId::assigned_client_identifier, Type::utf8_string,
     in(Context::connack)MQTLS_TEXT_FIELD("Assigned Client Identifier")},
    {PropertyId::server_keep_alive, Type::two_byte_integer,
     in(Context::connack)MQTLS_TEXT_FIELD("Server Keep Alive")},
    {PropertyId::authentication_method, Type::utf8_string,
     in(Context::connect, Context::connack,
        Context::auth)MQTLS_TEXT_FIELD("Authentication Method")},
    {PropertyId::authentication_data, Type::binary_data,
     in(Context::connect, Context::connack, Context::auth)MQTLS_TEXT_FIELD("Authentication Data")},
    {PropertyId::request_problem_information, Type::byte,
     in(Context::connect)MQTLS_TEXT_FIELD("Request Problem Information")},
    {PropertyId::will_delay_interval, Type::four_byte_integer,
     in(Context::will)MQTLS_TEXT_FIELD("Will Delay Interval")},
    {PropertyId::request_response_information, Type::byte,
     in(Context::connect)MQTLS_TEXT_FIELD("Request Response Information")},
    {PropertyId::response_information, Type::utf8_string,
     in(Context::connack)MQTLS_TEXT_FIELD("Response Information")},
    {PropertyId::server_reference, Type::utf8_string,
     in(Context::connack, Context::disconnect)MQTLS_TEXT_FIELD("Server Reference")},
    {PropertyId::reason_string, Type::utf8_string,
     static_cast<std::uint16_t>(acks | in(Context::connack, Context::disconnect, Context::auth))
         MQTLS_TEXT_FIELD("Reason String")},
    {PropertyId::receive_maximum, Type::two_byte_integer,
     in(Context::connect, Context::connack)MQTLS_TEXT_FIELD("Receive Maximum")},
    {PropertyId::topic_alias_maximum, Type::two_byte_integer,
     in(Context::connect, Context::connack)MQTLS_TEXT_FIELD("Topic Alias Maximum")},
    {PropertyId::topic_alias, Type::two_byte_integer,
     in(Context::publish)MQTLS_TEXT_FIELD("Topic Alias")},
    {PropertyId::maximum_qos, Type::byte, in(Context::connack)MQTLS_TEXT_FIELD("Maximum QoS")},
    {PropertyId::retain_available, Type::byte,
     in(Context::connack)MQTLS_TEXT_FIELD("Retain Available")},
    {PropertyId::user_property, Type::utf8_string_pair,
     static_cast<std::uint16_t>(acks | in(Context::connect, Context::connack, Context::publish,
                                          Context::will, Context::subscribe, Context::unsubscribe,
                                          Context::disconnect, Context::auth))
         MQTLS_TEXT_FIELD("User Property")},
    {PropertyId::maximum_packet_size, Type::four_byte_integer,
     in(Context::connect, Context::connack)MQTLS_TEXT_FIELD("Maximum Packet Size")},
    {PropertyId::wildcard_subscription_available, Type::byte,
     in(Context::connack)MQTLS_TEXT_FIELD("Wildcard Subscription Available")},
    {PropertyId::subscription_identifier_available, Type::byte,
     in(Context::connack)MQTLS_TEXT_FIELD("Subscription Identifier Available")},
    {PropertyId::shared_subscription_available, Type::byte,
     in(Context::connack)MQTLS_TEXT_FIELD("Shared Subscription Available")},
};

constexpr std::uint32_t max_variable_byte_integer = 268'435'455;

const Row* info_of(std::uint8_t id) noexcept {
    for (const Row& entry : table) {
        if (static_cast<std::uint8_t>(entry.id) == id) return &entry;
    }
    return nullptr;
}

// A property may appear once, except User Property (any number, section 3.1.2.11.8 and its
// siblings) and Subscription Identifier in a PUBLISH, which carries one per matching
// subscription [MQTT-3.3.4-4]; in a SUBSCRIBE it is a Protocol Error twice (3.8.2.1.2).
bool repeatable(PropertyId id, Context context) noexcept {
    return id == PropertyId::user_property ||
           (id == PropertyId::subscription_identifier && context == Context::publish);
}

// A value the specification gives a meaning to; anything else is a Protocol Error (or a
// Malformed Packet) in the section that defines the property.
Result<void> check_value(const Row& info, const Property& p) noexcept {
    switch (info.type) {
        case Type::byte:
            // Every Byte property is a flag or, for Maximum QoS, 0 or 1 (3.2.2.3.4); the
            // Payload Format Indicator is 0 (bytes) or 1 (UTF-8) (3.3.2.3.2).
            if (p.number > 1) return Errc::property_value_invalid;
            return ok();
        case Type::two_byte_integer:
            if (p.number > 0xffff) return Errc::property_value_invalid;
            // Receive Maximum 0 (3.1.2.11.3, 3.2.2.3.3) and Topic Alias 0 [MQTT-3.3.2-8] are
            // Protocol Errors; a Topic Alias Maximum of 0 means "no aliases" and is fine.
            if (p.number == 0 &&
                (info.id == PropertyId::receive_maximum || info.id == PropertyId::topic_alias)) {
                return Errc::property_value_invalid;
            }
            return ok();
        case Type::four_byte_integer:
            // Maximum Packet Size 0 is a Protocol Error (3.1.2.11.4, 3.2.2.3.6).
            if (p.number == 0 && info.id == PropertyId::maximum_packet_size) {
                return Errc::property_value_invalid;
            }
            return ok();
        case Type::variable_byte_integer:
            // Subscription Identifier: 1..268,435,455 (3.3.2.3.8, 3.8.2.1.2).
            if (p.number == 0 || p.number > max_variable_byte_integer) {
                return Errc::property_value_invalid;
            }
            return ok();
        case Type::utf8_string:
            return rules::check_string(p.text);
        case Type::binary_data:
            return rules::check_binary_length(p.binary.size());
        case Type::utf8_string_pair:
            MQTLS_TRY(rules::check_string(p.text));
            return rules::check_string(p.value);
    }
    return Errc::property_value_invalid;
}

// Bytes of the fixed-width integer types (Byte, Two and Four Byte Integer: big-endian, sections
// 1.5.2 and 1.5.3); 0 for the others.
std::size_t integer_width(Type type) noexcept {
    switch (type) {
        case Type::byte:
            return 1;
        case Type::two_byte_integer:
            return 2;
        case Type::four_byte_integer:
            return 4;
        default:
            return 0;
    }
}

// The bytes of one property after its identifier.
std::size_t value_size(const Row& info, const Property& p) noexcept {
    if (const std::size_t width = integer_width(info.type)) return width;
    switch (info.type) {
        case Type::byte:
        case Type::two_byte_integer:
        case Type::four_byte_integer:
            break;  // above
        case Type::variable_byte_integer:
            return variable_byte_integer_size(p.number);
        case Type::utf8_string:
            return 2 + p.text.size();
        case Type::binary_data:
            return 2 + p.binary.size();
        case Type::utf8_string_pair:
            return 4 + p.text.size() + p.value.size();
    }
    return 0;
}

// Judges one property in its list: known, allowed here, not repeated where it may appear once,
// and a value the specification defines. `seen` holds a bit per identifier met so far.
Result<const Row*> check_property(const Property& p, Context context,
                                  std::uint64_t& seen) noexcept {
    const Row* info = info_of(static_cast<std::uint8_t>(p.id));
    if (info == nullptr) return Errc::property_unknown;  // section 2.2.2.2: Malformed Packet
    if (!property_allowed(p.id, context)) return Errc::property_not_allowed;
    const std::uint64_t bit = std::uint64_t{1} << static_cast<unsigned>(p.id);
    if ((seen & bit) != 0 && !repeatable(p.id, context)) return Errc::property_duplicated;
    seen |= bit;
    MQTLS_TRY(check_value(*info, p));
    return info;
}

// Reads a variable byte integer: at most 4 bytes, the last without the continuation bit, and in
// its shortest form [MQTT-1.5.5-1].
Result<std::uint32_t> read_variable_byte_integer(wire::Reader& r) noexcept {
    std::uint32_t value = 0;
    for (unsigned i = 0; i < 4; ++i) {
        MQTLS_TRY_ASSIGN(const std::uint8_t byte, r.u8());
        value |= static_cast<std::uint32_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            if (byte == 0 && i > 0) return Errc::malformed_variable_byte_integer;
            return value;
        }
    }
    return Errc::malformed_variable_byte_integer;
}

// Reads one property's value of `type` into `p`. The wire is not trusted here.
Result<void> read_value(wire::Reader& r, Type type, Property& p) noexcept {
    if (const std::size_t width = integer_width(type)) {
        MQTLS_TRY_ASSIGN(const bytes_view bytes, r.bytes(width));
        p.number = 0;
        for (const std::uint8_t byte : bytes) p.number = p.number << 8 | byte;
        return ok();
    }
    switch (type) {
        case Type::byte:
        case Type::two_byte_integer:
        case Type::four_byte_integer:
            break;  // above
        case Type::variable_byte_integer: {
            MQTLS_TRY_ASSIGN(p.number, read_variable_byte_integer(r));
            return ok();
        }
        case Type::utf8_string: {
            MQTLS_TRY_ASSIGN(p.text, r.string());
            return ok();
        }
        case Type::binary_data: {
            MQTLS_TRY_ASSIGN(p.binary, r.binary());
            return ok();
        }
        case Type::utf8_string_pair: {
            MQTLS_TRY_ASSIGN(p.text, r.string());
            MQTLS_TRY_ASSIGN(p.value, r.string());
            return ok();
        }
    }
    return Errc::property_unknown;
}

// Reads one property (identifier, value). The identifier is a variable byte integer on the wire
// (section 2.2.2.2); every defined one fits in one byte.
Result<Property> read_property(wire::Reader& r) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint32_t id, read_variable_byte_integer(r));
    const Row* info = id <= 0xff ? info_of(static_cast<std::uint8_t>(id)) : nullptr;
    if (info == nullptr) return Errc::property_unknown;
    Property p;
    p.id = info->id;
    MQTLS_TRY(read_value(r, info->type, p));
    return p;
}

// After the count that accepted the list, so every write has room (encoder.hpp).
void emit_property(detail::Emitter& w, const Row& info, const Property& p) noexcept {
    w.u8(static_cast<std::uint8_t>(p.id));
    for (std::size_t i = integer_width(info.type); i > 0; --i) {
        w.u8(static_cast<std::uint8_t>(p.number >> (8 * (i - 1))));
    }
    switch (info.type) {
        case Type::byte:
        case Type::two_byte_integer:
        case Type::four_byte_integer:
            return;
        case Type::variable_byte_integer:
            w.remaining_length(p.number);  // the same encoding (section 1.5.5)
            return;
        case Type::utf8_string:
            w.string(p.text);
            return;
        case Type::binary_data:
            w.binary(p.binary);
            return;
        case Type::utf8_string_pair:
            w.string(p.text);
            w.string(p.value);
            return;
    }
}

// The size of the properties themselves (without the Property Length), after checking each.
Result<std::size_t> content_size(const PropertyList& list, Context context) noexcept {
    std::uint64_t seen = 0;
    std::size_t size = 0;
    for (const Property p : list) {
        MQTLS_TRY_ASSIGN(const Row* info, check_property(p, context, seen));
        size += 1 + value_size(*info, p);
        if (size > max_variable_byte_integer) return Errc::packet_too_large;
    }
    return size;
}

}  // namespace

std::optional<PropertyInfo> property_info(std::uint8_t id) noexcept {
    const Row* row = info_of(id);
    if (row == nullptr) return std::nullopt;
    return PropertyInfo{row->id, row->type, row->contexts, property_name(row->id)};
}

const char* property_name(PropertyId id) noexcept {
#if MQTLS_ERROR_TEXT
    const Row* row = info_of(static_cast<std::uint8_t>(id));
    return row != nullptr ? row->name : "unknown property";
#else
    (void)id;
    return "";
#endif
}

bool property_allowed(PropertyId id, PropertyContext context) noexcept {
    const Row* info = info_of(static_cast<std::uint8_t>(id));
    return info != nullptr && (info->contexts & in(context)) != 0;
}

std::size_t variable_byte_integer_size(std::uint32_t value) noexcept {
    return remaining_length_size(value);  // the same encoding (section 1.5.5)
}

void read_wire_entry(bytes_view wire, std::size_t offset, Property& out,
                     std::size_t& next) noexcept {
    // Only bytes decode_properties() validated get here, so reading cannot fail.
    wire::Reader r(wire.subspan(offset));
    auto p = read_property(r);
    out = p ? *p : Property{};
    next = wire.size() - r.remaining();
}

std::optional<Property> find_property(const PropertyList& list, PropertyId id) noexcept {
    for (const Property p : list) {
        if (p.id == id) return p;
    }
    return std::nullopt;
}

Result<std::size_t> properties_size(const PropertyList& list, PropertyContext context) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t content, content_size(list, context));
    return variable_byte_integer_size(static_cast<std::uint32_t>(content)) + content;
}

Result<std::size_t> encode_properties(const PropertyList& list, PropertyContext context,
                                      mutable_bytes out) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t size, properties_size(list, context));
    if (out.size() < size) return Errc::buffer_too_small;
    detail::Emitter w(ProtocolVersion::v5, out, size);
    MQTLS_TRY(w.properties(list, context));
    return w.size();
}

// The property section of a packet the encoder counts or writes: validated (and sized) again on
// the writing pass, which costs a walk of the list but keeps one path for both.
Result<void> detail::Emitter::properties(const PropertyList& list,
                                         PropertyContext context) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t content, content_size(list, context));
    remaining_length(static_cast<std::uint32_t>(content));
    if (counting()) {
        advance(content);
        return ok();
    }
    for (const Property p : list)
        emit_property(*this, *info_of(static_cast<std::uint8_t>(p.id)), p);
    return ok();
}

Result<DecodedProperties> decode_properties(bytes_view in, PropertyContext context) noexcept {
    wire::Reader r(in);
    MQTLS_TRY_ASSIGN(const std::uint32_t length, read_variable_byte_integer(r));
    const std::size_t header = in.size() - r.remaining();
    MQTLS_TRY_ASSIGN(const bytes_view section, r.bytes(length));
    wire::Reader properties(section);
    std::uint64_t seen = 0;
    std::size_t count = 0;
    while (!properties.empty()) {
        MQTLS_TRY_ASSIGN(const Property p, read_property(properties));
        MQTLS_TRY(check_property(p, context, seen));
        ++count;
    }
    return DecodedProperties{PropertyList::from_wire(section, count), header + length};
}

}  // namespace mqtls::mqtt
