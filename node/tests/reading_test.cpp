// Device ids, topics, the JSON writer and the simulated sensor: the pieces of a reading.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include "mqtls/node/device.hpp"
#include "mqtls/node/json_writer.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls_test.hpp"

namespace mqtls::node::test {
namespace {

using std::string_view;

TEST(DeviceId, AcceptsTopicSafeNames) {
    EXPECT_TRUE(validate_device_id("sensor-17").has_value());
    EXPECT_TRUE(validate_device_id("a").has_value());
    EXPECT_TRUE(validate_device_id("Greenhouse_2.north-A").has_value());
    char longest[max_device_id_length];
    std::memset(longest, 'x', sizeof longest);
    EXPECT_TRUE(validate_device_id(string_view(longest, sizeof longest)).has_value());
}

TEST(DeviceId, RejectsNamesThatWouldEscapeTheirTopic) {
    const string_view bad[] = {"",          "a/b", "+",    "#",    "sensor 17",
                               "tab\there", "ü",   "a\nb", "../x", string_view("a\0b", 3)};
    for (const string_view id : bad) {
        const Result<void> checked = validate_device_id(id);
        ASSERT_FALSE(checked.has_value());
        EXPECT_EQ(checked.error().code, Errc::invalid_device_id);
    }
    char too_long[max_device_id_length + 1];
    std::memset(too_long, 'x', sizeof too_long);
    EXPECT_FALSE(validate_device_id(string_view(too_long, sizeof too_long)).has_value());
}

TEST(DeviceId, ComposesTopicsAndRefusesSmallBuffers) {
    char buffer[20];
    const Result<string_view> topic = compose_topic("telemetry", "sensor-17", buffer);
    ASSERT_TRUE(topic.has_value());
    EXPECT_TRUE(*topic == "telemetry/sensor-17");
    char small[18];  // one short of "telemetry/sensor-17"
    const Result<string_view> overflow = compose_topic("telemetry", "sensor-17", small);
    ASSERT_FALSE(overflow.has_value());
    EXPECT_EQ(overflow.error().code, Errc::buffer_too_small);
}

TEST(JsonObjectWriter, WritesFieldsInOrder) {
    char buffer[128];
    JsonObjectWriter json(buffer);
    json.add_string("device", "sensor-17");
    json.add_unsigned("seq", 42);
    json.add_signed("ts", 1764028800123);
    json.add_fixed("temperature_c", 2153, 2);
    const Result<string_view> text = json.finish();
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(*text ==
                R"({"device":"sensor-17","seq":42,"ts":1764028800123,"temperature_c":21.53})");
}

TEST(JsonObjectWriter, EmptyObject) {
    char buffer[2];
    JsonObjectWriter json(buffer);
    const Result<string_view> text = json.finish();
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(*text == "{}");
}

TEST(JsonObjectWriter, FixedPointKeepsLeadingZerosAndSigns) {
    struct Case {
        std::int64_t scaled;
        std::uint8_t decimals;
        string_view expected;
    };
    const Case cases[] = {
        {2105, 2, R"({"v":21.05})"},    {-5, 1, R"({"v":-0.5})"},   {-5, 2, R"({"v":-0.05})"},
        {0, 3, R"({"v":0.000})"},       {4150, 0, R"({"v":4150})"}, {-4150, 0, R"({"v":-4150})"},
        {7, 9, R"({"v":0.000000007})"},
    };
    for (const Case& c : cases) {
        char buffer[64];
        JsonObjectWriter json(buffer);
        json.add_fixed("v", c.scaled, c.decimals);
        const Result<string_view> text = json.finish();
        ASSERT_TRUE(text.has_value());
        EXPECT_TRUE(*text == c.expected);
    }
}

TEST(JsonObjectWriter, ExtremeIntegers) {
    char buffer[96];
    JsonObjectWriter json(buffer);
    json.add_signed("min", std::numeric_limits<std::int64_t>::min());
    json.add_unsigned("max", std::numeric_limits<std::uint64_t>::max());
    const Result<string_view> text = json.finish();
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(*text == R"({"min":-9223372036854775808,"max":18446744073709551615})");
}

TEST(JsonObjectWriter, EscapesQuotesBackslashesAndControlCharacters) {
    char buffer[64];
    JsonObjectWriter json(buffer);
    json.add_string("k\"", "a\\b\n\x01");
    const Result<string_view> text = json.finish();
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(*text == R"({"k\"":"a\\b\u000a\u0001"})");
}

TEST(JsonObjectWriter, OverflowIsReportedNotTruncated) {
    // Every buffer size short of the full object must fail, never return a cut-off object.
    const string_view full = R"({"device":"sensor-17","seq":1})";
    for (std::size_t size = 0; size < full.size(); ++size) {
        char buffer[64];
        JsonObjectWriter json(span<char>(buffer, size));
        json.add_string("device", "sensor-17");
        json.add_unsigned("seq", 1);
        const Result<string_view> text = json.finish();
        ASSERT_FALSE(text.has_value());
        EXPECT_EQ(text.error().code, Errc::buffer_too_small);
    }
    char exact[64];
    JsonObjectWriter json(span<char>(exact, full.size()));
    json.add_string("device", "sensor-17");
    json.add_unsigned("seq", 1);
    const Result<string_view> text = json.finish();
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(*text == full);
}

TEST(JsonObjectWriter, TooManyDecimalsIsAnError) {
    char buffer[64];
    JsonObjectWriter json(buffer);
    json.add_fixed("v", 1, 10);
    const Result<string_view> text = json.finish();
    ASSERT_FALSE(text.has_value());
    EXPECT_EQ(text.error().code, Errc::invalid_argument);
}

TEST(SimulatedSensor, StaysInRealisticRangesAndIsDeterministic) {
    SimulatedSensor first(7);
    SimulatedSensor second(7);
    SimulatedSensor other(8);
    bool differs_from_other_seed = false;
    std::int32_t previous_battery = 5000;
    for (int i = 0; i < 2000; ++i) {
        SensorValue a[max_sensor_values];
        SensorValue b[max_sensor_values];
        SensorValue c[max_sensor_values];
        const Result<std::size_t> count = first.read(a, Instant::from_millis(i));
        ASSERT_TRUE(count.has_value());
        ASSERT_EQ(*count, 3U);
        ASSERT_TRUE(second.read(b, Instant::from_millis(i)).has_value());
        ASSERT_TRUE(other.read(c, Instant::from_millis(i)).has_value());
        EXPECT_TRUE(a[0].name == "temperature_c");
        EXPECT_TRUE(a[1].name == "humidity_pct");
        EXPECT_TRUE(a[2].name == "battery_mv");
        EXPECT_GE(a[0].scaled, 1500);
        EXPECT_LE(a[0].scaled, 3000);
        EXPECT_GE(a[1].scaled, 300);
        EXPECT_LE(a[1].scaled, 700);
        EXPECT_LE(a[2].scaled, previous_battery);  // a battery only drains
        previous_battery = a[2].scaled;
        for (int v = 0; v < 3; ++v) EXPECT_EQ(a[v].scaled, b[v].scaled);
        if (a[0].scaled != c[0].scaled) differs_from_other_seed = true;
    }
    EXPECT_TRUE(differs_from_other_seed);
    EXPECT_LT(previous_battery, 4150);
}

TEST(SimulatedSensor, RefusesAnOutputTooSmall) {
    SimulatedSensor sensor(1);
    SensorValue values[2];
    const Result<std::size_t> count = sensor.read(values, Instant::from_millis(0));
    ASSERT_FALSE(count.has_value());
    EXPECT_EQ(count.error().code, Errc::too_many_sensor_values);
}

}  // namespace
}  // namespace mqtls::node::test
