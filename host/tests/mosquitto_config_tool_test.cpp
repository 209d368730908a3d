// mqtls_mosquitto_config, the generator for scripts (bench/wake_cycle.py): its help, its output
// for the benchmark's listeners, and its refusals.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mqtls/host/process.hpp"

#include <unistd.h>

namespace mqtls::host {
namespace {

struct ToolRun {
    int code = -1;
    std::string output;  // standard output and error
};

ToolRun run_tool(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), MQTLS_MOSQUITTO_CONFIG_PATH);
    int ends[2];
    if (::pipe(ends) != 0) return {};
    SpawnOptions options;
    options.argv = arguments;
    options.input = StreamOptions::null();
    options.output = StreamOptions::to_fd(ends[1]);
    options.error = StreamOptions::to_fd(ends[1]);
    auto child = Process::spawn(options);
    ::close(ends[1]);
    ToolRun run;
    char buffer[4096];
    for (ssize_t got = ::read(ends[0], buffer, sizeof buffer); got > 0;
         got = ::read(ends[0], buffer, sizeof buffer)) {
        run.output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(ends[0]);
    if (child) run.code = child->wait_for(std::chrono::seconds(10)).value_or(ExitStatus{}).code();
    return run;
}

TEST(HostMosquittoConfigTool, HelpNamesEveryOption) {
    const ToolRun help = run_tool({"--help"});
    EXPECT_EQ(help.code, 0) << help.output;
    for (const char* option : {"--listener", "--bind", "--cert-name", "--allow-anonymous",
                               "--log-file", "--log-stderr", "mqtls broker"}) {
        EXPECT_NE(help.output.find(option), std::string::npos) << option << "\n" << help.output;
    }
}

TEST(HostMosquittoConfigTool, PrintsTheBenchmarksListeners) {
    const ToolRun run =
        run_tool({"--listener", "18001:/w/pki-ecdsa", "--listener", "18002:/w/pki-rsa",
                  "--listener", "18003:/w/pki-ecdsa:client-certificate", "--allow-anonymous",
                  "--log-file", "/w/mosquitto.log"});
    ASSERT_EQ(run.code, 0) << run.output;
    const std::string& text = run.output;
    EXPECT_NE(text.find("\nlistener 18001 127.0.0.1\ncafile /w/pki-ecdsa/ca.crt\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\ncertfile /w/pki-rsa/broker.crt\nkeyfile /w/pki-rsa/broker.key\n"),
              std::string::npos)
        << text;
    // Only the third listener requires a certificate.
    const std::size_t third = text.find("listener 18003");
    ASSERT_NE(third, std::string::npos) << text;
    EXPECT_EQ(text.find("require_certificate true"), text.rfind("require_certificate true"));
    EXPECT_GT(text.find("require_certificate true"), third) << text;
    EXPECT_NE(text.find("\nallow_anonymous true\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nlog_dest file /w/mosquitto.log\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("log_dest stderr"), std::string::npos) << text;
    // Anonymous clients have no user name to bind their client id to.
    EXPECT_EQ(text.find("use_username_as_clientid"), std::string::npos) << text;
    EXPECT_NE(text.find("\nciphers ECDHE-ECDSA-AES128-GCM-SHA256:"), std::string::npos) << text;
}

TEST(HostMosquittoConfigTool, WithoutAnonymousBindsClientIds) {
    const ToolRun run = run_tool({"--listener", "18003:/w/pki:client-certificate"});
    ASSERT_EQ(run.code, 0) << run.output;
    EXPECT_NE(run.output.find("\nallow_anonymous false\n"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("\nuse_username_as_clientid true\n"), std::string::npos)
        << run.output;
}

TEST(HostMosquittoConfigTool, RefusesBadListenersAndControlCharacters) {
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {},  // --listener is required
             {"--listener", "pki"},
             {"--listener", "0:pki"},
             {"--listener", "70000:pki"},
             {"--listener", "80x:pki"},
             {"--listener", "8883:"},
             {"--listener", "8883:pki\nlistener 1883"},
             {"--listener", "8883:pki", "--log-file", "/w/log\nallow_anonymous true"},
         }) {
        const ToolRun run = run_tool(bad);
        EXPECT_EQ(run.code, 2) << run.output;
        EXPECT_EQ(run.output.find("listener 1883"), std::string::npos) << run.output;
        EXPECT_EQ(run.output.find("\nallow_anonymous"), std::string::npos) << run.output;
    }
}

}  // namespace
}  // namespace mqtls::host
