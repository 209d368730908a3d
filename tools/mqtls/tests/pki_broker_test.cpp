// `mqtls pki` and `mqtls broker`, run as a user runs them: the built binary, real files, a real
// Mosquitto on a loopback port, mosquitto_pub as the client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/pki/pki.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::accepts_tcp;
using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::exists;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::free_port;
using mqtls::cli_test::loopback;
using mqtls::cli_test::mqtls;
using mqtls::cli_test::permissions;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_mqtls;
using mqtls::testing::FileDescriptor;
using mqtls::testing::ProcessResult;

// The clients (openssl, mosquitto_pub/_sub) answer within seconds on loopback.
ProcessResult run_program(const std::vector<std::string>& arguments) {
    return mqtls::cli_test::run_program(arguments, std::chrono::seconds(10));
}

// A PKI directory made with the commands under test: CA, broker (localhost, 127.0.0.1), device-1.
class CliPki : public mqtls::cli_test::PkiFolderTest {
protected:
    CliPki() : PkiFolderTest("mqtls-cli-test-") {}
};

TEST_F(CliPki, CreatesFilesWithPrivateModesAndVerifiableCertificates) {
    make_pki();
    EXPECT_EQ(permissions(pki_), 0700u);
    for (const char* key : {"ca.key", "broker.key", "device-1.key"}) {
        EXPECT_EQ(permissions(file(key)), 0600u) << key;
    }
    for (const char* certificate : {"ca.crt", "broker.crt", "device-1.crt"}) {
        EXPECT_EQ(permissions(file(certificate)) & 0077u, permissions(file(certificate)) & 0044u)
            << certificate << " must not be writable by others";
    }
    // openssl is an independent verifier of what the pki layer wrote.
    for (const char* certificate : {"broker.crt", "device-1.crt"}) {
        const auto verify =
            run_program({"openssl", "verify", "-CAfile", file("ca.crt"), file(certificate)});
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
    }
    const auto names = run_program(
        {"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", file("broker.crt")});
    EXPECT_NE(names.output.find("DNS:localhost"), std::string::npos) << names.output;
    EXPECT_NE(names.output.find("IP Address:127.0.0.1"), std::string::npos) << names.output;
    const auto subject =
        run_program({"openssl", "x509", "-noout", "-subject", "-in", file("device-1.crt")});
    EXPECT_NE(subject.output.find("CN = device-1"), std::string::npos) << subject.output;

    // The printed pin is the broker certificate's.
    auto pem = mqtls::pki::read_file(file("broker.crt"));
    ASSERT_TRUE(pem);
    auto pin = mqtls::pki::spki_sha256_hex(*pem);
    ASSERT_TRUE(pin);
    EXPECT_NE(server_output_.find(*pin), std::string::npos) << server_output_;
}

TEST_F(CliPki, RsaCaIsRsa) {
    const auto init = run_mqtls({"pki", "init", pki_, "--rsa", "--cn", "Example CA"});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    auto key = mqtls::pki::read_file(file("ca.key"));
    ASSERT_TRUE(key);
    auto type = mqtls::pki::key_type_of(*key);
    ASSERT_TRUE(type);
    EXPECT_EQ(*type, mqtls::pki::KeyType::rsa_2048);
    const auto subject =
        run_program({"openssl", "x509", "-noout", "-subject", "-in", file("ca.crt")});
    EXPECT_NE(subject.output.find("CN = Example CA"), std::string::npos) << subject.output;
}

TEST_F(CliPki, RefusesToOverwrite) {
    make_pki();
    const std::string ca_key_before = read_file(file("ca.key"));
    const auto init = run_mqtls({"pki", "init", pki_});
    EXPECT_EQ(init.exit_code, exit_file) << init.output;
    EXPECT_NE(init.output.find(file("ca.key")), std::string::npos) << init.output;
    EXPECT_EQ(read_file(file("ca.key")), ca_key_before);

    const auto server = run_mqtls({"pki", "server", pki_, "--san", "localhost"});
    EXPECT_EQ(server.exit_code, exit_file) << server.output;
    EXPECT_NE(server.output.find("broker.key"), std::string::npos) << server.output;

    const auto device = run_mqtls({"pki", "device", pki_, "device-1"});
    EXPECT_EQ(device.exit_code, exit_file) << device.output;
    EXPECT_NE(device.output.find("device-1.key"), std::string::npos) << device.output;
}

