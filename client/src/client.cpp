#include "mqtls/client/client.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>

#include "mqtls/link/connection.hpp"
#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/port/posix/tcp_stream.hpp"

namespace mqtls::client {
namespace {

using port::posix::monotonic_now;
using port::posix::TcpStream;

constexpr std::size_t kib = 1024;
constexpr std::size_t every_packet_id = 65'535;
// Beside the largest message, the store keeps room for a full window of telemetry-sized
// messages (up to this many bytes each), so a small --max-packet-size does not shrink the window.
constexpr std::size_t store_bytes_per_window_slot = 256;
// Room after the largest packet in tx for the acknowledgement the session always keeps free.
constexpr std::size_t tx_spare = 64;
constexpr std::size_t requests_max = 8;
constexpr std::size_t events_max = 16;
// MQTT 5: Topic Aliases a broker may use towards pub/sub (its Topic Alias Maximum in CONNECT).
constexpr std::size_t incoming_topic_aliases_max = 16;

// The pump's scratch: a TLS record's worth of stream reads and as much decrypted plaintext (the
// two 16 KiB buffers the pump once kept on the stack).
constexpr std::size_t scratch_size = 32 * kib;

ClientLimits clamped(ClientLimits limits) {
    limits.max_packet_size =
        std::clamp(limits.max_packet_size, min_packet_size_limit, mqtt_max_packet_size);
    limits.max_inflight = std::clamp<std::size_t>(limits.max_inflight, 1, every_packet_id);
    return limits;
}

// An array of `count` elements whose bytes are never written here: a large buffer costs memory
// only as far as the session uses it (std::make_unique would zero, and so touch, every page).
template <class T>
std::unique_ptr<T[]> uninitialised_array(std::size_t count) {
    return std::unique_ptr<T[]>(new T[count]);  // NOLINT(cppcoreguidelines-owning-memory)
}

// The memory of one mqtt::Session, sized by the limits and allocated once. The session reads
// only what it wrote, so none of it needs initialising.
struct SessionBuffers {
    explicit SessionBuffers(const ClientLimits& limits)
        : rx_size(limits.max_packet_size),
          tx_size(limits.max_packet_size + tx_spare),
          store_size(limits.max_packet_size + limits.max_inflight * store_bytes_per_window_slot),
          outgoing_size(limits.max_inflight),
          rx(uninitialised_array<std::uint8_t>(rx_size)),
          tx(uninitialised_array<std::uint8_t>(tx_size)),
          store(uninitialised_array<std::uint8_t>(store_size)),
          outgoing(uninitialised_array<mqtt::detail::OutgoingSlot>(outgoing_size)),
          // Incoming QoS 2: Mosquitto limits only messages awaiting PUBREC, so a subscriber that
          // reads a burst holds many identifiers awaiting PUBREL at once; one slot per possible
          // identifier means a compliant broker can never overflow the window.
          incoming_qos2(uninitialised_array<mqtt::PacketId>(every_packet_id)),
          requests(uninitialised_array<mqtt::detail::PendingRequest>(requests_max)),
          events(std::make_unique<mqtt::Event[]>(events_max)),
          // Zeroed: no identifier is in use yet.
          packet_id_bits(std::make_unique<std::uint8_t[]>(mqtt::packet_id_bits_size)),
          topic_aliases(std::make_unique<mqtt::TopicAliasSlot[]>(incoming_topic_aliases_max)) {}

    [[nodiscard]] mqtt::SessionMemory memory() const noexcept {
        return {mutable_bytes(rx.get(), rx_size),
                mutable_bytes(tx.get(), tx_size),
                mutable_bytes(store.get(), store_size),
                span<mqtt::detail::OutgoingSlot>(outgoing.get(), outgoing_size),
                span<mqtt::PacketId>(incoming_qos2.get(), every_packet_id),
                span<mqtt::detail::PendingRequest>(requests.get(), requests_max),
                span<mqtt::Event>(events.get(), events_max),
                mutable_bytes(packet_id_bits.get(), mqtt::packet_id_bits_size),
                span<mqtt::TopicAliasSlot>(topic_aliases.get(), incoming_topic_aliases_max)};
    }

