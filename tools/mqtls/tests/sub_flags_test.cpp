// mosquitto_sub's subscribe flags in `mqtls sub` (-R -E -F -T -U --retained-only
// --remove-retained --quiet, the -W hint, invalid filters): each run as a user runs it, against a
// real Mosquitto, and where the two programs should agree, side by side with mosquitto_sub on
// the same broker with the same flags. Every test has its own broker, so retained messages do
// not outlive it.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/mosquitto_broker.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::concat;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_network;
using mqtls::cli_test::exit_refused;
using mqtls::cli_test::exit_timeout;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::read_file;
using mqtls::cli_test::wait_for_subscription;
using mqtls::testing::MosquittoBroker;
using mqtls::testing::TempDir;
using namespace std::chrono_literals;

constexpr int mosquitto_timeout = 27;

constexpr const char* user = "tester";
constexpr const char* password = "sub-flags-test-password";

std::unique_ptr<MosquittoBroker> start_broker() {
    mqtls::testing::BrokerOptions options;
    options.users = {{user, password}};  // no ACL: the user may read and write everything
    return mqtls::cli_test::start_broker(options);
}

std::unique_ptr<TempDir> make_dir() {
    auto dir = TempDir::create("mqtls-sub-flags-");
    if (!dir) {
        ADD_FAILURE() << "no temporary directory";
        return nullptr;
    }
    return std::make_unique<TempDir>(std::move(*dir));
}

