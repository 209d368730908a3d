#include "broker_config.hpp"

#include <cstdint>
#include <utility>

#include "mqtls/host/mosquitto_config.hpp"

namespace mqtls::cli::broker {

std::string acl_text(const BrokerOptions& options) {
    return host::device_acl_text(options.collector);
}

std::string config_text(const BrokerOptions& options, const ConfigPaths& paths) {
    host::MosquittoListener listener;
    listener.port = static_cast<std::uint16_t>(options.port);  // CLI11 checks 1..65535
    listener.address = options.bind_address;
    listener.ca_file = paths.ca_certificate;
    listener.certificate_file = paths.certificate;
    listener.key_file = paths.key;
    listener.crl_file = paths.crl_file;
    listener.require_certificate = options.require_certificate;

    host::MosquittoConfig config;
    config.generated_by = "mqtls broker";
    config.password_file = paths.password_file;
    config.acl_file = paths.acl_file;
    config.max_queued_messages = options.max_queued_messages;
    config.log_file = paths.log_file;
    config.listeners.push_back(std::move(listener));
    return host::mosquitto_config_text(config);
}

}  // namespace mqtls::cli::broker
