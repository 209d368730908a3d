#pragma once
/// @file
/// A scripted MQTT 3.1.1 and MQTT 5 broker for the simulation (each connection in the version
/// its CONNECT asks for). It runs as the Network's ServerAgent on the
/// server end: the server side of a secure channel (ServerSecurity: the test-only loopback
/// protocol, or a real tls::Engine server in link/tests) turns records into MQTT bytes, which
/// it parses with mqtls::mqtt's codec and answers: CONNACK (accepted or the scripted refusal,
/// session present as scripted), PUBACK / PUBREC / PUBCOMP, PINGRESP, SUBACK, UNSUBACK.
/// Everything it received is recorded so that tests can check delivery: every PUBLISH (topic,
/// payload, QoS, packet id, DUP, retain, connection, delivery), every CONNECT, and the delivery
/// in which the handshake ended (one-flight checks compare deliveries).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/packets.hpp"
#include "mqtls/sim/network.hpp"

namespace mqtls::sim {

/// The server half of a secure channel, driven by the Broker.
class ServerSecurity {
public:
    /// A new connection: forget the last one (session caches may stay).
    virtual void begin() noexcept = 0;
    virtual std::size_t feed(bytes_view ciphertext) noexcept = 0;
    /// Advances the handshake; true once done. Errors end the connection (the broker hangs up).
    virtual Result<bool> advance() noexcept = 0;
    [[nodiscard]] virtual bool handshake_done() const noexcept = 0;
    /// Decrypted bytes; 0: none yet. tls_closed after the client's close_notify.
    virtual Result<std::size_t> read(mutable_bytes out) noexcept = 0;
    virtual Result<std::size_t> write(bytes_view plaintext) noexcept = 0;
    [[nodiscard]] virtual bytes_view pending() const noexcept = 0;
    virtual void consume(std::size_t count) noexcept = 0;
    /// Whether the handshake ended by the server hanging up (after asking for a certificate).
    [[nodiscard]] virtual bool hang_up() const noexcept { return false; }
    /// Whether the last handshake resumed a session.
    [[nodiscard]] virtual bool resumed() const noexcept = 0;

protected:
    ServerSecurity() = default;
    ServerSecurity(const ServerSecurity&) = default;
    ServerSecurity& operator=(const ServerSecurity&) = default;
    ~ServerSecurity() = default;
};

/// TEST ONLY: the server side of LoopbackChannel's protocol (nothing encrypted).
class LoopbackServer final : public ServerSecurity {
public:
    struct Script {
        std::string name = "broker.sim";          ///< announced; the client checks it
        bool resume_sessions = true;              ///< false: every offer is declined
        bool require_client_certificate = false;  ///< a client without one is hung up on
        bool refuse_handshake = false;            ///< answers the hello with an alert
    };
    Script script;

    void begin() noexcept override;
    std::size_t feed(bytes_view ciphertext) noexcept override;
    Result<bool> advance() noexcept override;
    [[nodiscard]] bool handshake_done() const noexcept override { return done_; }
    Result<std::size_t> read(mutable_bytes out) noexcept override;
    Result<std::size_t> write(bytes_view plaintext) noexcept override;
    [[nodiscard]] bytes_view pending() const noexcept override;
    void consume(std::size_t count) noexcept override;
    [[nodiscard]] bool hang_up() const noexcept override { return hang_up_; }
    [[nodiscard]] bool resumed() const noexcept override { return resumed_; }
    /// Sessions this server issued (its cache); forget() empties it.
    [[nodiscard]] std::size_t sessions_issued() const noexcept { return issued_.size(); }
    void forget_sessions() noexcept { issued_.clear(); }

private:
    Result<bool> on_record(std::uint8_t type, bytes_view payload) noexcept;
    Result<bool> on_hello(bytes_view payload) noexcept;
    void queue(std::uint8_t type, bytes_view payload);