// How a program ended, with its standard output and standard error apart.
struct ProgramRun {
    int exit_code = -1;
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs `arguments` with stderr in the file `tag`.err of `dir`, so that `out` is stdout alone.
ProgramRun run_split(const TempDir& dir, const std::string& tag,
                     const std::vector<std::string>& arguments,
                     std::chrono::milliseconds timeout = 20s) {
    const std::string err_path = dir.file(tag + ".err");
    const mqtls::testing::ProcessResult result =
        mqtls::cli_test::run_redirected(arguments, mqtls::cli_test::error_to(err_path), timeout);
    ProgramRun run;
    run.exit_code = result.exit_code;
    run.timed_out = result.timed_out;
    run.out = result.output;
    run.err = read_file(err_path);
    return run;
}

// `program` (with `subcommand`, for mqtls) connected to `broker` as the test user.
std::vector<std::string> connected(std::vector<std::string> program, const MosquittoBroker& broker,
                                   const std::vector<std::string>& more) {
    return concat(
        concat(std::move(program), mqtls::cli_test::broker_connection(broker, user, password)),
        more);
}

std::vector<std::string> mqtls_sub(const MosquittoBroker& broker,
                                   const std::vector<std::string>& more) {
    return connected(mqtls::cli_test::mqtls({"sub"}), broker, more);
}

std::vector<std::string> mosquitto_sub(const MosquittoBroker& broker,
                                       const std::vector<std::string>& more) {
    return connected({"mosquitto_sub"}, broker, more);
}

// Publishes with mosquitto_pub (-m payload; -n for an empty one), e.g. {"-r", "-q", "1"}.
void publish(const MosquittoBroker& broker, const TempDir& dir, const std::string& topic,
             const std::string& payload, const std::vector<std::string>& more = {}) {
    std::vector<std::string> arguments = connected({"mosquitto_pub"}, broker, {"-t", topic});
    if (payload.empty()) {
        arguments.emplace_back("-n");
    } else {
        // A file carries any byte (argv cannot carry NUL, and -m would do no harm otherwise).
        const std::string file = dir.file("payload");
        mqtls::cli_test::write_file(file, payload);
        arguments = concat(arguments, {"-f", file});
    }
    const ProgramRun published = run_split(dir, "publish", concat(arguments, more), 10s);
    ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
}

// run_split() on a thread of its own; result() joins it.
class BackgroundRun : public mqtls::cli_test::BackgroundJob<ProgramRun> {
public:
    BackgroundRun(const TempDir& dir, std::string tag, std::vector<std::string> arguments)
        : BackgroundJob([&dir, tag = std::move(tag), arguments = std::move(arguments)] {
              return run_split(dir, tag, arguments);
          }) {}
};

struct SideBySide {
    ProgramRun mqtls;
    ProgramRun mosquitto;
};

// Starts `mqtls sub` and mosquitto_sub with the same `flags` (each with its own client id),
// waits until both have subscribed, calls `publish_messages`, and waits for both to end (the
// flags must end them: -C, -W, ...).
SideBySide run_side_by_side(const MosquittoBroker& broker, const TempDir& dir,
                            const std::vector<std::string>& flags,
                            const std::function<void()>& publish_messages) {
    SideBySide runs;
    {
        BackgroundRun ours(dir, "mqtls", mqtls_sub(broker, concat({"-i", "side-mqtls"}, flags)));
        BackgroundRun theirs(dir, "mosquitto",
                             mosquitto_sub(broker, concat({"-i", "side-mosquitto"}, flags)));
        const bool subscribed = wait_for_subscription(broker, "side-mqtls") &&
                                wait_for_subscription(broker, "side-mosquitto");
        EXPECT_TRUE(subscribed) << broker.log();
        if (subscribed) publish_messages();
        runs.mqtls = ours.result();
        runs.mosquitto = theirs.result();
    }
    return runs;
}

// The "tst" values of %j/%J lines replaced by "TST", after checking each has mosquitto_sub
// 2.0.11's shape: local time with microseconds, a 'Z' and the UTC offset.
std::string without_timestamps(const std::string& lines) {
    static const std::regex timestamp(
        R"re("tst":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4}")re");
    static const std::regex other_tst(R"re("tst":"(?!TST"))re");
    std::string replaced = std::regex_replace(lines, timestamp, R"("tst":"TST")");
    EXPECT_FALSE(std::regex_search(replaced, other_tst)) << "a tst of another shape: " << lines;
    return replaced;
}

// ---- -F ----------------------------------------------------------------------------------------

// Payloads that exercise the format: JSON, quotes and backslashes, control bytes, bytes that
// are not UTF-8, an empty one, and one long enough for every width below.
const std::vector<std::pair<std::string, std::string>>& format_messages() {
    static const std::vector<std::pair<std::string, std::string>> messages = {
        {"fmt/json", R"({"temp":21.5, "x":[1, 2.50]})"},
        {"fmt/quotes", R"(say "hi" \ there)"},
        {"fmt/control", std::string("a\x1b\x7f\b\f\r\t\x01\xc3\xa9\x1f", 11)},
        {"fmt/binary", std::string("bin\x01\x02\xff\xfe", 7)},
        {"fmt/empty", ""},
        {"fmt/a/much/longer/topic/name", "abcdefghijklmnopqrstuvwxyz0123456789"},
    };
    return messages;
}

void publish_format_messages(const MosquittoBroker& broker, const TempDir& dir) {
    int i = 0;
    for (const auto& [topic, payload] : format_messages()) {
        publish(broker, dir, topic, payload, {"-q", std::to_string(i++ % 2)});
    }
}

TEST(CliSubFlags, FormatFieldsMatchMosquittoSub) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    // Everything but the time fields and %m (mosquitto_sub prints the packet id at QoS 1).
    const std::string format =
        R"(%t|%p|%x|%X|%l|%q|%r|%%|\t|\\|%10t|%-10t|%.2t|%05l|%-5l|%5.1t|%-8.3t|%.t|%5p|%-5p|)"
        R"(%010p|%04x|%-6X|%07x|%-010l|%00l|%-0l|%5A|%-3E|%C|%S|@@|%-5%|%5q|%5r|\e\v\a\r|end)";
    const auto runs =
        run_side_by_side(*broker, *dir,
                         {"-t", "fmt/#", "-q", "1", "-C", std::to_string(format_messages().size()),
                          "-W", "10", "-F", format},
                         [&] { publish_format_messages(*broker, *dir); });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
    EXPECT_NE(runs.mqtls.out.find("fmt/binary|bin\x01\x02\xff\xfe|62696e0102fffe|62696E0102FFFE|7|"
                                  "1|0|%|\t|\\|"),
              std::string::npos)
        << runs.mqtls.out;
    EXPECT_NE(runs.mqtls.out.find("fmt/a/much/longer/topic/name|"), std::string::npos);
    EXPECT_EQ(runs.mqtls.err, "");
}

TEST(CliSubFlags, FormatMessageIdAtQos0AndWithoutNewline) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    // At QoS 0 there is no packet id: both print 0. -N: no newline after each message.
    const auto runs = run_side_by_side(
        *broker, *dir, {"-t", "fmt/#", "-C", "3", "-W", "10", "-N", "-F", "[%m|%05m|%-3m|%q|%l]"},
        [&] {
            publish(*broker, *dir, "fmt/1", "one");
            publish(*broker, *dir, "fmt/2", "second", {"-q", "1"});
            publish(*broker, *dir, "fmt/3", "");
        });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mqtls.out, "[0|00000|0  |0|3][0|00000|0  |0|6][0|00000|0  |0|0]");
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
}

