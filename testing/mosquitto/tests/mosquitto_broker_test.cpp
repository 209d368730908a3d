// Tests of the Mosquitto fixture: a real broker on a loopback port, exercised with the stock
// mosquitto_pub and mosquitto_sub clients and a raw TCP socket.
#include "mqtls/testing/mosquitto_broker.hpp"

#include "mqtls/pki/files.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

namespace mqtls::testing {
namespace {

using std::chrono::milliseconds;

constexpr auto client_timeout = milliseconds(10000);

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

bool tcp_connects(std::uint16_t port) {
    const FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in address = loopback(port);
    return socket.get() >= 0 && ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address),
                                          sizeof address) == 0;
}

bool ipv6_loopback_available() {
    const FileDescriptor socket(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
        return false;
    }
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    return ::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

std::unique_ptr<MosquittoBroker> start_or_fail(const BrokerOptions& options) {
    std::string diagnostics;
    auto broker = MosquittoBroker::start(options, &diagnostics);
    if (!broker) {
        ADD_FAILURE() << "broker did not start: " << name(broker.error().code) << " detail "
                      << broker.error().detail << "\n"
                      << diagnostics;
        return nullptr;
    }
    return std::move(*broker);
}

// mosquitto_pub over TLS to the broker, QoS 1, with `extra` arguments; the result of the run.
ProcessResult publish(const MosquittoBroker& broker, std::initializer_list<std::string> extra,
                      const std::string& host = "127.0.0.1") {
    std::vector<std::string> argv{"mosquitto_pub",
                                  "--cafile",
                                  broker.ca_file(),
                                  "-h",
                                  host,
                                  "-p",
                                  std::to_string(broker.tls_port()),
                                  "-q",
                                  "1"};
    argv.insert(argv.end(), extra);
    auto run = run_process(argv, client_timeout);
    if (!run) {
        ADD_FAILURE() << "mosquitto_pub could not be run: " << name(run.error().code);
        return {};
    }
    return std::move(*run);
}

BrokerOptions password_options() {
    BrokerOptions options;
    options.users = {{"device-1", "s3cret-1"}, {"reader", "s3cret-2"}};
    return options;
}

TEST(MosquittoFixture, AcceptsTlsWithTheRightPasswordOnly) {
    const auto broker = start_or_fail(password_options());
    ASSERT_NE(broker, nullptr);
    EXPECT_GT(broker->tls_port(), 0);
    EXPECT_TRUE(process_alive(broker->pid()));
    EXPECT_NE(broker->ca_pem().find("BEGIN CERTIFICATE"), std::string::npos);

    const auto good = publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-t", "t", "-m", "m"});
    EXPECT_EQ(good.exit_code, 0) << good.output << broker->log();
    const auto second = publish(*broker, {"-u", "reader", "-P", "s3cret-2", "-t", "t", "-m", "m"});
    EXPECT_EQ(second.exit_code, 0) << second.output << broker->log();

    const auto wrong = publish(*broker, {"-u", "device-1", "-P", "wrong", "-t", "t", "-m", "m"});
    EXPECT_NE(wrong.exit_code, 0) << wrong.output;
    EXPECT_FALSE(wrong.timed_out);
    const auto anonymous = publish(*broker, {"-t", "t", "-m", "m"});
    EXPECT_NE(anonymous.exit_code, 0) << anonymous.output;

    const std::string log = broker->log();
    EXPECT_NE(log.find("u'device-1'"), std::string::npos) << log;
    EXPECT_NE(log.find("not authorised"), std::string::npos) << log;
}

TEST(MosquittoFixture, RefusesPlaintextMqtt) {
    const auto broker = start_or_fail(password_options());
    ASSERT_NE(broker, nullptr);

    const FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_GE(socket.get(), 0);
    const sockaddr_in address = loopback(broker->tls_port());
    ASSERT_EQ(::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
              0);
    // CONNECT, MQTT 3.1.1, clean session, keepalive 60, empty client id.
    const std::array<unsigned char, 14> connect{0x10, 0x0c, 0x00, 0x04, 'M',  'Q',  'T',
                                                'T',  0x04, 0x02, 0x00, 0x3c, 0x00, 0x00};
    ASSERT_EQ(::send(socket.get(), connect.data(), connect.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(connect.size()));

    std::vector<unsigned char> received;
    bool closed = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int round = 0; round < 100 && !closed && std::chrono::steady_clock::now() < deadline;
         ++round) {
        pollfd entry{socket.get(), POLLIN, 0};
        if (::poll(&entry, 1, 50) <= 0) {
            continue;
        }
        std::array<unsigned char, 256> buffer{};
        const ssize_t got = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
        if (got <= 0) {
            closed = true;  // end of stream or reset
        } else {
            received.insert(received.end(), buffer.begin(), buffer.begin() + got);
        }
    }
    EXPECT_TRUE(closed) << "the broker kept a plaintext connection open";
    // No CONNACK (0x20 0x02 ...): whatever came back, if anything, is not MQTT.
    EXPECT_TRUE(received.empty() || received[0] != 0x20) << "got a CONNACK over plaintext";
    const std::string log = broker->log();
    EXPECT_EQ(log.find("Sending CONNACK"), std::string::npos) << log;
}

TEST(MosquittoFixture, AnonymousBrokerStillNeedsTls) {
    const auto broker = start_or_fail(BrokerOptions{});
    ASSERT_NE(broker, nullptr);
    const auto run = publish(*broker, {"-t", "t", "-m", "m"});
    EXPECT_EQ(run.exit_code, 0) << run.output << broker->log();

    // The same client without --cafile does not trust the generated CA.
    auto untrusted = run_process({"mosquitto_pub", "--capath", "/etc/ssl/certs", "-h", "127.0.0.1",
                                  "-p", std::to_string(broker->tls_port()), "-t", "t", "-m", "m"},
                                 client_timeout);
    ASSERT_TRUE(untrusted);
    EXPECT_NE(untrusted->exit_code, 0) << untrusted->output;
}

TEST(MosquittoFixture, MutualTlsNeedsACertificateFromTheBrokerCa) {
    BrokerOptions options;
    options.require_certificate = true;
    options.acl = "user device-7\ntopic write telemetry/device-7/#\n";
    const auto broker = start_or_fail(options);
    ASSERT_NE(broker, nullptr);

    auto client = broker->write_client_certificate("device-7");
    ASSERT_TRUE(client);
    const auto with_certificate =
        publish(*broker, {"--cert", client->certificate_path, "--key", client->key_path, "-t",
                          "telemetry/device-7/temp", "-m", "21.5"});
    EXPECT_EQ(with_certificate.exit_code, 0) << with_certificate.output << broker->log();

    const auto without = publish(*broker, {"-t", "telemetry/device-7/temp", "-m", "21.5"});
    EXPECT_NE(without.exit_code, 0) << without.output;

    // A certificate from another CA is refused as well.
    auto other_ca = pki::make_self_signed(pki::ca_request("other CA"));
    ASSERT_TRUE(other_ca);
    auto foreign = pki::issue(pki::client_request("device-7"), *other_ca);
    ASSERT_TRUE(foreign);
    const std::string foreign_cert = broker->dir() + "/foreign.crt";
    const std::string foreign_key = broker->dir() + "/foreign.key";
    ASSERT_TRUE(pki::write_public_file(foreign_cert, foreign->certificate_pem));
    ASSERT_TRUE(pki::write_private_key_file(foreign_key, foreign->private_key_pem));
    const auto forged = publish(*broker, {"--cert", foreign_cert, "--key", foreign_key, "-t",
                                          "telemetry/device-7/temp", "-m", "21.5"});
    EXPECT_NE(forged.exit_code, 0) << forged.output;

    // The certificate's CN is the user name the ACL sees.
    EXPECT_NE(broker->log().find("u'device-7'"), std::string::npos) << broker->log();
}

TEST(MosquittoFixture, AclLimitsWhatAUserMayPublish) {
    BrokerOptions options = password_options();
    options.acl =
        "user device-1\ntopic write telemetry/device-1/#\n\n"
        "user reader\ntopic read telemetry/#\n";
    const auto broker = start_or_fail(options);
    ASSERT_NE(broker, nullptr);

    const auto allowed = publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-r", "-t",
                                           "telemetry/device-1/temp", "-m", "allowed"});
    EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
    const auto denied = publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-r", "-t",
                                          "telemetry/device-2/temp", "-m", "denied"});
    EXPECT_EQ(denied.exit_code, 0) << denied.output;  // MQTT 3.1.1 drops it silently

    auto received = run_process({"mosquitto_sub", "--cafile", broker->ca_file(), "-h", "127.0.0.1",
                                 "-p", std::to_string(broker->tls_port()), "-u", "reader", "-P",
                                 "s3cret-2", "-t", "telemetry/device-1/temp", "-C", "1", "-W", "5"},
                                client_timeout);
    ASSERT_TRUE(received);
    EXPECT_EQ(received->exit_code, 0) << received->output << broker->log();
    EXPECT_EQ(received->output, "allowed\n");
    EXPECT_NE(broker->log().find("Denied PUBLISH from"), std::string::npos) << broker->log();
}

