// `mqtls broker` against an attacker on the same machine (issue 12): passwords kept out of argv,
// client ids bound to the authenticated identity, user names that cannot bend the ACL, and a
// listener that speaks only AEAD suites of TLS 1.2 and 1.3. Each test runs the built binary and a
// real Mosquitto on a loopback port, with mosquitto_pub/mosquitto_sub and openssl s_client as
// independent clients.
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::count_of;
using mqtls::cli_test::eventually;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::free_port;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_mqtls;
using mqtls::cli_test::write_file;
using mqtls::testing::ProcessResult;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The clients (mosquitto_pub/_sub, openssl s_client) answer within seconds on loopback.
ProcessResult run_program(const std::vector<std::string>& arguments,
                          milliseconds timeout = seconds(15)) {
    return mqtls::cli_test::run_program(arguments, timeout);
}

// What /proc shows other local users (argv) and the owner (environment) of `pid`, NULs as
// spaces.
std::string proc_text(pid_t pid, const char* what) {
    std::string text = read_file("/proc/" + std::to_string(pid) + "/" + what);
    for (char& character : text) {
        if (character == '\0') character = ' ';
    }
    return text;
}

std::vector<pid_t> children_of(pid_t pid) {
    const std::string id = std::to_string(pid);
    std::istringstream list(read_file("/proc/" + id + "/task/" + id + "/children"));
    std::vector<pid_t> children;
    for (pid_t child = 0; list >> child;) children.push_back(child);
    return children;
}

class CliBrokerHardening : public mqtls::cli_test::PkiFolderTest {
protected:
    CliBrokerHardening() : PkiFolderTest("mqtls-broker-hardening-") {}

    // mosquitto_pub with a user name and password, QoS 1.
    ProcessResult publish_with_password(std::uint16_t port, const std::string& user,
                                        const std::string& password, const std::string& topic) {
        return run_program({"mosquitto_pub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p",
                            std::to_string(port), "-u", user, "-P", password, "-t", topic, "-m",
                            "x", "-q", "1"});
    }
};

// ---- item 4: passwords never sit in argv ------------------------------------------------------

TEST_F(CliBrokerHardening, UsersFileKeepsPasswordsOutOfEveryCommandLine) {
    make_pki({});
    const std::string users = path("users");
    write_file(users, "# logins\nsensor-7:file-secret-7\r\n\ncollector:file-secret-c\n", 0600);
    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--users-file", users}), output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);

    const std::string cmdline = proc_text(broker.pid(), "cmdline");
    EXPECT_NE(cmdline.find("--users-file " + users), std::string::npos) << cmdline;
    EXPECT_EQ(cmdline.find("file-secret"), std::string::npos) << cmdline;
    const auto children = children_of(broker.pid());
    ASSERT_FALSE(children.empty()) << "mosquitto should be a child of mqtls broker";
    for (const pid_t child : children) {
        const std::string child_cmdline = proc_text(child, "cmdline");
        EXPECT_EQ(child_cmdline.find("file-secret"), std::string::npos) << child_cmdline;
    }
    // Both logins work (the CRLF line too), a wrong password does not.
    EXPECT_EQ(publish_with_password(port, "sensor-7", "file-secret-7", "t").exit_code, 0);
    EXPECT_EQ(publish_with_password(port, "collector", "file-secret-c", "t").exit_code, 0);
    EXPECT_NE(publish_with_password(port, "sensor-7", "file-secret-c", "t").exit_code, 0);
    EXPECT_EQ(read_file(output).find("warning"), std::string::npos) << read_file(output);
}

TEST_F(CliBrokerHardening, UserFlagWarnsAndIsHiddenFromTheCommandLineOnceParsed) {
    make_pki({});
    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--user", "sensor-7:argv-secret-7",
                                                    "--user=other:argv-secret-o"}),
                        output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    const std::string log = read_file(output);
    EXPECT_NE(log.find("warning: --user puts passwords on the command line, where other local "
                       "users can see argv"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("--users-file"), std::string::npos) << log;
    EXPECT_EQ(log.find("argv-secret"), std::string::npos) << log;

    const std::string cmdline = proc_text(broker.pid(), "cmdline");
    EXPECT_EQ(cmdline.find("argv-secret"), std::string::npos) << cmdline;
    EXPECT_NE(cmdline.find("--user sensor-7:*************"), std::string::npos) << cmdline;
    EXPECT_NE(cmdline.find("--user=other:*************"), std::string::npos) << cmdline;
    EXPECT_EQ(publish_with_password(port, "sensor-7", "argv-secret-7", "t").exit_code, 0);
}

