#pragma once
// The connection flags `mqtls pub` and `mqtls sub` share (named as in mosquitto_pub/_sub where
// they overlap), and turning them into client options: PEM files read and sanity-checked, the
// password from -P, --pw-file or MQTLS_PASSWORD. Used by pub, sub and node.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli_support.hpp"
#include "mqtls/client/client.hpp"
#include "property_flags.hpp"

namespace mqtls::cli {

struct BrokerConnectionFlags {
    std::string host = "localhost";
    std::uint16_t port = 8883;
    bool host_given = false;  // -h or -p on the command line (they exclude -L)
    bool port_given = false;
    std::string ca_file;
    std::string ca_path;        // --capath: a folder of PEM CA certificates
    bool use_os_certs = false;  // --tls-use-os-certs: the system's CA bundle
    std::string tls_version;    // --tls-version: empty (1.2), 1.2, 1.3, auto, tlsv1.2, tlsv1.3
    std::string certificate_file;
    std::string key_file;
    std::vector<std::string> pins_hex;
    std::string verify_name;         // --verify-name: the TLS name when -h is an IP or a tunnel
    bool verify_name_given = false;  // (even if empty: a usage error)
    std::vector<std::string> alpn;   // --alpn, repeatable: protocols offered
    bool alpn_required = false;      // --alpn-required: refuse a broker that picks none
    std::string client_id;
    std::string client_id_prefix;       // -I: the client id is this prefix and the process id
    bool persistent_session = false;    // -c: clean session off, the broker keeps our session
    std::string protocol_version;       // -V: empty or 311/mqttv311 (3.1.1), 5/mqttv5
    bool session_expiry_given = false;  // -x: an MQTT 5 property (needs -V 5)
    std::string session_expiry;
    std::vector<std::vector<std::string>> properties;  // -D COMMAND PROPERTY VALUE [VALUE]
    unsigned property_packets = 0;                     // PropertyPacket bits: what -D may name
    std::string url;         // -L mqtts://[user[:password]@]host[:port]/topic
    std::string will_topic;  // --will-topic and friends: the last will
    std::string will_payload;
    int will_qos = 0;
    bool will_retain = false;
    bool will_payload_given = false;
    bool will_qos_given = false;
    std::string username;
    std::string password;         // never printed
    bool password_given = false;  // -P was on the command line (even if empty)
    std::string password_file;    // --pw-file: its first line is the password
    std::uint16_t keep_alive_s = 60;
    int connect_timeout_s = 10;  // TCP + TLS + CONNACK
    bool debug = false;
    std::size_t max_packet_size = client::default_max_packet_size;  // pub and sub only
};

/// The environment variable that supplies the password when neither -P nor --pw-file is given.
constexpr const char* password_environment_variable = "MQTLS_PASSWORD";

/// Which groups of flags a command takes besides the connection itself.
struct ConnectionFlagGroups {
    bool will = true;  ///< --will-topic, --will-payload, --will-qos, --will-retain
    bool url = true;   ///< -L URL (gives the topic too)
    /// -D PACKET ... (MQTT 5 properties) for these packets (PropertyPacket bits, 0: no -D); sub's
    /// by default.
    unsigned property_packets =
        property_connect | property_subscribe | property_unsubscribe | property_disconnect;
};

void add_broker_connection_flags(CLI::App& command, BrokerConnectionFlags& flags,
                                 ConnectionFlagGroups groups = {});

/// The topic of -L, or empty when -L is not given or cannot be parsed (make_client_options()
/// reports why).
std::string topic_from_url(const BrokerConnectionFlags& flags);

/// --pin-sha256 values into `pins`; exit_ok, or the usage status (after the message).
int parse_pin_flags(const char* command, const std::vector<std::string>& pins_hex,
                    std::vector<tls::SpkiSha256>& pins);

/// Prints a usage error for `command` with a hint and returns exit_usage.
int usage_error(const char* command, const char* what, const char* hint);

/// Builds client options from the flags, reading the PEM files and the password. Returns
/// exit_ok, or the exit status after reporting the problem.
/// -x as seconds (0xFFFFFFFF for "never"); nullopt when it is neither.
std::optional<std::uint32_t> parse_session_expiry(const std::string& text);

/// Whether -V asks for MQTT 5 (5 or mqttv5).
bool wants_mqtt5(const BrokerConnectionFlags& flags);

int make_client_options(const char* command, const BrokerConnectionFlags& flags,
                        client::ClientOptions& options);

/// The client limits the flags ask for: --max-packet-size, and `max_inflight`.
client::ClientLimits client_limits(const BrokerConnectionFlags& flags,
                                   std::size_t max_inflight = client::default_max_inflight);

/// Reports a message of `packet_size` bytes (as a PUBLISH packet; with `at_least`, of that many
/// or more) over --max-packet-size and returns exit_usage. `what` names it, e.g. "the message".
int report_message_over_limit(const char* command, const char* what, std::size_t packet_size,
                              const BrokerConnectionFlags& flags, bool at_least = false);

/// report(), except that a packet over --max-packet-size (packet_too_large: from the broker;
/// message_too_large: ours) is explained with its size, the limit and the flag to raise it.
int report_client_error(const char* command, const Error& error, std::string_view context,
                        const BrokerConnectionFlags& flags);

/// The flag and file a TLS setup error is about (the files are parsed before connecting), or
/// empty when the error is about the connection.
std::string file_context_for(const Error& error, const BrokerConnectionFlags& flags);

/// "host:port" for messages and logs, with " as NAME" when --verify-name gives another TLS name.
std::string broker_where(const client::ClientOptions& options);

/// Connects, reporting failures with the broker address (and the CA file for TLS refusals, the
/// usual culprit). Returns exit_ok or the reported exit status.
int connect_client(const char* command, const BrokerConnectionFlags& flags,
                   const client::ClientOptions& options, client::Client& client);

}  // namespace mqtls::cli