TEST(MosquittoFixture, StopEndsTheProcess) {
    const auto broker = start_or_fail(password_options());
    ASSERT_NE(broker, nullptr);
    const pid_t pid = broker->pid();
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(process_alive(pid));

    EXPECT_TRUE(broker->stop());
    EXPECT_FALSE(process_alive(pid));
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
    EXPECT_EQ(broker->pid(), -1);
    EXPECT_FALSE(broker->running());
    EXPECT_FALSE(tcp_connects(broker->tls_port()));
    EXPECT_TRUE(broker->stop());  // stopping twice is harmless
}

TEST(MosquittoFixture, RestartComesBackOnTheSamePort) {
    BrokerOptions options = password_options();
    options.persistence = true;
    const auto broker = start_or_fail(options);
    ASSERT_NE(broker, nullptr);
    const std::uint16_t port = broker->tls_port();
    const pid_t first = broker->pid();
    const auto retained = publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-r", "-t",
                                            "telemetry/device-1/state", "-m", "kept"});
    ASSERT_EQ(retained.exit_code, 0) << retained.output;

    std::string diagnostics;
    ASSERT_TRUE(broker->restart(&diagnostics)) << diagnostics;
    EXPECT_EQ(broker->tls_port(), port);
    EXPECT_NE(broker->pid(), first);
    EXPECT_FALSE(process_alive(first));
    EXPECT_TRUE(process_alive(broker->pid()));

    // Listening right away, same credentials, and the retained message survived (persistence).
    const auto after = publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-t", "t", "-m", "m"});
    EXPECT_EQ(after.exit_code, 0) << after.output << broker->log();
    auto kept = run_process({"mosquitto_sub", "--cafile", broker->ca_file(), "-h", "127.0.0.1",
                             "-p", std::to_string(port), "-u", "reader", "-P", "s3cret-2", "-t",
                             "telemetry/device-1/state", "-C", "1", "-W", "5"},
                            client_timeout);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->output, "kept\n") << broker->log();

    // After a stop, restart() starts it again too.
    ASSERT_TRUE(broker->stop());
    ASSERT_TRUE(broker->restart(&diagnostics)) << diagnostics;
    EXPECT_EQ(broker->tls_port(), port);
    EXPECT_TRUE(tcp_connects(port));
}

