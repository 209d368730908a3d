// `mqtls pub` and `mqtls sub` with large messages and the message sources of issue 11: 1 MiB
// payloads byte for byte between mqtls and the mosquitto tools, --max-packet-size (a message
// just over it is refused with its size both ways), -n, -s, -f - and -f FILE, and --max-inflight.
// Receivers write to files: run_process() keeps at most 1 MiB of a program's output.
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/client/client.hpp"
#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::Arguments;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_failure;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::input_from;
using mqtls::cli_test::mosquitto_command;
using mqtls::cli_test::mqtls_command;
using mqtls::cli_test::output_to;
using mqtls::cli_test::read_file;
using mqtls::cli_test::shell_command;
using mqtls::cli_test::wait_for_subscription;
using mqtls::cli_test::write_file;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using mqtls::testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* device_password = "device-1-large-password";
constexpr const char* collector_password = "collector-large-password";
constexpr std::size_t mebibyte = std::size_t{1} << 20;
// Megabytes through TLS under the sanitizers: more time than the shared default.
constexpr std::chrono::milliseconds sender_timeout = 30s;
constexpr std::chrono::milliseconds receiver_timeout = 40s;

// The fixture's Mosquitto sets no message_size_limit (its default, 0, accepts any size MQTT
// can frame), so only mqtls's own limit is under test. No queue limit either: the window tests
// publish faster than a subscriber reads.
std::unique_ptr<MosquittoBroker> start_broker() {
    mqtls::testing::BrokerOptions options =
        mqtls::cli_test::telemetry_broker_options(device_password, collector_password);
    options.extra_config = "max_queued_messages 0\n";
    return mqtls::cli_test::start_broker(options);
}

ProcessResult run_program(const Arguments& arguments,
                          std::chrono::milliseconds timeout = sender_timeout) {
    return mqtls::cli_test::run_program(arguments, timeout);
}

// Standard input from the file `input`.
ProcessResult run_with_input(const Arguments& arguments, const std::string& input,
                             std::chrono::milliseconds timeout = sender_timeout) {
    return mqtls::cli_test::run_redirected(arguments, input_from(input), timeout);
}

// A receiver in the background, its standard output in the file `output`.
class BackgroundReceiver : public mqtls::cli_test::BackgroundRun {
public:
    BackgroundReceiver(Arguments arguments, std::string output)
        : BackgroundRun(std::move(arguments), output_to(std::move(output)), receiver_timeout) {}
};

std::string random_bytes(std::size_t size, std::uint32_t seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (char& byte : bytes) byte = static_cast<char>(generator() & 0xffU);
    return bytes;
}

// The payload that makes a QoS 0 PUBLISH to `topic` exactly `packet_size` bytes.
std::string payload_for_packet(const std::string& topic, std::size_t packet_size) {
    std::size_t payload = packet_size;
    while (payload > 0 && mqtls::client::publish_packet_size(
                              topic, payload, mqtls::mqtt::QoS::at_most_once) > packet_size) {
        --payload;
    }
    std::string bytes(payload, 'p');  // not {}: that would be two characters
    return bytes;
}

struct Fixture {
    std::unique_ptr<MosquittoBroker> broker = start_broker();
    std::optional<TempDir> dir;
    Fixture() {
        auto made = TempDir::create("mqtls-large-");
        if (made) dir.emplace(std::move(*made));
    }
    [[nodiscard]] bool ready() const { return broker && dir; }
    [[nodiscard]] std::vector<std::string> pub() const {
        return mqtls_command("pub", *broker, "device-1", device_password);
    }
    [[nodiscard]] std::vector<std::string> sub() const {
        return mqtls_command("sub", *broker, "collector", collector_password);
    }
};