TEST(CliSubFlags, HexWidthShowsWholeBytesOfAShortPayload) {
    // mosquitto_sub 2.0.11 prints min(length, width) / 2 bytes (one byte of "hi" for %5x); the
    // same as here once the payload is at least as long as the width.
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "hex/short", "hi", {"-r"});
    const ProgramRun sub = run_split(*dir, "sub",
                                     mqtls_sub(*broker, {"-t", "hex/#", "-C", "1", "-W", "10", "-F",
                                                         "[%5x|%-6X|%06x|%2x|%3x|%1x]"}));
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(sub.out, "[ 6869|6869  |006869|68| 68| ]\n");
}

TEST(CliSubFlags, FormatMessageIdAtQos1IsEmpty) {
    // The client does not pass the packet id of a QoS 1/2 message on: %m is an empty field
    // (padded to its width), and %j has no "mid" (mosquitto_sub prints the id in both).
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "mid/1", "kept", {"-r", "-q", "1"});
    const ProgramRun sub = run_split(*dir, "sub",
                                     mqtls_sub(*broker, {"-t", "mid/#", "-q", "1", "-C", "1", "-W",
                                                         "10", "-F", "[%m|%4m|%q] %j"}));
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(without_timestamps(sub.out),
              "[|    |1] {\"tst\":\"TST\",\"topic\":\"mid/1\",\"qos\":1,\"retain\":1,"
              "\"payloadlen\":4,\"payload\":\"kept\"}\n");
}

TEST(CliSubFlags, JsonLinesMatchMosquittoSubApartFromTheTimestamp) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const auto runs = run_side_by_side(
        *broker, *dir,
        {"-t", "fmt/#", "-C", std::to_string(format_messages().size()), "-W", "10", "-F", "%j"},
        [&] { publish_format_messages(*broker, *dir); });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
    EXPECT_EQ(without_timestamps(runs.mqtls.out), without_timestamps(runs.mosquitto.out));
    EXPECT_NE(without_timestamps(runs.mqtls.out)
                  .find(R"({"tst":"TST","topic":"fmt/empty","qos":0,"retain":0,)"
                        R"("payloadlen":0,"payload":null})"),
              std::string::npos)
        << runs.mqtls.out;
    EXPECT_NE(runs.mqtls.out.find(R"("payload":"say \"hi\" \\ there")"), std::string::npos)
        << runs.mqtls.out;
}

TEST(CliSubFlags, JsonPayloadsAreReprintedAsMosquittoSubDoes) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    // cJSON (mosquitto_sub's parser) keeps key order and duplicates, drops white space,
    // re-escapes strings and re-prints every number as a double.
    const std::string object =
        R"( { "a" : 1.50, "b":[1,2 ,3], "c":"x\/y", "d":1e3, "e": 12345678901234567890,)"
        R"( "u":"\u00e9\u0001\ud83d\ude00", "n":null,"t":true, "f":-0.0, "g":0.1, "h":1e300,)"
        R"( "k":123456789012, "k":-7, "big":123456789012345678, "tiny":5e-324 } )";
    const std::vector<std::string> payloads = {
        object,
        "42",
        R"("just a string")",
        "[1, 2, [3, {}], []]",
        "3.14159265358979323846",
        "-1.5E-7",
        R"({"deep":[[[[[[[[[[[[[[[[[[[[{"x":"\t\n\""}]]]]]]]]]]]]]]]]]]]]})",
        "true",
    };
    const auto runs = run_side_by_side(
        *broker, *dir,
        {"-t", "json/#", "-C", std::to_string(payloads.size()), "-W", "10", "-F", "%J"}, [&] {
            for (std::size_t i = 0; i < payloads.size(); ++i) {
                publish(*broker, *dir, "json/" + std::to_string(i), payloads[i]);
            }
        });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
    EXPECT_EQ(without_timestamps(runs.mqtls.out), without_timestamps(runs.mosquitto.out));
    EXPECT_NE(runs.mqtls.out.find(R"("payload":{"a":1.5,"b":[1,2,3],"c":"x/y","d":1000,)"
                                  R"("e":1.2345678901234567e+19,)"),
              std::string::npos)
        << runs.mqtls.out;
    EXPECT_EQ(runs.mqtls.err, "");
}

