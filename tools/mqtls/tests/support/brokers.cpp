#include "brokers.hpp"

#include <utility>

#include <gtest/gtest.h>

#include "eventually.hpp"

namespace mqtls::cli_test {

std::unique_ptr<MosquittoBroker> start_broker(const BrokerOptions& options) {
    auto broker = MosquittoBroker::start(options);
    if (!broker) {
        ADD_FAILURE() << "mosquitto did not start: " << broker.error().message();
        return nullptr;
    }
    return std::move(*broker);
}

BrokerOptions telemetry_broker_options(const std::string& device_password,
                                       const std::string& collector_password) {
    BrokerOptions options;
    options.users = {{"device-1", device_password}, {"collector", collector_password}};
    options.acl =
        "user device-1\n"
        "topic write telemetry/device-1/#\n"
        "user collector\n"
        "topic read #\n";
    return options;
}

Arguments broker_connection(const MosquittoBroker& broker, const std::string& user,
                            const std::string& password) {
    return {"-h",       MosquittoBroker::host(),
            "-p",       std::to_string(broker.tls_port()),
            "--cafile", broker.ca_file(),
            "-u",       user,
            "-P",       password};
}

Arguments mqtls_command(const char* subcommand, const MosquittoBroker& broker,
                        const std::string& user, const std::string& password,
                        const Arguments& more) {
    return concat(concat(mqtls({subcommand}), broker_connection(broker, user, password)), more);
}

Arguments mosquitto_command(const char* program, const MosquittoBroker& broker,
                            const std::string& user, const std::string& password,
                            const Arguments& more) {
    return concat(concat({program}, broker_connection(broker, user, password)), more);
}

bool wait_for_log(const MosquittoBroker& broker, const std::string& text,
                  std::chrono::milliseconds limit) {
    return eventually([&] { return broker.log().find(text) != std::string::npos; }, limit);
}

bool wait_for_subscription(const MosquittoBroker& broker, const std::string& client_id) {
    return wait_for_log(broker, "Received SUBSCRIBE from " + client_id);
}

}  // namespace mqtls::cli_test