    std::size_t rx_size;
    std::size_t tx_size;
    std::size_t store_size;
    std::size_t outgoing_size;
    std::unique_ptr<std::uint8_t[]> rx;
    std::unique_ptr<std::uint8_t[]> tx;
    std::unique_ptr<std::uint8_t[]> store;
    std::unique_ptr<mqtt::detail::OutgoingSlot[]> outgoing;
    std::unique_ptr<mqtt::PacketId[]> incoming_qos2;
    std::unique_ptr<mqtt::detail::PendingRequest[]> requests;
    std::unique_ptr<mqtt::Event[]> events;
    std::unique_ptr<std::uint8_t[]> packet_id_bits;
    std::unique_ptr<mqtt::TopicAliasSlot[]> topic_aliases;
};

mqtt::SessionConfig session_config(const ClientLimits& limits) {
    mqtt::SessionConfig config;
    config.limits.max_packet_size = limits.max_packet_size;
    return config;
}

std::int32_t size_detail(std::size_t size) {
    return static_cast<std::int32_t>(
        std::min<std::size_t>(size, std::numeric_limits<std::int32_t>::max()));
}

std::int64_t system_wall_clock(void*) { return port::posix::wall_clock_seconds(); }

Duration to_duration(std::chrono::milliseconds ms) { return Duration::from_millis(ms.count()); }

// Overwritten through a volatile pointer, which the optimiser may not drop as a dead store.
void wipe(std::string& secret) noexcept {
    volatile char* bytes = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = '\0';
}

bytes_view view_of(std::string_view text) { return as_bytes(text.data(), text.size()); }

}  // namespace

tls::ConfigOptions tls_client_options(const ClientOptions& options, tls::WallClock wall_clock,
                                      tls::EntropySource entropy) {
    tls::ConfigOptions tls_options;
    tls_options.role = tls::Role::client;
    tls_options.trusted_roots_pem = options.trusted_roots_pem;
    tls_options.certificate_pem = options.certificate_pem;
    tls_options.private_key_pem = options.private_key_pem;
    tls_options.pinned_spki = options.pinned_spki;
    tls_options.wall_clock = wall_clock;
    tls_options.entropy = entropy;
    tls_options.session_tickets = options.session_tickets;
    tls_options.tls_version = options.tls_version;
    tls_options.alpn_protocols.assign(options.alpn_protocols.begin(), options.alpn_protocols.end());
    tls_options.alpn_required = options.alpn_required;
    return tls_options;
}

link::ConnectionSettings connection_settings_of(const ClientOptions& options) {
    link::ConnectionSettings settings;
    settings.host = options.host;
    settings.port = options.port;
    settings.verify_name = options.verify_name;
    settings.operation_timeout = to_duration(options.operation_timeout);
    return settings;
}

tls::ConfigOptions tls_client_options(const ClientOptions& options) {
    return tls_client_options(options, tls::WallClock{&system_wall_clock, nullptr},
                              tls::EntropySource{&port::posix::getrandom_entropy, nullptr});
}

struct Client::Impl {
    explicit Impl(const ClientLimits& requested)
        : limits(clamped(requested)),
          buffers(limits),
          scratch(uninitialised_array<std::uint8_t>(scratch_size)),
          tls_config(std::make_unique<tls::Config>()),
          channel(*tls_config),
          connection(
              channel, stream, port::posix::monotonic_clock(), connection_settings(),
              link::ConnectionMemory{buffers.memory(), mutable_bytes(scratch.get(), scratch_size),
                                     mutable_bytes(sealed.data(), sealed.size())}) {
        connection.set_event_handler(link::EventHandler{&Impl::on_event, this});
    }
    // The password and the private key must not outlive the client in freed memory.
    ~Impl() {
        if (options.password) wipe(*options.password);
        wipe(options.private_key_pem);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    ClientLimits limits;
    SessionBuffers buffers;
    std::unique_ptr<std::uint8_t[]> scratch;
    std::array<std::uint8_t, tls::max_sealed_session_size> sealed{};
    ClientOptions options;
    std::unique_ptr<tls::Config> tls_config;
    link::TlsChannel channel;
    TcpStream stream;
    link::Connection connection;  // after what it refers to, so it goes first
    Instant connect_deadline;

    std::deque<Message> inbox;
    std::set<mqtt::PacketId> acknowledged;  // PublishAcked / UnsubscribeAcked ids not yet claimed
    // Ids a blocking call (publish, unsubscribe) waits for. Acks of pipelined messages are not
    // recorded: nobody claims them, and a stale entry would match a later message once the
    // 16-bit identifiers wrap.
    std::set<mqtt::PacketId> awaited;
    // MQTT 5: awaited messages the broker refused, with the Reason Code.
    std::map<mqtt::PacketId, std::uint8_t> rejected;
#if MQTLS_MQTT5
    // The CONNECT and PUBLISH properties, viewing `options`; they live here because the pump
    // keeps the Connect to reconnect.
    std::vector<mqtt::Property> connect_properties;
    std::vector<mqtt::Property> publish_properties;
#endif
    std::size_t qos2_in_flight = 0;  // QoS 2 messages published and not yet PUBCOMPed
    std::map<mqtt::PacketId, std::vector<std::uint8_t>> subscribe_results;

    // The pump's settings for the current options (the host view points into `options`).
    link::ConnectionSettings connection_settings() const {
        link::ConnectionSettings settings = connection_settings_of(options);
        settings.session = session_config(limits);
        settings.session_store = options.session_store;
        settings.session_key = options.session_key;
        return settings;
    }

    static void on_event(void* context, const mqtt::Event& event) {
        static_cast<Impl*>(context)->handle_event(event);
    }

#if MQTLS_MQTT5
    // The PUBLISH properties a subscriber shows (mosquitto_sub -F %C %D %E %F %P %R %S).
    static void take_properties(const mqtt::PropertyList& properties, Message& message) {
        for (const mqtt::Property property : properties) {
            switch (property.id) {
                case mqtt::PropertyId::payload_format_indicator:
                    message.payload_format = static_cast<std::uint8_t>(property.number);
                    break;
                case mqtt::PropertyId::message_expiry_interval:
                    message.message_expiry_s = property.number;
                    break;
                case mqtt::PropertyId::content_type:
                    message.content_type = std::string(property.text);
                    break;
                case mqtt::PropertyId::response_topic:
                    message.response_topic = std::string(property.text);
                    break;
                case mqtt::PropertyId::correlation_data:
                    message.correlation_data =
                        std::string(reinterpret_cast<const char*>(property.binary.data()),
                                    property.binary.size());
                    break;
                case mqtt::PropertyId::user_property:
                    message.user_properties.emplace_back(std::string(property.text),
                                                         std::string(property.value));
                    break;
                case mqtt::PropertyId::subscription_identifier:
                    message.subscription_identifiers.push_back(property.number);
                    break;
                case mqtt::PropertyId::topic_alias:
                    message.topic_alias = static_cast<std::uint16_t>(property.number);
                    break;
                default:
                    break;
            }
        }
    }
#endif

    void handle_event(const mqtt::Event& event) {
        if (const auto* message = std::get_if<mqtt::MessageReceived>(&event)) {
            const mqtt::Publish& p = message->message;
            Message received;
            received.topic = std::string(p.topic);
            received.payload =
                std::string(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
            received.qos = p.qos;
            received.retain = p.retain;
            received.dup = p.dup;
#if MQTLS_MQTT5
            take_properties(p.properties, received);
#endif
            inbox.push_back(std::move(received));
        } else if (const auto* acked = std::get_if<mqtt::PublishAcked>(&event)) {
            if (acked->qos == mqtt::QoS::exactly_once && qos2_in_flight > 0) --qos2_in_flight;
            if (awaited.count(acked->packet_id) != 0) acknowledged.insert(acked->packet_id);
        } else if (const auto* suback = std::get_if<mqtt::SubscribeAcked>(&event)) {
            subscribe_results[suback->packet_id] =
                std::vector<std::uint8_t>(suback->return_codes.begin(), suback->return_codes.end());
        } else if (const auto* unsuback = std::get_if<mqtt::UnsubscribeAcked>(&event)) {
            if (awaited.count(unsuback->packet_id) != 0) acknowledged.insert(unsuback->packet_id);
        }
#if MQTLS_MQTT5
        if (const auto* refused = std::get_if<mqtt::PublishRejected>(&event)) on_rejected(*refused);
#endif
    }

#if MQTLS_MQTT5
    // The broker refused a message (MQTT 5): its end, as an acknowledgement would be, with the
    // Reason Code kept for the caller waiting on it.
    void on_rejected(const mqtt::PublishRejected& refused) {
        if (refused.qos == mqtt::QoS::exactly_once && qos2_in_flight > 0) --qos2_in_flight;
        if (awaited.count(refused.packet_id) == 0) return;
        rejected[refused.packet_id] = static_cast<std::uint8_t>(refused.reason_code);
        acknowledged.insert(refused.packet_id);
    }
#endif

    // The end of an awaited message: ok, or message_rejected with the broker's Reason Code.
    Result<void> claim(mqtt::PacketId id) {
        awaited.erase(id);
        acknowledged.erase(id);
        const auto refused = rejected.find(id);
        if (refused == rejected.end()) return ok();
        const std::uint8_t code = refused->second;
        rejected.erase(refused);
        return Error{Errc::message_rejected, code};
    }

    // Services the connection until `done()` or `deadline`.
    template <class Done>
    Result<void> pump_until(Instant deadline, Done done) {
        return connection.pump_until_true(deadline, done);
    }

    [[nodiscard]] Instant deadline_after(std::chrono::milliseconds timeout) const {
        return monotonic_now() + to_duration(timeout);
    }

    Result<void> setup_tls() {
        auto config = std::make_unique<tls::Config>();
        Result<void> set_up = config->setup(tls_client_options(options));
        channel.use_config(*config);
        tls_config = std::move(config);
        return set_up;
    }

    Result<void> open_connection(const ClientOptions& new_options, bool hold_last_flight);

    mqtt::Connect connect_packet() {
        mqtt::Connect connect;
#if MQTLS_MQTT5
        connect_properties.clear();
        if (options.session_expiry_s) {
            connect_properties.push_back(mqtt::Property::integer(
                mqtt::PropertyId::session_expiry_interval, *options.session_expiry_s));
        }
        for (const PropertySetting& setting : options.connect_properties) {
            connect_properties.push_back(as_property(setting));
        }
        connect.properties = mqtt::PropertyList(
            span<const mqtt::Property>(connect_properties.data(), connect_properties.size()));
        publish_properties.clear();
        for (const PropertySetting& setting : options.publish_properties) {
            publish_properties.push_back(as_property(setting));
        }
#endif
        connect.client_id = options.client_id;
        connect.clean_session = options.clean_session;
        connect.keep_alive_s = options.keep_alive_s;
        if (options.username) connect.username = *options.username;
        if (options.password) connect.password = view_of(*options.password);
        if (options.will) {
            connect.will = mqtt::Will{options.will->topic, view_of(options.will->payload),
                                      options.will->qos, options.will->retain};
        }
        return connect;
    }
};

mqtt::Property as_property(const PropertySetting& setting) noexcept {
    mqtt::Property property;
    property.id = setting.id;
    property.number = setting.number;
    property.text = setting.text;
    property.value = setting.value;
    property.binary = as_bytes(setting.text.data(), setting.text.size());
    return property;
}

std::size_t publish_packet_size(std::string_view topic, std::size_t payload_size,
                                mqtt::QoS qos) noexcept {
    // Variable header: topic length (2) and topic, the packet identifier (2) at QoS 1/2.
    const std::size_t remaining =
        2 + topic.size() + (qos == mqtt::QoS::at_most_once ? 0 : 2) + payload_size;
    const std::size_t length_bytes =
        remaining <= mqtt::max_remaining_length
            ? mqtt::remaining_length_size(static_cast<std::uint32_t>(remaining))
            : 4;
    return 1 + length_bytes + remaining;
}

Client::Client() : Client(ClientLimits{}) {}
Client::Client(const ClientLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
Client::~Client() = default;

bool Client::connected() const noexcept { return impl_->connection.connected(); }

const ClientLimits& Client::limits() const noexcept { return impl_->limits; }

std::size_t Client::in_flight_count() const noexcept { return impl_->connection.in_flight_count(); }

tls::ConnectionInfo Client::tls_info() const noexcept { return impl_->channel.tls_info(); }

const ResumptionCounters& Client::resumption() const noexcept {
    return impl_->connection.resumption();
}

std::size_t Client::tls_heap_peak() const noexcept {
    const Impl& impl = *impl_;
    const std::size_t config = impl.tls_config ? impl.tls_config->heap_usage().current : 0;
    return impl.channel.tls_heap_peak() + config;
}

Result<void> Client::Impl::open_connection(const ClientOptions& new_options,
                                           bool hold_last_flight) {
    if (connection.open()) connection.drop();
    options = new_options;
    if (options.host.empty() || (options.client_id.empty() && !options.clean_session)) {
        return Error{Errc::invalid_argument, 0};
    }
    connect_deadline = deadline_after(options.connect_timeout);
    MQTLS_TRY(setup_tls());
    connection.reconfigure(connection_settings());
    MQTLS_TRY(connection.set_protocol(options.protocol));
    return connection.start(connect_packet(), connect_deadline, hold_last_flight);
}

Result<void> Client::start_connect(const ClientOptions& options) {
    return impl_->open_connection(options, /*hold_last_flight=*/true);
}

Result<void> Client::finish_connect() {
    Impl& impl = *impl_;
    if (!impl.connection.connect_pending()) return Errc::not_connected;
    return impl.connection.finish_connect(impl.connect_deadline);
}

Result<void> Client::connect(const ClientOptions& options) {
    MQTLS_TRY(impl_->open_connection(options, /*hold_last_flight=*/false));
    return finish_connect();
}

Result<mqtt::PacketId> Client::publish(std::string_view topic, std::string_view payload,
                                       mqtt::QoS qos, bool retain) {
    Impl& impl = *impl_;
    // Its wait could never end: the one flight leaves only at finish_connect().
    if (impl.connection.connect_pending()) return Errc::not_connected;
    auto id = publish_queued(topic, payload, qos, retain);
    if (!id) return id.error();
    const Instant deadline = impl.deadline_after(impl.options.operation_timeout);
    if (qos == mqtt::QoS::at_most_once) {
        MQTLS_TRY(
            impl.pump_until(deadline, [&] { return impl.connection.pending_output_size() == 0; }));
        return *id;
    }
    // publish_queued() services the connection only before the session accepts the message,
    // so its acknowledgement cannot have arrived yet: registering the wait now is in time.
    impl.awaited.insert(*id);
    auto waited = impl.pump_until(deadline, [&] { return impl.acknowledged.count(*id) != 0; });
    const Result<void> outcome = impl.claim(*id);
    if (!waited) return waited.error();
    if (!outcome) return outcome.error();
    return *id;
}

namespace {

// Full window or buffers: service the connection until something drained, then try again. A
// full window waits for a quarter of its messages to be acknowledged, not just one: the broker
// answers each PUBLISH with its own PUBACK, and refilling one slot per wake-up means a few
// messages per write and per broker read (about 50 with a window of 1024, measured). Waiting
// also ends a held one flight early: it is as full as it can get.
Result<mqtt::PacketId> publish_when_room(link::Connection& connection, const mqtt::Publish& message,
                                         Instant deadline, Result<mqtt::PacketId> id) {
    for (int round = 0; !id && round < 100'000; ++round) {
        const Errc code = id.error().code;
        if (code != Errc::inflight_full && code != Errc::output_full) return id.error();
        const std::size_t inflight = connection.in_flight_count();
        const std::size_t pending = connection.session().pending_output().size();
        const bool window_full = code == Errc::inflight_full && inflight > 0;
        const std::size_t refill = std::max<std::size_t>(1, inflight / 4);
        MQTLS_TRY(connection.pump_until_true(deadline, [&] {
            if (window_full) return connection.in_flight_count() + refill <= inflight;
            return connection.session().pending_output().size() < pending;
        }));
        id = connection.publish(message);
    }
    return id;
}

#if MQTLS_MQTT5
// The settings as the codec takes them, viewing `settings` (which outlive the packet).
std::vector<mqtt::Property> properties_of(const std::vector<PropertySetting>& settings) {
    std::vector<mqtt::Property> properties;
    properties.reserve(settings.size());
    for (const PropertySetting& setting : settings) properties.push_back(as_property(setting));
    return properties;
}

mqtt::PropertyList list_of(const std::vector<mqtt::Property>& properties) {
    return {span<const mqtt::Property>(properties.data(), properties.size())};
}
#endif

}  // namespace

Result<mqtt::PacketId> Client::publish_queued(std::string_view topic, std::string_view payload,
                                              mqtt::QoS qos, bool retain) {
    Impl& impl = *impl_;
    if (!connected() && !(impl.connection.connect_pending() && impl.connection.open())) {
        return Errc::not_connected;
    }
    // MQTT 5 adds the (empty) property section's length byte.
    const std::size_t packet_size = publish_packet_size(topic, payload.size(), qos) +
                                    (impl.options.protocol == mqtt::ProtocolVersion::v5 ? 1 : 0);
    if (packet_size > impl.limits.max_packet_size) {
        return Error{Errc::message_too_large, size_detail(packet_size)};
    }
    mqtt::Publish message;
    message.topic = topic;
    message.payload = view_of(payload);
    message.qos = qos;
    message.retain = retain;
#if MQTLS_MQTT5
    message.properties = mqtt::PropertyList(
        span<const mqtt::Property>(impl.publish_properties.data(), impl.publish_properties.size()));
#endif
    const Instant deadline = impl.deadline_after(impl.options.operation_timeout);
    if (qos == mqtt::QoS::exactly_once && impl.qos2_in_flight >= impl.options.max_inflight_qos2) {
        MQTLS_TRY(impl.pump_until(deadline, [&] {
            return impl.qos2_in_flight < std::max<std::size_t>(impl.options.max_inflight_qos2, 1);
        }));
    }
    Result<mqtt::PacketId> id = impl.connection.publish(message);
    if (!id) id = publish_when_room(impl.connection, message, deadline, id);
    if (id && qos == mqtt::QoS::exactly_once) ++impl.qos2_in_flight;
    return id;
}

Result<void> Client::restore_publish(std::string_view topic, std::string_view payload,
                                     mqtt::QoS qos, bool retain, mqtt::PacketId packet_id) {
    Impl& impl = *impl_;
    if (connected()) return Errc::already_connected;
    const std::size_t packet_size = publish_packet_size(topic, payload.size(), qos);
    if (packet_size > impl.limits.max_packet_size) {
        return Error{Errc::message_too_large, size_detail(packet_size)};
    }
    mqtt::Publish message;
    message.topic = topic;
    message.payload = as_bytes(payload.data(), payload.size());
    message.qos = qos;
    message.retain = retain;
    return impl.connection.restore(message, packet_id);
}

bool Client::in_flight(mqtt::PacketId packet_id) const noexcept {
    return impl_->connection.in_flight(packet_id);
}

Result<void> Client::await_acknowledgement(mqtt::PacketId packet_id,
                                           std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    if (!in_flight(packet_id)) return ok();  // acknowledged already
    impl.awaited.insert(packet_id);
    auto waited = impl.pump_until(impl.deadline_after(timeout), [&] {
        return impl.acknowledged.count(packet_id) != 0 || !in_flight(packet_id);
    });
    const Result<void> outcome = impl.claim(packet_id);
    if (!waited) return waited;
    return outcome;
}

Result<void> Client::flush(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    return impl.pump_until(impl.deadline_after(timeout), [&] {
        return impl.connection.in_flight_count() == 0 && impl.connection.pending_output_size() == 0;
    });
}

Result<std::vector<std::uint8_t>> Client::subscribe(
    const std::vector<mqtt::Subscription>& filters) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    const Instant deadline = impl.deadline_after(impl.options.operation_timeout);
#if MQTLS_MQTT5
    const std::vector<mqtt::Property> properties = properties_of(impl.options.subscribe_properties);
    auto id = impl.connection.subscribe(
        span<const mqtt::Subscription>(filters.data(), filters.size()), list_of(properties));
#else
    auto id =
        impl.connection.subscribe(span<const mqtt::Subscription>(filters.data(), filters.size()));
#endif
    if (!id) return id.error();
    MQTLS_TRY(impl.pump_until(deadline, [&] { return impl.subscribe_results.count(*id) != 0; }));
    std::vector<std::uint8_t> codes = std::move(impl.subscribe_results[*id]);
    impl.subscribe_results.erase(*id);
    return codes;
}

Result<void> Client::unsubscribe(const std::vector<std::string_view>& filters) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    const Instant deadline = impl.deadline_after(impl.options.operation_timeout);
#if MQTLS_MQTT5
    const std::vector<mqtt::Property> properties =
        properties_of(impl.options.unsubscribe_properties);
    auto id = impl.connection.unsubscribe(
        span<const std::string_view>(filters.data(), filters.size()), list_of(properties));
#else
    auto id =
        impl.connection.unsubscribe(span<const std::string_view>(filters.data(), filters.size()));
#endif
    if (!id) return id.error();
    impl.awaited.insert(*id);
    auto waited = impl.pump_until(deadline, [&] { return impl.acknowledged.count(*id) != 0; });
    impl.awaited.erase(*id);
    impl.acknowledged.erase(*id);
    return waited;
}

Result<std::optional<Message>> Client::receive(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (impl.inbox.empty()) {
        if (!connected()) return Errc::not_connected;
        auto waited =
            impl.pump_until(impl.deadline_after(timeout), [&] { return !impl.inbox.empty(); });
        if (!waited && waited.error().code != Errc::io_timed_out) return waited.error();
    }
    if (impl.inbox.empty()) return std::optional<Message>{};
    Message message = std::move(impl.inbox.front());
    impl.inbox.pop_front();
    return std::optional<Message>(std::move(message));
}

Result<void> Client::loop(std::chrono::milliseconds timeout) {
    Impl& impl = *impl_;
    if (!connected()) return Errc::not_connected;
    return impl.connection.service(impl.deadline_after(timeout));
}

Result<void> Client::disconnect() {
    Impl& impl = *impl_;
    if (!impl.connection.open()) return Errc::not_connected;
#if MQTLS_MQTT5
    const std::vector<mqtt::Property> properties =
        properties_of(impl.options.disconnect_properties);
    return impl.connection.disconnect(impl.deadline_after(impl.options.operation_timeout),
                                      list_of(properties));
#else
    return impl.connection.disconnect(impl.deadline_after(impl.options.operation_timeout));
#endif
}

void Client::drop_connection() { impl_->connection.drop(); }

bool all_granted(const std::vector<std::uint8_t>& codes) noexcept {
    return std::none_of(codes.begin(), codes.end(),
                        [](std::uint8_t code) { return code == mqtt::suback_failure; });
}

}  // namespace mqtls::client
