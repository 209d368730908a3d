// MQTT 5 Topic Aliases (section 3.3.2.3.4), both ways.
//
// Outgoing: a topic sent again on the same connection goes as two bytes instead of its name.
// Every PUBLISH is encoded whole, as without aliases; once it is in tx, in the order the broker
// reads the bytes, alias_queued_publish() rewrites it there with the alias, so the PUBLISH that
// establishes an alias (topic and alias) always reaches the broker before the first one that uses
// it alone (empty topic and alias). Stored QoS 1/2 copies keep the whole topic and each
// transmission is aliased afresh, so a resend on a new connection, whose mapping starts empty
// [MQTT-3.3.2-7], never relies on an alias the broker forgot.
//
// Incoming: a PUBLISH carrying a topic and an alias sets the alias (again) for this connection;
// one carrying the alias and an empty Topic Name is given the topic it stands for. The topic
// lives in a slot of SessionMemory::incoming_topic_aliases, which MessageReceived views: receive()
// takes no more bytes while such an event is queued, so no slot changes under it.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "codec_rules.hpp"
#include "encoder.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/session.hpp"

namespace mqtls::mqtt {

using detail::ack_size;

namespace {

// A variable byte integer of a PUBLISH this session encoded (so of valid form, 1..4 bytes):
// its value, and the bytes it took.
std::size_t read_variable_integer(const std::uint8_t* at, std::uint32_t& value) noexcept {
    value = 0;
    std::size_t i = 0;
    bool more = true;
    while (more && i < 4) {
        value |= static_cast<std::uint32_t>(at[i] & 0x7f) << (7 * i);
        more = (at[i++] & 0x80) != 0;
    }
    return i;
}

constexpr std::size_t topic_alias_property_size = 3;  // identifier 0x23, Two Byte Integer

}  // namespace

// The entry whose alias stands for `topic` on this connection; topic_aliases_used_ if none does.
std::size_t Session::outgoing_alias_entry(std::string_view topic) const noexcept {
    for (std::size_t i = 0; i < topic_aliases_used_; ++i) {
        if (std::string_view(topic_aliases_[i].topic, topic_aliases_[i].length) == topic) return i;
    }
    return topic_aliases_used_;
}

// The PUBLISH is rewritten in place (section 3.3.2): topic, Topic Alias as the first property,
// then its own properties and payload as they were, moved as one block.
void Session::alias_queued_publish(std::size_t start) noexcept {
    // [MQTT-3.3.2-9]: never above the broker's Topic Alias Maximum, which only CONNACK tells.
    const std::size_t allowed =
        std::min<std::size_t>(broker_limits_.topic_alias_maximum, max_outgoing_topic_aliases);
    if (config_.protocol != ProtocolVersion::v5 || !config_.outgoing_topic_aliases ||
        state_ != SessionState::connected || allowed == 0) {
        return;
    }
    std::uint8_t* const packet = memory_.tx.data() + start;
    const std::size_t old_size = tx_end_ - start;
    std::uint32_t ignored_body_size = 0;
    std::size_t at = 1 + read_variable_integer(packet + 1, ignored_body_size);
    const std::size_t topic_size = (std::size_t{packet[at]} << 8) | packet[at + 1];
    const std::string_view topic(reinterpret_cast<const char*>(packet + at + 2), topic_size);
    if (topic.empty() || topic.size() > max_aliased_topic_bytes) return;
    at += 2 + topic_size;
    const std::size_t id_size = (packet[0] & rules::publish_qos_mask) != 0 ? 2 : 0;
    const std::size_t id_at = at;
    at += id_size;
    // No Topic Alias of the caller's own is among them: check_caller_alias() refused it.
    std::uint32_t own_size = 0;
    const std::size_t tail_at = at + read_variable_integer(packet + at, own_size);
    const std::size_t entry = outgoing_alias_entry(topic);
    const bool establishes = entry == topic_aliases_used_;
    if (establishes && entry >= allowed) return;  // the first topics keep theirs
    // Once established, the alias alone: a zero-length Topic Name (3.3.2.1).
    const std::size_t new_topic_size = establishes ? topic_size : 0;
    const std::size_t tail_size = old_size - tail_at;  // own properties, payload
    const std::size_t properties_size = own_size + topic_alias_property_size;
    const std::size_t body_size =
        2 + new_topic_size + id_size +
        remaining_length_size(static_cast<std::uint32_t>(properties_size)) + properties_size -
        own_size + tail_size;
    const std::size_t new_size =
        1 + remaining_length_size(static_cast<std::uint32_t>(body_size)) + body_size;
    // Establishing adds bytes: a message at the broker's limit, or one tx has no room for, goes
    // without.
    if (broker_limits_.maximum_packet_size != 0 && new_size > broker_limits_.maximum_packet_size) {
        return;
    }
    if (new_size > old_size &&
        (new_size - old_size + ack_size > tx_free() || start + new_size > memory_.tx.size())) {
        return;
    }
    if (establishes) {
        TopicAliasSlot& slot = topic_aliases_[entry];
        slot.length = static_cast<std::uint8_t>(topic_size);
        std::copy(topic.begin(), topic.end(), slot.topic);
        ++topic_aliases_used_;
    }
    std::uint8_t head[1 + 4 + 2 + max_aliased_topic_bytes + 2 + 4 + topic_alias_property_size];
    detail::Emitter w(ProtocolVersion::v5, mutable_bytes(head, sizeof head), sizeof head);
    w.u8(packet[0]);
    w.remaining_length(static_cast<std::uint32_t>(body_size));
    w.u16(static_cast<std::uint16_t>(new_topic_size));
    w.bytes(as_bytes(topic.data(), new_topic_size));
    w.bytes(bytes_view(packet + id_at, id_size));
    w.remaining_length(static_cast<std::uint32_t>(properties_size));
    w.u8(static_cast<std::uint8_t>(PropertyId::topic_alias));
    w.u16(static_cast<std::uint16_t>(entry + 1));
    const std::size_t h = w.size();
    std::memmove(packet + h, packet + tail_at, tail_size);
    std::memcpy(packet, head, h);
    tx_end_ = start + h + tail_size;
}

// While the session chooses the aliases, one the caller chose could name another topic than the
// session's mapping does, and the broker would deliver later messages under the wrong topic.
Result<void> Session::check_caller_alias(const Publish& message) const noexcept {
    if (config_.protocol == ProtocolVersion::v5 && config_.outgoing_topic_aliases &&
        find_property(message.properties, PropertyId::topic_alias)) {
        return Error{Errc::invalid_argument, static_cast<std::int32_t>(PropertyId::topic_alias)};
    }
    return ok();
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
