// What a mosquitto_pub/_sub user types into mqtls: parse errors that name the option at fault
// but never echo a value, the answers to mosquitto flags mqtls does not take, the connection
// flags shared with mosquitto (-I, -c, --capath, --tls-use-os-certs, --tls-version, -V, -x,
// the will), CONNACK refusals in words, and a missing client certificate reported as a refusal
// (exit 6) that `node` does not retry. Each runs the built binary; broker tests use a real
// Mosquitto on loopback, and compare with mosquitto_sub on the same broker where it applies.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "mqtls/testing/spawn.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::broker_connection;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_refused;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::mosquitto_command;
using mqtls::cli_test::mqtls;
using mqtls::cli_test::mqtls_command;
using mqtls::cli_test::run_program;
using mqtls::cli_test::start_broker;
using mqtls::cli_test::wait_for_log;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

constexpr const char* device_password = "compat-device-password";
constexpr const char* collector_password = "compat-collector-password";

std::unique_ptr<MosquittoBroker> start_password_broker() {
    mqtls::testing::BrokerOptions options;
    options.users = {{"device-1", device_password}, {"collector", collector_password}};
    return start_broker(options);
}

// ---- parse errors ----------------------------------------------------------------------------

TEST(CliCompatParse, CombinedShortFlagNeverEchoesTheSecret) {
    // -dP takes "first" as the password; the second word is left over. The old message quoted
    // it: "The following argument was not expected: SECRET".
    const ProcessResult result =
        run_program(mqtls({"pub", "-t", "x", "-m", "hi", "-dP", "first", "SECRET-WORD"}));
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    EXPECT_EQ(result.output.find("SECRET-WORD"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("first"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("unexpected argument at position 8"), std::string::npos)
        << result.output;
}

TEST(CliCompatParse, UnknownOptionsAreNamedInOrderEvenWithAPassword) {
    const ProcessResult result =
        run_program(mqtls({"pub", "-u", "alice", "-P", "pa55word", "-t", "t/a", "-m", "hi",
                           "--aaa-first", "--zzz-second"}));
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    const std::size_t first = result.output.find("unknown option --aaa-first");
    const std::size_t second = result.output.find("unknown option --zzz-second");
    ASSERT_NE(first, std::string::npos) << result.output;
    ASSERT_NE(second, std::string::npos) << result.output;
    EXPECT_LT(first, second) << "in command-line order";
    EXPECT_EQ(result.output.find("pa55word"), std::string::npos) << result.output;
}

TEST(CliCompatParse, ValueOfAnUnknownLongOptionIsNotShown) {
    const ProcessResult result =
        run_program(mqtls({"pub", "-t", "x", "-m", "y", "--pasword=hunter2"}));
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    EXPECT_NE(result.output.find("unknown option --pasword"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("hunter2"), std::string::npos) << result.output;
}

TEST(CliCompatParse, InsecureIsAnsweredWithWhyAndWhatToDo) {
    const ProcessResult result = run_program(mqtls({"sub", "-t", "x", "--insecure"}));
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    EXPECT_NE(result.output.find("--insecure is not an option of mqtls sub"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("always verifies"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("--cafile"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("--pin-sha256"), std::string::npos) << result.output;
}

TEST(CliCompatParse, MosquittoFlagsOfTheOtherCommandPointThere) {
    const ProcessResult on_pub = run_program(mqtls({"pub", "-t", "x", "-m", "y", "-R"}));
    EXPECT_EQ(on_pub.exit_code, exit_usage);
    EXPECT_NE(on_pub.output.find("option of mqtls sub"), std::string::npos) << on_pub.output;
    const ProcessResult psk = run_program(mqtls({"pub", "-t", "x", "-m", "y", "--psk", "00ff"}));
    EXPECT_EQ(psk.exit_code, exit_usage);
    EXPECT_NE(psk.output.find("TLS-PSK is not supported"), std::string::npos) << psk.output;
    EXPECT_EQ(psk.output.find("00ff"), std::string::npos) << psk.output;
}

TEST(CliCompatParse, BadValueNamesTheOptionAndWhatItExpects) {
    const ProcessResult result = run_program(mqtls({"pub", "-p", "99999", "-t", "x", "-m", "y"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    EXPECT_NE(result.output.find("--port"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("65535"), std::string::npos) << "the range" << result.output;
}

TEST(CliCompatParse, BadValueOfASecretOptionIsNotShown) {
    // --url carries a password; a value CLI11 cannot take for it is named, never quoted.
    const ProcessResult result = run_program(mqtls({"broker", "--pki", "/nonexistent", "--user"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    const ProcessResult pw =
        run_program(mqtls({"pub", "-t", "x", "-m", "y", "--pw", "s3cr3t", "--pw", "again-s3cr3t"}));
    EXPECT_EQ(pw.exit_code, exit_usage) << pw.output;
    EXPECT_EQ(pw.output.find("s3cr3t"), std::string::npos) << pw.output;
}

TEST(CliCompatParse, HostWithoutValueSaysHelpIsLong) {
    const ProcessResult result = run_program(mqtls({"pub", "-h"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    EXPECT_NE(result.output.find("help is --help"), std::string::npos) << result.output;
}

TEST(CliCompatParse, MisspeltConfigKeyGetsASuggestion) {
    auto dir = mqtls::testing::TempDir::create("mqtls-compat-");
    ASSERT_TRUE(dir);
    const std::string config = dir->file("pub.toml");
    std::ofstream(config) << "[pub]\nhots = \"localhost\"\n";
    const ProcessResult result =
        run_program(mqtls({"pub", "--config", config, "-t", "x", "-m", "y"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    EXPECT_NE(result.output.find("unknown option 'hots' in [pub]"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("did you mean host?"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("INI"), std::string::npos) << "the user wrote TOML";
}

TEST(CliCompatParse, VersionNamesTheTlsLibrary) {
    const ProcessResult result = run_program(mqtls({"--version"}));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(std::regex_search(result.output, std::regex(R"(^mqtls \d+\.\d+\.\d+ \()")))
        << result.output;
    EXPECT_NE(result.output.find("Mbed TLS 3.6."), std::string::npos) << result.output;
}

// ---- protocol and TLS versions -----------------------------------------------------------

TEST(CliCompatVersions, MqttAndTlsVersionsAsMosquittoSpellsThem) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const auto pub = [&](const std::vector<std::string>& extra) {
        return run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                                  concat({"-t", "t/v", "-m", "v"}, extra)));
    };
    EXPECT_EQ(pub({"-V", "mqttv311"}).exit_code, 0);
    EXPECT_EQ(pub({"--tls-version", "tlsv1.2"}).exit_code, 0);
    EXPECT_EQ(pub({"-V", "311"}).exit_code, 0);
    const ProcessResult v5 = pub({"-V", "mqttv5", "-q", "1"});
    EXPECT_EQ(v5.exit_code, 0) << v5.output;
    EXPECT_EQ(pub({"-V", "5", "-q", "2"}).exit_code, 0);
    const ProcessResult expiry = pub({"-x", "60"});
    EXPECT_EQ(expiry.exit_code, exit_usage);
    EXPECT_NE(expiry.output.find("add -V 5"), std::string::npos) << expiry.output;
    EXPECT_NE(expiry.output.find("use -c"), std::string::npos) << expiry.output;
    EXPECT_EQ(pub({"-V", "5", "-x", "60", "-c", "-i", "device-1"}).exit_code, 0);
    EXPECT_EQ(pub({"-V", "5", "-x", "never", "-c", "-i", "device-1"}).exit_code, 0);
    const ProcessResult bad_expiry = pub({"-V", "5", "-x", "4294967296"});
    EXPECT_EQ(bad_expiry.exit_code, exit_usage);
    EXPECT_NE(bad_expiry.output.find("-x must be seconds"), std::string::npos) << bad_expiry.output;
    EXPECT_EQ(pub({"-V", "6"}).exit_code, exit_usage);
    EXPECT_EQ(pub({"--tls-version", "tlsv1.3"}).exit_code, 0);
    EXPECT_EQ(pub({"--tls-version", "1.3"}).exit_code, 0);
    EXPECT_EQ(pub({"--tls-version", "auto"}).exit_code, 0);
    EXPECT_EQ(pub({"--tls-version", "tlsvauto"}).exit_code, exit_usage);
    EXPECT_EQ(pub({"--tls-version", "tlsvauto"}).exit_code, exit_usage);
    const ProcessResult old_tls = pub({"--tls-version", "tlsv1.1"});
    EXPECT_EQ(old_tls.exit_code, exit_usage);
    EXPECT_NE(old_tls.output.find("RFC 8996"), std::string::npos) << old_tls.output;
    EXPECT_EQ(pub({"-V", "mqttv31"}).exit_code, exit_usage);
}

// ---- TLS names: --verify-name and --alpn -----------------------------------------------------

TEST(CliCompatTlsNames, VerifyNameIsWhatTheCertificateIsCheckedFor) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const auto pub = [&](const std::vector<std::string>& extra) {
        return run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                                  concat({"-t", "t/n", "-m", "n", "-d"}, extra)));
    };
    // -h is 127.0.0.1; the certificate also names localhost, which is then what is verified.
    const ProcessResult tunnel = pub({"--verify-name", "localhost"});
    EXPECT_EQ(tunnel.exit_code, 0) << tunnel.output;
    EXPECT_NE(tunnel.output.find(" as localhost over TLS"), std::string::npos) << tunnel.output;
    EXPECT_NE(tunnel.output.find("verified name localhost"), std::string::npos) << tunnel.output;

    const ProcessResult wrong = pub({"--verify-name", "broker.invalid"});
    EXPECT_EQ(wrong.exit_code, mqtls::cli_test::exit_tls) << wrong.output;
    EXPECT_NE(wrong.output.find("hostname_mismatch"), std::string::npos) << wrong.output;
    EXPECT_NE(wrong.output.find("as broker.invalid"), std::string::npos) << wrong.output;

    const ProcessResult empty = pub({"--verify-name", ""});
    EXPECT_EQ(empty.exit_code, exit_usage) << empty.output;
    EXPECT_NE(empty.output.find("--verify-name is empty"), std::string::npos) << empty.output;
}

TEST(CliCompatTlsNames, AlpnIsOfferedAndABrokerIgnoringItIsRefusedOnlyWhenRequired) {
    // Mosquitto 2.0 has no ALPN on its listeners: it ignores the offer (RFC 7301 allows it).
    // That a broker requiring ALPN refuses a client without it is tested against mbedTLS's
    // server (TlsAlpn.*, LinkTls.BrokerRequiringAlpn*): no local broker can require it.
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const auto pub = [&](const std::vector<std::string>& extra) {
        return run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                                  concat({"-t", "t/a", "-m", "a", "-d"}, extra)));
    };
    const ProcessResult offered = pub({"--alpn", "mqtt", "--alpn", "x-amzn-mqtt-ca"});
    EXPECT_EQ(offered.exit_code, 0) << offered.output;
    EXPECT_EQ(offered.output.find(", ALPN "), std::string::npos) << offered.output;
    const ProcessResult mosquitto_spelling = pub({"--tls-alpn", "mqtt"});
    EXPECT_EQ(mosquitto_spelling.exit_code, 0) << mosquitto_spelling.output;

    const ProcessResult required = pub({"--alpn", "mqtt", "--alpn-required"});
    EXPECT_EQ(required.exit_code, mqtls::cli_test::exit_tls) << required.output;
    EXPECT_NE(required.output.find("no ALPN protocol was agreed"), std::string::npos)
        << required.output;
    EXPECT_NE(required.output.find("x-amzn-mqtt-ca"), std::string::npos)
        << "the hint names the AWS protocol: " << required.output;

    const ProcessResult nothing_to_require = pub({"--alpn-required"});
    EXPECT_EQ(nothing_to_require.exit_code, exit_usage) << nothing_to_require.output;
    EXPECT_NE(nothing_to_require.output.find("needs an --alpn protocol"), std::string::npos)
        << nothing_to_require.output;
    const ProcessResult too_long = pub({"--alpn", std::string(256, 'p')});
    EXPECT_EQ(too_long.exit_code, exit_usage) << too_long.output;
    EXPECT_NE(too_long.output.find("1 to 255 bytes"), std::string::npos) << too_long.output;
}

// ---- trust sources -------------------------------------------------------------------------

TEST(CliCompatTrust, CapathReadsAFolderOfCertificates) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    auto dir = mqtls::testing::TempDir::create("mqtls-capath-");
    ASSERT_TRUE(dir);
    std::ofstream(dir->file("broker-ca.pem")) << broker->ca_pem();
    std::ofstream(dir->file("notes.txt")) << "not a certificate\n";
    std::ofstream(dir->file("empty.crt")) << "";
    // c_rehash style: a hash link to the same file counts once.
    ASSERT_EQ(::symlink("broker-ca.pem", dir->file("0a1b2c3d.0").c_str()), 0);
    std::vector<std::string> arguments = {"pub",
                                          "-h",
                                          MosquittoBroker::host(),
                                          "-p",
                                          std::to_string(broker->tls_port()),
                                          "--capath",
                                          dir->path(),
                                          "-u",
                                          "device-1",
                                          "-P",
                                          device_password,
                                          "-t",
                                          "t/capath",
                                          "-m",
                                          "c",
                                          "-d"};
    const ProcessResult result = run_program(mqtls(arguments));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("verified name 127.0.0.1"), std::string::npos) << result.output;

    auto empty = mqtls::testing::TempDir::create("mqtls-capath-empty-");
    ASSERT_TRUE(empty);
    arguments[6] = empty->path();
    const ProcessResult none = run_program(mqtls(arguments));
    EXPECT_EQ(none.exit_code, exit_file) << none.output;
    EXPECT_NE(none.output.find("--capath"), std::string::npos) << none.output;
}

TEST(CliCompatTrust, OsCertificatesDoNotTrustAPrivateCa) {
    // The system bundle is the set of public CAs: our test CA is not among them, so the broker
    // must be refused (exit 5), exactly as with a wrong --cafile.
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const ProcessResult result = run_program(mqtls(
        {"pub", "-h", MosquittoBroker::host(), "-p", std::to_string(broker->tls_port()),
         "--tls-use-os-certs", "-u", "device-1", "-P", device_password, "-t", "t/os", "-m", "o"}));
    EXPECT_EQ(result.exit_code, 5) << result.output;
    EXPECT_NE(result.output.find("--tls-use-os-certs"), std::string::npos) << result.output;
}

TEST(CliCompatTrust, NoTrustSourceIsAUsageError) {
    const ProcessResult result = run_program(mqtls({"pub", "-t", "x", "-m", "y"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    EXPECT_NE(result.output.find("--capath"), std::string::npos) << result.output;
}

// ---- client ids and sessions ----------------------------------------------------------------

TEST(CliCompatSession, IdPrefixIsFollowedByTheProcessId) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const ProcessResult result =
        run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                           {"-I", "compat-prefix-", "-t", "t/i", "-m", "i"}));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(std::regex_search(broker->log(), std::regex(R"(as compat-prefix-\d+ )")))
        << broker->log();
    EXPECT_EQ(run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                                 {"-I", "p-", "-i", "x", "-t", "t/i", "-m", "i"}))
                  .exit_code,
              exit_usage)
        << "-I and -i exclude each other";
}

// With -c the broker keeps the subscription and queues QoS 1 messages while the subscriber is
// away; both mosquitto_sub -c and mqtls sub -c then receive what was published meanwhile.
TEST(CliCompatSession, PersistentSessionReceivesWhatCameWhileAway) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    for (const std::string tool : {"mqtls", "mosquitto_sub"}) {
        SCOPED_TRACE(tool);
        const std::string id = "compat-persistent-" + tool;
        const std::string topic = "t/persistent/" + tool;
        std::vector<std::string> sub =
            concat(concat({"sub"}, broker_connection(*broker, "collector", collector_password)),
                   {"-c", "-i", id, "-q", "1", "-t", topic, "-E"});
        if (tool == "mosquitto_sub") {
            sub.front() = "mosquitto_sub";
        } else {
            sub = mqtls(sub);
        }
        // -E (exit once subscribed) is a sub flag another change adds; without it, -W 1 ends
        // the first run the same way once the subscription stands.
        std::vector<std::string> first = sub;
        first.pop_back();
        first.insert(first.end(), {"-W", "1"});
        (void)run_program(first);
        ASSERT_TRUE(wait_for_log(*broker, "Received SUBSCRIBE from " + id)) << broker->log();
        const ProcessResult pub =
            run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                               {"-t", topic, "-q", "1", "-m", "while-away"}));
        ASSERT_EQ(pub.exit_code, 0) << pub.output;
        std::vector<std::string> second = first;
        second.pop_back();
        second.pop_back();
        second.insert(second.end(), {"-C", "1", "-W", "10"});
        const ProcessResult received = run_program(second);
        EXPECT_EQ(received.exit_code, 0) << received.output;
        EXPECT_NE(received.output.find("while-away"), std::string::npos) << received.output;
    }
}

TEST(CliCompatSession, PersistentSessionNeedsAClientId) {
    const ProcessResult result =
        run_program(mqtls({"sub", "-t", "x", "-c", "--cafile", "/dev/null"}));
    EXPECT_EQ(result.exit_code, exit_usage);
    EXPECT_NE(result.output.find("-c needs a client id"), std::string::npos) << result.output;
}

// ---- the will --------------------------------------------------------------------------------

// A subscriber that vanishes without DISCONNECT: the broker publishes its will, for mqtls sub
// as for mosquitto_sub with the same flags.
TEST(CliCompatWill, BrokerPublishesTheWillOfAVanishedClient) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    for (const std::string tool : {"mqtls", "mosquitto_sub"}) {
        SCOPED_TRACE(tool);
        const std::string id = "compat-will-" + tool;
        const std::string will_topic = "wills/" + tool;
        std::vector<std::string> watcher =
            mqtls_command("sub", *broker, "collector", collector_password);
        watcher.insert(watcher.end(),
                       {"-i", "watcher-" + tool, "-t", will_topic, "-v", "-C", "1", "-W", "15"});
        BackgroundRun watching(watcher, 20s);
        ASSERT_TRUE(wait_for_log(*broker, "Received SUBSCRIBE from watcher-" + tool))
            << broker->log();
        std::vector<std::string> doomed =
            concat(concat({"sub"}, broker_connection(*broker, "device-1", device_password)),
                   {"-i", id, "-t", "t/none", "--will-topic", will_topic, "--will-payload", "gone",
                    "--will-qos", "1"});
        if (tool == "mosquitto_sub") {
            doomed.front() = "mosquitto_sub";
        } else {
            doomed = mqtls(doomed);
        }
        auto pid = mqtls::testing::spawn(doomed, STDERR_FILENO, /*die_with_parent=*/true);
        ASSERT_TRUE(pid);
        const bool subscribed = wait_for_log(*broker, "Received SUBSCRIBE from " + id);
        (void)mqtls::testing::kill_and_reap(*pid);  // no DISCONNECT: the will goes out
        const std::string watcher_output = watching.result().output;
        ASSERT_TRUE(subscribed) << broker->log();
        EXPECT_NE(watcher_output.find(will_topic + " gone"), std::string::npos) << watcher_output;
    }
}

TEST(CliCompatWill, WillOptionsNeedATopicAndAValidOne) {
    EXPECT_EQ(
        run_program(mqtls({"pub", "-t", "x", "-m", "y", "--cafile", "/dev/null", "--will-retain"}))
            .exit_code,
        exit_usage);
    const ProcessResult wildcard = run_program(
        mqtls({"pub", "-t", "x", "-m", "y", "--cafile", "/dev/null", "--will-topic", "wills/#"}));
    EXPECT_EQ(wildcard.exit_code, exit_usage);
    EXPECT_NE(wildcard.output.find("--will-topic is not a valid topic name"), std::string::npos)
        << wildcard.output;
}

// ---- refusals ------------------------------------------------------------------------------

TEST(CliCompatRefusal, ConnackCodeIsSpelledOut) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    const ProcessResult result = run_program(concat(
        mqtls_command("pub", *broker, "device-1", "wrong-password"), {"-t", "t/x", "-m", "x"}));
    EXPECT_EQ(result.exit_code, exit_refused) << result.output;
    // Mosquitto answers a wrong password with 5, not authorised.
    EXPECT_NE(result.output.find("not authorized to connect (CONNACK 5)"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("ACL"), std::string::npos) << "the code-specific hint";
}

std::unique_ptr<MosquittoBroker> start_certificate_broker() {
    mqtls::testing::BrokerOptions options;
    options.require_certificate = true;
    return start_broker(options);
}

TEST(CliCompatRefusal, MissingClientCertificateIsARefusalNotANetworkError) {
    auto broker = start_certificate_broker();
    ASSERT_TRUE(broker);
    const ProcessResult result = run_program(
        mqtls({"pub", "-h", MosquittoBroker::host(), "-p", std::to_string(broker->tls_port()),
               "--cafile", broker->ca_file(), "-t", "t/x", "-m", "x"}));
    EXPECT_EQ(result.exit_code, exit_refused) << result.output;
    EXPECT_NE(result.output.find("requires a client certificate"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("--cert and --key"), std::string::npos) << result.output;
}

TEST(CliCompatRefusal, NodeStopsAtOnceWithoutAClientCertificate) {
    auto broker = start_certificate_broker();
    ASSERT_TRUE(broker);
    const auto started = std::chrono::steady_clock::now();
    const ProcessResult result = run_program(
        mqtls({"node", "-h", MosquittoBroker::host(), "-p", std::to_string(broker->tls_port()),
               "--cafile", broker->ca_file(), "--device", "compat-node", "--interval", "0.2",
               "--retry-base", "0.05", "--retry-cap", "0.1"}),
        30s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, exit_refused) << result.output;
    EXPECT_NE(result.output.find("requires a client certificate"), std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("reconnect attempt"), std::string::npos)
        << "retrying cannot help: " << result.output;
    EXPECT_LT(took, 15s);
}

}  // namespace

namespace {

// ---- -L URL --------------------------------------------------------------------------------

std::string url_of(const MosquittoBroker& broker, const std::string& user,
                   const std::string& password, const std::string& topic) {
    return "mqtts://" + user + ":" + password + "@" + MosquittoBroker::host() + ":" +
           std::to_string(broker.tls_port()) + "/" + topic;
}

TEST(CliCompatUrl, SubscriberTakesBrokerCredentialsAndTopicFromTheUrl) {
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    BackgroundRun subscriber(
        mqtls({"sub", "-L", url_of(*broker, "collector", collector_password, "t/url"), "--cafile",
               broker->ca_file(), "-i", "compat-url-sub", "-v", "-C", "1", "-W", "15"}),
        20s);
    const bool subscribed = wait_for_log(*broker, "Received SUBSCRIBE from compat-url-sub");
    const ProcessResult pub =
        run_program(concat(mqtls_command("pub", *broker, "device-1", device_password),
                           {"-t", "t/url", "-m", "by-url"}));
    const std::string received = subscriber.result().output;
    ASSERT_TRUE(subscribed) << broker->log();
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    EXPECT_NE(received.find("t/url by-url"), std::string::npos) << received;
}

TEST(CliCompatUrl, PublisherTakesEverythingFromTheUrlAsMosquittoPubDoes) {
    // The same -L for mqtls pub and mosquitto_pub; mosquitto_sub on the broker receives both.
    auto broker = start_password_broker();
    ASSERT_TRUE(broker);
    BackgroundRun watcher(
        concat(mosquitto_command("mosquitto_sub", *broker, "collector", collector_password),
               {"-i", "compat-url-watcher", "-t", "t/pub-url", "-v", "-C", "2", "-W", "15"}),
        20s);
    const bool subscribed = wait_for_log(*broker, "Received SUBSCRIBE from compat-url-watcher");
    const std::string url = url_of(*broker, "device-1", device_password, "t/pub-url");
    const ProcessResult ours =
        run_program(mqtls({"pub", "-L", url, "--cafile", broker->ca_file(), "-m", "from-mqtls"}));
    const ProcessResult theirs = run_program(
        {"mosquitto_pub", "-L", url, "--cafile", broker->ca_file(), "-m", "from-mosquitto_pub"});
    const std::string received = watcher.result().output;
    ASSERT_TRUE(subscribed) << broker->log();
    EXPECT_EQ(ours.exit_code, 0) << ours.output;
    EXPECT_EQ(theirs.exit_code, 0) << theirs.output;
    EXPECT_NE(received.find("t/pub-url from-mqtls"), std::string::npos) << received;
    EXPECT_NE(received.find("t/pub-url from-mosquitto_pub"), std::string::npos) << received;
}

TEST(CliCompatUrl, TopicWithAWildcardIsAUsageError) {
    const ProcessResult result =
        run_program(mqtls({"pub", "-t", "t/#", "-m", "x", "--cafile", "/dev/null"}));
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    EXPECT_NE(result.output.find("wildcard"), std::string::npos) << result.output;
}

TEST(CliCompatUrl, PlaintextOrConflictingUrlsAreRefusedWithoutShowingThePassword) {
    const ProcessResult plain = run_program(
        mqtls({"sub", "-L", "mqtt://u:url-s3cret@localhost/t", "--cafile", "/dev/null"}));
    EXPECT_EQ(plain.exit_code, exit_usage);
    EXPECT_NE(plain.output.find("mqtts://"), std::string::npos) << plain.output;
    EXPECT_EQ(plain.output.find("url-s3cret"), std::string::npos) << plain.output;
    const ProcessResult both = run_program(mqtls(
        {"sub", "-L", "mqtts://u:url-s3cret@localhost/t", "-h", "other", "--cafile", "/dev/null"}));
    EXPECT_EQ(both.exit_code, exit_usage);
    EXPECT_NE(both.output.find("-L and -h/-p"), std::string::npos) << both.output;
    const ProcessResult no_topic =
        run_program(mqtls({"sub", "-L", "mqtts://localhost:8883", "--cafile", "/dev/null"}));
    EXPECT_EQ(no_topic.exit_code, exit_usage);
    EXPECT_NE(no_topic.output.find("no topic"), std::string::npos) << no_topic.output;
}

}  // namespace
