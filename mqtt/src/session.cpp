// The client session state machine. Outgoing QoS 1/2 messages live in `memory_.store` (encoded,
// in send order) until acknowledged, so they can be re-sent with DUP after a reconnect; everything
// the transport must send is appended to `memory_.tx`.
//
// Cost per message stays constant however large the window and buffers are: the outgoing window
// is a ring (acknowledgements arrive oldest first, so removing a slot is O(1) then), a cursor
// remembers where unsent messages start, and the store and tx buffers are compacted only once
// the bytes freed at their front outweigh the bytes still in use (or when an append needs the
// room), so compaction moves no more bytes than were freed. Compaction also keeps the touched
// part of large, lazily allocated buffers small.
#include "mqtls/mqtt/session.hpp"

#include <array>
#include <cstring>
#include <iterator>

#include "codec_rules.hpp"

namespace mqtls::mqtt {

using detail::OutgoingSlot;
using detail::OutgoingStage;
using detail::PendingRequest;

using detail::ack_size;

namespace {

// The decoder reads every packet in the connection's version.
DecodeLimits limits_of(const SessionConfig& config) noexcept {
    return DecodeLimits{config.limits.max_packet_size, config.protocol};
}

// Events that view the rx frame: receive() may not take more bytes while one is queued.
bool views_rx_frame(const Event& event) noexcept {
    if (std::holds_alternative<MessageReceived>(event) ||
        std::holds_alternative<SubscribeAcked>(event)) {
        return true;
    }
#if MQTLS_MQTT5
    if (const auto* connected = std::get_if<Connected>(&event)) {
        return !connected->properties.empty();
    }
    if (const auto* unsubscribed = std::get_if<UnsubscribeAcked>(&event)) {
        return !unsubscribed->reason_codes.empty();
    }
    return std::holds_alternative<PublishRejected>(event) ||
           std::holds_alternative<BrokerClosed>(event);
#else
    return false;
#endif
}
}  // namespace

Session::Session(const SessionConfig& config, SessionMemory memory) noexcept
    : config_(config), memory_(memory), framer_(memory.rx, limits_of(config)) {
    config_.limits.protocol = config.protocol;
    MQTLS_ASSERT(memory_.events.size() >= memory_.requests.size() + 2);
}

// ---- output ------------------------------------------------------------------------------------

std::size_t Session::tx_free() const noexcept { return memory_.tx.size() - (tx_end_ - tx_begin_); }

void Session::compact_tx() noexcept {
    if (tx_begin_ == 0) return;
    std::memmove(memory_.tx.data(), memory_.tx.data() + tx_begin_, tx_end_ - tx_begin_);
    tx_end_ -= tx_begin_;
    tx_begin_ = 0;
}

void Session::make_tx_room(std::size_t size) noexcept {
    if (memory_.tx.size() - tx_end_ < size) compact_tx();
}

bytes_view Session::pending_output() const noexcept {
    return memory_.tx.subspan(tx_begin_, tx_end_ - tx_begin_);
}

void Session::consume_output(std::size_t count) noexcept {
    const std::size_t pending = tx_end_ - tx_begin_;
    tx_begin_ += count < pending ? count : pending;
    if (tx_begin_ == tx_end_) {
        tx_begin_ = 0;
        tx_end_ = 0;
    } else if (tx_begin_ >= tx_end_ - tx_begin_) {
        // Moves no more than was just consumed; a large packet leaving record by record is not
        // shifted again for every record.
        compact_tx();
    }
    queue_unsent_messages(last_sent_);
}

// Packets the application asks for leave `ack_size` bytes free, so that an incoming packet can
// always be acknowledged: otherwise a full tx buffer would stop receive(), and a broker that
// stops reading while we stop reading would deadlock the connection.
Result<void> Session::queue_request(const Packet& packet, Instant now) noexcept {
    return queue_packet(packet, now, ack_size);
}

Result<void> Session::queue_response(const Packet& packet, Instant now) noexcept {
    return queue_packet(packet, now, 0);
}

Result<void> Session::queue_packet(const Packet& packet, Instant now,
                                   std::size_t reserve) noexcept {
    MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(packet, config_.protocol));
    if (size + reserve > memory_.tx.size()) {
        return Error{Errc::message_too_large, static_cast<std::int32_t>(size)};
    }
    if (size + reserve > tx_free()) return Errc::output_full;
    make_tx_room(size);
    MQTLS_TRY_ASSIGN(const std::size_t written,
                     encode(packet, memory_.tx.subspan(tx_end_), config_.protocol));
    tx_end_ += written;
    last_sent_ = now;
    return ok();
}

// Puts the stored copy of `slot` into tx (with a Topic Alias when one applies); false: no room.
bool Session::queue_stored_copy(const OutgoingSlot& slot, Instant now) noexcept {
    if (slot.length + ack_size > tx_free()) return false;
    make_tx_room(slot.length);
    std::memcpy(memory_.tx.data() + tx_end_, memory_.store.data() + slot.offset, slot.length);
    tx_end_ += slot.length;
    last_sent_ = now;
#if MQTLS_MQTT5
    alias_queued_publish(tx_end_ - slot.length);
#endif
    return true;
}

