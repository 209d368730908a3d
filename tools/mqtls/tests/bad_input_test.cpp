// Bad input to every mqtls subcommand: missing and malformed arguments, unusable PEM files,
// unreachable or silent brokers, a broker that trusts another CA. Each case checks the exit
// status, that the message names the problem, and that nothing was left running or connected.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::accepts_tcp;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_network;
using mqtls::cli_test::exit_timeout;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::free_port;
using mqtls::cli_test::read_file;
using mqtls::cli_test::SilentListener;
using mqtls::cli_test::write_file;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using mqtls::testing::TempDir;
using namespace std::chrono_literals;

// A bad call must be refused quickly: less time than the shared default.
ProcessResult run_mqtls(std::vector<std::string> arguments,
                        std::chrono::milliseconds timeout = 10s) {
    return mqtls::cli_test::run_mqtls(std::move(arguments), timeout);
}

std::string joined(const std::vector<std::string>& arguments) {
    std::string text = "mqtls";
    for (const auto& argument : arguments) text += " '" + argument + "'";
    return text;
}

// One PKI made with `mqtls pki` for the whole suite (key generation is the slow part): "pki"
// with ca, broker (127.0.0.1, localhost) and device-1; "other", a second CA with its own
// device-1; and files that are not what they claim to be.
class CliBadInput : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (directory().has_value()) return;
        auto made = TempDir::create("mqtls-bad-input-");
        ASSERT_TRUE(made);
        directory().emplace(std::move(*made));
        const std::string pki = path("pki");
        const std::string other = path("other");
        for (const auto& call : std::vector<std::vector<std::string>>{
                 {"pki", "init", pki},
                 {"pki", "server", pki, "--san", "127.0.0.1", "--san", "localhost"},
                 {"pki", "device", pki, "device-1"},
                 {"pki", "init", other, "--cn", "another CA"},
                 {"pki", "device", other, "device-1"}}) {
            const auto result = run_mqtls(call, 20s);
            ASSERT_EQ(result.exit_code, 0) << joined(call) << "\n" << result.output;
        }
        write_file(path("empty.pem"), "");
        write_file(path("garbage.pem"), "this is not PEM at all\n\x01\x02\x03\n");
        ASSERT_EQ(::mkdir(path("a-directory").c_str(), 0700), 0);
    }

    static std::optional<TempDir>& directory() {
        static std::optional<TempDir> instance;
        return instance;
    }
    static std::string path(const std::string& name) { return directory()->file(name); }
    static std::string pki(const std::string& name) { return path("pki/" + name); }
    static std::string other(const std::string& name) { return path("other/" + name); }
};

struct BadCall {
    std::vector<std::string> arguments;
    int exit_code;
    std::vector<std::string> says;  // each must appear in the output
};

void expect_refused(const BadCall& call) {
    const auto result = run_mqtls(call.arguments);
    EXPECT_FALSE(result.timed_out) << joined(call.arguments);
    EXPECT_EQ(result.exit_code, call.exit_code) << joined(call.arguments) << "\n" << result.output;
    for (const auto& text : call.says) {
        EXPECT_NE(result.output.find(text), std::string::npos)
            << joined(call.arguments) << "\nshould say: " << text << "\nsaid: " << result.output;
    }
}

using CliBadInputUsage = CliBadInput;

TEST_F(CliBadInputUsage, PkiMissingAndMalformedArguments) {
    const std::string fresh = path("never-created");
    const std::vector<BadCall> calls{
        {{"pki"}, exit_usage, {"subcommand is required"}},
        {{"pki", "init"}, exit_usage, {"DIR is required"}},
        {{"pki", "init", fresh, "--bogus"}, exit_usage, {"--bogus"}},
        {{"pki", "server", fresh}, exit_usage, {"--san is required"}},
        {{"pki", "server", fresh, "--san", ""}, exit_usage, {"--san", "must not be empty"}},
        {{"pki", "server", fresh, "--san", "has space"},
         exit_usage,
         {"'has space' may contain only letters, digits"}},
        {{"pki", "server", fresh, "--san", "under_score.example"},
         exit_usage,
         {"'under_score.example'"}},
        {{"pki", "server", fresh, "--san", "a..b"}, exit_usage, {"empty label"}},
        // RFC 6125 7.2: a wildcard over a top-level domain would certify every host under it.
        {{"pki", "server", fresh, "--san", "*.com"},
         exit_usage,
         {"a wildcard over a single label"}},
        {{"pki", "server", fresh, "--san", "300.1.2.3"},
         exit_usage,
         {"'300.1.2.3' looks like an IPv4 address but is not a valid one"}},
        {{"pki", "server", fresh, "--san", "fe80::zz"}, exit_usage, {"not a valid IPv6 address"}},
        {{"pki", "device", fresh}, exit_usage, {"ID is required"}},
        {{"pki", "device", fresh, "bad/id"}, exit_usage, {"device ID 'bad/id'", "'/'"}},
        {{"pki", "device", fresh, std::string(65, 'x')}, exit_usage, {"at most 64 characters"}},
    };
    for (const auto& call : calls) expect_refused(call);
    struct stat info {};
    EXPECT_NE(::stat(fresh.c_str(), &info), 0) << "a refused command must not create " << fresh;
}