TEST(CliLargeMessages, OneMebibyteFromMqtlsPubToMqtlsSubByteExact) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    const std::string sent = f.dir->file("sent.bin");
    const std::string received = f.dir->file("received.bin");
    const std::string payload = random_bytes(mebibyte, 1);
    write_file(sent, payload);
    BackgroundReceiver subscriber(concat(f.sub(), {"-i", "big-sub", "-t", "telemetry/device-1/big",
                                                   "-q", "1", "-C", "1", "-N", "-W", "30"}),
                                  received);
    ASSERT_TRUE(wait_for_subscription(*f.broker, "big-sub")) << f.broker->log();
    const ProcessResult pub =
        run_program(concat(f.pub(), {"-t", "telemetry/device-1/big", "-q", "1", "-f", sent}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    const ProcessResult& sub = subscriber.result();
    EXPECT_EQ(sub.exit_code, 0) << sub.output;
    EXPECT_TRUE(read_file(received) == payload) << "received " << read_file(received).size();
}

TEST(CliLargeMessages, OneMebibyteFromMosquittoPubToMqtlsSubByteExact) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    const std::string sent = f.dir->file("sent.bin");
    const std::string received = f.dir->file("received.bin");
    const std::string payload = random_bytes(mebibyte, 2);
    write_file(sent, payload);
    BackgroundReceiver subscriber(concat(f.sub(), {"-i", "big-sub", "-t", "telemetry/device-1/big",
                                                   "-q", "1", "-C", "1", "-N", "-W", "30"}),
                                  received);
    ASSERT_TRUE(wait_for_subscription(*f.broker, "big-sub")) << f.broker->log();
    const ProcessResult pub = run_program(
        concat(mosquitto_command("mosquitto_pub", *f.broker, "device-1", device_password),
               {"-t", "telemetry/device-1/big", "-q", "1", "-f", sent}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    const ProcessResult& sub = subscriber.result();
    EXPECT_EQ(sub.exit_code, 0) << sub.output;
    EXPECT_TRUE(read_file(received) == payload) << "received " << read_file(received).size();
}

TEST(CliLargeMessages, OneMebibyteFromMqtlsPubToMosquittoSubByteExact) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    const std::string sent = f.dir->file("sent.bin");
    const std::string received = f.dir->file("received.bin");
    const std::string payload = random_bytes(mebibyte, 3);
    write_file(sent, payload);
    BackgroundReceiver subscriber(
        concat(mosquitto_command("mosquitto_sub", *f.broker, "collector", collector_password),
               {"-i", "big-watcher", "-t", "telemetry/device-1/big", "-q", "1", "-C", "1", "-N",
                "-W", "30"}),
        received);
    ASSERT_TRUE(wait_for_subscription(*f.broker, "big-watcher")) << f.broker->log();
    // Standard input this time: -f - reads all of it as the one message.
    const ProcessResult pub = run_with_input(
        concat(f.pub(), {"-t", "telemetry/device-1/big", "-q", "1", "-f", "-"}), sent);
    EXPECT_EQ(pub.exit_code, 0) << pub.output;
    const ProcessResult& sub = subscriber.result();
    EXPECT_EQ(sub.exit_code, 0) << sub.output;
    EXPECT_TRUE(read_file(received) == payload) << "received " << read_file(received).size();
}

TEST(CliLargeMessages, PubRefusesAMessageJustOverTheLimitBeforeConnecting) {
    auto dir = TempDir::create("mqtls-large-limit-");
    ASSERT_TRUE(dir);
    const std::string topic = "telemetry/device-1/limit";
    const std::string over = payload_for_packet(topic, 2000) + "x";  // 2001 bytes at QoS 0
    const std::string file = dir->file("over.bin");
    write_file(file, over);
    // Port 1 has no broker: a connection attempt would end in exit status 4, not 2.
    const std::vector<std::string> base = {
        MQTLS_CLI_PATH,        "pub", "-h",  "127.0.0.1",         "-p",  "1", "--cafile",
        dir->file("none.crt"), "-t",  topic, "--max-packet-size", "2000"};
    // --cafile is read before the message: give it a real (if useless) file.
    write_file(dir->file("none.crt"), "-----BEGIN CERTIFICATE-----\n");
    const ProcessResult by_message = run_program(concat(base, {"-m", over}));
    EXPECT_EQ(by_message.exit_code, exit_usage) << by_message.output;
    EXPECT_NE(by_message.output.find("2001 bytes"), std::string::npos) << by_message.output;
    EXPECT_NE(by_message.output.find("limit of 2000 bytes"), std::string::npos)
        << by_message.output;
    EXPECT_NE(by_message.output.find("hint: raise it with --max-packet-size 2001"),
              std::string::npos)
        << by_message.output;
    EXPECT_EQ(by_message.output.find(over), std::string::npos) << "the payload is not echoed";
    const ProcessResult by_file = run_program(concat(base, {"-f", file}));
    EXPECT_EQ(by_file.exit_code, exit_usage) << by_file.output;
    EXPECT_NE(by_file.output.find("2001 bytes"), std::string::npos) << by_file.output;
    const ProcessResult by_stdin = run_with_input(concat(base, {"-s"}), file);
    EXPECT_EQ(by_stdin.exit_code, exit_usage) << by_stdin.output;
    EXPECT_NE(by_stdin.output.find("--max-packet-size"), std::string::npos) << by_stdin.output;
    // QoS 1 adds the two bytes of the packet identifier.
    const ProcessResult qos1 =
        run_program(concat(base, {"-m", over.substr(0, over.size() - 2), "-q", "1"}));
    EXPECT_EQ(qos1.exit_code, exit_usage) << qos1.output;
    EXPECT_NE(qos1.output.find("2001 bytes"), std::string::npos) << qos1.output;
    // A larger standard input is not read without bound: reading stops past the limit.
    const ProcessResult endless = run_with_input(concat(base, {"-s"}), "/dev/zero", 10s);
    EXPECT_EQ(endless.exit_code, exit_usage) << endless.output;
    EXPECT_NE(endless.output.find("at least"), std::string::npos) << endless.output;
}

TEST(CliLargeMessages, MessageExactlyAtTheLimitIsDeliveredAndOneOverFailsTheSubscriber) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    const std::string topic = "telemetry/device-1/limit";
    const std::string at_limit = payload_for_packet(topic, 2000);
    const std::string received = f.dir->file("received.txt");
    BackgroundReceiver subscriber(concat(f.sub(), {"-i", "limited-sub", "-t", topic, "-C", "2",
                                                   "-W", "20", "--max-packet-size", "2000"}),
                                  received);
    ASSERT_TRUE(wait_for_subscription(*f.broker, "limited-sub")) << f.broker->log();
    // QoS 0 both ways: the broker forwards packets of the size they were sent with.
    const ProcessResult first =
        run_program(concat(f.pub(), {"-t", topic, "-m", at_limit, "--max-packet-size", "2000"}));
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const ProcessResult second = run_program(concat(f.pub(), {"-t", topic, "-m", at_limit + "x"}));
    ASSERT_EQ(second.exit_code, 0) << second.output;
    const ProcessResult& sub = subscriber.result();
    EXPECT_EQ(sub.exit_code, exit_failure) << sub.output;
    EXPECT_NE(sub.output.find("the broker sent a 2001-byte packet, over the limit of 2000 bytes"),
              std::string::npos)
        << sub.output;
    EXPECT_NE(sub.output.find("--max-packet-size 2001"), std::string::npos) << sub.output;
    EXPECT_NE(sub.output.find("MQTT 3.1.1 has no way to tell the broker"), std::string::npos)
        << sub.output;
    EXPECT_EQ(read_file(received), at_limit + "\n");
}

