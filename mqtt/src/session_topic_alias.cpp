// MQTT 5 Topic Aliases (section 3.3.2.3.4), both ways.
//
// Outgoing: a topic sent again on the same connection
// goes as two bytes instead of its name. The alias is chosen as the bytes go into tx, in the
// order the broker reads them, so the PUBLISH that establishes an alias (topic and alias) always
// reaches the broker before the first one that uses it alone (empty topic and alias). Stored
// QoS 1/2 copies keep the whole topic; each transmission is aliased afresh from them, so a resend
// on a new connection, whose mapping starts empty [MQTT-3.3.2-7], never relies on an alias the
// broker forgot.
//
// Incoming: a PUBLISH carrying a topic and an alias sets the alias (again) for this connection;
// one carrying the alias and an empty Topic Name is given the topic it stands for. The topic
// lives in a slot of SessionMemory::incoming_topic_aliases, which MessageReceived views: receive()
// takes no more bytes while such an event is queued, so no slot changes under it.
#include <algorithm>
#include <optional>
#include <string_view>
#include <variant>

#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/session.hpp"

namespace mqtls::mqtt {

using detail::ack_size;

// A PUBLISH as it goes out with an alias; message.properties views `properties`.
struct Session::AliasedPublish {
    // The message's own properties (a reading carries one, Message Expiry) and the alias.
    static constexpr std::size_t max_properties = 8;
    Publish message;
    Property properties[max_properties];
    std::size_t entry = 0;     // topic_aliases_[entry] is the topic; the alias is entry + 1
    bool establishes = false;  // its first use on this connection: recorded once queued
};

bool Session::alias_topic(const Publish& message, AliasedPublish& aliased) const noexcept {
    // [MQTT-3.3.2-9]: never above the broker's Topic Alias Maximum, which only CONNACK tells.
    const std::size_t allowed =
        std::min<std::size_t>(broker_limits_.topic_alias_maximum, max_outgoing_topic_aliases);
    if (config_.protocol != ProtocolVersion::v5 || !config_.outgoing_topic_aliases ||
        state_ != SessionState::connected || allowed == 0) {
        return false;
    }
    const std::string_view topic = message.topic;
    if (topic.empty() || topic.size() > max_aliased_topic_bytes ||
        message.properties.size() + 1 > AliasedPublish::max_properties) {
        return false;
    }
    std::size_t entry = topic_aliases_used_;
    for (std::size_t i = 0; i < topic_aliases_used_; ++i) {
        if (std::string_view(topic_aliases_[i].topic, topic_aliases_[i].length) == topic) {
            entry = i;
            break;
        }
    }
    const bool establishes = entry == topic_aliases_used_;
    if (establishes && entry >= allowed) return false;  // the first topics keep theirs
    std::size_t count = 0;
    for (const Property property : message.properties) {
        if (property.id == PropertyId::topic_alias) return false;  // the caller chose one
        aliased.properties[count++] = property;
    }
    aliased.properties[count++] =
        Property::integer(PropertyId::topic_alias, static_cast<std::uint32_t>(entry + 1));
    aliased.message = message;
    aliased.message.properties = PropertyList(span<const Property>(aliased.properties, count));
    // Once established, the alias alone: a zero-length Topic Name (3.3.2.1).
    if (!establishes) aliased.message.topic = {};
    aliased.entry = entry;
    aliased.establishes = establishes;
    return true;
}

void Session::commit_alias(const AliasedPublish& aliased) noexcept {
    if (!aliased.establishes) return;
    TopicAliasSlot& entry = topic_aliases_[aliased.entry];
    entry.length = static_cast<std::uint8_t>(aliased.message.topic.size());
    std::copy(aliased.message.topic.begin(), aliased.message.topic.end(), entry.topic);
    ++topic_aliases_used_;
}

Result<bool> Session::queue_with_alias(const Publish& message, Instant now) noexcept {
    AliasedPublish aliased;
    if (!alias_topic(message, aliased)) return false;
    MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(aliased.message, config_.protocol));
    // Establishing adds 3 bytes: a message at the broker's limit goes without.
    if (broker_limits_.maximum_packet_size != 0 && size > broker_limits_.maximum_packet_size) {
        return false;
    }
    MQTLS_TRY(queue_request(aliased.message, now));
    commit_alias(aliased);
    return true;
}

Result<bool> Session::queue_stored_with_alias(const detail::OutgoingSlot& slot,
                                              Instant now) noexcept {
    if (config_.protocol != ProtocolVersion::v5 || !config_.outgoing_topic_aliases ||
        state_ != SessionState::connected || broker_limits_.topic_alias_maximum == 0) {
        return false;
    }
    DecodeLimits limits;
    limits.max_packet_size = slot.length;
    limits.protocol = ProtocolVersion::v5;
    const Result<Decoded> decoded =
        decode(bytes_view(memory_.store.data() + slot.offset, slot.length), limits);
    // A stored copy is a PUBLISH we encoded: anything else is sent as it is.
    const Publish* stored = decoded ? std::get_if<Publish>(&decoded->packet) : nullptr;
    AliasedPublish aliased;
    if (stored == nullptr || !alias_topic(*stored, aliased)) return false;
    const Result<std::size_t> size = encoded_size(aliased.message, config_.protocol);
    if (!size ||
        (broker_limits_.maximum_packet_size != 0 && *size > broker_limits_.maximum_packet_size)) {
        return false;
    }
    if (*size + ack_size > tx_free()) return Errc::output_full;
    make_tx_room(*size);
    MQTLS_TRY_ASSIGN(const std::size_t written,
                     encode(aliased.message, memory_.tx.subspan(tx_end_), config_.protocol));
    tx_end_ += written;
    last_sent_ = now;
    commit_alias(aliased);
    return true;
}

Result<void> Session::resolve_incoming_alias(Publish& publish) noexcept {
    if (config_.protocol != ProtocolVersion::v5) return ok();
    const std::optional<Property> alias =
        find_property(publish.properties, PropertyId::topic_alias);
    if (!alias) return ok();
    // [MQTT-3.3.2-11]: never 0 nor above the Topic Alias Maximum of our CONNECT, which is 0 when
    // the session has no slots [MQTT-3.1.2-27].
    if (alias->number == 0 || alias->number > incoming_alias_maximum_) {
        return fail(
            Error{Errc::protocol_violation, static_cast<std::int32_t>(PacketType::publish)});
    }
    TopicAliasSlot& slot = memory_.incoming_topic_aliases[alias->number - 1];
    if (!publish.topic.empty()) {
        if (publish.topic.size() > max_aliased_topic_bytes) {
            slot.length = TopicAliasSlot::topic_alias_too_long;
            return ok();
        }
        slot.length = static_cast<std::uint8_t>(publish.topic.size());
        std::copy(publish.topic.begin(), publish.topic.end(), slot.topic);
        return ok();
    }
    if (slot.length == 0 || slot.length == TopicAliasSlot::topic_alias_too_long) {
        return fail(Error{Errc::topic_alias_unresolved, static_cast<std::int32_t>(alias->number)});
    }
    publish.topic = std::string_view(slot.topic, slot.length);
    return ok();
}

}  // namespace mqtls::mqtt