TEST(CliSubFlags, JsonPayloadThatIsNotJsonIsWrittenAsAString) {
    // mosquitto_sub leaves the %J field empty and prints an error per message; mqtls keeps each
    // line valid JSON (the payload as a string) and notes it once.
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "nj/1", "not json", {"-r"});
    publish(*broker, *dir, "nj/2", R"({"a":1} trailing)", {"-r"});
    publish(*broker, *dir, "nj/3", "  ", {"-r"});
    const ProgramRun sub = run_split(
        *dir, "sub", mqtls_sub(*broker, {"-t", "nj/#", "-C", "3", "-W", "10", "-F", "%J"}));
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(
        without_timestamps(sub.out),
        R"({"tst":"TST","topic":"nj/1","qos":0,"retain":1,"payloadlen":8,"payload":"not json"})"
        "\n"
        R"({"tst":"TST","topic":"nj/2","qos":0,"retain":1,"payloadlen":16,"payload":"{\"a\":1} trailing"})"
        "\n"
        R"({"tst":"TST","topic":"nj/3","qos":0,"retain":1,"payloadlen":2,"payload":"  "})"
        "\n");
    EXPECT_EQ(sub.err,
              "mqtls sub: note: a payload is not JSON (topic nj/1); %J writes such payloads as "
              "JSON strings\n");
    const ProgramRun quiet =
        run_split(*dir, "quiet",
                  mqtls_sub(*broker, {"-t", "nj/#", "-C", "3", "-W", "10", "-F", "%J", "--quiet"}));
    EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.err, "") << "--quiet leaves out the note";
}

// Seconds and nanoseconds of a %U field.
std::int64_t unix_nanoseconds(const std::string& field) {
    const std::size_t dot = field.find('.');
    return std::stoll(field.substr(0, dot)) * 1'000'000'000 + std::stoll(field.substr(dot + 1));
}

TEST(CliSubFlags, TimeFieldsHaveTheirShapeAndShowOneInstant) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const std::string format = "%I|%U|@Y-@m-@dT@H:@M:@S@z|@N|%.4I|%12I|%.10U";
    const auto before = std::chrono::system_clock::now();
    const auto runs =
        run_side_by_side(*broker, *dir, {"-t", "time/#", "-C", "1", "-W", "10", "-F", format},
                         [&] { publish(*broker, *dir, "time/1", "now"); });
    const auto after = std::chrono::system_clock::now();
    ASSERT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    ASSERT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
    const std::regex shape(
        R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4})\|(\d+\.\d{9})\|)"
        R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4})\|(\d{9})\|\d{4}\|\d{4}-.{19}\|\d+\.\d{9}\n)");
    std::smatch ours;
    ASSERT_TRUE(std::regex_match(runs.mqtls.out, ours, shape)) << runs.mqtls.out;
    EXPECT_TRUE(std::regex_match(runs.mosquitto.out, shape)) << runs.mosquitto.out;
    // One instant per line: %I equals the @-date, @N the nanoseconds of %U.
    EXPECT_EQ(ours[1].str(), ours[3].str());
    EXPECT_EQ(ours[2].str().substr(ours[2].str().size() - 9), ours[4].str());
    const std::int64_t arrived = unix_nanoseconds(ours[2].str());
    const auto since_epoch = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    };
    EXPECT_GE(arrived, since_epoch(before));
    EXPECT_LE(arrived, since_epoch(after));
}

TEST(CliSubFlags, FormatMistakesAreUsageErrorsNamingTheSpecifier) {
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const std::vector<std::pair<std::string, std::string>> mistakes = {
        {"%Z", "unknown format specifier '%Z'"},
        {"abc%", "the format ends inside a %-specifier"},
        {"%-05", "the format ends inside a %-specifier"},
        {"a\\q", "unknown escape '\\q'"},
        {"a\\", "the format ends inside a \\-escape"},
        {"@", "the format ends inside an @-specifier"},
        {"%0-5l", "unknown format specifier '%-'"},
        {"%.5.l", "unknown format specifier '%.'"},
        {"%99999999t", "a field width or precision above 65535"},
        {std::string("%\x01", 2), "unknown format specifier '%\\x01'"},
    };
    for (const auto& [format, problem] : mistakes) {
        // Port 1 has no broker: a run that got past the checks would exit 4, not 2.
        const ProgramRun ours =
            run_split(*dir, "mqtls",
                      {MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p", "1", "--cafile",
                       "/nonexistent/ca.crt", "-t", "a", "-F", format});
        EXPECT_EQ(ours.exit_code, exit_usage) << format << ": " << ours.err;
        EXPECT_EQ(ours.err, "mqtls sub: -F: " + problem +
                                "\n  hint: see 'mqtls sub --help' for the %-, @- and "
                                "\\-sequences of -F\n")
            << format;
        const ProgramRun theirs =
            run_split(*dir, "mosquitto",
                      {"mosquitto_sub", "-h", "127.0.0.1", "-p", "1", "-t", "a", "-F", format});
        EXPECT_EQ(theirs.exit_code, 1) << format << ": mosquitto_sub rejects it too";
    }
}