TEST(CliLargeMessages, NullMessageAndStandardInputAsOneMessage) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    const std::string topic = "telemetry/device-1/sources";
    const std::string received = f.dir->file("received.txt");
    BackgroundReceiver subscriber(
        concat(f.sub(), {"-i", "sources-sub", "-t", topic, "-q", "1", "-C", "3", "-W", "20", "-v"}),
        received);
    ASSERT_TRUE(wait_for_subscription(*f.broker, "sources-sub")) << f.broker->log();
    const std::string input = f.dir->file("input.bin");
    write_file(input, std::string("line one\nline two\n\0end", 22));
    const ProcessResult null_message = run_program(concat(f.pub(), {"-t", topic, "-q", "1", "-n"}));
    EXPECT_EQ(null_message.exit_code, 0) << null_message.output;
    const ProcessResult whole =
        run_with_input(concat(f.pub(), {"-t", topic, "-q", "1", "-s"}), input);
    EXPECT_EQ(whole.exit_code, 0) << whole.output;
    // A pipe, not a file: -f - must not insist on a regular file.
    const ProcessResult piped = run_program(
        {"sh", "-c",
         "printf piped | " + shell_command(concat(f.pub(), {"-t", topic, "-q", "1", "-f", "-"}))});
    EXPECT_EQ(piped.exit_code, 0) << piped.output;
    const ProcessResult& sub = subscriber.result();
    EXPECT_EQ(sub.exit_code, 0) << sub.output;
    EXPECT_EQ(read_file(received), topic + " \n" + topic + " " +
                                       std::string("line one\nline two\n\0end", 22) + "\n" + topic +
                                       " piped\n");
}

