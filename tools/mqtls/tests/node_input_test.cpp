// What `mqtls node` takes in besides its flags, tested without a broker: readings from outside
// (parse_external_reading, run_sensor_command) and the run id kept with an outbox
// (load_or_create_run_id).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "external_reading.hpp"
#include "mqtls/node/run_id.hpp"
#include "mqtls/testing/process.hpp"
#include "run_id_file.hpp"
#include "sensor_input.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::Errc;
using mqtls::cli::ExternalReading;
using mqtls::cli::load_or_create_run_id;
using mqtls::cli::parse_external_reading;
using mqtls::cli::run_sensor_command;
using mqtls::cli::RunIdOrigin;
using mqtls::cli_test::read_file;
using namespace std::chrono_literals;

// ---- parse_external_reading ---------------------------------------------------------------

TEST(NodeExternalReading, KeepsTheFieldsInTheirOrderAsCompactJson) {
    const ExternalReading reading = parse_external_reading(
        "  {\"temperature_c\": 21.5, \"door\": \"open\", \"probe\": {\"ok\": true, \"v\": [1, "
        "-2, 3.25]}, \"note\": null, \"name\": \"K\\u00fcche \\u00e9\"}\r\n");
    ASSERT_TRUE(reading.ok()) << reading.problem;
    EXPECT_EQ(reading.fields,
              "\"temperature_c\":21.5,\"door\":\"open\",\"probe\":{\"ok\":true,\"v\":[1,-2,"
              "3.25]},\"note\":null,\"name\":\"K\xc3\xbc"
              "che \xc3\xa9\"");
    // Control characters are escaped again on the way out: the published JSON stays valid.
    const ExternalReading escaped = parse_external_reading(R"({"s":"a\nb\u0001"})");
    ASSERT_TRUE(escaped.ok()) << escaped.problem;
    EXPECT_EQ(escaped.fields, R"("s":"a\nb\u0001")");
}

