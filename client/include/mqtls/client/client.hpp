#pragma once
/// @file
/// A blocking MQTT-over-TLS client for Linux applications and the `mqtls` command: a thin
/// wrapper over the portable pump (link::Connection) with the TLS channel (link::TlsChannel) and
/// the POSIX TCP port, adding owned copies (std::string, std::vector), an inbox and blocking
/// calls with timeouts. Its shape is
/// familiar to PubSubClient users (server, credentials, connect, publish, loop), but every call
/// returns the reason it failed, never a bare `false`, and TLS verification is always on.
///
/// @code
///   mqtls::client::Client client;                   // or Client client(ClientLimits{...})
///   mqtls::client::ClientOptions options;
///   options.host = "broker.example.com";            // port 8883 by default
///   options.trusted_roots_pem = read("ca.crt");     // setCACert
///   options.client_id = "sensor-17";
///   options.username = "sensor-17"; options.password = "...";
///   if (auto connected = client.connect(options); !connected) { report(connected.error()); }
///   client.publish("telemetry/sensor-17", json, mqtls::mqtt::QoS::at_least_once);
///   while (running) { auto message = client.receive(1s); ... }   // also keeps the link alive
/// @endcode
///
/// Not thread-safe: use one Client from one thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/link/connection.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/engine.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::client {

/// The largest packet MQTT 3.1.1 can frame: a 5-byte fixed header and the largest remaining
/// length (section 2.2.3).
inline constexpr std::size_t mqtt_max_packet_size = 1 + 4 + mqtt::max_remaining_length;
/// The smallest ClientLimits::max_packet_size: room for a CONNECT with long credentials.
inline constexpr std::size_t min_packet_size_limit = 1024;
/// 2 MiB: a 1 MiB payload goes either way with any topic (at most 65,535 bytes) and room to
/// spare, while a client never holds more than a few MiB even for a broker that sends the largest
/// packets MQTT allows (256 MiB). The buffers are reserved, not touched: see ClientLimits.
inline constexpr std::size_t default_max_packet_size = std::size_t{2} * 1024 * 1024;
/// Most QoS 1/2 messages publish_queued() keeps unacknowledged, by default. Enough to keep a
/// loopback or LAN link busy (bench/README.md); MQTT allows up to 65,535.
inline constexpr std::size_t default_max_inflight = 1024;

/// A Client's capacities, fixed when it is constructed. The buffers are allocated then, once,
/// and never initialised: Linux backs a page with memory only when it is first written, so a
/// client that moves small messages costs a few dozen KiB however large the limits are, and one
/// that moved a large message keeps about that much in use until it is destroyed. The client
/// reserves max_packet_size to receive, as much to send, max_packet_size + 256 bytes per window
/// slot for the copies kept for resending, and about 140 KiB + 12 bytes per slot of bookkeeping:
/// with the defaults, 2 + 2 + 2.25 MiB and 152 KiB.
struct ClientLimits {
    /// The largest MQTT packet, fixed header included, either way: the receive buffer's size and
    /// the decode limit (a larger incoming packet ends the connection with packet_too_large:
    /// MQTT 3.1.1 has no way to tell the broker our limit), and the largest PUBLISH publish()
    /// accepts (message_too_large otherwise; see publish_packet_size()). Clamped to
    /// [min_packet_size_limit, mqtt_max_packet_size].
    std::size_t max_packet_size = default_max_packet_size;
    /// The outgoing window: the most QoS 1/2 messages in flight (published, not yet
    /// acknowledged) at once. Clamped to [1, 65535], the packet identifiers MQTT has.
    std::size_t max_inflight = default_max_inflight;
};

/// The size of the PUBLISH packet that carries `payload_size` bytes to `topic` at `qos` (MQTT
/// 3.1.1 section 3.3): what ClientLimits::max_packet_size is compared with.
std::size_t publish_packet_size(std::string_view topic, std::size_t payload_size,
                                mqtt::QoS qos) noexcept;

struct WillOptions {
    std::string topic;
    std::string payload;
    mqtt::QoS qos = mqtt::QoS::at_most_once;
    bool retain = false;
};