TEST(CliLargeMessages, FileThatIsNotRegularIsRefusedAtOnce) {
    auto dir = TempDir::create("mqtls-large-fifo-");
    ASSERT_TRUE(dir);
    const std::string fifo = dir->file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    write_file(dir->file("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    for (const std::string& path : {fifo, std::string("/dev/zero"), dir->path()}) {
        const auto started = std::chrono::steady_clock::now();
        const ProcessResult pub =
            run_program({MQTLS_CLI_PATH, "pub", "-h", "127.0.0.1", "-p", "1", "--cafile",
                         dir->file("ca.crt"), "-t", "t", "-f", path},
                        10s);
        EXPECT_EQ(pub.exit_code, exit_file) << path << ": " << pub.output;
        EXPECT_NE(pub.output.find("not a regular file"), std::string::npos) << pub.output;
        EXPECT_NE(pub.output.find("-f - or -s"), std::string::npos) << pub.output;
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << path;
    }
}

TEST(CliLargeMessages, MaxInflightOneAndWideBothDeliverEveryLine) {
    Fixture f;
    ASSERT_TRUE(f.ready());
    constexpr int lines = 3000;
    const std::string input = f.dir->file("lines.txt");
    std::string expected;
    for (int i = 0; i < lines; ++i) expected += "reading-" + std::to_string(i) + "\n";
    write_file(input, expected);
    for (const char* window : {"1", "65535"}) {
        const std::string topic = std::string("telemetry/device-1/window-") + window;
        const std::string client_id = std::string("window-sub-") + window;
        const std::string received = f.dir->file(client_id + ".txt");
        BackgroundReceiver subscriber(concat(f.sub(), {"-i", client_id, "-t", topic, "-q", "1",
                                                       "-C", std::to_string(lines), "-W", "30"}),
                                      received);
        ASSERT_TRUE(wait_for_subscription(*f.broker, client_id)) << f.broker->log();
        const ProcessResult pub = run_with_input(
            concat(f.pub(), {"-t", topic, "-q", "1", "-l", "--max-inflight", window}), input);
        EXPECT_EQ(pub.exit_code, 0) << "window " << window << ": " << pub.output;
        const ProcessResult& sub = subscriber.result();
        EXPECT_EQ(sub.exit_code, 0) << "window " << window << ": " << sub.output;
        EXPECT_TRUE(read_file(received) == expected)
            << "window " << window << ": " << read_file(received).size() << " bytes";
    }
    // -M is mosquitto_pub's short form; 0 cannot work.
    const ProcessResult zero = run_with_input(
        concat(f.pub(), {"-t", "telemetry/device-1/window-0", "-q", "1", "-l", "-M", "0"}), input);
    EXPECT_EQ(zero.exit_code, exit_usage) << zero.output;
}

TEST(CliLargeMessages, HelpShowsTheNewFlags) {
    const ProcessResult pub = run_program({MQTLS_CLI_PATH, "pub", "--help"});
    for (const char* flag : {"--max-packet-size", "-M,--max-inflight", "-n,--null-message",
                             "-s,--stdin-file", "- for standard input"}) {
        EXPECT_NE(pub.output.find(flag), std::string::npos) << flag << "\n" << pub.output;
    }
    const ProcessResult sub = run_program({MQTLS_CLI_PATH, "sub", "--help"});
    EXPECT_NE(sub.output.find("--max-packet-size"), std::string::npos) << sub.output;
    // node publishes only its own small readings; a flag it would ignore is not offered.
    const ProcessResult node = run_program({MQTLS_CLI_PATH, "node", "--help"});
    EXPECT_EQ(node.exit_code, 0) << node.output;
    EXPECT_EQ(node.output.find("--max-packet-size"), std::string::npos) << node.output;
}

}  // namespace