// Sends stored messages not yet sent on this connection, in their original order, while they fit.
void Session::queue_unsent_messages(Instant now) noexcept {
    if (state_ != SessionState::connecting && state_ != SessionState::connected) return;
    // MQTT 5 flow control [MQTT-3.3.4-7]: no more unacknowledged QoS 1/2 PUBLISHes than the
    // broker's Receive Maximum (65535 under 3.1.1). Slots before first_unsent_ are exactly the
    // sent ones.
    for (; first_unsent_ < outgoing_count_ && first_unsent_ < broker_limits_.receive_maximum;
         ++first_unsent_) {
        OutgoingSlot& slot = outgoing_at(first_unsent_);
        if (slot.sent) continue;
        if (slot.stage == OutgoingStage::awaiting_pubcomp) {
            if (!queue_request(PubRel{slot.packet_id}, now)) return;
        } else if (!queue_stored_copy(slot, now)) {
            return;  // tx is full: the rest go out as acknowledgements make room
        }
        slot.sent = true;
    }
}

// ---- identifiers and the outgoing store
// ----------------------------------------------------------

OutgoingSlot& Session::outgoing_at(std::size_t index) noexcept {
    std::size_t position = outgoing_head_ + index;
    if (position >= memory_.outgoing.size()) position -= memory_.outgoing.size();
    return memory_.outgoing[position];
}

const OutgoingSlot& Session::outgoing_at(std::size_t index) const noexcept {
    std::size_t position = outgoing_head_ + index;
    if (position >= memory_.outgoing.size()) position -= memory_.outgoing.size();
    return memory_.outgoing[position];
}

void Session::mark_packet_id(PacketId id, bool in_use) noexcept {
    if (memory_.packet_id_bits.size() < packet_id_bits_size) return;
    std::uint8_t& bits = memory_.packet_id_bits[id / 8];
    const auto bit = static_cast<std::uint8_t>(1U << (id % 8));
    bits = static_cast<std::uint8_t>(in_use ? bits | bit : bits & ~bit);
}

bool Session::packet_id_in_use(PacketId id) const noexcept {
    if (memory_.packet_id_bits.size() >= packet_id_bits_size) {
        if ((memory_.packet_id_bits[id / 8] >> (id % 8)) & 1U) return true;
    } else {
        for (std::size_t i = 0; i < outgoing_count_; ++i) {
            if (outgoing_at(i).packet_id == id) return true;
        }
    }
    for (std::size_t i = 0; i < request_count_; ++i) {
        if (memory_.requests[i].packet_id == id) return true;
    }
    return false;
}

// Callers check that a slot is free first, so fewer than 65535 identifiers are in use and the
// search ends within (in-use count + 1) steps.
PacketId Session::allocate_packet_id() noexcept {
    PacketId id = last_packet_id_;
    do {
        id = static_cast<PacketId>(id == 65535 ? 1 : id + 1);
    } while (packet_id_in_use(id));
    last_packet_id_ = id;
    return id;
}

// Oldest first: acknowledgements arrive in publishing order [MQTT-4.6.0-2], so this ends at once.
std::size_t Session::find_outgoing_index(PacketId id, OutgoingStage stage) const noexcept {
    for (std::size_t i = 0; i < outgoing_count_; ++i) {
        const OutgoingSlot& slot = outgoing_at(i);
        if (slot.packet_id == id && slot.stage == stage) return i;
    }
    return outgoing_count_;
}

OutgoingSlot* Session::find_outgoing(PacketId id) noexcept {
    for (std::size_t i = 0; i < outgoing_count_; ++i) {
        if (outgoing_at(i).packet_id == id) return &outgoing_at(i);
    }
    return nullptr;
}

// Slots are in store order (each new copy is appended at store_end_), so moving each copy down
// to the next free byte never overwrites one not yet moved.
void Session::compact_store() noexcept {
    std::size_t write = 0;
    for (std::size_t i = 0; i < outgoing_count_; ++i) {
        OutgoingSlot& slot = outgoing_at(i);
        if (slot.length > 0 && slot.offset != write) {
            std::memmove(memory_.store.data() + write, memory_.store.data() + slot.offset,
                         slot.length);
        }
        slot.offset = static_cast<std::uint32_t>(write);
        write += slot.length;
    }
    store_end_ = write;
}

void Session::release_store_bytes(OutgoingSlot& slot) noexcept {
    store_live_ -= slot.length;
    slot.length = 0;
    // Once the holes outweigh what is still stored: moves at most the bytes freed since the last
    // compaction.
    if (store_end_ - store_live_ >= store_live_) compact_store();
}

// Keeps the window in order: the slots before `index` move up one place, so removing the oldest
// (the usual case) moves nothing.
void Session::remove_outgoing(std::size_t index) noexcept {
    mark_packet_id(outgoing_at(index).packet_id, false);
    release_store_bytes(outgoing_at(index));
    for (std::size_t i = index; i > 0; --i) outgoing_at(i) = outgoing_at(i - 1);
    outgoing_head_ = outgoing_head_ + 1 == memory_.outgoing.size() ? 0 : outgoing_head_ + 1;
    --outgoing_count_;
    if (first_unsent_ > index) --first_unsent_;
    if (outgoing_count_ == 0) {
        outgoing_head_ = 0;
        store_end_ = 0;
    }
}

