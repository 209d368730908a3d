// The shapes cloud brokers impose, through the CLI to a real Mosquitto standing in for them
// (docs/cloud-brokers.md): Azure IoT Hub's user name (slashes, '?', '='), a SAS token as the
// password ('%', '&', '=' and spaces), and its events topic with a property bag, from pub and
// from the node's topic template. What only the services themselves can show (their ALPN, their
// limits) is not tested here; ALPN against a server that requires it is (TlsAlpn.*, LinkTls.*).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/tls/azure_sas.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::BackgroundRun;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::mosquitto_command;
using mqtls::cli_test::mqtls;
using mqtls::cli_test::permissions;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_program;
using mqtls::cli_test::start_broker;
using mqtls::cli_test::TempDirTest;
using mqtls::cli_test::wait_for_log;
using mqtls::cli_test::write_file;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;

const std::string azure_user = "myhub.azure-devices.net/dev-1/?api-version=2021-04-12";
// What a SAS token looks like (this one signs nothing: Mosquitto checks it as a password).
const std::string sas_token =
    "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev-1"
    "&sig=q0Tz9nZyR6mZ5tNw1x%2Bx0WlK3h8%3D&se=1893456000";
constexpr const char* collector_password = "cloud-collector-password";

class CliCloudShapes : public TempDirTest {
protected:
    CliCloudShapes() : TempDirTest("mqtls-cloud-") {}

    void set_up_in_directory() override {
        mqtls::testing::BrokerOptions options;
        options.users = {{azure_user, sas_token}, {"collector", collector_password}};
        // Azure lets a device write only under its own events topic.
        options.acl = "user " + azure_user + "\ntopic write devices/dev-1/messages/events/#\n" +
                      "user collector\ntopic read #\n";
        broker_ = start_broker(options);
        ASSERT_TRUE(broker_);
        write_file(path("dev-1.sas"), sas_token + "\n");
    }

    std::vector<std::string> azure_connection() const {
        return {"-h",        MosquittoBroker::host(),
                "-p",        std::to_string(broker_->tls_port()),
                "--cafile",  broker_->ca_file(),
                "-i",        "dev-1",
                "-u",        azure_user,
                "--pw-file", path("dev-1.sas")};
    }

    std::unique_ptr<BackgroundRun> collect(int count) {
        auto watcher = std::make_unique<BackgroundRun>(
            concat(mosquitto_command("mosquitto_sub", *broker_, "collector", collector_password),
                   {"-i", "cloud-collector", "-t", "devices/#", "-v", "-C", std::to_string(count),
                    "-W", "20"}),
            25s);
        EXPECT_TRUE(wait_for_log(*broker_, "Received SUBSCRIBE from cloud-collector"))
            << broker_->log();
        return watcher;
    }

    std::unique_ptr<MosquittoBroker> broker_;
};

TEST_F(CliCloudShapes, AzureUserNameSasPasswordAndEventTopicsPassThroughUnchanged) {
    auto watcher = collect(2);
    const ProcessResult plain = run_program(
        concat(mqtls({"pub"}), concat(azure_connection(), {"-t", "devices/dev-1/messages/events/",
                                                           "-q", "1", "-m", "{\"t\":21.5}"})));
    EXPECT_EQ(plain.exit_code, 0) << plain.output;
    const ProcessResult with_properties = run_program(concat(
        mqtls({"pub"}),
        concat(azure_connection(),
               {"-t", "devices/dev-1/messages/events/level=high", "-q", "1", "-m", "alarm"})));
    EXPECT_EQ(with_properties.exit_code, 0) << with_properties.output;
    const std::string received = watcher->result().output;
    EXPECT_NE(received.find("devices/dev-1/messages/events/ {\"t\":21.5}"), std::string::npos)
        << received;
    EXPECT_NE(received.find("devices/dev-1/messages/events/level=high alarm"), std::string::npos)
        << received;
    // The broker saw the user name whole, not cut at '/' or '?'.
    EXPECT_NE(broker_->log().find("u'" + azure_user + "'"), std::string::npos) << broker_->log();
}

TEST_F(CliCloudShapes, NodeTopicTemplateMakesTheEventsTopic) {
    auto watcher = collect(1);
    const ProcessResult node = run_program(
        concat(mqtls({"node"}), concat(azure_connection(), {"--device", "dev-1", "--topic",
                                                            "devices/{device}/messages/events/",
                                                            "--count", "1", "--interval", "0.2"})),
        30s);
    EXPECT_EQ(node.exit_code, 0) << node.output;
    const std::string received = watcher->result().output;
    EXPECT_NE(received.find("devices/dev-1/messages/events/ {"), std::string::npos) << received;
}

