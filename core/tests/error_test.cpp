#include "mqtls/core/error.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mqtls {
namespace {

// Every code with the name it was declared under, built from the same table as the enum so that a
// code added later is checked here without anyone remembering to list it.
struct DeclaredCode {
    Errc code;
    std::uint16_t value;
    std::string_view declared_name;
};

std::vector<DeclaredCode> all_codes() {
    return {
#define MQTLS_TEST_DECLARED_CODE(name, value, retry, message, hint) {Errc::name, value, #name},
        MQTLS_ERRC_TABLE(MQTLS_TEST_DECLARED_CODE)
#undef MQTLS_TEST_DECLARED_CODE
    };
}

bool is_known_class(ErrorClass error_class_value) {
    switch (error_class_value) {
        case ErrorClass::codec:
        case ErrorClass::session:
        case ErrorClass::transport:
        case ErrorClass::tls:
        case ErrorClass::storage:
        case ErrorClass::config:
        case ErrorClass::node:
            return true;
    }
    return false;
}

TEST(Errc, TableIsNotEmpty) { EXPECT_GE(all_codes().size(), 30u); }

TEST(Errc, ValuesAreDistinct) {
    std::set<std::uint16_t> seen;
    for (const auto& declared : all_codes()) {
        EXPECT_TRUE(seen.insert(declared.value).second)
            << declared.declared_name << " reuses value " << declared.value;
    }
}

TEST(Errc, NoCodeIsZero) {
    // Zero is what a default-constructed Error holds; a real failure must never look like that.
    for (const auto& declared : all_codes()) {
        EXPECT_NE(declared.value, 0) << declared.declared_name;
    }
}

TEST(Errc, EveryCodeBelongsToAKnownClass) {
    for (const auto& declared : all_codes()) {
        EXPECT_TRUE(is_known_class(error_class(declared.code)))
            << declared.declared_name << " has class byte " << (declared.value >> 8);
    }
}

TEST(Errc, NameMatchesDeclaration) {
    for (const auto& declared : all_codes()) {
        EXPECT_EQ(std::string_view(name(declared.code)), declared.declared_name);
    }
}

TEST(Errc, MessagesAreNonEmptyAndDistinct) {
    std::set<std::string> seen;
    for (const auto& declared : all_codes()) {
        const char* text = message(declared.code);
        ASSERT_NE(text, nullptr) << declared.declared_name;
        EXPECT_FALSE(std::string_view(text).empty()) << declared.declared_name;
        EXPECT_TRUE(seen.insert(text).second)
            << declared.declared_name << " shares its message with another code: " << text;
    }
}

TEST(Errc, HintsAreNonEmptyAndAddToTheMessage) {
    for (const auto& declared : all_codes()) {
        const char* advice = hint(declared.code);
        ASSERT_NE(advice, nullptr) << declared.declared_name;
        EXPECT_FALSE(std::string_view(advice).empty()) << declared.declared_name;
        // A hint that repeats the message tells the reader nothing new.
        EXPECT_NE(std::string_view(advice), std::string_view(message(declared.code)))
            << declared.declared_name;
    }
}

TEST(Errc, UnknownValueHasFallbackTexts) {
    const auto unknown = static_cast<Errc>(0x7f7f);
    ASSERT_NE(message(unknown), nullptr);
    ASSERT_NE(hint(unknown), nullptr);
    ASSERT_NE(name(unknown), nullptr);
    EXPECT_EQ(std::string_view(message(unknown)), "unknown error");
    EXPECT_EQ(std::string_view(hint(unknown)), "");
    EXPECT_EQ(std::string_view(name(unknown)), "unknown");
}

TEST(ErrorClass, GroupsByHighByte) {
    EXPECT_EQ(error_class(Errc::need_more), ErrorClass::codec);
    EXPECT_EQ(error_class(Errc::malformed_remaining_length), ErrorClass::codec);
    EXPECT_EQ(error_class(Errc::invalid_subscription_options), ErrorClass::codec);
    EXPECT_EQ(error_class(Errc::not_connected), ErrorClass::session);
    EXPECT_EQ(error_class(Errc::broker_refused), ErrorClass::session);
    EXPECT_EQ(error_class(Errc::closed), ErrorClass::session);
    EXPECT_EQ(error_class(Errc::invalid_argument), ErrorClass::config);
    EXPECT_EQ(error_class(static_cast<Errc>(0x0399)), ErrorClass::transport);
    EXPECT_EQ(error_class(static_cast<Errc>(0x0401)), ErrorClass::tls);
    EXPECT_EQ(error_class(static_cast<Errc>(0x0501)), ErrorClass::storage);
    static_assert(error_class(Errc::packet_too_large) == ErrorClass::codec);
}

TEST(Error, DefaultHasZeroCodeAndDetail) {
    const Error error;
    EXPECT_EQ(static_cast<std::uint16_t>(error.code), 0u);
    EXPECT_EQ(error.detail, 0);
}

TEST(Error, ConvertsFromErrcWithZeroDetail) {
    const Error error = Errc::inflight_full;
    EXPECT_EQ(error.code, Errc::inflight_full);
    EXPECT_EQ(error.detail, 0);
}

TEST(Error, EqualityComparesCodeAndDetail) {
    EXPECT_EQ((Error{Errc::broker_refused, 5}), (Error{Errc::broker_refused, 5}));
    EXPECT_NE((Error{Errc::broker_refused, 5}), (Error{Errc::broker_refused, 4}));
    EXPECT_NE((Error{Errc::broker_refused, 5}), (Error{Errc::closed, 5}));
    EXPECT_FALSE((Error{Errc::closed, 1}) == (Error{Errc::closed, 2}));
    EXPECT_TRUE((Error{Errc::closed, 1}) != (Error{Errc::closed, 2}));
}

TEST(Error, MessageAndHintForwardToTheCode) {
    const Error error{Errc::keepalive_timeout, 30};
    EXPECT_EQ(std::string_view(error.message()),
              std::string_view(message(Errc::keepalive_timeout)));
    EXPECT_EQ(std::string_view(error.hint()), std::string_view(hint(Errc::keepalive_timeout)));
}

TEST(Error, KeepsNegativeDetailsSuchAsLibraryCodes) {
    // mbedTLS reports failures as negative numbers; they must survive unchanged.
    const Error error{Errc::closed, -0x7880};
    EXPECT_EQ(error.detail, -0x7880);
}

TEST(Error, UsableInConstantExpressions) {
    constexpr Error error{Errc::output_full, 2};
    static_assert(error.code == Errc::output_full);
    static_assert(error == Error(Errc::output_full, 2));
    static_assert(std::string_view(name(Errc::output_full)) == "output_full");
    EXPECT_EQ(error.detail, 2);
}

}  // namespace
}  // namespace mqtls