TEST_F(CliBadInputUsage, BrokerMissingAndMalformedArguments) {
    const std::uint16_t port = free_port();
    const std::vector<std::string> base{"broker", "--pki", path("pki"), "--port",
                                        std::to_string(port)};
    const std::vector<std::string> with_tls{"broker", "--pki", path("pki"),
                                            "--require-certificate"};
    const std::vector<BadCall> calls{
        {{"broker"}, exit_usage, {"--pki is required"}},
        {concat(with_tls, {"--port", "abc"}), exit_usage, {"--port", "abc"}},
        {concat(with_tls, {"--port", "0"}), exit_usage, {"--port", "not in range"}},
        {concat(with_tls, {"--port", "70000"}), exit_usage, {"--port", "not in range"}},
        {concat(with_tls, {"--max-queued", "-1"}), exit_usage, {"--max-queued"}},
        {base, exit_usage, {"no way to authenticate clients", "--require-certificate"}},
        {concat(base, {"--user", "nopassword"}), exit_usage, {"NAME:PASSWORD"}},
        {concat(base, {"--collector", "c", "--require-certificate"}),
         exit_usage,
         {"--collector", "--acl-devices"}},
    };
    for (const auto& call : calls) expect_refused(call);
    EXPECT_FALSE(accepts_tcp(port)) << "no broker may be left listening";
}

TEST_F(CliBadInputUsage, PubAndSubMissingAndMalformedArguments) {
    SilentListener listener;
    const std::vector<std::string> to{"-h", "127.0.0.1", "-p", listener.port_text()};
    const std::vector<std::string> ca{"--cafile", pki("ca.crt")};
    std::vector<BadCall> calls;
    for (const std::string command : {"pub", "sub"}) {
        const std::vector<std::string> payload =
            command == "pub" ? std::vector<std::string>{"-m", "x"} : std::vector<std::string>{};
        const auto call = [&](const std::vector<std::string>& connection,
                              const std::vector<std::string>& more) {
            return concat(concat(concat({command}, connection), payload), more);
        };
        const auto complete = [&](const std::vector<std::string>& more) {
            return call(concat(ca, to), concat({"-t", "telemetry/x"}, more));
        };
        calls.push_back({call(concat(ca, to), {}), exit_usage, {"missing -t"}});
        calls.push_back({call(to, {"-t", "x"}), exit_usage, {"missing --cafile"}});
        calls.push_back({call(concat(ca, {"-p", "abc"}), {"-t", "x"}), exit_usage, {"--port"}});
        calls.push_back(
            {call(concat(ca, {"-p", "0"}), {"-t", "x"}), exit_usage, {"--port", "not in range"}});
        calls.push_back({call(concat(ca, {"-p", "70000"}), {"-t", "x"}), exit_usage, {"--port"}});
        calls.push_back({complete({"-q", "3"}), exit_usage, {"-q must be 0, 1 or 2"}});
        calls.push_back({complete({"-q", "abc"}), exit_usage, {"--qos"}});
        calls.push_back({complete({"-k", "-1"}), exit_usage, {"--keepalive"}});
        calls.push_back({complete({"--connect-timeout", "0"}), exit_usage, {"--connect-timeout"}});
        calls.push_back({complete({"--pin-sha256", "abc"}), exit_usage, {"--pin-sha256"}});
        calls.push_back({complete({"--cert", pki("device-1.crt")}),
                         exit_usage,
                         {"--cert and --key go together"}});
        calls.push_back(
            {complete({"-P", "pw-without-user"}), exit_usage, {"a password needs a user name"}});
        calls.push_back({complete({"-u", "u", "-P", "x", "--pw-file", pki("ca.crt")}),
                         exit_usage,
                         {"--pw", "excludes", "--pw-file"}});
        calls.push_back({complete({"--bogus"}), exit_usage, {"--bogus"}});
    }
    calls.push_back({concat({"pub", "-t", "x", "-m", "x", "-l"}, concat(ca, to)),
                     exit_usage,
                     {"exactly one of -m, -l and -f"}});
    calls.push_back({concat({"sub", "-t", "x", "-C", "-1"}, concat(ca, to)),
                     exit_usage,
                     {"-C and -W must not be negative"}});
    calls.push_back({concat({"sub", "-t", "x", "-W", "-5"}, concat(ca, to)),
                     exit_usage,
                     {"-C and -W must not be negative"}});
    calls.push_back({concat({"sub", "-t", "x", "-C", "many"}, concat(ca, to)),
                     exit_usage,
                     {"--count", "many"}});
    for (const auto& call : calls) {
        expect_refused(call);
        EXPECT_FALSE(listener.was_connected())
            << joined(call.arguments) << " connected although its arguments are bad";
    }
}

