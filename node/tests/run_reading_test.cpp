// Readings of one run of sequence numbers: the run id in readings and status, readings whose
// fields arrive as JSON (and the ones refused), topic templates and the no-status mode.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mqtls/node/telemetry_node.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

using std::string_view;

constexpr std::size_t segment_capacity = std::size_t{16} * 1024;
constexpr std::uint64_t sample_run = 0x3f9a0c2e51b7d864U;

Instant at_ms(std::int64_t ms) { return Instant::from_millis(ms); }

class OneValueSensor final : public SensorSource {
public:
    Result<std::size_t> read(span<SensorValue> out, Instant /*now*/) noexcept override {
        if (fail) return Error{Errc::sensor_read_failed, 7};
        out[0] = SensorValue{"level", 215, 1};
        return std::size_t{1};
    }
    bool fail = false;
};

struct RamOutbox {
    std::uint8_t first_memory[segment_capacity] = {};
    std::uint8_t second_memory[segment_capacity] = {};
    RamLogStorage first{mutable_bytes(first_memory, segment_capacity)};
    RamLogStorage second{mutable_bytes(second_memory, segment_capacity)};
    OutboxMemory<8, max_reading_bytes> memory;

    Result<Outbox> open() {
        OutboxConfig config = OutboxMemory<8, max_reading_bytes>::config();
        config.max_live_bytes = 8 * max_reading_bytes;
        config.segment_bytes = Outbox::minimum_segment_bytes(config);
        return Outbox::open(first, second, memory.index, memory.scratch, config);
    }
};

string_view as_text(const OutboxReading& reading) {
    return {reinterpret_cast<const char*>(reading.payload.data()), reading.payload.size()};
}

TelemetryNodeConfig with_run(std::uint64_t run) {
    TelemetryNodeConfig config;
    config.publish_period = Duration::from_seconds(1);
    config.run_id = run;
    return config;
}

TEST(NodeRunId, FormatsAndParsesSixteenLowercaseHexDigits) {
    char text[run_id_text_length];
    const Result<string_view> formatted = format_run_id(sample_run, text);
    ASSERT_TRUE(formatted.has_value());
    EXPECT_TRUE(*formatted == "3f9a0c2e51b7d864");
    const Result<string_view> small = format_run_id(1, text);
    ASSERT_TRUE(small.has_value());
    EXPECT_TRUE(*small == "0000000000000001");  // leading zeros kept: one fixed width
    const Result<std::uint64_t> parsed = parse_run_id("3f9a0c2e51b7d864");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, sample_run);
    const Result<std::uint64_t> largest = parse_run_id("ffffffffffffffff");
    ASSERT_TRUE(largest.has_value());
    EXPECT_EQ(*largest, 0xffffffffffffffffU);
    char short_buffer[run_id_text_length - 1];
    EXPECT_FALSE(format_run_id(sample_run, short_buffer).has_value());
}

TEST(NodeRunId, RefusesEverySpellingButTheCanonicalOne) {
    const string_view bad[] = {"",
                               "3f9a0c2e51b7d86",    // 15 digits
                               "3f9a0c2e51b7d8640",  // 17
                               "3F9A0C2E51B7D864",   // upper case: a second spelling
                               "3f9a0c2e51b7d86g",
                               " f9a0c2e51b7d864",
                               "-f9a0c2e51b7d864",
                               "0000000000000000"};  // 0 means "no run id"
    for (const string_view text : bad) {
        const Result<std::uint64_t> parsed = parse_run_id(text);
        ASSERT_FALSE(parsed.has_value());
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
    }
}

