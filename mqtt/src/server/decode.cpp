// The server's half of decoding: the packets only a server receives, CONNECT (section 3.1),
// SUBSCRIBE (3.8) and UNSUBSCRIBE (3.10), in MQTT 3.1.1 or (built with MQTLS_MQTT5) MQTT 5, by
// the same strict rules as the client's decode() (codec_decode.cpp), which decodes every other
// packet for both. A device never links this: it is an MQTT client (library mqtls_mqtt_server).
#include "mqtls/mqtt/server_decode.hpp"

#include <cstdint>
#include <string_view>

#include "codec_decode.hpp"
#include "codec_rules.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "wire.hpp"

namespace mqtls::mqtt::server {
namespace {

using wire::Reader;
#if MQTLS_MQTT5
using Context = PropertyContext;
using decoding::read_properties;
#endif

using decoding::is_v5;
using rules::expect_end;
using rules::read_string;

// ---- CONNECT (section 3.1) ---------------------------------------------------------------------

// The rest of a CONNECT after its Protocol Level.
Result<void> decode_connect_rest(Reader& r, bool v5, Packet& out) noexcept {
    MQTLS_TRY_ASSIGN(const std::uint8_t flags, r.u8());
    MQTLS_TRY_ASSIGN(const rules::ConnectFlagBits bits, rules::parse_connect_flags(flags));
    // MQTT 5 drops this rule (section 3.1.2.9).
    if (!v5 && bits.password && !bits.username) {
        return Errc::invalid_connect_flags;  // [MQTT-3.1.2-22]
    }
    Connect& c = out.emplace<Connect>();
    c.clean_session = bits.clean;
    MQTLS_TRY_ASSIGN(c.keep_alive_s, r.u16());
#if MQTLS_MQTT5
    if (v5) {
        MQTLS_TRY_ASSIGN(c.properties, read_properties(r, Context::connect));
        MQTLS_TRY(rules::check_authentication(c.properties));
    }
#endif
    MQTLS_TRY_ASSIGN(c.client_id, read_string(r));
    // [MQTT-3.1.3-7]; the same rule the encoder applies, so decode and encode agree. MQTT 5 lets
    // the server assign one with Clean Start 0 [MQTT-3.1.3-6].
    if (!v5 && c.client_id.empty() && !c.clean_session) return Errc::invalid_connect_flags;
    if (bits.will) {
        Will will;
#if MQTLS_MQTT5
        if (v5) {
            MQTLS_TRY_ASSIGN(will.properties, read_properties(r, Context::will));
        }
#endif
        MQTLS_TRY_ASSIGN(will.topic, read_string(r));
        MQTLS_TRY(validate_topic_name(will.topic));
        MQTLS_TRY_ASSIGN(will.payload, r.binary());
        will.qos = static_cast<QoS>(bits.will_qos);
        will.retain = bits.will_retain;
        c.will = will;
    }
    if (bits.username) {
        MQTLS_TRY_ASSIGN(c.username, read_string(r));
    }
    if (bits.password) {
        MQTLS_TRY_ASSIGN(c.password, r.binary());
    }
    return expect_end(r);
}

// The Protocol Name and Level [MQTT-3.1.2-1], [MQTT-3.1.2-2] decide how the rest reads.
Result<void> decode_connect(Reader& r, ProtocolVersion& version, Packet& out) noexcept {
    MQTLS_TRY_ASSIGN(const std::string_view name, r.string());
    if (name != rules::protocol_name) return Errc::invalid_protocol_name;
    MQTLS_TRY_ASSIGN(const std::uint8_t level, r.u8());
    if (level == static_cast<std::uint8_t>(ProtocolVersion::v3_1_1) ||
        (mqtt5_available && level == static_cast<std::uint8_t>(ProtocolVersion::v5))) {
        version = static_cast<ProtocolVersion>(level);
        return decode_connect_rest(r, is_v5(version), out);
    }
    return Error{Errc::unsupported_protocol_level, level};
}

// ---- SUBSCRIBE, UNSUBSCRIBE (sections 3.8, 3.10) -----------------------------------------------

// Both: a packet identifier, (MQTT 5) properties, then at least one topic filter, in SUBSCRIBE
// each with its options byte.
Result<void> decode_subscription_request(Reader& r, [[maybe_unused]] bool v5, bool subscribe,
                                         Packet& out) noexcept {
    MQTLS_TRY_ASSIGN(const PacketId packet_id, r.u16());
    MQTLS_TRY(rules::check_packet_id(packet_id));
#if MQTLS_MQTT5
    PropertyList properties;
    if (v5) {
        MQTLS_TRY_ASSIGN(properties,
                         read_properties(r, subscribe ? Context::subscribe : Context::unsubscribe));
    }
#endif
    const bytes_view entries = r.take_rest();
    Reader er(entries);
    std::size_t count = 0;
    while (!er.empty()) {
        MQTLS_TRY_ASSIGN(const std::string_view filter, er.string());
        MQTLS_TRY(validate_topic_filter(filter));
        if (subscribe) {
            MQTLS_TRY_ASSIGN(const std::uint8_t options, er.u8());
#if MQTLS_MQTT5
            if (v5) {
                MQTLS_TRY(rules::check_subscription_options(options, filter));
                ++count;
                continue;
            }
#endif
            if ((options & 0xfc) != 0) return Errc::invalid_subscription_options;  // [MQTT-3-8.3-4]
            MQTLS_TRY(rules::check_qos(options));
        }
        ++count;
    }
    // [MQTT-3.8.3-3] (MQTT 5: [MQTT-3.8.3-2]), [MQTT-3.10.3-2].
    if (count == 0) return Errc::empty_subscription_list;
    if (subscribe) {
        Subscribe& s = out.emplace<Subscribe>();
        s.packet_id = packet_id;
        s.subscriptions = SubscriptionList::from_wire(entries, count);
#if MQTLS_MQTT5
        s.properties = properties;
#endif
    } else {
        Unsubscribe& u = out.emplace<Unsubscribe>();
        u.packet_id = packet_id;
        u.filters = FilterList::from_wire(entries, count);
#if MQTLS_MQTT5
        u.properties = properties;
#endif
    }
    return ok();
}

}  // namespace

Result<Decoded> decode(bytes_view in, const DecodeLimits& limits) noexcept {
    MQTLS_TRY_ASSIGN(const FixedHeader header, decoding::read_frame(in, limits));
    Reader r(in.subspan(header.header_size, header.remaining_length));
    Decoded decoded;
    decoded.version = limits.protocol;
    decoded.consumed = header.packet_size();
    const bool v5 = is_v5(limits.protocol);
    switch (header.type) {
        case PacketType::connect:
            // A CONNECT's own level decides its form.
            MQTLS_TRY(decode_connect(r, decoded.version, decoded.packet));
            break;
        case PacketType::subscribe:
            MQTLS_TRY(decode_subscription_request(r, v5, true, decoded.packet));
            break;
        case PacketType::unsubscribe:
            MQTLS_TRY(decode_subscription_request(r, v5, false, decoded.packet));
            break;
        default:
            MQTLS_TRY(decoding::decode_client_body(header, r, v5, decoded.packet));
            break;
    }
    return decoded;
}

}  // namespace mqtls::mqtt::server