TEST(NodeExternalReading, RefusesWhatIsNotOneUsableJsonObject) {
    struct Case {
        std::string input;
        std::string problem;  // a part of the problem text
    };
    const std::vector<Case> cases = {
        {"", "empty"},
        {"   \n", "empty"},
        {"hello", "not JSON: syntax error"},
        {R"({"a":1)", "not JSON: syntax error"},
        {R"({"a":1}{"b":2})", "not JSON: syntax error"},
        {R"({"a":1,})", "not JSON: syntax error"},
        {"[1,2]", "not a JSON object (an array)"},
        {"42", "not a JSON object"},
        {R"("text")", "not a JSON object"},
        {"{}", "has no sensor fields"},
        {R"({"a":{"b":{"c":{"d":{"e":1}}}}})", "nested deeper than 4 levels"},
        {R"({"a":[[[[1]]]]})", "nested deeper than 4 levels"},
        {std::string(100'000, '['), "larger than 4096 bytes"},
        {R"({"a":")" + std::string(4100, 'x') + R"("})", "larger than 4096 bytes"},
        {R"({"a":1e400})", "a number is out of range"},
        {R"({"a":-1e400})", "a number is out of range"},
        {R"({"a":NaN})", "not JSON: syntax error"},
        {R"({"a":Infinity})", "not JSON: syntax error"},
        {"{\"a\":\"\xff\xfe\"}", "not valid UTF-8"},
        {"{\"a\":\"\xc0\xaf\"}", "not valid UTF-8"},  // an overlong '/'
        {R"({"a":"\ud800"})", "lone UTF-16 surrogate"},
        {"{\"a\":\"x\ny\"}", "unescaped control character"},
        {R"({"a":1,"a":2})", R"(the key "a" appears twice)"},
        {R"({"o":{"k":1,"k":1}})", R"(the key "k" appears twice)"},
        {R"({"seq":5,"t":1})", R"(sets "seq", which the node adds itself)"},
        {R"({"t":1,"device":"other"})", R"(sets "device")"},
        {R"({"ts":1})", R"(sets "ts")"},
        {R"({"run":"x"})", R"(sets "run")"},
    };
    for (const Case& bad : cases) {
        const ExternalReading reading = parse_external_reading(bad.input);
        EXPECT_FALSE(reading.ok()) << bad.input.substr(0, 80);
        EXPECT_NE(reading.problem.find(bad.problem), std::string::npos)
            << bad.input.substr(0, 80) << " -> " << reading.problem;
        EXPECT_TRUE(reading.fields.empty());
    }
    // Nested keys of the node's names are the producer's own business.
    EXPECT_TRUE(parse_external_reading(R"({"meta":{"seq":1,"ts":2}})").ok());
    // Four levels is the most, and a key may repeat across objects.
    EXPECT_TRUE(parse_external_reading(R"({"a":{"b":{"c":[1]}},"b":{"b":1}})").ok());
}

TEST(NodeExternalReading, ProblemsDoNotQuoteTheInput) {
    const ExternalReading reading = parse_external_reading("{\"a\":\x1b[2Jsecret-ish}");
    ASSERT_FALSE(reading.ok());
    EXPECT_EQ(reading.problem.find("secret-ish"), std::string::npos) << reading.problem;
    EXPECT_EQ(reading.problem.find('\x1b'), std::string::npos) << reading.problem;
    const ExternalReading key = parse_external_reading("{\"\x1b[2J\":1,\"\x1b[2J\":2}");
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.problem.find('\x1b'), std::string::npos) << key.problem;
}

// ---- run_sensor_command ---------------------------------------------------------------------

TEST(NodeSensorCommand, ItsOutputIsTheReading) {
    const ExternalReading reading =
        run_sensor_command(R"(printf '{"dev":"%s","v":%d}\n' "$MQTLS_DEVICE" 7)", "gw-3", 5s);
    ASSERT_TRUE(reading.ok()) << reading.problem;
    EXPECT_EQ(reading.fields, R"("dev":"gw-3","v":7)");
    // Pretty-printed over several lines is one object too.
    const ExternalReading pretty = run_sensor_command(R"(printf '{\n  "a": 1\n}\n')", "d", 5s);
    ASSERT_TRUE(pretty.ok()) << pretty.problem;
    EXPECT_EQ(pretty.fields, R"("a":1)");
}

TEST(NodeSensorCommand, FailuresGiveNoReading) {
    const ExternalReading failed = run_sensor_command("echo '{\"a\":1}'; exit 3", "d", 5s);
    EXPECT_FALSE(failed.ok());
    EXPECT_EQ(failed.problem, "exited with status 3");
    const ExternalReading killed = run_sensor_command("kill -9 $$", "d", 5s);
    EXPECT_EQ(killed.problem, "was killed by signal 9");
    const ExternalReading missing = run_sensor_command("/nonexistent/sensor", "d", 5s);
    EXPECT_EQ(missing.problem, "exited with status 127");
    const ExternalReading flood = run_sensor_command("yes", "d", 5s);
    EXPECT_EQ(flood.problem, "printed more than 4096 bytes");
    const ExternalReading silent = run_sensor_command("true", "d", 5s);
    EXPECT_NE(silent.problem.find("empty"), std::string::npos) << silent.problem;
}

TEST(NodeSensorCommand, AHangingCommandIsKilledWithWhatItStarted) {
    auto dir = mqtls::testing::TempDir::create("mqtls-sensor-");
    ASSERT_TRUE(dir);
    const std::string pid_file = dir->file("child.pid");
    const auto started = std::chrono::steady_clock::now();
    // A background child and a foreground sleep that both outlive the timeout.
    const ExternalReading hung = run_sensor_command(
        "sleep 30 & echo $! > '" + pid_file + "'; sleep 30; echo '{\"a\":1}'", "d", 300ms);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(hung.ok());
    EXPECT_NE(hung.problem.find("did not finish within 0.3 s"), std::string::npos) << hung.problem;
    EXPECT_LT(took, 5s);
    const std::string pid_text = read_file(pid_file);
    ASSERT_FALSE(pid_text.empty());
    const auto child = static_cast<pid_t>(std::stol(pid_text));
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = !mqtls::testing::process_alive(child);
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone) << "the command's background process " << child << " still runs";
    // A command that exits but leaves a process holding its output is not waited for.
    const auto second = std::chrono::steady_clock::now();
    const ExternalReading detached = run_sensor_command("sleep 30 & echo '{\"a\":2}'", "d", 10s);
    EXPECT_TRUE(detached.ok()) << detached.problem;
    EXPECT_LT(std::chrono::steady_clock::now() - second, 5s);
}

// ---- load_or_create_run_id -------------------------------------------------------------------

TEST(NodeRunIdFile, IsMadeForANewOutboxAndKeptWhileItContinues) {
    auto dir = mqtls::testing::TempDir::create("mqtls-run-id-");
    ASSERT_TRUE(dir);
    const std::string path = dir->file("run-id");
    auto made = load_or_create_run_id(dir->path(), /*outbox_is_new=*/true);
    ASSERT_TRUE(made) << made.error().message();
    EXPECT_EQ(made->origin, RunIdOrigin::new_outbox);
    EXPECT_NE(made->value, 0U);
    const std::string text = read_file(path);
    ASSERT_EQ(text.size(), 17U) << text;
    EXPECT_EQ(text.back(), '\n');
    auto parsed = mqtls::node::parse_run_id(std::string_view(text).substr(0, 16));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, made->value);
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    EXPECT_NE(::access(dir->file("run-id.new").c_str(), F_OK), 0) << "no temporary left";

    auto kept = load_or_create_run_id(dir->path(), /*outbox_is_new=*/false);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->origin, RunIdOrigin::stored);
    EXPECT_EQ(kept->value, made->value);

    // The outbox started over (lost or new log): seq 1 again, so a new id, whatever is stored.
    auto renewed = load_or_create_run_id(dir->path(), /*outbox_is_new=*/true);
    ASSERT_TRUE(renewed);
    EXPECT_EQ(renewed->origin, RunIdOrigin::new_outbox);
    EXPECT_NE(renewed->value, made->value);
    EXPECT_EQ(read_file(path).substr(0, 16).size(), 16U);
    auto again = load_or_create_run_id(dir->path(), false);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->value, renewed->value);
}