TEST(NodeRunReading, EveryReadingAndStatusCarriesTheRunId) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", with_run(sample_run), *outbox);
    ASSERT_TRUE(node.has_value());
    EXPECT_EQ(node->run_id(), sample_run);
    OneValueSensor sensor;
    node->start(at_ms(0));
    ASSERT_TRUE(node->take_reading(sensor, at_ms(0), 1'000'000).has_value());
    ASSERT_TRUE(node->take_reading(sensor, at_ms(1'000), 1'001'000).has_value());
    std::uint8_t buffer[max_reading_bytes];
    const Result<OutboxReading> first = outbox->peek(0, buffer);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(as_text(*first) ==
                R"({"device":"dev","run":"3f9a0c2e51b7d864","seq":1,"ts":1000000,"level":21.5})");
    const Result<OutboxReading> second = outbox->peek(1, buffer);
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(as_text(*second) ==
                R"({"device":"dev","run":"3f9a0c2e51b7d864","seq":2,"ts":1001000,"level":21.5})");
    char status[200];
    const Result<string_view> online = node->compose_status(true, status);
    ASSERT_TRUE(online.has_value());
    EXPECT_TRUE(*online == R"({"status":"online","run":"3f9a0c2e51b7d864","dropped":0,)"
                           R"("pending":2,"next_seq":3,"sensor_errors":0,"denied":0,"expired":0})");
}

TEST(NodeRunReading, WithoutARunIdReadingsKeepTheirEarlierShape) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", with_run(0), *outbox);
    ASSERT_TRUE(node.has_value());
    OneValueSensor sensor;
    node->start(at_ms(0));
    ASSERT_TRUE(node->take_reading(sensor, at_ms(0), 5).has_value());
    std::uint8_t buffer[max_reading_bytes];
    const Result<OutboxReading> reading = outbox->peek(0, buffer);
    ASSERT_TRUE(reading.has_value());
    EXPECT_TRUE(as_text(*reading) == R"({"device":"dev","seq":1,"ts":5,"level":21.5})");
}

TEST(NodeRunReading, JsonFieldsFollowTheNodesOwnMembers) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("gw-1", with_run(sample_run), *outbox);
    ASSERT_TRUE(node.has_value());
    node->start(at_ms(0));
    char compose[max_reading_bytes];
    const Result<OutboxPush> taken = node->take_json_reading(
        R"("door":"open","temp":[21.5,21.75],"probe":{"ok":true})", at_ms(0), 42, compose);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->seq, 1U);
    std::uint8_t buffer[max_reading_bytes];
    const Result<OutboxReading> reading = outbox->peek(0, buffer);
    ASSERT_TRUE(reading.has_value());
    EXPECT_TRUE(as_text(*reading) == R"({"device":"gw-1","run":"3f9a0c2e51b7d864","seq":1,)"
                                     R"("ts":42,"door":"open","temp":[21.5,21.75],)"
                                     R"("probe":{"ok":true}})");
    EXPECT_EQ(node->sensor_errors(), 0U);
    // The slot was used up: the next reading is due a period later.
    EXPECT_TRUE(node->next_step(at_ms(1)).action != NodeAction::take_reading);
}