// message_too_large when a stored copy of `size` bytes could never be kept or sent whole.
Result<void> Session::check_storable(std::size_t size) const noexcept {
    if (size > memory_.store.size() || size + ack_size > memory_.tx.size()) {
        return Error{Errc::message_too_large, static_cast<std::int32_t>(size)};
    }
    return ok();
}

// Encodes the QoS 1/2 `message` (`size` bytes) at store_end_ as the newest slot of the window,
// with identifier `id`, or a newly allocated one when `id` is 0; `sent`: it went out on an earlier
// connection, so its resend carries DUP. inflight_full while the window or the store is full.
Result<PacketId> Session::store_outgoing(Publish& message, std::size_t size, PacketId id,
                                         bool sent) noexcept {
    if (outgoing_count_ == memory_.outgoing.size() || size > memory_.store.size() - store_live_) {
        return Errc::inflight_full;
    }
    if (size > memory_.store.size() - store_end_) compact_store();
    message.packet_id = id != 0 ? id : allocate_packet_id();
    MQTLS_TRY_ASSIGN(const std::size_t written,
                     encode(message, memory_.store.subspan(store_end_), config_.protocol));
    OutgoingSlot& slot = outgoing_at(outgoing_count_);
    slot.packet_id = message.packet_id;
    // A restored QoS 2 message whose PUBREC was lost with the reboot is sent again as PUBLISH: the
    // broker answers a duplicate with PUBREC again and delivers it once [MQTT-4.3.3].
    slot.stage = message.qos == QoS::at_least_once ? OutgoingStage::awaiting_puback
                                                   : OutgoingStage::awaiting_pubrec;
    slot.sent = sent;
    mark_packet_id(slot.packet_id, true);
    slot.offset = static_cast<std::uint32_t>(store_end_);
    slot.length = static_cast<std::uint32_t>(written);
    store_end_ += written;
    store_live_ += written;
    ++outgoing_count_;
    return message.packet_id;
}

// ---- events
// --------------------------------------------------------------------------------------

bool Session::push_event(const Event& event) noexcept {
    if (event_count_ == memory_.events.size()) return false;
    memory_.events[(event_head_ + event_count_) % memory_.events.size()] = event;
    ++event_count_;
    if (views_rx_frame(event)) ++view_events_;
    return true;
}

std::optional<Event> Session::poll_event() noexcept {
    if (event_count_ == 0) return std::nullopt;
    Event event = memory_.events[event_head_];
    event_head_ = (event_head_ + 1) % memory_.events.size();
    --event_count_;
    if (views_rx_frame(event)) --view_events_;
    return event;
}

// ---- connection lifecycle
// --------------------------------------------------------------------------

Result<void> Session::start_connect(const Connect& connect, Instant now) noexcept {
    if (state_ != SessionState::disconnected) return Errc::already_connected;
    tx_begin_ = 0;
    tx_end_ = 0;
    framer_.reset();
    frame_handled_ = false;
#if MQTLS_MQTT5
    if (config_.protocol == ProtocolVersion::v5) {
        MQTLS_TRY(queue_connect_v5(connect, now));
    } else {
        MQTLS_TRY(queue_request(connect, now));
    }
#else
    MQTLS_TRY(queue_request(connect, now));
#endif
    broker_limits_ = BrokerLimits{};
#if MQTLS_MQTT5
    // [MQTT-3.3.2-7]: aliases belong to one Network Connection, both ways.
    topic_aliases_used_ = 0;
    for (TopicAliasSlot& slot : memory_.incoming_topic_aliases) slot.length = 0;
#endif
    state_ = SessionState::connecting;
    keep_alive_s_ = connect.keep_alive_s;
    connect_deadline_ = now + config_.connect_timeout;
    ping_deadline_ = Instant::never();
    if (connect.clean_session) incoming_count_ = 0;
    clean_session_ = connect.clean_session;
    // [MQTT-4.4.0-1] re-send unacknowledged PUBLISH (with DUP [MQTT-3.3.1-1]) and PUBREL, in
    // order, right behind CONNECT: MQTT allows packets before CONNACK, so they share one flight.
    for (std::size_t i = 0; i < outgoing_count_; ++i) {
        OutgoingSlot& slot = outgoing_at(i);
        if (slot.sent && slot.length > 0) memory_.store[slot.offset] |= rules::publish_dup;
        slot.sent = false;
    }
    first_unsent_ = 0;
    queue_unsent_messages(now);
    return ok();
}

Result<void> Session::set_protocol(ProtocolVersion protocol) noexcept {
    if (protocol == config_.protocol) return ok();
    if (protocol != ProtocolVersion::v3_1_1 && protocol != ProtocolVersion::v5) {
        return Error{Errc::unsupported_protocol_level, static_cast<std::int32_t>(protocol)};
    }
    if (protocol == ProtocolVersion::v5 && !mqtt5_available) return Errc::mqtt5_unavailable;
    if (state_ != SessionState::disconnected) return Errc::already_connected;
    if (outgoing_count_ != 0) return Errc::invalid_argument;
    config_.protocol = protocol;
    config_.limits.protocol = protocol;
    framer_.set_limits(config_.limits);
    return ok();
}

