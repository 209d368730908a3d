#pragma once
/// @file
/// A Mosquitto broker for a CLI test (mqtls::testing::MosquittoBroker) and the command lines that
/// reach it: the TLS connection flags mqtls and the mosquitto clients share, and waits for what
/// the broker logs.
#include <chrono>
#include <memory>
#include <string>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "programs.hpp"

namespace mqtls::cli_test {

using testing::BrokerOptions;
using testing::MosquittoBroker;

/// MosquittoBroker::start(options); nullptr, and a failed test naming the error, when it does
/// not start. Use as `auto broker = start_broker(options); ASSERT_TRUE(broker);`.
std::unique_ptr<MosquittoBroker> start_broker(const BrokerOptions& options = {});

/// A broker with the users "device-1" and "collector" and an ACL that lets device-1 write only
/// telemetry/device-1/# and the collector read everything: the telemetry set-up of the README.
BrokerOptions telemetry_broker_options(const std::string& device_password,
                                       const std::string& collector_password);

/// The flags that reach `broker` as `user` with `password`, the same for mqtls pub/sub/node and
/// mosquitto_pub/_sub: -h 127.0.0.1 -p PORT --cafile CA -u USER -P PASSWORD.
Arguments broker_connection(const MosquittoBroker& broker, const std::string& user,
                            const std::string& password);
/// mqtls `subcommand` (pub, sub, node) followed by broker_connection() and `more`.
Arguments mqtls_command(const char* subcommand, const MosquittoBroker& broker,
                        const std::string& user, const std::string& password,
                        const Arguments& more = {});
/// `program` (mosquitto_pub, mosquitto_sub) followed by broker_connection() and `more`.
Arguments mosquitto_command(const char* program, const MosquittoBroker& broker,
                            const std::string& user, const std::string& password,
                            const Arguments& more = {});

/// Whether the broker's log contains `text` within `limit` (polled every 20 ms).
bool wait_for_log(const MosquittoBroker& broker, const std::string& text,
                  std::chrono::milliseconds limit = std::chrono::seconds(10));
/// Whether the broker logged a SUBSCRIBE from `client_id` within 10 s, so that a message
/// published afterwards reaches that client.
bool wait_for_subscription(const MosquittoBroker& broker, const std::string& client_id);

}  // namespace mqtls::cli_test