/// An MQTT 5 property as ClientOptions carries it, owning its text (mqtt::Property only views).
struct PropertySetting {
    mqtt::PropertyId id = mqtt::PropertyId::user_property;
    std::uint32_t number = 0;  ///< the integer types
    std::string text;          ///< a string, binary data, or a User Property's name
    std::string value;         ///< a User Property's value
};

/// `setting` as the codec takes it, viewing the setting's strings.
mqtt::Property as_property(const PropertySetting& setting) noexcept;

struct ClientOptions {
    /// MQTT 3.1.1 unless asked; MQTT 5 reports refused messages (publish() fails with
    /// message_rejected) and the broker's reasons.
    mqtt::ProtocolVersion protocol = mqtt::ProtocolVersion::v3_1_1;
    /// MQTT 5 Session Expiry Interval (section 3.1.2.11.2): how long the broker keeps the
    /// session after the connection ends; absent means 0 (it ends with the connection).
    std::optional<std::uint32_t> session_expiry_s;
    /// MQTT 5: more properties for CONNECT (after Session Expiry) and for every PUBLISH, e.g. a
    /// User Property or a Message Expiry Interval (mosquitto_pub's -D). Checked at connect() and
    /// publish() like any property list (property_not_allowed, property_value_invalid, ...).
    std::vector<PropertySetting> connect_properties;
    std::vector<PropertySetting> publish_properties;
    /// MQTT 5: properties for every SUBSCRIBE (a Subscription Identifier, User Properties),
    /// UNSUBSCRIBE (User Properties) and the DISCONNECT of disconnect() (Session Expiry Interval,
    /// Reason String, User Properties), checked when each is sent. A DISCONNECT Session Expiry
    /// Interval other than 0 needs a session_expiry_s other than 0 [MQTT-3.14.2-2]: otherwise
    /// disconnect() fails with invalid_argument and closes without DISCONNECT.
    std::vector<PropertySetting> subscribe_properties;
    std::vector<PropertySetting> unsubscribe_properties;
    std::vector<PropertySetting> disconnect_properties;
    std::string host;  ///< DNS name or IP literal; the certificate must be for exactly this
    std::uint16_t port = 8883;
    /// Verify the broker (and send SNI) for this name instead of `host`, which is then only
    /// where the TCP connection goes: a broker reached by IP address or through a tunnel. See
    /// link::ConnectionSettings::verify_name.
    std::string verify_name;
    /// ALPN protocols to offer (RFC 7301), e.g. "x-amzn-mqtt-ca" for AWS IoT Core on port 443;
    /// with alpn_required the handshake fails (alpn_refused) unless the broker picks one. See
    /// tls::ConfigOptions::alpn_protocols.
    std::vector<std::string> alpn_protocols;
    bool alpn_required = false;
    std::string trusted_roots_pem;             ///< the broker's root CA(s), PEM (required)
    std::string certificate_pem;               ///< our certificate for mutual TLS (optional)
    std::string private_key_pem;               ///< its private key (optional)
    std::vector<tls::SpkiSha256> pinned_spki;  ///< optional public-key pins

    std::string client_id;
    std::optional<std::string> username;
    std::optional<std::string> password;  ///< never logged, never part of an error
    std::optional<WillOptions> will;
    std::uint16_t keep_alive_s = 60;
    bool clean_session = true;

    /// Most QoS 2 messages publish_queued() keeps unacknowledged (within ClientLimits::
    /// max_inflight). Mosquitto (max_inflight_messages,
    /// default 20) acknowledges but silently drops QoS 2 PUBLISHes beyond this many awaiting
    /// PUBREL from one MQTT 3.1.1 client, and 3.1.1 has no way to tell us its limit.
    std::size_t max_inflight_qos2 = 20;

    /// TLS session resumption: where the sealed session is kept between connections (and deep
    /// sleeps), and the device-held key that seals it. Null: every connection does a full
    /// handshake. The store must outlive the Client's connections. Without a key (all zero)
    /// nothing is stored or offered: a known key would let anyone who can write the store
    /// plant a session.
    tls::SessionStore* session_store = nullptr;
    tls::SessionKey session_key;
    /// Resume by session ID (false, the default: the smallest) or by session ticket (true: for
    /// broker clusters sharing ticket keys); see tls::ConfigOptions::session_tickets.
    bool session_tickets = false;
    /// TLS 1.2 (the default), 1.3, or both; see tls::TlsVersion.
    tls::TlsVersion tls_version = tls::TlsVersion::tls1_2;