#if MQTLS_MQTT5
Result<void> Session::disconnect(Instant now, const PropertyList& properties) noexcept {
#else
Result<void> Session::disconnect(Instant now) noexcept {
#endif
    if (state_ != SessionState::connecting && state_ != SessionState::connected) {
        return Errc::not_connected;
    }
#if MQTLS_MQTT5
    // [MQTT-3.14.2-2]: a session the CONNECT let end with the connection cannot be kept now.
    const auto expiry = find_property(properties, PropertyId::session_expiry_interval);
    if (expiry && expiry->number != 0 && !connect_kept_session_) {
        return Error{Errc::invalid_argument,
                     static_cast<std::int32_t>(PropertyId::session_expiry_interval)};
    }
    Disconnect packet;
    packet.properties = properties;
    MQTLS_TRY(queue_request(packet, now));
#else
    MQTLS_TRY(queue_request(Disconnect{}, now));
#endif
    state_ = SessionState::disconnecting;
    connect_deadline_ = Instant::never();
    ping_deadline_ = Instant::never();
    return ok();
}

void Session::on_transport_closed(Instant) noexcept {
    state_ = SessionState::disconnected;
    tx_begin_ = 0;
    tx_end_ = 0;
    framer_.reset();
    frame_handled_ = false;
    connect_deadline_ = Instant::never();
    ping_deadline_ = Instant::never();
    for (std::size_t i = 0; i < request_count_; ++i) {
        // The event queue is sized for this (constructor assertion), unless the caller left old
        // events unpolled; then the oldest information is kept and this is dropped.
        (void)push_event(RequestAbandoned{memory_.requests[i].packet_id, memory_.requests[i].kind});
    }
    request_count_ = 0;
}

Error Session::fail(Error error) noexcept {
    on_transport_closed(Instant{});
    return error;
}

// ---- application requests
// ---------------------------------------------------------------------------

Result<PacketId> Session::publish(const Publish& message, Instant now) noexcept {
#if MQTLS_MQTT5
    MQTLS_TRY(check_caller_alias(message));
#endif
    Publish p = message;
    p.dup = false;
    if (p.qos == QoS::at_most_once) {
        if (state_ != SessionState::connecting && state_ != SessionState::connected) {
            return Errc::not_connected;
        }
        p.packet_id = 0;
#if MQTLS_MQTT5
        MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(p, config_.protocol));
        MQTLS_TRY(check_broker_limits(p.qos, p.retain, size));
        MQTLS_TRY(queue_request(p, now));
        alias_queued_publish(tx_end_ - size);
#else
        MQTLS_TRY(queue_request(p, now));
#endif
        return PacketId{0};
    }
    p.packet_id = 1;  // placeholder so validation and sizing see a QoS 1/2 packet
    MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(p, config_.protocol));
    MQTLS_TRY(check_storable(size));
#if MQTLS_MQTT5
    MQTLS_TRY(check_broker_limits(p.qos, p.retain, size));
#endif
    MQTLS_TRY_ASSIGN(const PacketId id, store_outgoing(p, size, 0, false));
    queue_unsent_messages(now);
    return id;
}

Result<void> Session::restore_outgoing(const Publish& message, PacketId packet_id) noexcept {
    if (state_ != SessionState::disconnected || message.qos == QoS::at_most_once ||
        packet_id == 0 || packet_id_in_use(packet_id)) {
        return Errc::invalid_argument;
    }
#if MQTLS_MQTT5
    MQTLS_TRY(check_caller_alias(message));
#endif
    Publish p = message;
    p.packet_id = packet_id;
    p.dup = false;  // start_connect() sets it, as for any message sent before
    MQTLS_TRY_ASSIGN(const std::size_t size, encoded_size(p, config_.protocol));
    MQTLS_TRY(check_storable(size));
    MQTLS_TRY(store_outgoing(p, size, packet_id, true));
    // New identifiers continue after the restored one.
    last_packet_id_ = packet_id;
    return ok();
}

// SUBSCRIBE and UNSUBSCRIBE (`packet`, its identifier still 0) wait for their acknowledgement in
// memory_.requests.
Result<PacketId> Session::queue_tracked(Packet packet, std::size_t entries, Instant now) noexcept {
    if (state_ != SessionState::connecting && state_ != SessionState::connected) {
        return Errc::not_connected;
    }
    if (request_count_ == memory_.requests.size()) return Errc::inflight_full;
    const PacketId id = allocate_packet_id();
    PacketType kind = PacketType::subscribe;
    if (auto* subscribe = std::get_if<Subscribe>(&packet)) {
        subscribe->packet_id = id;
    } else if (auto* unsubscribe = std::get_if<Unsubscribe>(&packet)) {
        unsubscribe->packet_id = id;
        kind = PacketType::unsubscribe;
    }
    MQTLS_TRY(queue_request(packet, now));
    memory_.requests[request_count_++] =
        detail::PendingRequest{id, kind, static_cast<std::uint16_t>(entries)};
    return id;
}