TEST_F(CliBadInputUsage, ParseErrorsNeverEchoThePassword) {
    const std::string secret = "s3cretXYZ";
    for (const std::string command : {"pub", "sub"}) {
        const std::vector<std::vector<std::string>> calls{
            {command, "-P", secret, "--bogus"},
            {command, "-u", "u", "-P", secret, "-t", "x", "--bogus"},
            {command, "-u", "u", "-P", secret, "-t", "x", "-p", "abc"},
            {command, "-u", "u", "--pw=" + secret, "-P", "again", "-t", "x"},
            {command, "-u", "u", "-P", secret, "--pw-file", pki("ca.crt"), "-t", "x"},
            {command, "-u", "u", "-P", secret, "-t", "x", "-q", "9", "--cafile", pki("ca.crt")},
        };
        for (const auto& call : calls) {
            const auto result = run_mqtls(call);
            EXPECT_EQ(result.exit_code, exit_usage) << joined(call) << "\n" << result.output;
            EXPECT_FALSE(result.output.empty()) << joined(call);
            EXPECT_EQ(result.output.find(secret), std::string::npos)
                << joined(call) << " printed the password:\n"
                << result.output;
        }
    }
}

using CliBadInputPem = CliBadInput;

TEST_F(CliBadInputPem, PubAndSubRefuseUnusablePemFilesWithoutConnecting) {
    SilentListener listener;
    const std::string garbage = path("garbage.pem");
    const std::string empty = path("empty.pem");
    const std::string directory = path("a-directory");
    const std::string missing = path("no-such-file.pem");
    const std::vector<std::string> device{"--cert", pki("device-1.crt"), "--key",
                                          pki("device-1.key")};
    struct Case {
        std::vector<std::string> files;
        std::vector<std::string> says;
    };
    std::vector<Case> cases{
        {{"--cafile", missing}, {"--cafile " + missing, "No such file or directory"}},
        {{"--cafile", directory}, {"--cafile " + directory, ": a directory"}},
        {{"--cafile", empty}, {"CA bundle holds no usable certificate", empty, "empty"}},
        {{"--cafile", garbage}, {"CA bundle holds no usable certificate", "--cafile " + garbage}},
        {{"--cafile", pki("ca.key")},
         {"CA bundle holds no usable certificate", pki("ca.key"), "PRIVATE KEY"}},
        {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.key"), "--key", pki("device-1.crt")},
         {"client certificate could not be parsed", "--cert " + pki("device-1.key"), "swapped"}},
        {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.crt"), "--key", other("device-1.key")},
         {"private key does not belong to the certificate", other("device-1.key")}},
        {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.crt"), "--key", missing},
         {"--key " + missing, "No such file or directory"}},
        {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.crt"), "--key", directory},
         {"--key " + directory, ": a directory"}},
        {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.crt"), "--key", garbage},
         {"private key could not be parsed", "--key " + garbage}},
        {{"--cafile", pki("ca.crt"), "--cert", garbage, "--key", pki("device-1.key")},
         {"client certificate could not be parsed", "--cert " + garbage}},
    };
    if (::geteuid() != 0) {  // root reads a mode-000 file anyway
        const std::string unreadable = path("unreadable.key");
        write_file(unreadable, read_file(pki("device-1.key")));
        ASSERT_EQ(::chmod(unreadable.c_str(), 0), 0);
        cases.push_back(
            {{"--cafile", pki("ca.crt"), "--cert", pki("device-1.crt"), "--key", unreadable},
             {"--key " + unreadable, "Permission denied"}});
    }
    for (const std::string command : {"pub", "sub"}) {
        for (const auto& c : cases) {
            std::vector<std::string> arguments{
                command, "-h", "127.0.0.1", "-p", listener.port_text(), "-t", "telemetry/x"};
            if (command == "pub") arguments = concat(arguments, {"-m", "x"});
            expect_refused({concat(arguments, c.files), exit_file, c.says});
            EXPECT_FALSE(listener.was_connected())
                << joined(concat(arguments, c.files)) << " connected with unusable PEM files";
        }
    }
}