TEST_F(CliPki, RejectsMissingAndMalformedArguments) {
    const std::vector<std::vector<std::string>> bad_calls{
        {"pki"},
        {"pki", "init"},
        {"pki", "server", pki_},  // no --san
        {"pki", "device", pki_},  // no ID
        {"pki", "device", pki_, "../escape"},
        {"pki", "device", pki_, ""},
        {"pki", "device", pki_, "has space"},
        {"pki", "device", pki_, "wild+card"},
        {"pki", "server", pki_, "--san", "localhost", "--name", "a/b"},
    };
    for (const auto& call : bad_calls) {
        const auto result = run_mqtls(call);
        std::string joined;
        for (const auto& argument : call) joined += argument + " ";
        EXPECT_EQ(result.exit_code, exit_usage) << joined << "\n" << result.output;
        EXPECT_FALSE(result.output.empty()) << joined;
    }
    EXPECT_FALSE(exists(pki_ + "/../escape.key"));
}

TEST_F(CliPki, DeviceWithoutCaSaysHowToMakeOne) {
    ASSERT_EQ(::mkdir(pki_.c_str(), 0700), 0);
    const auto device = run_mqtls({"pki", "device", pki_, "device-1"});
    EXPECT_EQ(device.exit_code, exit_file) << device.output;
    EXPECT_NE(device.output.find("mqtls pki init"), std::string::npos) << device.output;
    EXPECT_FALSE(exists(file("device-1.key")));
}

TEST_F(CliPki, HelpForEverySubcommand) {
    for (const auto& call : std::vector<std::vector<std::string>>{{"pki", "--help"},
                                                                  {"pki", "init", "--help"},
                                                                  {"pki", "server", "--help"},
                                                                  {"pki", "device", "--help"},
                                                                  {"broker", "--help"}}) {
        const auto result = run_mqtls(call);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        EXPECT_NE(result.output.find("Usage"), std::string::npos) << result.output;
    }
}

using CliBroker = CliPki;