#if MQTLS_MQTT5
Result<PacketId> Session::subscribe(span<const Subscription> subscriptions, Instant now,
                                    const PropertyList& properties) noexcept {
    return queue_tracked(Subscribe{0, SubscriptionList(subscriptions), properties},
                         subscriptions.size(), now);
}

Result<PacketId> Session::unsubscribe(span<const std::string_view> filters, Instant now,
                                      const PropertyList& properties) noexcept {
    return queue_tracked(Unsubscribe{0, FilterList(filters), properties}, filters.size(), now);
}
#else
Result<PacketId> Session::subscribe(span<const Subscription> subscriptions, Instant now) noexcept {
    return queue_tracked(Subscribe{0, SubscriptionList(subscriptions)}, subscriptions.size(), now);
}

Result<PacketId> Session::unsubscribe(span<const std::string_view> filters, Instant now) noexcept {
    return queue_tracked(Unsubscribe{0, FilterList(filters)}, filters.size(), now);
}
#endif

// ---- timers
// -------------------------------------------------------------------------------------------

Instant Session::next_deadline() const noexcept {
    switch (state_) {
        case SessionState::connecting:
            return connect_deadline_;
        case SessionState::connected:
            if (!ping_deadline_.is_never()) return ping_deadline_;
            if (keep_alive_s_ == 0) return Instant::never();
            return last_sent_ + Duration::from_seconds(keep_alive_s_);
        default:
            return Instant::never();
    }
}

Result<void> Session::on_deadline(Instant now) noexcept {
    if (state_ == SessionState::connecting && now >= connect_deadline_) {
        return fail(Errc::connect_timeout);
    }
    if (state_ != SessionState::connected) return ok();
    if (!ping_deadline_.is_never()) {
        if (now >= ping_deadline_) return fail(Errc::keepalive_timeout);
        return ok();
    }
    // [MQTT-3.1.2-23] keep the connection alive when nothing else was sent for keep_alive.
    if (keep_alive_s_ != 0 && now >= last_sent_ + Duration::from_seconds(keep_alive_s_)) {
        MQTLS_TRY(queue_response(PingReq{}, now));
        ping_deadline_ = now + config_.ping_timeout;
    }
    return ok();
}

// ---- input
// ---------------------------------------------------------------------------------------------

Result<std::size_t> Session::receive(bytes_view bytes, Instant now) noexcept {
    if (state_ == SessionState::disconnected) return Errc::not_connected;
    if (view_events_ != 0) return Errc::event_queue_full;  // views would dangle
    if (frame_handled_) {
        framer_.release();
        frame_handled_ = false;
    }
    // Room for one acknowledgement and one event is checked before taking any byte: a packet
    // completed by these bytes is then always handled now, never left waiting for more input.
    if (tx_free() < ack_size) return Errc::output_full;
    if (event_count_ == memory_.events.size()) return Errc::event_queue_full;
    auto taken = framer_.feed(bytes);
    if (!taken) return fail(taken.error());
    const std::size_t consumed = *taken;
    if (!framer_.frame_ready()) return consumed;
    auto decoded = framer_.decode_frame();
    if (!decoded) {
        // The client codec leaves out what only a server receives (CONNECT, SUBSCRIBE,
        // UNSUBSCRIBE); from a broker that is a Protocol Error, as handle_packet() says of the
        // server-bound packets the codec does decode. The detail stays the packet type.
        Error error = decoded.error();
        if (error.code == Errc::server_side_packet) error.code = Errc::protocol_violation;
        return fail(error);
    }
    MQTLS_TRY(handle_packet(decoded->packet, now));
    frame_handled_ = true;
    return consumed;
}

Result<void> Session::handle_packet(const Packet& packet, Instant now) noexcept {
    const PacketType type = packet_type(packet);
    // [MQTT-3.2.0-1] the first packet from the server is CONNACK.
    if (state_ == SessionState::connecting && type != PacketType::connack) {
        return fail(Error{Errc::protocol_violation, static_cast<std::int32_t>(type)});
    }
    switch (type) {
        case PacketType::connack:
            return handle_connack(std::get<ConnAck>(packet), now);
        case PacketType::publish:
            return handle_publish(std::get<Publish>(packet), now);
        case PacketType::puback:
            return handle_puback(std::get<PubAck>(packet));
        case PacketType::pubrec:
            return handle_pubrec(std::get<PubRec>(packet), now);
        case PacketType::pubrel:
            return handle_pubrel(std::get<PubRel>(packet).packet_id, now);
        case PacketType::pubcomp:
            return handle_pubcomp(std::get<PubComp>(packet));
        case PacketType::suback: {
            const auto& ack = std::get<SubAck>(packet);
            return handle_request_ack(type, ack.packet_id, ack.return_codes);
        }
        case PacketType::unsuback: {
            const auto& ack = std::get<UnsubAck>(packet);
#if MQTLS_MQTT5
            return handle_request_ack(type, ack.packet_id, ack.reason_codes);
#else
            return handle_request_ack(type, ack.packet_id, {});
#endif
        }
        case PacketType::pingresp:
            ping_deadline_ = Instant::never();
            return ok();
#if MQTLS_MQTT5
        case PacketType::disconnect: {
            // MQTT 5 only (a 3.1.1 server never sends DISCONNECT; the 3.1.1 decoder would have
            // produced one, which the default branch refuses).
            if (config_.protocol != ProtocolVersion::v5) break;
            const auto& disconnect = std::get<Disconnect>(packet);
            return handle_broker_close(type, disconnect.reason_code, disconnect.properties);
        }
#endif
        default:
            break;
    }
    // PINGREQ (and in 3.1.1 DISCONNECT) only travel to a server, like CONNECT, SUBSCRIBE and
    // UNSUBSCRIBE, which decode() already refuses (receive()); AUTH only follows a CONNECT with an
    // Authentication Method, which this client never sends.
    return fail(Error{Errc::protocol_violation, static_cast<std::int32_t>(type)});
}