TEST_F(CliBrokerHardening, UsersFileThatOthersMayUseOrThatIsNoFileIsRefused) {
    make_pki({});
    const std::string users = path("users");
    for (const mode_t mode : {0640, 0604, 0620, 0602, 0660}) {
        write_file(users, "sensor-7:mode-secret\n", mode);
        const auto result = run_mqtls({"broker", "--pki", pki_, "--users-file", users});
        EXPECT_EQ(result.exit_code, exit_file) << std::oct << mode << "\n" << result.output;
        EXPECT_NE(result.output.find("the users file " + users +
                                     " holds passwords but other users may read or write it"),
                  std::string::npos)
            << result.output;
        EXPECT_NE(result.output.find("chmod 600"), std::string::npos) << result.output;
        EXPECT_EQ(result.output.find("mode-secret"), std::string::npos) << result.output;
    }
    const std::string fifo = path("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string& not_a_file : {fifo, temp_->path()}) {
        const auto result = run_mqtls({"broker", "--pki", pki_, "--users-file", not_a_file});
        EXPECT_EQ(result.exit_code, exit_file) << result.output;
        EXPECT_NE(result.output.find("is not a regular file"), std::string::npos) << result.output;
    }
    write_file(users, "# only a comment\n", 0600);
    const auto empty = run_mqtls({"broker", "--pki", pki_, "--users-file", users});
    EXPECT_EQ(empty.exit_code, exit_file) << empty.output;
    EXPECT_NE(empty.output.find("holds no NAME:PASSWORD line"), std::string::npos) << empty.output;
}

TEST_F(CliBrokerHardening, UsersFromStandardInput) {
    make_pki({});
    const std::string input = path("input");
    write_file(input, "sensor-7:stdin-secret-7\n", 0600);
    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--users-stdin"}), output, {}, input);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    EXPECT_EQ(proc_text(broker.pid(), "cmdline").find("stdin-secret"), std::string::npos);
    EXPECT_EQ(publish_with_password(port, "sensor-7", "stdin-secret-7", "t").exit_code, 0)
        << read_file(output);
    EXPECT_NE(publish_with_password(port, "sensor-7", "wrong", "t").exit_code, 0);
}

TEST_F(CliBrokerHardening, UsersFromTheEnvironmentAreNotPassedOn) {
    make_pki({});
    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {}), output,
                        {"MQTLS_BROKER_USERS=sensor-7:env-secret-7\nsensor-8:env-secret-8"});
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    // Cleared in mqtls's own environment block, and not inherited by Mosquitto.
    EXPECT_EQ(proc_text(broker.pid(), "environ").find("env-secret"), std::string::npos);
    const auto children = children_of(broker.pid());
    ASSERT_FALSE(children.empty());
    for (const pid_t child : children) {
        EXPECT_EQ(proc_text(child, "environ").find("MQTLS_BROKER_USERS"), std::string::npos);
    }
    EXPECT_EQ(publish_with_password(port, "sensor-7", "env-secret-7", "t").exit_code, 0)
        << read_file(output);
    EXPECT_EQ(publish_with_password(port, "sensor-8", "env-secret-8", "t").exit_code, 0);
}

// ---- item 7: a client id belongs to one identity ---------------------------------------------

struct TakeoverSetup {
    std::vector<std::string> broker_flags;
    std::vector<std::string> device_a_login;   // mqtls node flags
    std::vector<std::string> device_b_login;   // mosquitto_pub flags
    std::vector<std::string> collector_login;  // mosquitto_sub flags
};