TEST_F(CliBroker, PrintConfigIsTlsOnlyWithAcl) {
    make_pki();
    const auto result =
        run_mqtls({"broker", "--pki", pki_, "--require-certificate", "--acl-devices", "--collector",
                   "collector", "--port", "18883", "--print-config"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const std::string& config = result.output;
    EXPECT_NE(config.find("listener 18883 127.0.0.1\n"), std::string::npos) << config;
    // Exactly one listener, and it has TLS settings.
    EXPECT_EQ(config.find("listener "), config.rfind("listener ")) << config;
    EXPECT_NE(config.find("certfile " + file("broker.crt")), std::string::npos) << config;
    EXPECT_NE(config.find("keyfile " + file("broker.key")), std::string::npos) << config;
    EXPECT_NE(config.find("cafile " + file("ca.crt")), std::string::npos) << config;
    EXPECT_NE(config.find("tls_version tlsv1.2"), std::string::npos) << config;
    EXPECT_NE(config.find("require_certificate true"), std::string::npos) << config;
    EXPECT_NE(config.find("use_identity_as_username true"), std::string::npos) << config;
    EXPECT_NE(config.find("allow_anonymous false"), std::string::npos) << config;
    EXPECT_EQ(config.find("\nport "), std::string::npos) << config;  // legacy plaintext listener
    EXPECT_NE(config.find("pattern write telemetry/%u/#"), std::string::npos) << config;
    EXPECT_NE(config.find("pattern write status/%u"), std::string::npos) << config;
    EXPECT_NE(config.find("user collector\ntopic read telemetry/#"), std::string::npos) << config;
}

TEST_F(CliBroker, PrintConfigNeverShowsPasswords) {
    make_pki();
    const auto result = run_mqtls(
        {"broker", "--pki", pki_, "--user", "collector:hunter2-secret", "--print-config"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.output.find("hunter2-secret"), std::string::npos);
    EXPECT_NE(result.output.find("password_file "), std::string::npos) << result.output;
}

TEST_F(CliBroker, RejectsBadArguments) {
    make_pki();
    const std::vector<std::vector<std::string>> bad_calls{
        {"broker"},                 // no --pki
        {"broker", "--pki", pki_},  // no authentication
        {"broker", "--pki", pki_, "--user", "nopassword"},
        {"broker", "--pki", pki_, "--user", "a:b", "--require-certificate"},
        {"broker", "--pki", pki_, "--require-certificate", "--port", "70000"},
        {"broker", "--pki", pki_, "--require-certificate", "--collector", "c"},  // needs ACL
    };
    for (const auto& call : bad_calls) {
        const auto result = run_mqtls(call);
        std::string joined;
        for (const auto& argument : call) joined += argument + " ";
        EXPECT_EQ(result.exit_code, exit_usage) << joined << "\n" << result.output;
        EXPECT_FALSE(result.output.empty()) << joined;
    }
}

TEST_F(CliBroker, MutualTlsDevicePublishesOwnTopicAndStopsOnSigterm) {
    make_pki();
    const std::uint16_t port = free_port();
    const std::string output = temp_->file("broker.out");
    ChildProcess broker(mqtls({"broker", "--pki", pki_, "--port", std::to_string(port),
                               "--require-certificate", "--acl-devices"}),
                        output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);

    const auto publish = run_program({"mosquitto_pub", "--cafile", file("ca.crt"), "-h",
                                      "127.0.0.1", "-p", std::to_string(port), "--cert",
                                      file("device-1.crt"), "--key", file("device-1.key"), "-t",
                                      "telemetry/device-1/temperature", "-m", "21.5", "-q", "1"});
    EXPECT_EQ(publish.exit_code, 0) << publish.output << "\n" << read_file(output);

    // Without a client certificate the handshake is refused.
    const auto anonymous =
        run_program({"mosquitto_pub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p",
                     std::to_string(port), "-t", "telemetry/x", "-m", "1"});
    EXPECT_NE(anonymous.exit_code, 0) << anonymous.output;

    broker.terminate();
    const auto status = broker.wait_exit(std::chrono::seconds(5));
    ASSERT_TRUE(status.has_value()) << "mqtls broker did not exit after SIGTERM";
    EXPECT_EQ(*status, 0) << read_file(output);
    EXPECT_FALSE(accepts_tcp(port)) << "mosquitto still listens after mqtls broker exited";
}

TEST_F(CliBroker, AclKeepsDevicesInTheirOwnTopicsAndLetsTheCollectorRead) {
    make_pki();
    const auto collector_certificate = run_mqtls({"pki", "device", pki_, "collector"});
    ASSERT_EQ(collector_certificate.exit_code, 0) << collector_certificate.output;
    const std::uint16_t port = free_port();
    const std::string output = temp_->file("broker.out");
    ChildProcess broker(
        mqtls({"broker", "--pki", pki_, "--port", std::to_string(port), "--require-certificate",
               "--acl-devices", "--collector", "collector"}),
        output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);

    const auto publish_as = [&](const std::string& id, const std::string& topic) {
        return run_program({"mosquitto_pub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p",
                            std::to_string(port), "--cert", file(id + ".crt"), "--key",
                            file(id + ".key"), "-t", topic, "-m", "from " + id, "-q", "1", "-r"});
    };
    // Retained, so the collector sees what got through when it subscribes afterwards. Denied
    // publishes are acknowledged and dropped by Mosquitto, so mosquitto_pub succeeds either way.
    EXPECT_EQ(publish_as("device-1", "telemetry/device-1/temperature").exit_code, 0);
    EXPECT_EQ(publish_as("device-1", "status/device-1").exit_code, 0);
    EXPECT_EQ(publish_as("device-1", "telemetry/other-device/temperature").exit_code, 0);
    EXPECT_EQ(publish_as("device-1", "status/other-device").exit_code, 0);

    const auto received = run_program({"mosquitto_sub", "--cafile", file("ca.crt"), "-h",
                                       "127.0.0.1", "-p", std::to_string(port), "--cert",
                                       file("collector.crt"), "--key", file("collector.key"), "-t",
                                       "telemetry/#", "-t", "status/#", "-v", "-W", "1"});
    EXPECT_NE(received.output.find("telemetry/device-1/temperature from device-1"),
              std::string::npos)
        << received.output;
    EXPECT_NE(received.output.find("status/device-1 from device-1"), std::string::npos)
        << received.output;
    EXPECT_EQ(received.output.find("other-device"), std::string::npos) << received.output;

    broker.terminate();
    EXPECT_TRUE(broker.wait_exit(std::chrono::seconds(5)).has_value());
}

TEST_F(CliBroker, PasswordUserPublishes) {
    make_pki();
    const std::uint16_t port = free_port();
    const std::string output = temp_->file("broker.out");
    const std::string workdir = temp_->file("work");
    ChildProcess broker(mqtls({"broker", "--pki", pki_, "--port", std::to_string(port), "--user",
                               "sensor-7:correct horse", "--acl-devices", "--workdir", workdir}),
                        output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    EXPECT_EQ(permissions(workdir), 0700u);
    EXPECT_EQ(permissions(workdir + "/passwords"), 0600u);
    EXPECT_EQ(read_file(workdir + "/passwords").find("correct horse"), std::string::npos)
        << "the password file must hold hashes only";

    const auto publish =
        run_program({"mosquitto_pub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p",
                     std::to_string(port), "-u", "sensor-7", "-P", "correct horse", "-t",
                     "status/sensor-7", "-m", "online", "-q", "1"});
    EXPECT_EQ(publish.exit_code, 0) << publish.output << "\n" << read_file(output);
    const auto wrong_password = run_program(
        {"mosquitto_pub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p", std::to_string(port),
         "-u", "sensor-7", "-P", "wrong", "-t", "status/sensor-7", "-m", "x"});
    EXPECT_NE(wrong_password.exit_code, 0) << wrong_password.output;

    broker.terminate();
    const auto status = broker.wait_exit(std::chrono::seconds(5));
    ASSERT_TRUE(status.has_value()) << "mqtls broker did not exit after SIGTERM";
    EXPECT_EQ(*status, 0) << read_file(output);
    EXPECT_EQ(read_file(output).find("correct horse"), std::string::npos);
}

TEST_F(CliBroker, TakenPortIsAClearError) {
    make_pki();
    // Hold a listening socket on the port for the whole test.
    const FileDescriptor holder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = loopback(0);
    ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(holder.get(), 1), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(holder.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    const std::string port = std::to_string(ntohs(address.sin_port));

    const auto result =
        run_mqtls({"broker", "--pki", pki_, "--port", port, "--require-certificate"},
                  std::chrono::seconds(10));
    EXPECT_FALSE(result.timed_out) << result.output;
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("port " + port + " on 127.0.0.1 is already in use"),
              std::string::npos)
        << result.output;
}

TEST_F(CliBroker, MissingBrokerCertificateIsAFileError) {
    const auto init = run_mqtls({"pki", "init", pki_});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    const auto result = run_mqtls({"broker", "--pki", pki_, "--require-certificate"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("broker.crt"), std::string::npos) << result.output;
}

TEST_F(CliBroker, MissingMosquittoSaysHowToInstall) {
    make_pki();
    const auto result = run_mqtls({"broker", "--pki", pki_, "--require-certificate", "--mosquitto",
                                   "/nonexistent/mosquitto"});
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("apt-get install mosquitto"), std::string::npos) << result.output;
}

}  // namespace