#if MQTLS_MQTT5
Result<void> Session::handle_broker_close(PacketType packet, ReasonCode code,
                                          const PropertyList& properties) noexcept {
    (void)push_event(BrokerClosed{packet, code, properties});  // room checked by receive()
    const auto detail = static_cast<std::int32_t>(code);
    if (code == ReasonCode::use_another_server || code == ReasonCode::server_moved) {
        return fail(Error{Errc::broker_redirected, detail});
    }
    return fail(Error{
        packet == PacketType::connack ? Errc::broker_refused : Errc::broker_disconnected, detail});
}
#endif

Result<void> Session::handle_connack(const ConnAck& connack, Instant now) noexcept {
    if (state_ != SessionState::connecting) {
        return fail(
            Error{Errc::protocol_violation, static_cast<std::int32_t>(PacketType::connack)});
    }
#if MQTLS_MQTT5
    if (config_.protocol == ProtocolVersion::v5 && is_failure(connack.reason_code)) {
        return handle_broker_close(PacketType::connack, connack.reason_code, connack.properties);
    }
#endif
    if (connack.return_code != ConnectReturnCode::accepted) {
        return fail(Error{Errc::broker_refused, static_cast<std::int32_t>(connack.return_code)});
    }
    // [MQTT-3.2.2-1]: a clean session is answered with Session Present 0. A broker claiming
    // state it cannot have is broken or an impostor: the client does not go on as if it had
    // a session it never made (MQTT 3.1.1 section 3.2.2.2 leaves the choice to the client).
    if (clean_session_ && connack.session_present) {
        return fail(Error{Errc::unexpected_session_present, 1});
    }
    state_ = SessionState::connected;
    connect_deadline_ = Instant::never();
    Connected connected;
    connected.session_present = connack.session_present;
#if MQTLS_MQTT5
    if (config_.protocol == ProtocolVersion::v5) {
        apply_connack_properties(connack);
        connected.properties = connack.properties;
    }
#endif
    (void)push_event(connected);  // room checked by receive()
#if MQTLS_MQTT5
    reject_unsendable_unsent();
#endif
    queue_unsent_messages(now);
    return ok();
}

#if MQTLS_MQTT5
// Section 3.2.2.3: what the broker allows this connection. Absent properties keep their defaults
// (BrokerLimits{}, set by start_connect()).
void Session::apply_connack_properties(const ConnAck& connack) noexcept {
    for (const Property p : connack.properties) {
        switch (p.id) {
            case PropertyId::receive_maximum:
                broker_limits_.receive_maximum = static_cast<std::uint16_t>(p.number);
                break;
            case PropertyId::maximum_packet_size:
                broker_limits_.maximum_packet_size = p.number;
                break;
            case PropertyId::maximum_qos:
                broker_limits_.maximum_qos = static_cast<QoS>(p.number);
                break;
            case PropertyId::retain_available:
                broker_limits_.retain_available = p.number != 0;
                break;
            case PropertyId::topic_alias_maximum:
                broker_limits_.topic_alias_maximum = static_cast<std::uint16_t>(p.number);
                break;
            case PropertyId::server_keep_alive:
                keep_alive_s_ = static_cast<std::uint16_t>(p.number);  // [MQTT-3.2.2-21]
                break;
            default:
                break;
        }
    }
}

Result<void> Session::check_broker_limits(QoS qos, bool retain, std::size_t size) const noexcept {
    if (config_.protocol != ProtocolVersion::v5) return ok();
    const BrokerLimits& limits = broker_limits_;
    if (qos > limits.maximum_qos) {  // [MQTT-3.2.2-11]
        return Error{Errc::broker_limit_exceeded,
                     static_cast<std::int32_t>(PropertyId::maximum_qos)};
    }
    if (retain && !limits.retain_available) {  // [MQTT-3.2.2-14]
        return Error{Errc::broker_limit_exceeded,
                     static_cast<std::int32_t>(PropertyId::retain_available)};
    }
    if (limits.maximum_packet_size != 0 && size > limits.maximum_packet_size) {  // [MQTT-3.1.2-24]
        return Error{Errc::broker_limit_exceeded,
                     static_cast<std::int32_t>(PropertyId::maximum_packet_size)};
    }
    return ok();
}

