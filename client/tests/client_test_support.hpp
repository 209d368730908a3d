#pragma once
// Helpers for the client integration tests: a broker with two users and an ACL, and options
// for connecting to it.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "mqtls/client/client.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"

namespace mqtls::client::testing {

using namespace std::chrono_literals;

inline const char* const device_password = "device-1-password";
inline const char* const collector_password = "collector-password";

// device-1 may write only its own telemetry and status; the collector may read everything.
inline const char* const telemetry_acl =
    "user device-1\n"
    "topic write telemetry/device-1/#\n"
    "topic readwrite status/device-1\n"
    "topic read retained/#\n"
    "user collector\n"
    "topic read #\n"
    "topic write retained/#\n"
    "topic write commands/#\n";

/// The version the tests' clients speak: TLS 1.2, or TLS 1.3 when the environment says
/// MQTLS_TEST_TLS_VERSION=1.3 (ctest runs the suite both ways, the second with the prefix
/// Tls13.). Mosquitto accepts both.
inline tls::TlsVersion tested_tls_version() {
    const char* version = std::getenv("MQTLS_TEST_TLS_VERSION");
    return version != nullptr && std::string(version) == "1.3" ? tls::TlsVersion::tls1_3
                                                               : tls::TlsVersion::tls1_2;
}
inline bool testing_tls13() { return tested_tls_version() == tls::TlsVersion::tls1_3; }

inline mqtls::testing::BrokerOptions password_broker_options() {
    mqtls::testing::BrokerOptions options;
    options.users = {{"device-1", device_password}, {"collector", collector_password}};
    options.acl = telemetry_acl;
    return options;
}

inline std::unique_ptr<mqtls::testing::MosquittoBroker> start_broker(
    const mqtls::testing::BrokerOptions& options) {
    auto broker = mqtls::testing::MosquittoBroker::start(options);
    if (!broker) {
        ADD_FAILURE() << "mosquitto did not start: " << broker.error().message();
        return nullptr;
    }
    return std::move(*broker);
}

inline ClientOptions options_for(const mqtls::testing::MosquittoBroker& broker,
                                 const std::string& user, const std::string& password) {
    ClientOptions options;
    options.host = "127.0.0.1";
    options.port = broker.tls_port();
    options.trusted_roots_pem = broker.ca_pem();
    options.client_id = user;
    options.username = user;
    options.password = password;
    options.connect_timeout = 5000ms;
    options.operation_timeout = 5000ms;
    options.tls_version = tested_tls_version();
    return options;
}

inline ClientOptions device_options(const mqtls::testing::MosquittoBroker& broker) {
    return options_for(broker, "device-1", device_password);
}
inline ClientOptions collector_options(const mqtls::testing::MosquittoBroker& broker) {
    return options_for(broker, "collector", collector_password);
}

// Receives until a message arrives or `timeout` passes.
inline std::optional<Message> next_message(Client& client, std::chrono::milliseconds timeout) {
    auto message = client.receive(timeout);
    EXPECT_TRUE(message) << (message ? "" : message.error().message());
    return message ? *message : std::nullopt;
}

}  // namespace mqtls::client::testing