using CliBadInputBroker = CliBadInput;

// A copy of the suite's PKI whose `name` is replaced with `content`.
std::string broken_pki(const TempDir& temp, const std::string& source, const std::string& name,
                       const std::string& content) {
    std::string copy = temp.file("pki");
    EXPECT_EQ(::mkdir(copy.c_str(), 0700), 0);
    for (const char* file : {"ca.crt", "ca.key", "broker.crt", "broker.key"}) {
        write_file(copy + "/" + file, read_file(source + "/" + file));
    }
    write_file(copy + "/" + name, content);
    return copy;
}

TEST_F(CliBadInputBroker, UnusablePemFilesAreReportedAndMosquittoIsNotStarted) {
    struct Case {
        std::string file;
        std::string content;
        std::vector<std::string> says;
    };
    const std::vector<Case> cases{
        {"ca.crt", read_file(pki("ca.key")), {"CA certificate", "holds a PRIVATE KEY"}},
        {"ca.crt", "garbage\n", {"CA certificate", "holds no PEM certificate"}},
        {"ca.crt", "", {"CA certificate", "is empty"}},
        {"broker.crt", read_file(pki("broker.key")), {"broker certificate", "PRIVATE KEY"}},
        {"broker.key", read_file(pki("broker.crt")), {"broker private key", "not a private key"}},
    };
    for (const auto& c : cases) {
        auto temp = TempDir::create("mqtls-bad-broker-");
        ASSERT_TRUE(temp);
        const std::string copy = broken_pki(*temp, path("pki"), c.file, c.content);
        const std::uint16_t port = free_port();
        std::vector<std::string> says = c.says;
        says.emplace_back(copy + "/" + c.file);
        says.emplace_back("mosquitto was not started");
        expect_refused(
            {{"broker", "--pki", copy, "--port", std::to_string(port), "--require-certificate"},
             exit_file,
             says});
        EXPECT_FALSE(accepts_tcp(port)) << c.file << ": a broker is listening";
    }
}

TEST_F(CliBadInputBroker, MosquittoStartFailureRepeatsItsErrorAndLeavesNothingRunning) {
    auto temp = TempDir::create("mqtls-bad-broker-");
    ASSERT_TRUE(temp);
    // A valid key, but not the one of broker.crt: only Mosquitto (OpenSSL) notices.
    const std::string copy =
        broken_pki(*temp, path("pki"), "broker.key", read_file(pki("device-1.key")));
    const std::uint16_t port = free_port();
    const auto result = run_mqtls(
        {"broker", "--pki", copy, "--port", std::to_string(port), "--require-certificate"});
    EXPECT_FALSE(result.timed_out) << result.output;
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("mqtls broker: mosquitto exited with status"), std::string::npos)
        << result.output;
    // Mosquitto's reason, repeated by mqtls after it exited.
    const auto summary = result.output.find("mqtls broker: mosquitto exited");
    ASSERT_NE(summary, std::string::npos);
    EXPECT_NE(result.output.find("Error", summary), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("broker.key", summary), std::string::npos) << result.output;
    // The temporary work directory is gone, so the message must not point into it.
    EXPECT_EQ(result.output.find("also in", summary), std::string::npos) << result.output;
    const auto pid_at = result.output.find("mosquitto (pid ");
    ASSERT_NE(pid_at, std::string::npos) << result.output;
    const pid_t pid = std::atoi(result.output.c_str() + pid_at + 15);
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(mqtls::testing::process_alive(pid)) << "mosquitto " << pid << " still runs";
    EXPECT_FALSE(accepts_tcp(port));
}

