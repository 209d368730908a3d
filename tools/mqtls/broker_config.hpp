#pragma once
// What `mqtls broker` writes for Mosquitto 2.0: its configuration file and the ACL, made by the
// shared generator (host/mosquitto_config.hpp) from the broker's flags. Both are text only;
// cmd_broker.cpp decides where they go and runs Mosquitto.

#include <string>
#include <vector>

namespace mqtls::cli::broker {

/// The flags of `mqtls broker`.
struct BrokerOptions {
    std::string pki_directory;
    int port = 8883;
    std::string bind_address = "127.0.0.1";
    std::vector<std::string> users;  // NAME:PASSWORD, as given to --user
    std::string users_file;
    bool users_stdin = false;
    std::string password_file;
    bool require_certificate = false;
    bool acl_devices = false;
    std::string collector;
    std::string certificate_name = "broker";
    // Mosquitto's default of 1000 drops QoS 1/2 messages for a subscriber that falls behind a
    // burst (a collector after devices reconnect with a backlog); 0 means no limit.
    int max_queued_messages = 1000;
    std::string workdir;
    bool print_config = false;
    std::string mosquitto = "mosquitto";
};

/// Absolute paths of the files the configuration names.
struct ConfigPaths {
    std::string ca_certificate;
    std::string certificate;
    std::string key;
    std::string crl_file;       // empty: none (see cmd_broker_crl.hpp)
    std::string password_file;  // empty: none
    std::string acl_file;       // empty: none
    std::string log_file;
};

/// mosquitto.conf: one TLS listener, no anonymous clients, client ids bound to user names.
std::string config_text(const BrokerOptions& options, const ConfigPaths& paths);

/// The ACL of --acl-devices: each user writes only its own topics; the collector reads them.
std::string acl_text(const BrokerOptions& options);

}  // namespace mqtls::cli::broker