TEST(NodeRunReading, RefusedJsonReadingsAreCountedAndUseNoSeq) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    Result<TelemetryNode> node = TelemetryNode::create("dev", with_run(sample_run), *outbox);
    ASSERT_TRUE(node.has_value());
    node->start(at_ms(0));
    char compose[64];
    const string_view malformed[] = {"", R"(,"a":1)", R"("a":1,)"};
    for (const string_view fields : malformed) {
        const Result<OutboxPush> refused = node->take_json_reading(fields, at_ms(0), 0, compose);
        ASSERT_FALSE(refused.has_value());
        EXPECT_EQ(refused.error().code, Errc::invalid_argument);
    }
    // 64 bytes cannot hold device, run, seq, ts and these fields.
    const Result<OutboxPush> too_large = node->take_json_reading(
        R"("a":"0123456789012345678901234567890123456789")", at_ms(0), 0, compose);
    ASSERT_FALSE(too_large.has_value());
    EXPECT_EQ(too_large.error().code, Errc::buffer_too_small);
    node->on_sensor_error(at_ms(0));  // e.g. the platform's parser refused a line
    EXPECT_EQ(node->sensor_errors(), 5U);
    OneValueSensor sensor;
    sensor.fail = true;
    EXPECT_FALSE(node->take_reading(sensor, at_ms(1'000), 0).has_value());
    EXPECT_EQ(node->sensor_errors(), 6U);
    EXPECT_TRUE(outbox->empty());
    EXPECT_EQ(outbox->next_sequence(), 1U) << "a refused reading uses no seq";
    char status[200];
    const Result<string_view> online = node->compose_status(true, status);
    ASSERT_TRUE(online.has_value());
    EXPECT_TRUE(online->find(R"("sensor_errors":6,)") != string_view::npos);
    // The largest status there is fits the documented 200 bytes.
    EXPECT_LE(
        string_view(R"({"status":"offline","run":"ffffffffffffffff",)"
                    R"("dropped":18446744073709551615,"pending":18446744073709551615,)"
                    R"("next_seq":18446744073709551615,"sensor_errors":18446744073709551615})")
            .size(),
        200U);
}

TEST(NodeRunReading, UnscheduledReadingsAreNeverDue) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    TelemetryNodeConfig config = with_run(sample_run);
    config.readings_on_schedule = false;
    Result<TelemetryNode> node = TelemetryNode::create("dev", config, *outbox);
    ASSERT_TRUE(node.has_value());
    node->start(at_ms(0));
    EXPECT_TRUE(node->next_step(at_ms(0)).action == NodeAction::connect);
    node->on_connected(at_ms(0));
    const NodeStep idle = node->next_step(at_ms(5'000));
    EXPECT_TRUE(idle.action == NodeAction::wait);
    EXPECT_TRUE(idle.at.is_never());
    char compose[max_reading_bytes];
    ASSERT_TRUE(node->take_json_reading(R"("a":1)", at_ms(5'000), 0, compose).has_value());
    ASSERT_TRUE(node->take_json_reading(R"("a":2)", at_ms(5'001), 0, compose).has_value());
    EXPECT_TRUE(node->next_step(at_ms(5'002)).action == NodeAction::publish_reading);
    EXPECT_EQ(node->missed_slots(), 0U);
}

TEST(NodeTopics, TemplatesExpandTheDeviceId) {
    char out[max_topic_bytes];
    const Result<string_view> azure =
        expand_topic_template("devices/{device}/messages/events/", "sensor-17", out);
    ASSERT_TRUE(azure.has_value());
    EXPECT_TRUE(*azure == "devices/sensor-17/messages/events/");
    const Result<string_view> twice = expand_topic_template("{device}/x/{device}", "d", out);
    ASSERT_TRUE(twice.has_value());
    EXPECT_TRUE(*twice == "d/x/d");
    const Result<string_view> fixed = expand_topic_template("$aws/rules/ingest", "d", out);
    ASSERT_TRUE(fixed.has_value());
    EXPECT_TRUE(*fixed == "$aws/rules/ingest");
}

TEST(NodeTopics, TemplatesThatGiveNoPublishableTopicAreRefused) {
    char out[max_topic_bytes];
    struct Case {
        string_view topic_template;
        Errc expected;
    };
    const Case cases[] = {
        {"telemetry/+", Errc::wildcard_in_topic},
        {"telemetry/#", Errc::wildcard_in_topic},
        {"a/{device}/#", Errc::wildcard_in_topic},
        {"", Errc::empty_topic},
        {"telemetry/{id}", Errc::invalid_argument},  // a placeholder that does not exist
        {"telemetry/{device", Errc::invalid_argument},
        {"telemetry/device}", Errc::invalid_argument},
        {string_view("a\0b", 3), Errc::utf8_null_character},
        {"a/\xff", Errc::malformed_utf8},
    };
    for (const Case& bad : cases) {
        const Result<string_view> expanded = expand_topic_template(bad.topic_template, "d", out);
        ASSERT_FALSE(expanded.has_value());
        EXPECT_EQ(static_cast<int>(expanded.error().code), static_cast<int>(bad.expected));
    }
    char small[8];
    const Result<string_view> long_topic = expand_topic_template("telemetry/{device}", "d", small);
    ASSERT_FALSE(long_topic.has_value());
    EXPECT_EQ(long_topic.error().code, Errc::buffer_too_small);
}

TEST(NodeTopics, NodeUsesItsTemplatesAndMaySendNoStatus) {
    static RamOutbox ram;
    Result<Outbox> outbox = ram.open();
    ASSERT_TRUE(outbox.has_value());
    TelemetryNodeConfig config;
    config.telemetry_topic = "devices/{device}/messages/events/";
    config.status_topic = "";
    Result<TelemetryNode> node = TelemetryNode::create("sensor-17", config, *outbox);
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(node->telemetry_topic() == "devices/sensor-17/messages/events/");
    EXPECT_FALSE(node->has_status());
    EXPECT_TRUE(node->status_topic().empty());

    TelemetryNodeConfig defaults;
    Result<TelemetryNode> plain = TelemetryNode::create("sensor-17", defaults, *outbox);
    ASSERT_TRUE(plain.has_value());
    EXPECT_TRUE(plain->has_status());
    EXPECT_TRUE(plain->status_topic() == "status/sensor-17");

    TelemetryNodeConfig wildcard;
    wildcard.status_topic = "status/+";
    const Result<TelemetryNode> refused = TelemetryNode::create("sensor-17", wildcard, *outbox);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::wildcard_in_topic);
    // The longest device id in a long template still fits max_topic_bytes.
    char longest[max_device_id_length];
    std::memset(longest, 'x', sizeof longest);
    TelemetryNodeConfig azure;
    azure.telemetry_topic = "devices/{device}/messages/events/";
    const Result<TelemetryNode> long_id =
        TelemetryNode::create(string_view(longest, sizeof longest), azure, *outbox);
    ASSERT_TRUE(long_id.has_value());
    EXPECT_EQ(long_id->telemetry_topic().size(), 8U + max_device_id_length + 17U);
}

}  // namespace
}  // namespace mqtls::node::test