TEST(MosquittoFixture, RestartFailsWhileAnotherProgramHoldsThePort) {
    const auto broker = start_or_fail(BrokerOptions{});
    ASSERT_NE(broker, nullptr);
    ASSERT_TRUE(broker->stop());

    {
        const FileDescriptor squatter(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_GE(squatter.get(), 0);
        const sockaddr_in address = loopback(broker->tls_port());
        ASSERT_EQ(
            ::bind(squatter.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(::listen(squatter.get(), 1), 0);
        std::string diagnostics;
        const auto restarted = broker->restart(&diagnostics);
        ASSERT_FALSE(restarted);
        EXPECT_EQ(restarted.error().code, Errc::connection_refused);
        EXPECT_NE(diagnostics.find("Address already in use"), std::string::npos) << diagnostics;
        EXPECT_EQ(broker->pid(), -1);
    }
    std::string diagnostics;
    EXPECT_TRUE(broker->restart(&diagnostics)) << diagnostics;
}

TEST(MosquittoFixture, DestructorLeavesNoProcessAndNoDirectory) {
    pid_t pid = -1;
    std::string dir;
    {
        const auto broker = start_or_fail(password_options());
        ASSERT_NE(broker, nullptr);
        pid = broker->pid();
        dir = broker->dir();
        ASSERT_TRUE(process_alive(pid));
        ASSERT_TRUE(std::filesystem::exists(dir + "/server.key"));
        EXPECT_EQ(std::filesystem::status(dir + "/server.key").permissions(),
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
    EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(MosquittoFixture, BrokerDiesWithTheProcessThatStartedIt) {
    auto helper = run_process({MQTLS_ORPHAN_HELPER}, client_timeout);
    ASSERT_TRUE(helper);
    ASSERT_EQ(helper->exit_code, 0) << helper->output;
    int pid = -1;
    std::array<char, 256> dir{};
    ASSERT_EQ(std::sscanf(helper->output.c_str(), "pid %d\ndir %255s", &pid, dir.data()), 2)
        << helper->output;
    ASSERT_GT(pid, 0);
    const std::string directory = dir.data();
    ASSERT_EQ(directory.rfind("/tmp/mqtls-mosquitto-", 0), 0U) << directory;

    // The helper exited without stopping it: the death signal ends the broker.
    bool gone = false;
    for (int round = 0; round < 150 && !gone; ++round) {
        gone = !process_alive(pid);
        if (!gone) {
            std::this_thread::sleep_for(milliseconds(20));
        }
    }
    EXPECT_TRUE(gone) << "mosquitto " << pid << " outlived the process that started it";
    if (!gone) {
        ::kill(pid, SIGKILL);
    }
    std::filesystem::remove_all(directory);
}

TEST(MosquittoFixture, BadConfigurationFailsWithTheLog) {
    BrokerOptions options;
    options.extra_config = "no_such_mosquitto_option 1\n";
    std::string diagnostics;
    ::testing::internal::CaptureStderr();
    auto broker = MosquittoBroker::start(options, &diagnostics);
    const std::string printed = ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(broker);
    EXPECT_EQ(broker.error().code, Errc::connection_refused);
    EXPECT_EQ(broker.error().detail, 3);  // mosquitto's exit status for a configuration error
    EXPECT_NE(diagnostics.find("no_such_mosquitto_option"), std::string::npos) << diagnostics;
    EXPECT_EQ(printed, diagnostics);
}

TEST(MosquittoFixture, RefusesUserNamesMosquittoCannotStore) {
    BrokerOptions options;
    options.users = {{"a:b", "pw"}};
    auto broker = MosquittoBroker::start(options);
    ASSERT_FALSE(broker);
    EXPECT_EQ(broker.error().code, Errc::invalid_argument);
}

// `openssl s_client` offering only `cipher` (TLS 1.2); @SECLEVEL=0 so that OpenSSL's own client
// policy never refuses first: a refusal is then the broker's.
ProcessResult tls12_handshake(const MosquittoBroker& broker, const std::string& cipher) {
    auto run = run_process(
        {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(broker.tls_port()),
         "-CAfile", broker.ca_file(), "-brief", "-tls1_2", "-cipher", cipher + ":@SECLEVEL=0"},
        client_timeout);
    EXPECT_TRUE(run) << "could not run openssl";
    return run ? *run : ProcessResult{};
}

TEST(MosquittoFixture, ListenerAllowsOnlyEcdheAeadSuites) {
    const auto broker = start_or_fail(BrokerOptions{});
    ASSERT_NE(broker, nullptr);
    const auto aead = tls12_handshake(*broker, "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(aead.exit_code, 0) << aead.output << broker->log();
    EXPECT_NE(aead.output.find("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos)
        << aead.output;
    for (const char* cbc : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"}) {
        const auto refused = tls12_handshake(*broker, cbc);
        EXPECT_NE(refused.exit_code, 0) << cbc << "\n" << refused.output;
        EXPECT_NE(refused.output.find("alert handshake failure"), std::string::npos)
            << cbc << "\n"
            << refused.output;
    }
}

TEST(MosquittoFixture, CanAlsoListenOnIpv6Loopback) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "no ::1 on this machine";
    }
    BrokerOptions options = password_options();
    options.listen_ipv6 = true;
    const auto broker = start_or_fail(options);
    ASSERT_NE(broker, nullptr);
    const auto run =
        publish(*broker, {"-u", "device-1", "-P", "s3cret-1", "-t", "t", "-m", "m"}, "::1");
    EXPECT_EQ(run.exit_code, 0) << run.output << broker->log();
}

}  // namespace
}  // namespace mqtls::testing
