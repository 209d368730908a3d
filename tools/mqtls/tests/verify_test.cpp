// `mqtls verify`: a broker's chain checked offline, with the exit status and the words a refused
// connection would give, and the same verdict as a connection to a real broker presenting it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::Arguments;
using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::concat;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_tls;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::PkiFolderTest;
using mqtls::cli_test::run_mqtls;
using mqtls::cli_test::write_file;
using namespace std::chrono_literals;

// 2100-01-01 and 2025-01-01, in Unix seconds: after the broker certificate ends, and before it
// began (it was made today, and 2025 is after the 2024 floor below which a clock counts as unset).
constexpr const char* far_future = "4102444800";
constexpr const char* before_issue = "1735689600";

class CliVerify : public PkiFolderTest {
protected:
    CliVerify() : PkiFolderTest("mqtls-verify-") {}
    void set_up_in_directory() override { make_pki({"device-1"}); }

    Arguments verify(const std::string& name, const Arguments& more = {}) const {
        return concat(
            {"verify", "--cafile", file("ca.crt"), "--chain", file("broker.crt"), "--name", name},
            more);
    }
};

TEST_F(CliVerify, ValidChainForItsNamesSaysOk) {
    for (const char* name : {"localhost", "127.0.0.1"}) {
        const auto result = run_mqtls(verify(name), 20s);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        EXPECT_EQ(result.output.rfind("ok: ", 0), 0U) << result.output;
    }
}

TEST_F(CliVerify, RefusalsExitFiveWithTheConnectionsReasonAndHint) {
    struct Refusal {
        Arguments arguments;
        const char* says;
    };
    const std::vector<Refusal> refusals = {
        {verify("evil.test"), "not for the host name we dialed"},
        {verify("127.0.0.2"), "not for the host name we dialed"},
        {verify("localhost", {"--at", far_future}), "has expired"},
        {verify("localhost", {"--at", before_issue}), "not yet valid"},
        {verify("localhost", {"--pin-sha256", std::string(64, 'a')}), "pinned SHA-256"},
        // A device certificate (extendedKeyUsage clientAuth) presented as a broker's.
        {Arguments{"verify", "--cafile", file("ca.crt"), "--chain", file("device-1.crt"), "--name",
                   "device-1"},
         "may not be used by a TLS server"},
    };
    for (const Refusal& refusal : refusals) {
        const auto result = run_mqtls(refusal.arguments, 20s);
        EXPECT_EQ(result.exit_code, exit_tls) << result.output;
        EXPECT_NE(result.output.find(refusal.says), std::string::npos) << result.output;
        EXPECT_NE(result.output.find("hint: "), std::string::npos) << result.output;
    }
}

TEST_F(CliVerify, AnotherCasChainIsUntrusted) {
    ASSERT_EQ(run_mqtls({"pki", "init", path("other")}, 20s).exit_code, 0);
    const auto result = run_mqtls({"verify", "--cafile", path("other/ca.crt"), "--chain",
                                   file("broker.crt"), "--name", "localhost"},
                                  20s);
    EXPECT_EQ(result.exit_code, exit_tls) << result.output;
    EXPECT_NE(result.output.find("not signed by a trusted CA"), std::string::npos) << result.output;
}

TEST_F(CliVerify, FilesThatCannotBeReadOrAreNotPemExitThree) {
    write_file(path("garbage.pem"), "this is not PEM\n");
    for (const Arguments& arguments :
         std::vector<Arguments>{{"verify", "--cafile", file("ca.crt"), "--chain",
                                 path("missing.pem"), "--name", "localhost"},
                                {"verify", "--cafile", file("ca.crt"), "--chain",
                                 path("garbage.pem"), "--name", "localhost"},
                                {"verify", "--cafile", path("garbage.pem"), "--chain",
                                 file("broker.crt"), "--name", "localhost"}}) {
        const auto result = run_mqtls(arguments, 20s);
        EXPECT_EQ(result.exit_code, exit_file) << result.output;
        EXPECT_NE(result.output.find("hint: "), std::string::npos) << result.output;
    }
}

TEST_F(CliVerify, BadArgumentsExitTwo) {
    for (const Arguments& arguments : std::vector<Arguments>{
             {"verify", "--cafile", file("ca.crt"), "--chain", file("broker.crt")},
             verify("localhost", {"--pin-sha256", "abc"}),
             verify("localhost", {"--at", "-5"})}) {
        const auto result = run_mqtls(arguments, 20s);
        EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    }
    EXPECT_EQ(run_mqtls({"verify", "--help"}, 20s).exit_code, 0);
}

TEST_F(CliVerify, AgreesWithAConnectionToABrokerPresentingTheChain) {
    // A broker whose certificate names only broker.invalid: dialing it as localhost or
    // 127.0.0.1 must be refused online exactly as `mqtls verify` refuses it offline.
    const std::string named = path("named");
    ASSERT_EQ(run_mqtls({"pki", "init", named}, 20s).exit_code, 0);
    ASSERT_EQ(run_mqtls({"pki", "server", named, "--san", "broker.invalid"}, 20s).exit_code, 0);
    for (const auto& [folder, accepted] :
         std::vector<std::pair<std::string, bool>>{{pki_, true}, {named, false}}) {
        const std::uint16_t port = mqtls::cli_test::free_port();
        const std::string output = path("broker.out");
        ChildProcess broker(
            mqtls::cli_test::mqtls({"broker", "--pki", folder, "--port", std::to_string(port),
                                    "--user", "device-1:device-secret"}),
            output);
        ASSERT_TRUE(broker.wait_listening(port)) << mqtls::cli_test::read_file(output);
        for (const char* name : {"localhost", "127.0.0.1"}) {
            const auto offline = run_mqtls({"verify", "--cafile", folder + "/ca.crt", "--chain",
                                            folder + "/broker.crt", "--name", name},
                                           20s);
            const auto online = run_mqtls(
                {"pub", "-h", name, "-p", std::to_string(port), "--cafile", folder + "/ca.crt",
                 "-u", "device-1", "-P", "device-secret", "-t", "t", "-m", "v"},
                20s);
            EXPECT_EQ(offline.exit_code, accepted ? 0 : exit_tls) << name << offline.output;
            EXPECT_EQ(online.exit_code, offline.exit_code)
                << name << "\noffline: " << offline.output << "\nonline: " << online.output;
            if (!accepted) {
                const std::string reason = "not for the host name we dialed";
                EXPECT_NE(offline.output.find(reason), std::string::npos) << offline.output;
                EXPECT_NE(online.output.find(reason), std::string::npos) << online.output;
            }
        }
    }
}

}  // namespace