    /// Bounds on each blocking call: TCP + TLS + CONNACK, and each acknowledgement.
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds operation_timeout{10'000};
};

/// The TLS client configuration `options` asks for (trust, credentials, pins, tickets), with
/// the device's wall clock and entropy; views into `options`, which must outlive the result.
/// Defined once, so that Client, DeviceLink and the wake cycle verify the broker alike.
tls::ConfigOptions tls_client_options(const ClientOptions& options, tls::WallClock wall_clock,
                                      tls::EntropySource entropy);
/// The same with the POSIX wall clock and getrandom(2).
tls::ConfigOptions tls_client_options(const ClientOptions& options);

/// Where and as whom `options` connects (host, port, verify_name) and its operation timeout,
/// viewing `options`; the caller adds the session's limits and store.
link::ConnectionSettings connection_settings_of(const ClientOptions& options);

/// What became of the stored TLS sessions, over this Client's connections (the pump's own
/// counters: link::Connection keeps them).
using ResumptionCounters = link::ResumptionCounters;

/// A message received on a subscription (owned copy).
struct Message {
    std::string topic;
    std::string payload;
    mqtt::QoS qos = mqtt::QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    /// MQTT 5 properties of the PUBLISH (3.3.2.3); empty under MQTT 3.1.1 and when absent.
    std::optional<std::uint8_t> payload_format;
    std::optional<std::uint32_t> message_expiry_s;
    std::string content_type;
    std::string response_topic;
    std::string correlation_data;
    std::vector<std::pair<std::string, std::string>> user_properties;  ///< in the order sent
    std::vector<std::uint32_t> subscription_identifiers;
    /// The Topic Alias the broker sent with the message (`topic` is always the whole topic).
    std::optional<std::uint16_t> topic_alias;
};

class Client {
public:
    /// A client with the default limits.
    Client();
    explicit Client(const ClientLimits& limits);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// TCP connect, TLS handshake with full verification, CONNECT and CONNACK, within
    /// connect_timeout. Errors: the transport's (resolve_failed, connection_refused, ...),
    /// the TLS layer's (certificate_untrusted, hostname_mismatch, ...), broker_refused (detail:
    /// the CONNACK return code), connect_timeout.
    Result<void> connect(const ClientOptions& options);

    /// The first half of connect(), for one-flight wake cycles: TCP, the TLS handshake (resuming
    /// a stored session if it can), and CONNECT queued, but the handshake's last flight is held
    /// back. Until finish_connect(), publish_queued() adds messages that leave together with the
    /// client's Finished and CONNECT, in as few TLS records and TCP segments as the sizes
    /// allow, without waiting for CONNACK (MQTT 3.1.1 section 3.1.4 allows it). If the broker
    /// then refuses, QoS 1/2 messages stay in the session (and in the caller's outbox).
    /// Errors: as connect().
    Result<void> start_connect(const ClientOptions& options);

    /// Sends what start_connect() and publish_queued() held, stores the TLS session, and waits
    /// for CONNACK. Errors: as connect().
    Result<void> finish_connect();

    /// Publishes and, for QoS 1/2, waits for PUBACK/PUBCOMP. Returns the packet identifier (0
    /// for QoS 0). Errors: io_timed_out (no acknowledgement in time; the message may still
    /// arrive), not_connected, message_too_large (detail: the packet's size, larger than
    /// max_packet_size; nothing is sent), any connection error.
    Result<mqtt::PacketId> publish(std::string_view topic, std::string_view payload, mqtt::QoS qos,
                                   bool retain = false);

    /// Pipelined publishing, for throughput: queues the message into the session and returns as
    /// soon as it is accepted, without waiting for its acknowledgement. The connection is serviced
    /// (acknowledgements read, output sent) only while the in-flight window or the buffers are
    /// full, for at most operation_timeout. Between start_connect() and finish_connect() the
    /// message is held for the one flight. Returns the packet identifier (0 for QoS 0); the
    /// session allocates identifiers and skips those still in flight, so they wrap past 65535
    /// safely. Call flush() to learn that everything arrived. Errors: io_timed_out (no room
    /// in time), not_connected, message_too_large (detail: the packet size, over
    /// max_packet_size, or too large for the buffers), any connection error.
    Result<mqtt::PacketId> publish_queued(std::string_view topic, std::string_view payload,
                                          mqtt::QoS qos, bool retain = false);