// Messages published before CONNACK (one flight) or kept from an earlier connection that this
// broker's limits forbid are not sent: each is reported as PublishRejected and dropped. Only when
// the event fits; otherwise it stays and the broker judges it.
void Session::reject_unsendable_unsent() noexcept {
    for (std::size_t i = first_unsent_; i < outgoing_count_;) {
        const OutgoingSlot& slot = outgoing_at(i);
        if (slot.stage == OutgoingStage::awaiting_pubcomp) {
            ++i;
            continue;
        }
        const QoS qos =
            slot.stage == OutgoingStage::awaiting_puback ? QoS::at_least_once : QoS::exactly_once;
        const bool retain = (memory_.store[slot.offset] & rules::publish_retain) != 0;
        const auto verdict = check_broker_limits(qos, retain, slot.length);
        if (verdict) {
            ++i;
            continue;
        }
        ReasonCode code = ReasonCode::packet_too_large;
        if (verdict.error().detail == static_cast<std::int32_t>(PropertyId::maximum_qos)) {
            code = ReasonCode::qos_not_supported;
        } else if (verdict.error().detail ==
                   static_cast<std::int32_t>(PropertyId::retain_available)) {
            code = ReasonCode::retain_not_supported;
        }
        if (!push_event(PublishRejected{slot.packet_id, qos, code, {}})) return;
        remove_outgoing(i);
    }
}

// Builds CONNECT with the limits the session's own capacities imply, unless the caller gave them;
// a caller's value may promise less than the session can keep, never more.
namespace {
// A limit CONNECT announces (section 3.1.2.11): what the session can keep, and what it says.
struct ConnectLimit {
    PropertyId id = PropertyId::receive_maximum;
    std::uint32_t most = 0;       // what the session can keep
    std::uint32_t announced = 0;  // what CONNECT says; 0: leave the property out
    bool given = false;           // by the caller, whose value goes out as it is
};

// Takes the caller's value of `p` into the limit it sets, if any; invalid_argument (the
// property in the detail) for a value above what the session can keep.
Result<void> take_caller_limit(const Property& p, span<ConnectLimit> limits) noexcept {
    for (ConnectLimit& limit : limits) {
        if (p.id != limit.id) continue;
        if (p.number > limit.most)
            return Error{Errc::invalid_argument, static_cast<std::int32_t>(p.id)};
        limit.announced = p.number;
        limit.given = true;
    }
    return ok();
}

std::uint32_t at_most_16_bits(std::size_t n) noexcept {
    return static_cast<std::uint32_t>(n < 65535 ? n : 65535);
}
}  // namespace

Result<void> Session::queue_connect_v5(const Connect& connect, Instant now) noexcept {
    const std::uint32_t incoming_capacity = at_most_16_bits(memory_.incoming_qos2.size());
    const std::uint32_t alias_slots = at_most_16_bits(memory_.incoming_topic_aliases.size());
    const auto largest_packet = static_cast<std::uint32_t>(
        config_.limits.max_packet_size < memory_.rx.size() ? config_.limits.max_packet_size
                                                           : memory_.rx.size());
    ConnectLimit limits[] = {
        // The broker may have this many QoS 1/2 messages unacknowledged towards us
        // [MQTT-3.3.4-9]; QoS 2 ones wait in incoming_qos2. Receive Maximum 0 is not allowed, so
        // a session without that window still announces 1 (and fails with incoming_window_full
        // if it is used).
        {PropertyId::receive_maximum, incoming_capacity,
         incoming_capacity == 0 ? 1 : incoming_capacity},
        // [MQTT-3.2.2-15] the broker must not send a packet larger than this.
        {PropertyId::maximum_packet_size, largest_packet, largest_packet},
        // [MQTT-3.1.2-26]: the broker may use aliases 1..this towards us, each resolved by a slot.
        {PropertyId::topic_alias_maximum, alias_slots, alias_slots},
    };
    std::array<Property, max_connect_properties + std::size(limits)> properties;
    std::size_t count = 0;
    bool keeps_session = false;
    for (const Property p : connect.properties) {
        if (count == max_connect_properties) return Errc::invalid_argument;
        MQTLS_TRY(take_caller_limit(p, limits));
        if (p.id == PropertyId::session_expiry_interval) keeps_session = p.number != 0;
        properties[count++] = p;
    }
    for (const ConnectLimit& limit : limits) {
        if (!limit.given && limit.announced != 0) {
            properties[count++] = Property::integer(limit.id, limit.announced);
        }
    }
    Connect with_limits = connect;
    with_limits.properties = PropertyList(span<const Property>(properties.data(), count));
    MQTLS_TRY(queue_request(with_limits, now));
    incoming_alias_maximum_ = static_cast<std::uint16_t>(limits[2].announced);
    connect_kept_session_ = keeps_session;
    return ok();
}
#endif

Result<void> Session::handle_publish(const Publish& received, Instant now) noexcept {
    Publish publish = received;
#if MQTLS_MQTT5
    MQTLS_TRY(resolve_incoming_alias(publish));
#endif
    switch (publish.qos) {
        case QoS::at_most_once:
            break;
        case QoS::at_least_once:
            MQTLS_TRY(queue_response(PubAck{publish.packet_id}, now));
            break;
        case QoS::exactly_once: {
            for (std::size_t i = 0; i < incoming_count_; ++i) {
                if (memory_.incoming_qos2[i] == publish.packet_id) {
                    // A re-delivery before PUBREL: acknowledge again, deliver once only.
                    return queue_response(PubRec{publish.packet_id}, now);
                }
            }
            if (incoming_count_ == memory_.incoming_qos2.size()) {
                return fail(Errc::incoming_window_full);
            }
            MQTLS_TRY(queue_response(PubRec{publish.packet_id}, now));
            memory_.incoming_qos2[incoming_count_++] = publish.packet_id;
            break;
        }
    }
    (void)push_event(MessageReceived{publish});
    return ok();
}