TEST(CliSubFlags, VerboseAndFormatKeepWorkingWithDedupe) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const std::string first = R"({"device":"d1","seq":1})";
    const std::string second = R"({"device":"d1","seq":2})";
    for (const std::vector<std::string>& output :
         {std::vector<std::string>{"-v"}, std::vector<std::string>{"-F", "%t=%p|%l|%r"}}) {
        const std::string client_id = "dedupe-sub" + output.front();
        BackgroundRun sub(*dir, "sub",
                          mqtls_sub(*broker, concat({"-i", client_id, "-t", "dd/#", "--dedupe",
                                                     "--until-complete", "2", "-W", "10"},
                                                    output)));
        ASSERT_TRUE(wait_for_subscription(*broker, client_id)) << broker->log();
        publish(*broker, *dir, "dd/d1", first);
        publish(*broker, *dir, "dd/d1", first);  // a duplicate: not printed
        publish(*broker, *dir, "dd/d1", second);
        const ProgramRun& run = sub.result();
        EXPECT_EQ(run.exit_code, 0) << run.err;
        if (output.front() == "-v") {
            EXPECT_EQ(run.out,
                      "dd/d1 {\"device\":\"d1\",\"seq\":1}\n"
                      "dd/d1 {\"device\":\"d1\",\"seq\":2}\n");
        } else {
            EXPECT_EQ(run.out,
                      "dd/d1={\"device\":\"d1\",\"seq\":1}|23|0\n"
                      "dd/d1={\"device\":\"d1\",\"seq\":2}|23|0\n");
        }
        EXPECT_NE(run.err.find("received 3, unique 2, duplicates 1"), std::string::npos) << run.err;
    }
}

// ---- -R, -E, -T, -U ----------------------------------------------------------------------------

TEST(CliSubFlags, NoRetainedSkipsStaleMessagesAndDoesNotCountThem) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "stale/a", "old a", {"-r"});
    publish(*broker, *dir, "stale/b", "old b", {"-r", "-q", "1"});
    const auto runs =
        run_side_by_side(*broker, *dir, {"-t", "stale/#", "-R", "-C", "1", "-W", "10", "-v"},
                         [&] { publish(*broker, *dir, "stale/a", "fresh a"); });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mqtls.out, "stale/a fresh a\n");
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
    EXPECT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
}

TEST(CliSubFlags, ExitAfterSubscribeAcknowledged) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "e/kept", "retained", {"-r"});
    const auto started = std::chrono::steady_clock::now();
    const ProgramRun ours = run_split(
        *dir, "mqtls",
        mqtls_sub(*broker, {"-i", "e-mqtls", "-t", "e/#", "-t", "f/#", "-U", "f/#", "-E", "-v"}));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_EQ(ours.out, "") << "-E exits before any message is handled";
    const std::string log = broker->log();
    EXPECT_NE(log.find("Received SUBSCRIBE from e-mqtls"), std::string::npos) << log;
    EXPECT_NE(log.find("Received UNSUBSCRIBE from e-mqtls"), std::string::npos) << log;
    EXPECT_NE(log.find("Received DISCONNECT from e-mqtls"), std::string::npos) << log;
    const ProgramRun theirs =
        run_split(*dir, "mosquitto", mosquitto_sub(*broker, {"-t", "e/#", "-E", "-v", "-W", "10"}));
    EXPECT_EQ(theirs.exit_code, 0) << theirs.err;
    EXPECT_EQ(theirs.out, ours.out);
}

TEST(CliSubFlags, FilterOutIgnoresMatchingTopics) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "t/skip/retained", "r", {"-r"});
    const auto runs = run_side_by_side(
        *broker, *dir,
        {"-t", "t/#", "-T", "t/skip/#", "-T", "t/+/x", "-T", "t/exact", "-C", "2", "-W", "10",
         "-v"},
        [&] {
            for (const char* topic : {"t/skip/a", "t/b/x", "t/exact", "t/keep", "t/b/x/y"}) {
                publish(*broker, *dir, topic, std::string("on ") + topic);
            }
        });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mqtls.out, "t/keep on t/keep\nt/b/x/y on t/b/x/y\n")
        << "filtered-out messages are not shown and do not count towards -C";
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
}

