// `mqtls explain`: a device built without error texts prints only an error's name; the host
// command gives back the message and hint the library has for it, by name or value.
#include <gtest/gtest.h>

#include <string>

#include "mqtls/core/error.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::exit_usage;
using mqtls::cli_test::run_mqtls;
using namespace std::chrono_literals;

TEST(CliExplain, ByNameAndByValueGivesTheLibrarysMessageAndHint) {
    const mqtls::Errc code = mqtls::Errc::certificate_expired;
    for (const std::string& asked : {std::string("certificate_expired"), std::string("0x0407"),
                                     std::to_string(static_cast<unsigned>(code))}) {
        const auto result = run_mqtls({"explain", asked}, 20s);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        EXPECT_EQ(result.output.rfind("certificate_expired (0x0407, tls; permanent", 0), 0U)
            << result.output;
        EXPECT_NE(result.output.find(mqtls::message(code)), std::string::npos) << result.output;
        EXPECT_NE(result.output.find(std::string("hint: ") + mqtls::hint(code)), std::string::npos)
            << result.output;
    }
}

TEST(CliExplain, AnUnknownCodeIsAUsageErrorAndTheOthersAreStillExplained) {
    const auto result = run_mqtls({"explain", "no_such_error", "need_more", "0x10000"}, 20s);
    EXPECT_EQ(result.exit_code, exit_usage) << result.output;
    EXPECT_NE(result.output.find("'no_such_error' is not an mqtls error"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("'0x10000' is not an mqtls error"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("need_more (0x0101, codec; transient"), std::string::npos)
        << result.output;
    const auto nothing = run_mqtls({"explain"}, 20s);
    EXPECT_EQ(nothing.exit_code, exit_usage) << nothing.output;
}

TEST(CliExplain, AllListsEveryCodeOnce) {
    const auto result = run_mqtls({"explain", "--all"}, 20s);
    EXPECT_EQ(result.exit_code, 0);
    for (const mqtls::Errc code : {mqtls::Errc::need_more, mqtls::Errc::certificate_expired,
                                   mqtls::Errc::too_many_sensor_values}) {
        const std::string line = std::string(mqtls::name(code)) + " (";
        const std::size_t first = result.output.find(line);
        EXPECT_NE(first, std::string::npos) << line;
        EXPECT_EQ(result.output.find(line, first + 1), std::string::npos) << line;
    }
}

}  // namespace
