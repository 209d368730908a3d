// Publishes one reading to an MQTT broker over verified TLS with mqtls::client::Client, waits
// for the broker's acknowledgement (QoS 1) and disconnects.
//
//   publish_reading HOST CA_FILE TOPIC PAYLOAD
//
// The broker's certificate must chain to CA_FILE (PEM) and name HOST: there is no way to turn
// verification off. From the environment, all optional:
//   MQTLS_PORT                   the broker's TLS port (default 8883)
//   MQTLS_CLIENT_ID              default publish-reading-<pid>
//   MQTLS_USERNAME, MQTLS_PASSWORD   password login (the password is read only from the
//                                environment, so that it never shows in `ps`)
//   MQTLS_CERT, MQTLS_KEY        PEM files of a client certificate and its key, for mutual TLS
// Exit status: 0 acknowledged, 1 failed (the reason and a hint on stderr), 2 usage, 3 file.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "mqtls/client/client.hpp"

namespace {

const char* environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

// `what` names the argument; its value (a path) is not echoed.
std::optional<std::string> read_file(const char* what, const char* path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    if (file) text << file.rdbuf();
    if (!file || text.str().empty()) {
        std::fprintf(stderr,
                     "publish_reading: cannot read %s, or it is empty\n"
                     "  hint: check the path and that it is a readable PEM file\n",
                     what);
        return std::nullopt;
    }
    return text.str();
}

int fail(const char* step, const mqtls::Error& error) {
    std::fprintf(stderr, "publish_reading: %s: %s\n  hint: %s\n", step, error.message(),
                 error.hint());
    return 1;
}

// Fills options from argv and the environment; returns an exit status on failure.
std::optional<int> configure(char** argv, mqtls::client::ClientOptions& options) {
    options.host = argv[1];
    auto roots = read_file("CA_FILE", argv[2]);
    if (!roots) return 3;
    options.trusted_roots_pem = *roots;
    if (const char* port = environment("MQTLS_PORT")) {
        char* end = nullptr;
        const long number = std::strtol(port, &end, 10);
        if (*end != '\0' || number < 1 || number > 65535) {
            std::fprintf(stderr,
                         "publish_reading: MQTLS_PORT is not a port number\n"
                         "  hint: use 1..65535, e.g. 8883\n");
            return 2;
        }
        options.port = static_cast<std::uint16_t>(number);
    }
    const char* client_id = environment("MQTLS_CLIENT_ID");
    options.client_id = client_id != nullptr ? std::string(client_id)
                                             : "publish-reading-" + std::to_string(::getpid());
    if (const char* username = environment("MQTLS_USERNAME")) options.username = username;
    if (const char* password = environment("MQTLS_PASSWORD")) options.password = password;
    const char* certificate = environment("MQTLS_CERT");
    const char* key = environment("MQTLS_KEY");
    if ((certificate == nullptr) != (key == nullptr)) {
        std::fprintf(stderr,
                     "publish_reading: MQTLS_CERT and MQTLS_KEY go together\n"
                     "  hint: set both for mutual TLS, or neither\n");
        return 2;
    }
    if (certificate != nullptr) {
        auto certificate_pem = read_file("MQTLS_CERT", certificate);
        auto key_pem = read_file("MQTLS_KEY", key);
        if (!certificate_pem || !key_pem) return 3;
        options.certificate_pem = *certificate_pem;
        options.private_key_pem = *key_pem;
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr,
                     "usage: publish_reading HOST CA_FILE TOPIC PAYLOAD\n"
                     "  (see the top of publish_reading.cpp for the environment)\n");
        return 2;
    }
    mqtls::client::ClientOptions options;
    if (auto status = configure(argv, options)) return *status;

    mqtls::client::Client client;
    if (auto connected = client.connect(options); !connected) {
        return fail("connect", connected.error());
    }
    const auto tls = client.tls_info();
    std::printf("connected to %s:%u over %s, %s, verified name %.*s\n", options.host.c_str(),
                static_cast<unsigned>(options.port), tls.protocol, tls.cipher_suite,
                static_cast<int>(tls.verified_name.size()), tls.verified_name.data());

    const std::string_view topic = argv[3];
    const std::string_view payload = argv[4];
    auto published = client.publish(topic, payload, mqtls::mqtt::QoS::at_least_once);
    if (!published) return fail("publish", published.error());
    std::printf("published %zu bytes to %s, acknowledged (packet %u)\n", payload.size(), argv[3],
                static_cast<unsigned>(*published));

    if (auto closed = client.disconnect(); !closed) return fail("disconnect", closed.error());
    return 0;
}