TEST(CliSubFlags, UnsubscribeUndoesASubscriptionOfTheRun) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const auto runs = run_side_by_side(
        *broker, *dir, {"-t", "u/#", "-t", "v/#", "-U", "v/#", "-C", "1", "-W", "10", "-v"}, [&] {
            // Both have unsubscribed once the broker logs the UNSUBSCRIBE.
            EXPECT_TRUE(mqtls::cli_test::eventually(
                [&] {
                    const std::string log = broker->log();
                    return log.find("Received UNSUBSCRIBE from side-mqtls") != std::string::npos &&
                           log.find("Received UNSUBSCRIBE from side-mosquitto") !=
                               std::string::npos;
                },
                10s))
                << broker->log();
            publish(*broker, *dir, "v/x", "not any more");
            publish(*broker, *dir, "u/x", "still subscribed");
        });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mqtls.out, "u/x still subscribed\n");
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
}

// ---- --retained-only, --remove-retained --------------------------------------------------------

TEST(CliSubFlags, RetainedOnlyEndsAtTheFirstNewMessage) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "ro/a", "retained a", {"-r"});
    publish(*broker, *dir, "ro/b", "retained b", {"-r", "-q", "1"});
    const auto runs =
        run_side_by_side(*broker, *dir, {"-t", "ro/#", "--retained-only", "-W", "10", "-v"},
                         [&] { publish(*broker, *dir, "ro/a", "new"); });
    EXPECT_EQ(runs.mqtls.exit_code, 0) << runs.mqtls.err;
    EXPECT_EQ(runs.mosquitto.exit_code, 0) << runs.mosquitto.err;
    EXPECT_EQ(runs.mqtls.out, "ro/a retained a\nro/b retained b\n");
    EXPECT_EQ(runs.mqtls.out, runs.mosquitto.out);
}

TEST(CliSubFlags, RetainedOnlyEndsAtANewMessageWhileMessagesKeepComing) {
    // A publisher that never pauses for a second: only the first message without the retain
    // flag can end the run.
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "busy/state", "retained", {"-r"});
    const std::string stop_file = dir->file("stop");
    // At most 150 messages 0.1 s apart; it stops as soon as the stop file exists.
    const std::string publish_loop = "i=0; while [ $i -lt 150 ] && [ ! -e '" + stop_file +
                                     "' ]; do mosquitto_pub -h " + MosquittoBroker::host() +
                                     " -p " + std::to_string(broker->tls_port()) + " --cafile '" +
                                     broker->ca_file() + "' -u " + user + " -P " + password +
                                     " -t busy/live -m $i || exit 1; i=$((i+1)); sleep 0.1; done";
    BackgroundRun publisher(*dir, "publisher", {"sh", "-c", publish_loop});
    const ProgramRun sub = run_split(
        *dir, "sub", mqtls_sub(*broker, {"-t", "busy/#", "--retained-only", "-W", "10", "-d"}));
    std::ofstream(stop_file) << "stop";
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(sub.out, "retained\n");
    EXPECT_NE(sub.err.find("--retained-only: done at a message without the retain flag (topic "
                           "busy/live)"),
              std::string::npos)
        << sub.err;
    EXPECT_EQ(publisher.result().exit_code, 0) << publisher.result().err;
}

TEST(CliSubFlags, RetainedOnlyEndsWhenNothingMoreArrives) {
    // mosquitto_sub waits for a new message (here until -W: exit 27); mqtls stops once no
    // message came for a second.
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "quiet/a", "only this", {"-r"});
    const auto started = std::chrono::steady_clock::now();
    const ProgramRun ours = run_split(
        *dir, "mqtls", mqtls_sub(*broker, {"-t", "quiet/#", "--retained-only", "-v"}), 15s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_FALSE(ours.timed_out);
    EXPECT_EQ(ours.out, "quiet/a only this\n");
    EXPECT_GE(took, 1s);
    EXPECT_LT(took, 10s);
    const ProgramRun theirs =
        run_split(*dir, "mosquitto",
                  mosquitto_sub(*broker, {"-t", "quiet/#", "--retained-only", "-v", "-W", "2"}));
    EXPECT_EQ(theirs.exit_code, mosquitto_timeout) << theirs.err;
    EXPECT_EQ(theirs.out, ours.out);
}

// The topics still retained under `root`, one "topic payload" line each, in the broker's order.
std::string retained_under(const MosquittoBroker& broker, const TempDir& dir,
                           const std::string& root) {
    const ProgramRun left =
        run_split(dir, "left", mqtls_sub(broker, {"-t", root + "/#", "--retained-only", "-v"}));
    EXPECT_EQ(left.exit_code, 0) << left.err;
    return left.out;
}