    /// Before connect(): restores a QoS 1/2 message that an earlier run sent under `packet_id`
    /// and never saw acknowledged (its application kept it, e.g. in an outbox). The next
    /// connect() sends it again with DUP set and the same identifier; with clean_session false
    /// the broker recognises it [MQTT-4.4.0-1]. Wait for it with await_acknowledgement().
    /// Errors: already_connected, invalid_argument (QoS 0, id 0 or in use), inflight_full,
    /// message_too_large (larger than max_packet_size).
    Result<void> restore_publish(std::string_view topic, std::string_view payload, mqtt::QoS qos,
                                 bool retain, mqtt::PacketId packet_id);

    /// Whether the message sent (or restored) under `packet_id` still awaits its
    /// acknowledgement; the session keeps it across connections and resends it on connect.
    [[nodiscard]] bool in_flight(mqtt::PacketId packet_id) const noexcept;

    /// Waits until the message under `packet_id` (from publish_queued() or restore_publish())
    /// is acknowledged (PUBACK / PUBCOMP); returns at once if it is no longer in flight.
    /// Errors: io_timed_out, not_connected, any connection error.
    Result<void> await_acknowledgement(mqtt::PacketId packet_id, std::chrono::milliseconds timeout);

    /// Waits until every queued QoS 1/2 message is acknowledged (PUBACK/PUBCOMP) and all output
    /// has been handed to the socket. Errors: io_timed_out (not done within `timeout`; the
    /// messages stay queued), not_connected, any connection error.
    Result<void> flush(std::chrono::milliseconds timeout);

    /// Subscribes and waits for SUBACK; returns one code per filter (granted QoS or 0x80).
    /// A refused filter is not an error here: check the codes (see all_granted()).
    Result<std::vector<std::uint8_t>> subscribe(const std::vector<mqtt::Subscription>& filters);
    Result<void> unsubscribe(const std::vector<std::string_view>& filters);

    /// Waits up to `timeout` for the next message, keeping the connection alive meanwhile.
    /// Returns nullopt when none came in time. Any call that reads from the connection fails
    /// with packet_too_large (detail: the incoming packet's whole size) when the broker sends a
    /// packet larger than max_packet_size, and closes the connection: its bytes cannot be
    /// skipped without reading them.
    Result<std::optional<Message>> receive(std::chrono::milliseconds timeout);

    /// Services the connection (acknowledgements, keepalive) for up to `timeout`; messages that
    /// arrive are kept for receive(). The PubSubClient `loop()`.
    Result<void> loop(std::chrono::milliseconds timeout);

    /// DISCONNECT (so the broker does not send the will), close_notify, close. Errors: the
    /// connection's, when the output (queued messages, DISCONNECT) could not be sent; the
    /// connection is closed either way.
    Result<void> disconnect();

    /// Closes the socket without DISCONNECT, as a crash or a lost link would (the broker then
    /// publishes the will). For tests and tools.
    void drop_connection();

    [[nodiscard]] bool connected() const noexcept;
    /// The limits in effect (after clamping).
    [[nodiscard]] const ClientLimits& limits() const noexcept;
    /// Outgoing QoS 1/2 messages published (or restored) and not yet acknowledged; never more
    /// than limits().max_inflight.
    [[nodiscard]] std::size_t in_flight_count() const noexcept;
    /// TLS details of the current connection.
    [[nodiscard]] tls::ConnectionInfo tls_info() const noexcept;
    /// Resumption counts over this Client's connections.
    [[nodiscard]] const ResumptionCounters& resumption() const noexcept;
    /// Peak heap mbedTLS used for the current (or last) connection, plus the TLS Config's.
    [[nodiscard]] std::size_t tls_heap_peak() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Whether every SUBACK code grants a subscription.
bool all_granted(const std::vector<std::uint8_t>& codes) noexcept;

}  // namespace mqtls::client