TEST_F(CliCloudShapes, AnotherDevicesTopicIsNotWritten) {
    // The ACL stands in for IoT Hub's rule; Mosquitto 2.0 drops the message (IoT Hub would
    // close the connection), so what is checked is that nothing arrives under dev-2.
    auto watcher = collect(1);
    const ProcessResult other = run_program(concat(
        mqtls({"pub"}), concat(azure_connection(),
                               {"-t", "devices/dev-2/messages/events/", "-q", "1", "-m", "x"})));
    EXPECT_EQ(other.exit_code, 0) << other.output;  // 3.1.1: acknowledged and dropped
    const ProcessResult own = run_program(concat(
        mqtls({"pub"}), concat(azure_connection(),
                               {"-t", "devices/dev-1/messages/events/", "-q", "1", "-m", "own"})));
    EXPECT_EQ(own.exit_code, 0) << own.output;
    const std::string received = watcher->result().output;
    EXPECT_EQ(received.find("dev-2"), std::string::npos) << received;
    EXPECT_NE(received.find("devices/dev-1/messages/events/ own"), std::string::npos) << received;
}

// ---- mqtls azure-sas ----------------------------------------------------------------------

class CliAzureSas : public TempDirTest {
protected:
    CliAzureSas() : TempDirTest("mqtls-azure-sas-") {}
    void set_up_in_directory() override { write_file(path("dev-1.key"), std::string(key) + "\n"); }
    // "this is a test key for dev-1 !!" in Base64, as the portal shows a device key.
    static constexpr const char* key = "dGhpcyBpcyBhIHRlc3Qga2V5IGZvciBkZXYtMSAhIQ==";
};

TEST_F(CliAzureSas, TheTokenIsTheLibrarysAndLogsInWithTheUserNameItNames) {
    const ProcessResult made =
        run_program(mqtls({"azure-sas", "--hub", "myhub", "--device", "dev-1", "--key-file",
                           path("dev-1.key"), "--hours", "2", "-o", path("dev-1.sas")}));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    EXPECT_EQ(permissions(path("dev-1.sas")), 0600U);
    const std::string user = "myhub.azure-devices.net/dev-1/?api-version=2021-04-12";
    EXPECT_NE(made.output.find("-u '" + user + "'"), std::string::npos) << made.output;

    std::string token = read_file(path("dev-1.sas"));
    ASSERT_FALSE(token.empty());
    ASSERT_EQ(token.back(), '\n');
    token.pop_back();
    const std::size_t se = token.rfind("&se=");
    ASSERT_NE(se, std::string::npos) << token;
    const long long expiry = std::stoll(token.substr(se + 4));
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    EXPECT_NEAR(static_cast<double>(expiry - now), 2 * 3600.0, 120.0);
    char expected[mqtls::tls::max_azure_sas_token_size];
    auto signed_here =
        mqtls::tls::azure_sas_token("myhub.azure-devices.net/devices/dev-1", key, expiry,
                                    mqtls::span<char>(expected, sizeof expected));
    ASSERT_TRUE(signed_here);
    EXPECT_EQ(token, std::string(expected, *signed_here));

    // The token and the user name through the CLI to a broker that knows them (Mosquitto stands in
    // for IoT Hub, which would check the signature).
    mqtls::testing::BrokerOptions options;
    options.users = {{user, token}};
    auto broker = start_broker(options);
    ASSERT_TRUE(broker);
    const ProcessResult pub = run_program(
        mqtls({"pub", "-h", MosquittoBroker::host(), "-p", std::to_string(broker->tls_port()),
               "--cafile", broker->ca_file(), "-i", "dev-1", "-u", user, "--pw-file",
               path("dev-1.sas"), "-t", "devices/dev-1/messages/events/", "-q", "1", "-m", "{}"}));
    EXPECT_EQ(pub.exit_code, 0) << pub.output << broker->log();

    // An existing token file is never overwritten.
    const ProcessResult again =
        run_program(mqtls({"azure-sas", "--hub", "myhub", "--device", "dev-1", "--key-file",
                           path("dev-1.key"), "-o", path("dev-1.sas")}));
    EXPECT_EQ(again.exit_code, exit_file) << again.output;
}

TEST_F(CliAzureSas, MistakesAreUsageErrorsThatNeverEchoTheKey) {
    write_file(path("bad.key"), "not a base64 key!\n");
    const ProcessResult bad = run_program(
        mqtls({"azure-sas", "--hub", "myhub", "--device", "dev-1", "--key-file", path("bad.key")}));
    EXPECT_EQ(bad.exit_code, exit_usage) << bad.output;
    EXPECT_NE(bad.output.find("not a Base64 key"), std::string::npos) << bad.output;
    EXPECT_EQ(bad.output.find("not a base64 key!"), std::string::npos) << bad.output;
    const ProcessResult no_key =
        run_program(mqtls({"azure-sas", "--hub", "myhub", "--device", "dev-1"}));
    EXPECT_EQ(no_key.exit_code, exit_usage) << no_key.output;
    EXPECT_NE(no_key.output.find("MQTLS_AZURE_KEY"), std::string::npos) << no_key.output;
    const ProcessResult no_hours =
        run_program(mqtls({"azure-sas", "--hub", "myhub", "--device", "dev-1", "--key-file",
                           path("dev-1.key"), "--hours", "0"}));
    EXPECT_EQ(no_hours.exit_code, exit_usage) << no_hours.output;
    const ProcessResult spaced = run_program(mqtls(
        {"azure-sas", "--hub", "my hub", "--device", "dev-1", "--key-file", path("dev-1.key")}));
    EXPECT_EQ(spaced.exit_code, exit_usage) << spaced.output;
}

}  // namespace