TEST(CliSubFlags, RemoveRetainedClearsAllButTheFilteredOut) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    // The same tree twice: one for mqtls sub, one for mosquitto_sub.
    constexpr int topics = 30;
    for (const std::string root : {"ours", "theirs"}) {
        for (int i = 0; i < topics; ++i) {
            publish(*broker, *dir, root + "/" + std::to_string(i), "value " + std::to_string(i),
                    {"-r", "-q", std::to_string(i % 2)});
        }
        publish(*broker, *dir, root + "/keep/me", "kept", {"-r"});
    }
    const ProgramRun ours =
        run_split(*dir, "mqtls",
                  mqtls_sub(*broker, {"-t", "ours/#", "-T", "ours/keep/#", "--remove-retained",
                                      "--retained-only", "-W", "10", "-d"}));
    EXPECT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_NE(ours.err.find("cleared 30 retained message(s)"), std::string::npos) << ours.err;
    // Our own clearing publishes come back to us without the retain flag: they must not end
    // the run before every retained message was handled.
    EXPECT_NE(ours.err.find("--retained-only: done, no message for 1000 ms"), std::string::npos)
        << ours.err;
    EXPECT_EQ(retained_under(*broker, *dir, "ours"), "ours/keep/me kept\n");

    const ProgramRun theirs =
        run_split(*dir, "mosquitto",
                  mosquitto_sub(*broker, {"-t", "theirs/#", "-T", "theirs/keep/#",
                                          "--remove-retained", "--retained-only", "-W", "3"}));
    EXPECT_EQ(theirs.exit_code, mosquitto_timeout) << theirs.err;
    EXPECT_EQ(retained_under(*broker, *dir, "theirs"), "theirs/keep/me kept\n");
    EXPECT_EQ(theirs.out.size(), ours.out.size()) << "the same 30 payloads were printed";
}

TEST(CliSubFlags, RemoveRetainedAlsoClearsWhatSkipRetainedHides) {
    // As mosquitto_sub's manual says (mosquitto_sub 2.0.11 itself skips the clearing with -R).
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    publish(*broker, *dir, "rr/a", "old", {"-r"});
    publish(*broker, *dir, "rr/b", "old", {"-r"});
    const ProgramRun sub =
        run_split(*dir, "sub",
                  mqtls_sub(*broker, {"-t", "rr/#", "-R", "--remove-retained", "-W", "2", "-v"}));
    EXPECT_EQ(sub.exit_code, exit_timeout) << sub.err;
    EXPECT_EQ(sub.out.find("old"), std::string::npos) << "-R hides them: " << sub.out;
    EXPECT_EQ(retained_under(*broker, *dir, "rr"), "");
}

// ---- --quiet, -W, invalid filters --------------------------------------------------------------

TEST(CliSubFlags, QuietPrintsNoRuntimeErrors) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    // A closed port: exit 4, and nothing on stderr with --quiet (mosquitto_sub prints nothing
    // either), the usual report without it.
    const std::vector<std::string> closed = {MQTLS_CLI_PATH, "sub", "-h",       "127.0.0.1",
                                             "-p",           "1",   "--cafile", broker->ca_file(),
                                             "-t",           "a"};
    const ProgramRun loud = run_split(*dir, "loud", closed);
    EXPECT_EQ(loud.exit_code, exit_network);
    EXPECT_NE(loud.err, "");
    const ProgramRun quiet = run_split(*dir, "quiet", concat(closed, {"--quiet"}));
    EXPECT_EQ(quiet.exit_code, exit_network);
    EXPECT_EQ(quiet.err, "");
    const ProgramRun theirs = run_split(*dir, "mosquitto",
                                        {"mosquitto_sub", "-h", "127.0.0.1", "-p", "1", "--cafile",
                                         broker->ca_file(), "-t", "a", "--quiet"});
    EXPECT_NE(theirs.exit_code, 0);
    EXPECT_EQ(theirs.err + theirs.out, "");

    const ProgramRun timeout =
        run_split(*dir, "timeout", mqtls_sub(*broker, {"-t", "q/none", "-W", "1", "--quiet"}));
    EXPECT_EQ(timeout.exit_code, exit_timeout);
    EXPECT_EQ(timeout.err, "");
    const ProgramRun refused = run_split(
        *dir, "refused",
        {MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p", std::to_string(broker->tls_port()),
         "--cafile", broker->ca_file(), "-u", user, "-P", "wrong", "-t", "a", "--quiet"});
    EXPECT_EQ(refused.exit_code, exit_refused);
    EXPECT_EQ(refused.err, "");

    // Mistakes in the command line and its files are still shown.
    const ProgramRun usage = run_split(*dir, "usage", concat(closed, {"-t", "a/#/b", "--quiet"}));
    EXPECT_EQ(usage.exit_code, exit_usage);
    EXPECT_NE(usage.err, "");
    const ProgramRun file = run_split(
        *dir, "file",
        {MQTLS_CLI_PATH, "sub", "--cafile", dir->file("missing.crt"), "-t", "a", "--quiet"});
    EXPECT_EQ(file.exit_code, exit_file);
    EXPECT_NE(file.err.find("missing.crt"), std::string::npos) << file.err;
}

