// MQTT 5 Reason Codes, table 2-6 of section 2.4, as one table of (value, packets, name).
#include "mqtls/mqtt/reason_codes.hpp"
#include "mqtls/core/error.hpp"

namespace mqtls::mqtt {
namespace {

using Packet = ReasonPacket;

constexpr std::uint16_t on(Packet p) noexcept {
    return static_cast<std::uint16_t>(1U << static_cast<unsigned>(p));
}
template <class... More>
constexpr std::uint16_t on(Packet p, More... more) noexcept {
    return static_cast<std::uint16_t>(on(p) | on(more...));
}

struct Entry {
    std::uint8_t code;
    std::uint16_t packets;
#if MQTLS_ERROR_TEXT
    const char* name;
#endif
};

// The failures most packets share.
constexpr std::uint16_t common_failures = on(Packet::connack, Packet::puback, Packet::pubrec,
                                             Packet::suback, Packet::unsuback, Packet::disconnect);
constexpr std::uint16_t connack_disconnect = on(Packet::connack, Packet::disconnect);

constexpr Entry table[] = {
    {0x00, on(Packet::connack, Packet::puback, Packet::pubrec, Packet::pubrel, Packet::pubcomp,
              Packet::unsuback, Packet::auth) MQTLS_TEXT_FIELD("Success")},
    {0x00, on(Packet::disconnect) MQTLS_TEXT_FIELD("Normal disconnection")},
    {0x00, on(Packet::suback) MQTLS_TEXT_FIELD("Granted QoS 0")},
    {0x01, on(Packet::suback) MQTLS_TEXT_FIELD("Granted QoS 1")},
    {0x02, on(Packet::suback) MQTLS_TEXT_FIELD("Granted QoS 2")},
    {0x04, on(Packet::disconnect) MQTLS_TEXT_FIELD("Disconnect with Will Message")},
    {0x10, on(Packet::puback, Packet::pubrec) MQTLS_TEXT_FIELD("No matching subscribers")},
    {0x11, on(Packet::unsuback) MQTLS_TEXT_FIELD("No subscription existed")},
    {0x18, on(Packet::auth) MQTLS_TEXT_FIELD("Continue authentication")},
    {0x19, on(Packet::auth) MQTLS_TEXT_FIELD("Re-authenticate")},
    {0x80, common_failures MQTLS_TEXT_FIELD("Unspecified error")},
    {0x81, connack_disconnect MQTLS_TEXT_FIELD("Malformed Packet")},
    {0x82, connack_disconnect MQTLS_TEXT_FIELD("Protocol Error")},
    {0x83, common_failures MQTLS_TEXT_FIELD("Implementation specific error")},
    {0x84, on(Packet::connack) MQTLS_TEXT_FIELD("Unsupported Protocol Version")},
    {0x85, on(Packet::connack) MQTLS_TEXT_FIELD("Client Identifier not valid")},
    {0x86, on(Packet::connack) MQTLS_TEXT_FIELD("Bad User Name or Password")},
    {0x87, common_failures MQTLS_TEXT_FIELD("Not authorized")},
    {0x88, on(Packet::connack) MQTLS_TEXT_FIELD("Server unavailable")},
    {0x89, connack_disconnect MQTLS_TEXT_FIELD("Server busy")},
    {0x8a, on(Packet::connack) MQTLS_TEXT_FIELD("Banned")},
    {0x8b, on(Packet::disconnect) MQTLS_TEXT_FIELD("Server shutting down")},
    {0x8c, connack_disconnect MQTLS_TEXT_FIELD("Bad authentication method")},
    {0x8d, on(Packet::disconnect) MQTLS_TEXT_FIELD("Keep Alive timeout")},
    {0x8e, on(Packet::disconnect) MQTLS_TEXT_FIELD("Session taken over")},
    {0x8f, on(Packet::suback, Packet::unsuback, Packet::disconnect)
               MQTLS_TEXT_FIELD("Topic Filter invalid")},
    {0x90, on(Packet::connack, Packet::puback, Packet::pubrec, Packet::disconnect)
               MQTLS_TEXT_FIELD("Topic Name invalid")},
    {0x91, on(Packet::puback, Packet::pubrec, Packet::suback, Packet::unsuback)
               MQTLS_TEXT_FIELD("Packet Identifier in use")},
    {0x92, on(Packet::pubrel, Packet::pubcomp) MQTLS_TEXT_FIELD("Packet Identifier not found")},
    {0x93, on(Packet::disconnect) MQTLS_TEXT_FIELD("Receive Maximum exceeded")},
    {0x94, on(Packet::disconnect) MQTLS_TEXT_FIELD("Topic Alias invalid")},
    {0x95, connack_disconnect MQTLS_TEXT_FIELD("Packet too large")},
    {0x96, on(Packet::disconnect) MQTLS_TEXT_FIELD("Message rate too high")},
    {0x97, static_cast<std::uint16_t>(common_failures & ~on(Packet::unsuback))
               MQTLS_TEXT_FIELD("Quota exceeded")},
    {0x98, on(Packet::disconnect) MQTLS_TEXT_FIELD("Administrative action")},
    {0x99, on(Packet::connack, Packet::puback, Packet::pubrec, Packet::disconnect)
               MQTLS_TEXT_FIELD("Payload format invalid")},
    {0x9a, connack_disconnect MQTLS_TEXT_FIELD("Retain not supported")},
    {0x9b, connack_disconnect MQTLS_TEXT_FIELD("QoS not supported")},
    {0x9c, connack_disconnect MQTLS_TEXT_FIELD("Use another server")},
    {0x9d, connack_disconnect MQTLS_TEXT_FIELD("Server moved")},
    {0x9e,
     on(Packet::suback, Packet::disconnect) MQTLS_TEXT_FIELD("Shared Subscriptions not supported")},
    {0x9f, connack_disconnect MQTLS_TEXT_FIELD("Connection rate exceeded")},
    {0xa0, on(Packet::disconnect) MQTLS_TEXT_FIELD("Maximum connect time")},
    {0xa1, on(Packet::suback, Packet::disconnect)
               MQTLS_TEXT_FIELD("Subscription Identifiers not supported")},
    {0xa2, on(Packet::suback, Packet::disconnect)
               MQTLS_TEXT_FIELD("Wildcard Subscriptions not supported")},
};

const Entry* find(std::uint8_t code, Packet packet) noexcept {
    for (const Entry& entry : table) {
        if (entry.code == code && (entry.packets & on(packet)) != 0) return &entry;
    }
    return nullptr;
}

}  // namespace

bool reason_code_allowed(std::uint8_t code, ReasonPacket packet) noexcept {
    return find(code, packet) != nullptr;
}

const char* reason_code_name(std::uint8_t code, ReasonPacket packet) noexcept {
#if MQTLS_ERROR_TEXT
    const Entry* entry = find(code, packet);
    return entry != nullptr ? entry->name : "unknown reason code";
#else
    (void)code;
    (void)packet;
    return "";
#endif
}

}  // namespace mqtls::mqtt
