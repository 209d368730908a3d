// host::mosquitto_config_text(): the lines each setting produces, and what it never writes.
#include "mqtls/host/mosquitto_config.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace mqtls::host {
namespace {

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t found = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++found;
    }
    return found;
}

MosquittoListener listener(std::uint16_t port, const std::string& directory) {
    MosquittoListener result;
    result.port = port;
    result.ca_file = directory + "/ca.crt";
    result.certificate_file = directory + "/broker.crt";
    result.key_file = directory + "/broker.key";
    return result;
}

TEST(HostMosquittoConfig, DefaultsAreTheHardenedBrokerOfMqtlsBroker) {
    MosquittoConfig config;
    config.listeners.push_back(listener(8883, "/pki"));
    const std::string text = mosquitto_config_text(config);
    EXPECT_TRUE(has_line(text, "per_listener_settings false")) << text;
    EXPECT_TRUE(has_line(text, "allow_anonymous false")) << text;
    EXPECT_TRUE(has_line(text, "persistence false")) << text;
    EXPECT_TRUE(has_line(text, "set_tcp_nodelay true")) << text;
    EXPECT_TRUE(has_line(text, "listener 8883 127.0.0.1")) << text;
    EXPECT_TRUE(has_line(text, "cafile /pki/ca.crt")) << text;
    EXPECT_TRUE(has_line(text, "certfile /pki/broker.crt")) << text;
    EXPECT_TRUE(has_line(text, "keyfile /pki/broker.key")) << text;
    EXPECT_TRUE(has_line(text, "tls_version tlsv1.2")) << text;
    EXPECT_TRUE(has_line(text, std::string("ciphers ") + mosquitto_tls12_ciphers)) << text;
    EXPECT_TRUE(has_line(text, std::string("ciphers_tls1.3 ") + mosquitto_tls13_ciphers)) << text;
    EXPECT_TRUE(has_line(text, "use_username_as_clientid true")) << text;
    EXPECT_TRUE(has_line(text, "log_dest stderr")) << text;
    EXPECT_TRUE(has_line(text, "log_type information")) << text;
    EXPECT_EQ(has_line(text, "user root"), ::geteuid() == 0) << text;
    // Nothing optional: no password file, ACL, CRL, client certificates, queue limit.
    for (const char* absent : {"password_file", "acl_file", "crlfile", "require_certificate",
                               "max_queued_messages", "log_dest file", "log_type all"}) {
        EXPECT_EQ(text.find(absent), std::string::npos) << absent << "\n" << text;
    }
    // The TLS 1.2 suites are ECDHE with an AEAD cipher only: no CBC, SHA-1 MAC, static RSA, DHE.
    const std::string suites = std::string(mosquitto_tls12_ciphers) + ":";
    std::size_t checked = 0;
    for (std::size_t begin = 0, end = suites.find(':'); end != std::string::npos;
         begin = end + 1, end = suites.find(':', begin), ++checked) {
        const std::string suite = suites.substr(begin, end - begin);
        EXPECT_EQ(suite.rfind("ECDHE-", 0), 0U) << suite;
        EXPECT_TRUE(suite.find("-GCM-") != std::string::npos ||
                    suite.find("-CHACHA20-POLY1305") != std::string::npos)
            << suite;
    }
    EXPECT_EQ(checked, 6U);
    EXPECT_EQ(std::string(mosquitto_tls13_ciphers).find("CCM"), std::string::npos);
    EXPECT_EQ(text.find("\nport "), std::string::npos);  // the legacy plaintext listener
}

TEST(HostMosquittoConfig, EveryOptionHasItsLine) {
    MosquittoConfig config;
    config.password_file = "/w/passwords";
    config.acl_file = "/w/acl";
    config.persistence_directory = "/w";
    config.max_queued_messages = 0;
    config.log_to_stderr = false;
    config.log_file = "/w/mosquitto.log";
    config.log_everything = true;
    MosquittoListener mutual = listener(18884, "/pki");
    mutual.crl_file = "/pki/crl.pem";
    mutual.require_certificate = true;
    config.listeners.push_back(mutual);
    config.extra_config = "max_keepalive 10";
    const std::string text = mosquitto_config_text(config);
    for (const char* line :
         {"password_file /w/passwords", "acl_file /w/acl", "persistence true",
          "persistence_location /w/", "max_queued_messages 0", "log_dest file /w/mosquitto.log",
          "log_type all", "crlfile /pki/crl.pem", "require_certificate true",
          "use_identity_as_username true", "max_keepalive 10"}) {
        EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
    }
    EXPECT_FALSE(has_line(text, "log_dest stderr")) << text;
    EXPECT_FALSE(has_line(text, "log_type error")) << text;
    // The CRL belongs to its listener: after the listener line, before the next setting block.
    EXPECT_LT(text.find("listener 18884"), text.find("crlfile")) << text;
    // The extra lines come last, after every listener.
    EXPECT_GT(text.find("max_keepalive 10"), text.rfind("listener ")) << text;
}

TEST(HostMosquittoConfig, SeveralListenersEachWithTheirOwnFilesAndSuites) {
    MosquittoConfig config;
    config.allow_anonymous = true;
    config.client_id_is_user_name = false;
    config.listeners.push_back(listener(1001, "/ecdsa"));
    config.listeners.push_back(listener(1002, "/rsa"));
    MosquittoListener ipv6 = listener(1001, "/ecdsa");
    ipv6.address = "::1";
    config.listeners.push_back(ipv6);
    config.tls13_ciphers.clear();
    const std::string text = mosquitto_config_text(config);
    EXPECT_TRUE(has_line(text, "allow_anonymous true")) << text;
    EXPECT_TRUE(has_line(text, "listener 1001 127.0.0.1")) << text;
    EXPECT_TRUE(has_line(text, "listener 1002 127.0.0.1")) << text;
    EXPECT_TRUE(has_line(text, "listener 1001 ::1")) << text;
    EXPECT_TRUE(has_line(text, "certfile /rsa/broker.crt")) << text;
    EXPECT_EQ(count(text, "\ntls_version tlsv1.2\n"), 3U) << text;
    EXPECT_EQ(count(text, "\nciphers "), 3U) << text;
    EXPECT_EQ(text.find("\nciphers_tls1.3 "), std::string::npos) << text;
    EXPECT_EQ(text.find("use_username_as_clientid"), std::string::npos) << text;
}

TEST(HostMosquittoConfig, DeviceAcl) {
    const std::string devices = device_acl_text("");
    EXPECT_TRUE(has_line(devices, "pattern write telemetry/%u/#")) << devices;
    EXPECT_TRUE(has_line(devices, "pattern write status/%u")) << devices;
    EXPECT_EQ(devices.find("topic read"), std::string::npos) << devices;
    const std::string with_collector = device_acl_text("collector");
    EXPECT_NE(with_collector.find("user collector\ntopic read telemetry/#\ntopic read status/#\n"),
              std::string::npos)
        << with_collector;
}

}  // namespace
}  // namespace mqtls::host