TEST(NodeRunIdFile, AMissingOrDamagedFileGetsANewId) {
    auto dir = mqtls::testing::TempDir::create("mqtls-run-id-");
    ASSERT_TRUE(dir);
    const std::string path = dir->file("run-id");
    auto missing = load_or_create_run_id(dir->path(), false);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->origin, RunIdOrigin::missing);
    for (const std::string& damaged :
         {std::string("3F9A0C2E51B7D864\n"), std::string("3f9a0c2e51b7d864"),
          std::string("3f9a0c2e51b7d864\n\n"), std::string("0000000000000000\n"), std::string(""),
          std::string("not a run id at all\n")}) {
        ASSERT_EQ(::unlink(path.c_str()), 0);
        {
            std::ofstream out(path, std::ios::binary);
            out << damaged;
        }
        ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
        auto replaced = load_or_create_run_id(dir->path(), false);
        ASSERT_TRUE(replaced) << replaced.error().message();
        EXPECT_EQ(replaced->origin, RunIdOrigin::damaged) << damaged;
        auto stored = load_or_create_run_id(dir->path(), false);
        ASSERT_TRUE(stored);
        EXPECT_EQ(stored->origin, RunIdOrigin::stored);
        EXPECT_EQ(stored->value, replaced->value);
    }
    // A leftover temporary of a crash before the rename does not get in the way.
    { std::ofstream(dir->file("run-id.new")) << "torn"; }
    auto fresh = load_or_create_run_id(dir->path(), true);
    ASSERT_TRUE(fresh) << fresh.error().message();
    EXPECT_NE(::access(dir->file("run-id.new").c_str(), F_OK), 0);
}

TEST(NodeRunIdFile, IsRefusedWhenOthersMayWriteItOrItIsALink) {
    auto dir = mqtls::testing::TempDir::create("mqtls-run-id-");
    ASSERT_TRUE(dir);
    const std::string path = dir->file("run-id");
    ASSERT_TRUE(load_or_create_run_id(dir->path(), true));
    const std::string before = read_file(path);
    for (const mode_t mode : {0620U, 0602U, 0666U}) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
        auto refused = load_or_create_run_id(dir->path(), false);
        ASSERT_FALSE(refused) << std::oct << mode;
        EXPECT_EQ(refused.error().code, Errc::file_permissions_unsafe);
        EXPECT_EQ(refused.error().detail, static_cast<int>(mode));
        EXPECT_EQ(read_file(path), before) << "a refused file is left as it is";
    }
    // One rule for every file the node trusts (private_files.hpp): readable by others is
    // refused too, although the id is no secret.
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    EXPECT_FALSE(load_or_create_run_id(dir->path(), false));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_TRUE(load_or_create_run_id(dir->path(), false));

    const std::string target = dir->file("elsewhere");
    ASSERT_EQ(::rename(path.c_str(), target.c_str()), 0);
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    auto linked = load_or_create_run_id(dir->path(), false);
    ASSERT_FALSE(linked);
    EXPECT_EQ(linked.error().code, Errc::file_type_unsafe);
    EXPECT_EQ(linked.error().detail, -1) << "a link";
    EXPECT_EQ(read_file(target), before) << "the link's target is not touched";
    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
    auto folder = load_or_create_run_id(dir->path(), false);
    ASSERT_FALSE(folder);
    EXPECT_EQ(folder.error().code, Errc::file_type_unsafe);
}

}  // namespace