// Device B connects three times with device A's client id while A's `mqtls node` publishes and
// the collector reads. A must stay connected (one connection, no reconnect), its readings must
// keep arriving, and B's publishes must count as B's (renamed to B's own id, not refused).
void expect_no_takeover(const TakeoverSetup& setup, const std::string& workdir,
                        const std::string& pki) {
    const std::uint16_t port = free_port();
    const std::string broker_output = workdir + ".out";
    std::vector<std::string> broker_argv{MQTLS_CLI_PATH,       "broker",    "--pki", pki, "--port",
                                         std::to_string(port), "--workdir", workdir};
    broker_argv.insert(broker_argv.end(), setup.broker_flags.begin(), setup.broker_flags.end());
    ChildProcess broker(broker_argv, broker_output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
    const std::string port_text = std::to_string(port);
    const std::string ca = pki + "/ca.crt";

    std::vector<std::string> subscribe{"mosquitto_sub", "--cafile", ca,        "-h",
                                       "127.0.0.1",     "-p",       port_text, "-t",
                                       "telemetry/#",   "-v",       "-W",      "60"};
    subscribe.insert(subscribe.end(), setup.collector_login.begin(), setup.collector_login.end());
    const std::string readings = workdir + "-collector.out";
    ChildProcess collector(subscribe, readings);

    std::vector<std::string> node{MQTLS_CLI_PATH, "node",     "-h",         "localhost",
                                  "-p",           port_text,  "--cafile",   ca,
                                  "--device",     "device-a", "--interval", "0.2",
                                  "--retry-base", "1"};
    node.insert(node.end(), setup.device_a_login.begin(), setup.device_a_login.end());
    const std::string node_output = workdir + "-node.out";
    ChildProcess device_a(node, node_output);
    ASSERT_TRUE(eventually(
        [&] { return read_file(readings).find("telemetry/device-a") != std::string::npos; },
        seconds(15)))
        << "the collector got no reading from device-a\n"
        << read_file(readings) << read_file(node_output) << read_file(broker_output);

    for (int attempt = 1; attempt <= 3; ++attempt) {
        std::vector<std::string> hijack{"mosquitto_pub",
                                        "--cafile",
                                        ca,
                                        "-h",
                                        "127.0.0.1",
                                        "-p",
                                        port_text,
                                        "-i",
                                        "device-a",
                                        "-q",
                                        "1",
                                        "-t",
                                        "telemetry/device-b/attempt",
                                        "-m",
                                        "attempt-" + std::to_string(attempt)};
        hijack.insert(hijack.end(), setup.device_b_login.begin(), setup.device_b_login.end());
        const auto sent = run_program(hijack);
        // Accepted under B's own identity: a client sending another's id is renamed, not refused.
        EXPECT_EQ(sent.exit_code, 0) << sent.output;
        std::this_thread::sleep_for(milliseconds(300));
    }
    const std::size_t readings_before = count_of(read_file(readings), "telemetry/device-a");
    EXPECT_TRUE(eventually(
        [&] { return count_of(read_file(readings), "telemetry/device-a") >= readings_before + 5; },
        seconds(10)))
        << "device-a's readings stopped arriving after device-b used its client id\n"
        << read_file(readings);

    device_a.terminate();
    ASSERT_TRUE(device_a.wait_exit(seconds(10)).has_value());
    const std::string node_log = read_file(node_output);
    EXPECT_EQ(count_of(node_log, "connected to "), 1u) << node_log;
    EXPECT_EQ(node_log.find("connection lost"), std::string::npos) << node_log;
    EXPECT_NE(node_log.find(" 0 reconnect(s)"), std::string::npos) << node_log;

    const std::string broker_log = read_file(workdir + "/mosquitto.log");
    EXPECT_EQ(broker_log.find("already connected, closing old connection"), std::string::npos)
        << broker_log;
    EXPECT_EQ(count_of(broker_log, " as device-b ("), 3u) << broker_log;
    const std::string collected = read_file(readings);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        EXPECT_NE(collected.find("telemetry/device-b/attempt attempt-" + std::to_string(attempt)),
                  std::string::npos)
            << collected;
    }
}

TEST_F(CliBrokerHardening, ClientIdOfAnotherDeviceCannotDisconnectItWithCertificates) {
    make_pki({"device-a", "device-b", "collector"});
    TakeoverSetup setup;
    setup.broker_flags = {"--require-certificate", "--acl-devices", "--collector", "collector"};
    setup.device_a_login = {"--cert", file("device-a.crt"), "--key", file("device-a.key")};
    setup.device_b_login = {"--cert", file("device-b.crt"), "--key", file("device-b.key")};
    setup.collector_login = {"--cert", file("collector.crt"), "--key", file("collector.key")};
    expect_no_takeover(setup, path("work"), pki_);
}

TEST_F(CliBrokerHardening, ClientIdOfAnotherDeviceCannotDisconnectItWithPasswords) {
    make_pki({});
    const std::string users = path("users");
    write_file(users, "device-a:pw-device-a\ndevice-b:pw-device-b\ncollector:pw-collector\n", 0600);
    const std::string device_a_password = path("device-a.pw");
    write_file(device_a_password, "pw-device-a\n", 0600);
    TakeoverSetup setup;
    setup.broker_flags = {"--users-file", users, "--acl-devices", "--collector", "collector"};
    setup.device_a_login = {"-u", "device-a", "--pw-file", device_a_password};
    setup.device_b_login = {"-u", "device-b", "-P", "pw-device-b"};
    setup.collector_login = {"-u", "collector", "-P", "pw-collector"};
    expect_no_takeover(setup, path("work"), pki_);
}