    std::vector<std::uint8_t> in_;
    std::vector<std::uint8_t> out_;
    std::size_t out_begin_ = 0;
    std::vector<std::uint64_t> issued_;
    std::uint64_t next_id_ = 0x5157'0000'0000'0001ULL;
    std::size_t data_left_ = 0;
    bool hello_seen_ = false;
    bool done_ = false;
    bool resumed_ = false;
    bool hang_up_ = false;
};

struct ReceivedPublish {
    std::string topic;
    std::string payload;
    mqtt::QoS qos = mqtt::QoS::at_most_once;
    mqtt::PacketId packet_id = 0;
    bool dup = false;
    bool retain = false;
    std::size_t connection = 0;  ///< index of the connection (Network open attempt)
    std::uint64_t delivery = 0;  ///< the delivery its last byte came in
    Instant at;
    std::optional<std::uint32_t> message_expiry_s;  ///< MQTT 5's Message Expiry Interval
    bool denied = false;  ///< answered with Reason Code 0x87 (Script::denied_topics, MQTT 5)
};

struct ReceivedConnect {
    std::string client_id;
    bool clean_session = true;
    std::uint16_t keep_alive_s = 0;
    std::size_t connection = 0;
    std::uint64_t delivery = 0;
    /// The delivery in which the client's handshake ended (its Finished arrived).
    std::uint64_t handshake_end_delivery = 0;
    bool resumed = false;
    bool mqtt5 = false;
    std::optional<std::uint32_t> session_expiry_s;  ///< MQTT 5's Session Expiry Interval
};

class Broker final : public ServerAgent {
public:
    struct Script {
        /// CONNACK code for connection i (beyond the list: accepted).
        std::vector<mqtt::ConnectReturnCode> connack_codes;
        /// Session present in an accepting CONNACK; unset: true for clean_session=false once
        /// this client id connected before.
        std::optional<bool> session_present;
        bool acknowledge_publishes = true;  ///< false: no PUBACK / PUBREC / PUBCOMP
        bool answer_pings = true;
        bool answer_connect = true;  ///< false: CONNECT is read and never answered
        /// PUBLISHes to these topics are refused with 0x87 Not authorized on an MQTT 5
        /// connection (and acknowledged like any other under 3.1.1, as Mosquitto does).
        std::vector<std::string> denied_topics;
    };
    Script script;

    /// Attaches itself to `network` (whose server end it speaks on).
    Broker(Network& network, ServerSecurity& security) noexcept;
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    void on_accept() noexcept override;
    void on_readable() noexcept override;

    /// Queues a PUBLISH to the client (as if another client published on a subscription).
    void send_publish(const std::string& topic, const std::string& payload, mqtt::QoS qos);

    [[nodiscard]] const std::vector<ReceivedPublish>& publishes() const noexcept {
        return publishes_;
    }
    [[nodiscard]] const std::vector<ReceivedConnect>& connects() const noexcept {
        return connects_;
    }
    [[nodiscard]] std::size_t pings() const noexcept { return pings_; }
    [[nodiscard]] std::size_t disconnects() const noexcept { return disconnects_; }
    [[nodiscard]] std::size_t pubrels() const noexcept { return pubrels_; }
    [[nodiscard]] std::size_t subscribes() const noexcept { return subscribes_; }
    /// Connections that ended in a handshake failure or a protocol error seen by the broker.
    [[nodiscard]] std::size_t failures() const noexcept { return failures_; }

private:
    void read_stream() noexcept;
    bool advance_handshake() noexcept;
    bool read_plaintext() noexcept;
    void process_plaintext(bytes_view plaintext) noexcept;
    void handle_packet(const mqtt::Packet& packet) noexcept;
    void handle_connect(const mqtt::Connect& connect) noexcept;
    void handle_publish(const mqtt::Publish& publish) noexcept;
    void send_packet(const mqtt::Packet& packet) noexcept;
    void flush() noexcept;
    void hang_up() noexcept;

    Network& network_;
    ServerSecurity& security_;
    std::vector<std::uint8_t> frame_;  // bytes of the MQTT packet being assembled
    std::vector<ReceivedPublish> publishes_;
    std::vector<ReceivedConnect> connects_;
    std::vector<std::string> known_clients_;
    std::vector<std::uint8_t> scratch_;
    std::uint64_t handshake_end_delivery_ = 0;
    std::size_t connection_ = 0;
    std::size_t pings_ = 0;
    std::size_t disconnects_ = 0;
    std::size_t pubrels_ = 0;
    std::size_t subscribes_ = 0;
    std::size_t failures_ = 0;
    mqtt::PacketId next_packet_id_ = 1;
    bool connected_ = false;
    mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::v3_1_1;  // this connection's
};

}  // namespace mqtls::sim