TEST(CliSubFlags, TimeoutHintAsksAboutPublishersOnlyWhenNothingArrived) {
    auto broker = start_broker();
    ASSERT_TRUE(broker);
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    const ProgramRun nothing =
        run_split(*dir, "nothing", mqtls_sub(*broker, {"-t", "w/#", "-C", "2", "-W", "1"}));
    EXPECT_EQ(nothing.exit_code, exit_timeout);
    EXPECT_EQ(nothing.err,
              "mqtls sub: timed out after 1 s with 0 message(s) of 2\n"
              "  hint: is anything publishing to the topic?\n");

    publish(*broker, *dir, "w/one", "retained", {"-r"});
    const ProgramRun some =
        run_split(*dir, "some", mqtls_sub(*broker, {"-t", "w/#", "-C", "2", "-W", "1"}));
    EXPECT_EQ(some.exit_code, exit_timeout);
    EXPECT_EQ(some.out, "retained\n");
    EXPECT_EQ(some.err,
              "mqtls sub: timed out after 1 s with 1 message(s) of 2\n"
              "  hint: 1 message(s) arrived in all; raise -W to wait longer for the rest\n");

    const ProgramRun unlimited =
        run_split(*dir, "unlimited", mqtls_sub(*broker, {"-t", "w/#", "-W", "1"}));
    EXPECT_EQ(unlimited.exit_code, exit_timeout);
    EXPECT_EQ(unlimited.err.find("is anything publishing"), std::string::npos) << unlimited.err;
    EXPECT_NE(unlimited.err.find("mosquitto_sub: 27"), std::string::npos) << unlimited.err;

    const ProgramRun theirs =
        run_split(*dir, "mosquitto", mosquitto_sub(*broker, {"-t", "w/#", "-C", "2", "-W", "1"}));
    EXPECT_EQ(theirs.exit_code, mosquitto_timeout);
    EXPECT_EQ(theirs.out, some.out);
}

TEST(CliSubFlags, InvalidTopicFiltersAreUsageErrors) {
    auto dir = make_dir();
    ASSERT_TRUE(dir);
    struct Case {
        std::vector<std::string> flags;
        std::string where;
        bool mosquitto_checks_it = true;  // mosquitto_sub leaves an empty -t to the broker
    };
    const std::vector<Case> cases = {
        {{"-t", "a/#/b"}, "(-t)"},
        {{"-t", "ok/#", "-t", "a+"}, "(the 2nd -t)"},
        {{"-t", ""}, "(-t)", false},
        {{"-t", "a", "-T", "x/#/y"}, "(-T)"},
        {{"-t", "a", "-U", "ok", "-U", "ok2", "-U", "#/a"}, "(the 3rd -U)"},
    };
    for (const Case& c : cases) {
        // Port 1 has no broker: a run that got past the checks would exit 4, not 2.
        const ProgramRun ours = run_split(*dir, "mqtls",
                                          concat({MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p",
                                                  "1", "--cafile", "/nonexistent/ca.crt"},
                                                 c.flags));
        EXPECT_EQ(ours.exit_code, exit_usage) << c.where << ": " << ours.err;
        EXPECT_NE(ours.err.find("mqtls sub: the topic "), std::string::npos) << ours.err;
        EXPECT_NE(ours.err.find(c.where + "\n  hint: "), std::string::npos) << ours.err;
        EXPECT_EQ(ours.err.find("a/#/b"), std::string::npos) << "the filter is not echoed";
        if (!c.mosquitto_checks_it) continue;
        const ProgramRun theirs = run_split(
            *dir, "mosquitto", concat({"mosquitto_sub", "-h", "127.0.0.1", "-p", "1"}, c.flags));
        EXPECT_EQ(theirs.exit_code, 1) << c.where << ": mosquitto_sub rejects it too";
    }
    const ProgramRun both =
        run_split(*dir, "both",
                  {MQTLS_CLI_PATH, "sub", "-h", "127.0.0.1", "-p", "1", "--cafile",
                   "/nonexistent/ca.crt", "-t", "a", "-R", "--retained-only"});
    EXPECT_EQ(both.exit_code, exit_usage) << both.err;
}

}  // namespace