// ---- item 8: user names cannot widen an ACL pattern ------------------------------------------

TEST_F(CliBrokerHardening, UserNamesThatWouldChangeAclPatternsAreRefused) {
    make_pki({});
    const std::vector<std::string> bad_names{
        "a/b", "a+", "a#", "%u", "has space", "tab\tname", "nul\x7f", std::string(65, 'x')};
    const std::string users = path("users");
    for (const std::string& name : bad_names) {
        const auto by_flag = run_mqtls({"broker", "--pki", pki_, "--acl-devices", "--user",
                                        name + ":name-secret", "--print-config"});
        EXPECT_EQ(by_flag.exit_code, exit_usage) << name << "\n" << by_flag.output;
        EXPECT_EQ(by_flag.output.find("name-secret"), std::string::npos) << by_flag.output;
        EXPECT_EQ(by_flag.output.find("pattern write"), std::string::npos) << by_flag.output;

        write_file(users, "good-1:pw-one\n" + name + ":name-secret\n", 0600);
        const auto by_file = run_mqtls(
            {"broker", "--pki", pki_, "--acl-devices", "--users-file", users, "--print-config"});
        EXPECT_EQ(by_file.exit_code, exit_file) << name << "\n" << by_file.output;
        EXPECT_NE(by_file.output.find("line 2 of " + users), std::string::npos) << by_file.output;
        EXPECT_EQ(by_file.output.find("name-secret"), std::string::npos) << by_file.output;
    }
    // The message names the user (a name is not a secret) and the rule.
    const auto slash = run_mqtls({"broker", "--pki", pki_, "--user", "a/b:pw", "--print-config"});
    EXPECT_NE(slash.output.find("the user name 'a/b' is not allowed"), std::string::npos)
        << slash.output;
    EXPECT_NE(slash.output.find("A-Z a-z 0-9 . _ -"), std::string::npos) << slash.output;
    const auto empty = run_mqtls({"broker", "--pki", pki_, "--user", ":pw", "--print-config"});
    EXPECT_EQ(empty.exit_code, exit_usage) << empty.output;

    for (const std::string collector : {"a/b", "#", "all+"}) {
        const auto result =
            run_mqtls({"broker", "--pki", pki_, "--require-certificate", "--acl-devices",
                       "--collector", collector, "--print-config"});
        EXPECT_EQ(result.exit_code, exit_usage) << collector << "\n" << result.output;
        EXPECT_NE(result.output.find("the --collector name '" + collector + "' is not allowed"),
                  std::string::npos)
            << result.output;
    }
    // A valid name is still accepted: the rule is the device-id rule, no stricter.
    const auto good = run_mqtls(
        {"broker", "--pki", pki_, "--acl-devices", "--user", "Sensor_7.a-b:pw", "--print-config"});
    EXPECT_EQ(good.exit_code, 0) << good.output;
}