Result<void> Session::handle_puback(const PubAck& ack) noexcept {
    const PacketId id = ack.packet_id;
    const std::size_t index = find_outgoing_index(id, OutgoingStage::awaiting_puback);
    if (index == outgoing_count_) return fail(Error{Errc::unknown_packet_id, id});
    remove_outgoing(index);
#if MQTLS_MQTT5
    if (is_failure(ack.reason_code)) {
        // An ACL denial and the like: not delivered, and never to be sent again.
        (void)push_event(PublishRejected{id, QoS::at_least_once, ack.reason_code, ack.properties});
    } else {
        PublishAcked acked{id, QoS::at_least_once};
        acked.reason_code = ack.reason_code;
        (void)push_event(acked);
    }
#else
    (void)push_event(PublishAcked{id, QoS::at_least_once});
#endif
    queue_unsent_messages(last_sent_);  // the Receive Maximum window may have opened
    return ok();
}

Result<void> Session::handle_pubrec(const PubRec& rec, Instant now) noexcept {
    const PacketId id = rec.packet_id;
    OutgoingSlot* slot = find_outgoing(id);
    if (slot == nullptr || slot->stage == OutgoingStage::awaiting_puback) {
        return fail(Error{Errc::unknown_packet_id, id});
    }
#if MQTLS_MQTT5
    // PUBREL answers only a PUBREC below 0x80 [MQTT-4.3.3-4]; after a failure the exchange is over,
    // the message was not accepted and is never sent again [MQTT-4.4.0-2].
    if (is_failure(rec.reason_code) && slot->stage == OutgoingStage::awaiting_pubrec) {
        remove_outgoing(find_outgoing_index(id, OutgoingStage::awaiting_pubrec));
        (void)push_event(PublishRejected{id, QoS::exactly_once, rec.reason_code, rec.properties});
        queue_unsent_messages(now);
        return ok();
    }
#endif
    // The broker now owns the message [MQTT-4.3.3]; from here on only PUBREL is re-sent.
    MQTLS_TRY(queue_response(PubRel{id}, now));
    release_store_bytes(*slot);
    slot->stage = OutgoingStage::awaiting_pubcomp;
    slot->sent = true;
    return ok();
}

Result<void> Session::handle_pubrel(PacketId id, Instant now) noexcept {
    // [MQTT-4.3.3-2] answer every PUBREL with PUBCOMP, known identifier or not.
    MQTLS_TRY(queue_response(PubComp{id}, now));
    for (std::size_t i = 0; i < incoming_count_; ++i) {
        if (memory_.incoming_qos2[i] == id) {
            memory_.incoming_qos2[i] = memory_.incoming_qos2[--incoming_count_];
            break;
        }
    }
    return ok();
}

Result<void> Session::handle_pubcomp(const PubComp& comp) noexcept {
    const PacketId id = comp.packet_id;
    const std::size_t index = find_outgoing_index(id, OutgoingStage::awaiting_pubcomp);
    if (index == outgoing_count_) return fail(Error{Errc::unknown_packet_id, id});
    remove_outgoing(index);
    PublishAcked acked{id, QoS::exactly_once};
#if MQTLS_MQTT5
    acked.reason_code = comp.reason_code;
#endif
    (void)push_event(acked);
    queue_unsent_messages(last_sent_);
    return ok();
}

Result<void> Session::handle_request_ack(PacketType kind, PacketId id, bytes_view codes) noexcept {
    const PacketType request =
        kind == PacketType::suback ? PacketType::subscribe : PacketType::unsubscribe;
    for (std::size_t i = 0; i < request_count_; ++i) {
        const PendingRequest pending = memory_.requests[i];
        if (pending.packet_id != id || pending.kind != request) continue;
        // One return code per requested filter (3.1.1: [MQTT-3.9.3-1]; MQTT 5: [MQTT-3.8.4-6]),
        // and in MQTT 5 one per UNSUBSCRIBE filter too [MQTT-3.11.3-2].
        const bool has_codes =
            kind == PacketType::suback || config_.protocol != ProtocolVersion::v3_1_1;
        if (has_codes && codes.size() != pending.entries) {
            return fail(Error{Errc::protocol_violation, static_cast<std::int32_t>(kind)});
        }
        memory_.requests[i] = memory_.requests[--request_count_];
        if (kind == PacketType::suback) {
            (void)push_event(SubscribeAcked{id, codes});
        } else {
            UnsubscribeAcked acked{id};
#if MQTLS_MQTT5
            acked.reason_codes = codes;
#endif
            (void)push_event(acked);
        }
        return ok();
    }
    return fail(Error{Errc::unknown_packet_id, id});
}

}  // namespace mqtls::mqtt
