// MQTT strings (1.5.3), topic names and filters (4.7.1, 4.7.3) and matching (4.7).
#include <cstdint>
#include <string_view>

#include "codec_test_support.hpp"
#include "mqtls/mqtt/topic.hpp"

namespace mqtls::mqtt::test {
namespace {

Errc utf8_error(std::string_view value) { return error_code_of(validate_utf8(value)); }

std::int32_t utf8_error_offset(std::string_view value) {
    const auto result = validate_utf8(value);
    return result.has_value() ? -1 : result.error().detail;
}

// --- validate_utf8 --------------------------------------------------------------------------

TEST(Utf8, AcceptsWellFormedText) {
    EXPECT_EQ(utf8_error(""), success);
    EXPECT_EQ(utf8_error("sensors/kitchen"), success);
    EXPECT_EQ(utf8_error("\xC3\xBC"), success);          // U+00FC, two bytes
    EXPECT_EQ(utf8_error("\xE2\x82\xAC"), success);      // U+20AC, three bytes
    EXPECT_EQ(utf8_error("\xF0\x9F\x98\x80"), success);  // U+1F600, four bytes
}

TEST(Utf8, AcceptsBoundaryCodePoints) {
    EXPECT_EQ(utf8_error("\x01"), success);              // U+0001: a control, but allowed
    EXPECT_EQ(utf8_error("\x7F"), success);              // last one-byte form
    EXPECT_EQ(utf8_error("\xC2\x80"), success);          // U+0080, first two-byte form
    EXPECT_EQ(utf8_error("\xDF\xBF"), success);          // U+07FF
    EXPECT_EQ(utf8_error("\xE0\xA0\x80"), success);      // U+0800, first three-byte form
    EXPECT_EQ(utf8_error("\xED\x9F\xBF"), success);      // U+D7FF, just below the surrogates
    EXPECT_EQ(utf8_error("\xEE\x80\x80"), success);      // U+E000, just above them
    EXPECT_EQ(utf8_error("\xEF\xBB\xBF"), success);      // U+FEFF must not be stripped (1.5.3)
    EXPECT_EQ(utf8_error("\xEF\xBF\xBF"), success);      // U+FFFF: a non-character, not an error
    EXPECT_EQ(utf8_error("\xF0\x90\x80\x80"), success);  // U+10000, first four-byte form
    EXPECT_EQ(utf8_error("\xF4\x8F\xBF\xBF"), success);  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsNullCharacter) {
    // MQTT-1.5.3-2.
    EXPECT_EQ(utf8_error(text("\0")), Errc::utf8_null_character);
    EXPECT_EQ(utf8_error(text("ab\0")), Errc::utf8_null_character);
    EXPECT_EQ(utf8_error_offset(text("ab\0cd")), 2);
}

TEST(Utf8, RejectsSurrogates) {
    // MQTT-1.5.3-1: U+D800..U+DFFF must not appear, not even as a CESU-8 pair.
    EXPECT_EQ(utf8_error("\xED\xA0\x80"), Errc::utf8_surrogate);  // U+D800
    EXPECT_EQ(utf8_error("\xED\xAF\xBF"), Errc::utf8_surrogate);  // U+DBFF
    EXPECT_EQ(utf8_error("\xED\xB0\x80"), Errc::utf8_surrogate);  // U+DC00
    EXPECT_EQ(utf8_error("\xED\xBF\xBF"), Errc::utf8_surrogate);  // U+DFFF
    EXPECT_EQ(utf8_error("\xED\xA0\xBD\xED\xB8\x80"), Errc::utf8_surrogate);
    EXPECT_EQ(utf8_error_offset("x\xED\xA0\x80"), 1);
}

TEST(Utf8, RejectsOverlongForms) {
    EXPECT_EQ(utf8_error("\xC0\x80"), Errc::malformed_utf8);          // U+0000 in two bytes
    EXPECT_EQ(utf8_error("\xC1\xBF"), Errc::malformed_utf8);          // U+007F in two bytes
    EXPECT_EQ(utf8_error("\xE0\x80\x80"), Errc::malformed_utf8);      // U+0000 in three
    EXPECT_EQ(utf8_error("\xE0\x9F\xBF"), Errc::malformed_utf8);      // U+07FF in three
    EXPECT_EQ(utf8_error("\xF0\x80\x80\x80"), Errc::malformed_utf8);  // U+0000 in four
    EXPECT_EQ(utf8_error("\xF0\x8F\xBF\xBF"), Errc::malformed_utf8);  // U+FFFF in four
    EXPECT_EQ(utf8_error_offset("ok\xC0\x80"), 2);
}

TEST(Utf8, RejectsCodePointsAboveUnicode) {
    EXPECT_EQ(utf8_error("\xF4\x90\x80\x80"), Errc::malformed_utf8);  // U+110000
    EXPECT_EQ(utf8_error("\xF5\x80\x80\x80"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xF8\x88\x80\x80\x80"), Errc::malformed_utf8);  // old five-byte form
}

TEST(Utf8, RejectsBytesThatNeverOccur) {
    EXPECT_EQ(utf8_error("\xFE"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xFF"), Errc::malformed_utf8);
}

TEST(Utf8, RejectsStrayAndMissingContinuationBytes) {
    EXPECT_EQ(utf8_error("\x80"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("a\xBF"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xC3("), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xE2(\xA1"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xE2\x82("), Errc::malformed_utf8);
    // Truncated at the end of the string: the sequence must not be completed from beyond it.
    EXPECT_EQ(utf8_error("\xC3"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xE2\x82"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error("\xF0\x9F\x98"), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error_offset("ab\xC3"), 2);
}

TEST(Utf8, DoesNotReadPastTheView) {
    // The view ends inside a sequence whose remaining bytes follow in memory; they are not part
    // of the string and must not complete it.
    const char euro[] = "\xE2\x82\xAC";
    EXPECT_EQ(utf8_error(std::string_view(euro, 2)), Errc::malformed_utf8);
    EXPECT_EQ(utf8_error(std::string_view(euro, 3)), success);
}

// --- validate_topic_name --------------------------------------------------------------------

Errc topic_name_error(std::string_view topic) { return error_code_of(validate_topic_name(topic)); }

TEST(TopicName, AcceptsOrdinaryNames) {
    // 4.7.3: levels may be empty, '/' alone is a topic, spaces and '$' are ordinary characters.
    const std::string_view names[] = {"a",
                                      "/",
                                      "a/b",
                                      "a//b",
                                      "/a/",
                                      "a b",
                                      "$SYS/info",
                                      "sport/tennis",
                                      "\xC3\xBC/\xE2\x82\xAC"};
    for (const std::string_view topic : names) {
        EXPECT_EQ(topic_name_error(topic), success) << topic;
    }
}

TEST(TopicName, RejectsEmpty) { EXPECT_EQ(topic_name_error(""), Errc::empty_topic); }

TEST(TopicName, RejectsWildcards) {
    const std::string_view names[] = {"+", "#", "a/+", "a/#", "a+b", "a#", "+/a", "sport/tennis/#"};
    for (const std::string_view topic : names) {
        EXPECT_EQ(topic_name_error(topic), Errc::wildcard_in_topic) << topic;
    }
}

TEST(TopicName, AppliesStringRules) {
    EXPECT_EQ(topic_name_error("\xC0\x80"), Errc::malformed_utf8);
    EXPECT_EQ(topic_name_error(text("a/\0")), Errc::utf8_null_character);
    EXPECT_EQ(topic_name_error("\xED\xA0\x80"), Errc::utf8_surrogate);
}

// --- validate_topic_filter ------------------------------------------------------------------

Errc filter_error(std::string_view filter) { return error_code_of(validate_topic_filter(filter)); }

TEST(TopicFilter, AcceptsWellPlacedWildcards) {
    const std::string_view filters[] = {
        "#",
        "+",
        "+/+",
        "/+",
        "+/",
        "a/+/c",
        "a/#",
        "+/#",
        "/#",
        "//",
        "$SYS/#",
        "sport/tennis/player1/#",
        "sport/+/player1",
        "+/tennis/#",
        "a/b",
        "a//+//#",
    };
    for (const std::string_view filter : filters) {
        EXPECT_EQ(filter_error(filter), success) << filter;
    }
}

TEST(TopicFilter, RejectsMisplacedWildcards) {
    // 4.7.1.2: '#' must be alone in its level and the last level; 4.7.1.3: '+' fills its level.
    const std::string_view filters[] = {
        "a/#/b",  "a+",      "#a",   "a#", "+a",     "a/b+",
        "##",     "++",      "a/#/", "#/", "a/+b/c", "sport/tennis#",
        "sport+", "a/b/#/#",
    };
    for (const std::string_view filter : filters) {
        EXPECT_EQ(filter_error(filter), Errc::invalid_topic_filter) << filter;
    }
}

TEST(TopicFilter, RejectsEmpty) { EXPECT_EQ(filter_error(""), Errc::empty_topic); }

TEST(TopicFilter, AppliesStringRules) {
    EXPECT_EQ(filter_error("a/\xFF"), Errc::malformed_utf8);
    EXPECT_EQ(filter_error(text("+/\0")), Errc::utf8_null_character);
    EXPECT_EQ(filter_error("\xED\xBF\xBF/#"), Errc::utf8_surrogate);
}

// --- topic_matches (4.7) --------------------------------------------------------------------

TEST(TopicMatches, ExactMatchIsCaseSensitive) {
    EXPECT_TRUE(topic_matches("a/b", "a/b"));
    EXPECT_FALSE(topic_matches("a/b", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
    EXPECT_FALSE(topic_matches("a/b", "a"));
    EXPECT_FALSE(topic_matches("ACCOUNTS", "Accounts"));  // 4.7.3
    EXPECT_FALSE(topic_matches("a/b", "a/bc"));
    EXPECT_FALSE(topic_matches("a/bc", "a/b"));
}

TEST(TopicMatches, LeadingSlashMakesADifferentTopic) {
    // 4.7.3: "/finance" has an empty first level and differs from "finance".
    EXPECT_FALSE(topic_matches("finance", "/finance"));
    EXPECT_FALSE(topic_matches("/finance", "finance"));
    EXPECT_TRUE(topic_matches("/finance", "/finance"));
}

TEST(TopicMatches, MultiLevelWildcardFromTheSpec) {
    // 4.7.1.2 non-normative examples.
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_FALSE(topic_matches("sport/tennis/player1/#", "sport/tennis/player2"));
    EXPECT_FALSE(topic_matches("sport/tennis/player1/#", "sport/tennis"));
    // "sport/#" also matches the singular "sport", since '#' includes the parent level.
    EXPECT_TRUE(topic_matches("sport/#", "sport"));
    EXPECT_TRUE(topic_matches("sport/#", "sport/"));
    EXPECT_FALSE(topic_matches("sport/#", "sports"));
    EXPECT_FALSE(topic_matches("sport/#", "sportX/a"));
}

TEST(TopicMatches, HashAloneMatchesEverythingNotStartingWithDollar) {
    EXPECT_TRUE(topic_matches("#", "a"));
    EXPECT_TRUE(topic_matches("#", "a/b/c"));
    EXPECT_TRUE(topic_matches("#", "/"));
    EXPECT_TRUE(topic_matches("#", "/finance"));
}

TEST(TopicMatches, SingleLevelWildcardFromTheSpec) {
    // 4.7.1.3 non-normative examples.
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player2"));
    EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(topic_matches("sport/+", "sport"));
    EXPECT_TRUE(topic_matches("sport/+", "sport/"));
    EXPECT_TRUE(topic_matches("+/+", "/finance"));
    EXPECT_TRUE(topic_matches("/+", "/finance"));
    EXPECT_FALSE(topic_matches("+", "/finance"));
}

TEST(TopicMatches, PlusMatchesAnEmptyLevel) {
    EXPECT_TRUE(topic_matches("a/+/c", "a//c"));
    EXPECT_TRUE(topic_matches("+/b", "/b"));
    EXPECT_TRUE(topic_matches("a/+", "a/"));
    EXPECT_TRUE(topic_matches("+/+/+", "//"));
    EXPECT_FALSE(topic_matches("a/+/c", "a/c"));
}

TEST(TopicMatches, WildcardsCombined) {
    EXPECT_TRUE(topic_matches("+/tennis/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("+/tennis/#", "sport/tennis"));
    EXPECT_FALSE(topic_matches("+/tennis/#", "sport/golf/player1"));
    EXPECT_TRUE(topic_matches("+/#", "a"));
    EXPECT_TRUE(topic_matches("a/+/#", "a/b"));
    EXPECT_FALSE(topic_matches("a/+/#", "a"));
}

TEST(TopicMatches, DollarTopicsAndFirstLevelWildcards) {
    // MQTT-4.7.2-1: a filter starting with a wildcard does not match a topic starting with '$'.
    EXPECT_FALSE(topic_matches("#", "$SYS"));
    EXPECT_FALSE(topic_matches("#", "$SYS/broker/clients"));
    EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    EXPECT_FALSE(topic_matches("+", "$SYS"));
    EXPECT_FALSE(topic_matches("+/#", "$SYS/x"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS"));
    EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    // Only the first level is special: '$' later on is an ordinary character.
    EXPECT_TRUE(topic_matches("a/+", "a/$b"));
    EXPECT_TRUE(topic_matches("a/#", "a/$b/c"));
    EXPECT_TRUE(topic_matches("#", "a$"));
}

}  // namespace
}  // namespace mqtls::mqtt::test