using CliBadInputNetwork = CliBadInput;

TEST_F(CliBadInputNetwork, NothingListeningIsANetworkErrorNamingTheAddress) {
    const std::string port = std::to_string(free_port());
    for (const std::string command : {"pub", "sub"}) {
        std::vector<std::string> arguments{command, "-h",          "127.0.0.1", "-p",         port,
                                           "-t",    "telemetry/x", "--cafile",  pki("ca.crt")};
        if (command == "pub") arguments = concat(arguments, {"-m", "x"});
        expect_refused(
            {arguments, exit_network, {"refused the TCP connection", "(127.0.0.1:" + port + ")"}});
    }
}

TEST_F(CliBadInputNetwork, ListenerThatNeverSpeaksTlsTimesOutWithinTheConnectTimeout) {
    SilentListener listener;
    for (const std::string command : {"pub", "sub"}) {
        std::vector<std::string> arguments{
            command, "-h",          "127.0.0.1", "-p",          listener.port_text(),
            "-t",    "telemetry/x", "--cafile",  pki("ca.crt"), "--connect-timeout",
            "1"};
        if (command == "pub") arguments = concat(arguments, {"-m", "x"});
        const auto started = std::chrono::steady_clock::now();
        expect_refused({arguments,
                        exit_timeout,
                        {"did not complete in time", "127.0.0.1:" + listener.port_text(),
                         "--connect-timeout"}});
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << command;
        EXPECT_TRUE(listener.was_connected()) << command << " never reached the listener";
    }
}

using CliBadInputPki = CliBadInput;

// "PKI swapped": a broker that requires client certificates accepts a device certificate from
// its own CA and refuses one from another `mqtls pki init` CA, although the CN is the same.
TEST_F(CliBadInputPki, MutualTlsBrokerRefusesADeviceCertificateFromAnotherCa) {
    mqtls::testing::BrokerOptions options;
    options.require_certificate = true;
    auto started = MosquittoBroker::start(options);
    ASSERT_TRUE(started) << started.error().message();
    auto& broker = **started;
    auto own = broker.write_client_certificate("device-1");
    ASSERT_TRUE(own);
    const std::vector<std::string> to{"-h",
                                      MosquittoBroker::host(),
                                      "-p",
                                      std::to_string(broker.tls_port()),
                                      "--cafile",
                                      broker.ca_file(),
                                      "--connect-timeout",
                                      "3"};

    const auto accepted = run_mqtls(
        concat(concat({"pub"}, to), {"--cert", own->certificate_path, "--key", own->key_path, "-t",
                                     "telemetry/device-1", "-m", "21.5"}));
    EXPECT_EQ(accepted.exit_code, 0) << accepted.output << broker.log();
    const auto subscribed = run_mqtls(
        concat(concat({"sub"}, to), {"--cert", own->certificate_path, "--key", own->key_path, "-t",
                                     "telemetry/#", "-d", "-W", "1"}));
    EXPECT_EQ(subscribed.exit_code, exit_timeout) << subscribed.output;
    EXPECT_NE(subscribed.output.find("subscribed to telemetry/# (granted QoS 0)"),
              std::string::npos)
        << subscribed.output;

    for (const std::string command : {"pub", "sub"}) {
        std::vector<std::string> arguments =
            concat(concat({command}, to), {"--cert", other("device-1.crt"), "--key",
                                           other("device-1.key"), "-t", "telemetry/device-1"});
        if (command == "pub") arguments = concat(arguments, {"-m", "21.5"});
        const auto refused = run_mqtls(arguments);
        EXPECT_FALSE(refused.timed_out) << refused.output;
        // A certificate alert from the broker: refused (6), not a network error.
        EXPECT_EQ(refused.exit_code, 6) << refused.output;
        EXPECT_NE(refused.output.find("TLS alert"), std::string::npos) << refused.output;
        EXPECT_NE(refused.output.find("--cert " + other("device-1.crt")), std::string::npos)
            << refused.output;
    }
    EXPECT_TRUE(broker.running()) << broker.log();
}

}  // namespace