TEST_F(CliBrokerHardening, PasswordFileWithASlashNameIsRefusedUnderTheAcl) {
    make_pki({});
    const std::string passwords = path("mosquitto.passwd");
    const auto made = run_program({"mosquitto_passwd", "-c", "-b", passwords, "a/b", "pw"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    const auto result = run_mqtls(
        {"broker", "--pki", pki_, "--acl-devices", "--password-file", passwords, "--print-config"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("line 1 of the password file " + passwords +
                                 ": the user name 'a/b' is not allowed with --acl-devices"),
              std::string::npos)
        << result.output;
}

// ---- item 9: AEAD suites of TLS 1.2 and 1.3 only ---------------------------------------------

// openssl s_client against the broker; `flags` choose the version and suites. "@SECLEVEL=0" in a
// TLS 1.2 cipher list keeps OpenSSL's own client policy from refusing first, so every refusal
// seen here is the broker's.
ProcessResult handshake(std::uint16_t port, const std::string& ca,
                        const std::vector<std::string>& flags) {
    std::vector<std::string> argv{
        "openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
        "-CAfile", ca,         "-brief"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return run_program(argv, seconds(10));
}

void expect_accepted(std::uint16_t port, const std::string& ca,
                     const std::vector<std::string>& flags, const std::string& protocol,
                     const std::string& suite) {
    const auto result = handshake(port, ca, flags);
    EXPECT_EQ(result.exit_code, 0) << suite << "\n" << result.output;
    EXPECT_NE(result.output.find("Protocol version: " + protocol), std::string::npos)
        << suite << "\n"
        << result.output;
    EXPECT_NE(result.output.find("Ciphersuite: " + suite), std::string::npos) << result.output;
}

// `alert` is what the broker sends: "handshake failure" (no shared suite) or "protocol version".
void expect_refused(std::uint16_t port, const std::string& ca,
                    const std::vector<std::string>& flags, const std::string& alert) {
    const auto result = handshake(port, ca, flags);
    std::string joined;
    for (const auto& flag : flags) joined += flag + " ";
    EXPECT_NE(result.exit_code, 0) << joined << "\n" << result.output;
    EXPECT_NE(result.output.find("alert " + alert), std::string::npos) << joined << "\n"
                                                                       << result.output;
    EXPECT_EQ(result.output.find("Ciphersuite:"), std::string::npos) << result.output;
}

TEST_F(CliBrokerHardening, EcdsaListenerSpeaksOnlyAeadSuitesOfTls12And13) {
    make_pki({});
    const std::string users = path("users");
    write_file(users, "sensor-7:pw\n", 0600);
    const auto config =
        run_mqtls({"broker", "--pki", pki_, "--users-file", users, "--print-config"});
    ASSERT_EQ(config.exit_code, 0) << config.output;
    EXPECT_NE(config.output.find("\ntls_version tlsv1.2\n"), std::string::npos) << config.output;
    EXPECT_NE(
        config.output.find("\nciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-"
                           "SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-"
                           "SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305\n"),
        std::string::npos)
        << config.output;
    EXPECT_NE(config.output.find("\nciphers_tls1.3 TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                                 "TLS_CHACHA20_POLY1305_SHA256\n"),
              std::string::npos)
        << config.output;
    EXPECT_NE(config.output.find("TLS 1.2 and TLS 1.3"), std::string::npos) << config.output;

    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--users-file", users}), output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    const std::string ca = file("ca.crt");

    for (const char* suite : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                              "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        expect_accepted(port, ca, {"-tls1_2", "-cipher", suite}, "TLSv1.2", suite);
    }
    // CBC with SHA-1 and with SHA-384 MACs: offered alone, the broker shares no suite.
    for (const char* suite : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                              "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"}) {
        expect_refused(port, ca, {"-tls1_2", "-cipher", std::string(suite) + ":@SECLEVEL=0"},
                       "handshake failure");
    }
    // Older protocols: the client offers them (SECLEVEL 0 allows it), the broker refuses them.
    for (const char* version : {"-tls1_1", "-tls1"}) {
        expect_refused(port, ca, {version, "-cipher", "DEFAULT:@SECLEVEL=0"}, "protocol version");
    }
    for (const char* suite :
         {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
        expect_accepted(port, ca, {"-tls1_3", "-ciphersuites", suite}, "TLSv1.3", suite);
    }
    expect_refused(port, ca, {"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"},
                   "handshake failure");
    // mqtls's own client still connects (it offers TLS 1.2 ECDHE AEAD suites only).
    const auto publish =
        run_mqtls({"pub", "-h", "127.0.0.1", "-p", std::to_string(port), "--cafile", ca, "-u",
                   "sensor-7", "-P", "pw", "-t", "t", "-m", "m", "-q", "1"});
    EXPECT_EQ(publish.exit_code, 0) << publish.output << read_file(output);
}

TEST_F(CliBrokerHardening, RsaListenerRefusesRsaAndDheKeyExchangeAndCbc) {
    make_pki({}, mqtls::cli_test::PkiKeys::rsa);
    const std::string users = path("users");
    write_file(users, "sensor-7:pw\n", 0600);
    const std::uint16_t port = free_port();
    const std::string output = path("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--users-file", users}), output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(output);
    const std::string ca = file("ca.crt");

    for (const char* suite : {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                              "ECDHE-RSA-CHACHA20-POLY1305"}) {
        expect_accepted(port, ca, {"-tls1_2", "-cipher", suite}, "TLSv1.2", suite);
    }
    // Without ECDHE: RSA key exchange (no forward secrecy) and finite-field DHE, even with
    // AES-GCM; and ECDHE with CBC.
    for (const char* suite :
         {"AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "DHE-RSA-AES128-GCM-SHA256",
          "DHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"}) {
        expect_refused(port, ca, {"-tls1_2", "-cipher", std::string(suite) + ":@SECLEVEL=0"},
                       "handshake failure");
    }
}

}  // namespace
