#include "mqtls/core/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace mqtls {
namespace {

// Counts live instances so the tests can see that Result constructs and destroys exactly the
// alternative it holds (the union inside Result has no automatic lifetime management).
struct Tracked {
    static int live;
    int value;
    explicit Tracked(int v) : value(v) { ++live; }
    Tracked(const Tracked& other) : value(other.value) { ++live; }
    Tracked(Tracked&& other) noexcept : value(other.value) {
        other.value = -1;
        ++live;
    }
    Tracked& operator=(const Tracked&) = default;
    Tracked& operator=(Tracked&&) = default;
    ~Tracked() { --live; }
};
int Tracked::live = 0;

TEST(Result, HoldsValue) {
    const Result<int> result = 42;
    EXPECT_TRUE(result.has_value());
    EXPECT_TRUE(static_cast<bool>(result));
    EXPECT_EQ(result.value(), 42);
    EXPECT_EQ(*result, 42);
    EXPECT_EQ(result.value_or(7), 42);
}

TEST(Result, HoldsErrorFromErrcWithZeroDetail) {
    const Result<int> result = Errc::buffer_too_small;
    EXPECT_FALSE(result.has_value());
    EXPECT_FALSE(static_cast<bool>(result));
    EXPECT_EQ(result.error().code, Errc::buffer_too_small);
    EXPECT_EQ(result.error().detail, 0);
    EXPECT_EQ(result.value_or(7), 7);
}

TEST(Result, KeepsErrorDetail) {
    const Result<int> result = Error{Errc::broker_refused, 5};
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), (Error{Errc::broker_refused, 5}));
    EXPECT_NE(result.error(), (Error{Errc::broker_refused, 4}));
}

TEST(Result, ArrowReachesMembers) {
    Result<std::string> result = std::string("telemetry");
    EXPECT_EQ(result->size(), 9u);
    result->append("!");
    EXPECT_EQ(*result, "telemetry!");
}

TEST(Result, ValueIsMutableThroughReference) {
    Result<int> result = 1;
    result.value() = 5;
    EXPECT_EQ(*result, 5);
    *result += 1;
    EXPECT_EQ(result.value(), 6);
}

TEST(Result, RvalueValueMovesOut) {
    Result<std::unique_ptr<int>> result = std::make_unique<int>(9);
    std::unique_ptr<int> taken = std::move(result).value();
    ASSERT_NE(taken, nullptr);
    EXPECT_EQ(*taken, 9);
}

TEST(Result, CopyKeepsBothAlternatives) {
    const Result<std::string> value = std::string("abc");
    const Result<std::string> value_copy =
        value;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(*value_copy, "abc");
    EXPECT_EQ(*value, "abc");

    const Result<std::string> error = Error{Errc::closed, 3};
    const Result<std::string> error_copy =
        error;  // NOLINT(performance-unnecessary-copy-initialization)
    ASSERT_FALSE(error_copy.has_value());
    EXPECT_EQ(error_copy.error(), (Error{Errc::closed, 3}));
}

TEST(Result, MoveTransfersValue) {
    Result<std::unique_ptr<int>> source = std::make_unique<int>(3);
    Result<std::unique_ptr<int>> target = std::move(source);
    ASSERT_TRUE(target.has_value());
    ASSERT_NE(*target, nullptr);
    EXPECT_EQ(**target, 3);
}

TEST(Result, AssignmentSwitchesAlternativeAndManagesLifetime) {
    Tracked::live = 0;
    {
        Result<Tracked> result = Tracked(1);
        EXPECT_EQ(Tracked::live, 1);

        const Result<Tracked> error = Errc::closed;
        result = error;  // value -> error: the Tracked must be destroyed
        EXPECT_EQ(Tracked::live, 0);
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().code, Errc::closed);

        const Result<Tracked> other = Tracked(2);
        result = other;  // error -> value (copy)
        EXPECT_EQ(Tracked::live, 2);
        ASSERT_TRUE(result.has_value());
        EXPECT_EQ(result->value, 2);

        result = Result<Tracked>(Tracked(3));  // value -> value (move)
        EXPECT_EQ(Tracked::live, 2);
        EXPECT_EQ(result->value, 3);

        result = Result<Tracked>(Errc::closed);  // value -> error (move)
        EXPECT_EQ(Tracked::live, 1);
        EXPECT_FALSE(result.has_value());
    }
    EXPECT_EQ(Tracked::live, 0);
}

TEST(Result, SelfAssignmentKeepsValue) {
    Tracked::live = 0;
    {
        Result<Tracked> result = Tracked(8);
        Result<Tracked>& alias = result;
        result = alias;
        ASSERT_TRUE(result.has_value());
        EXPECT_EQ(result->value, 8);
        EXPECT_EQ(Tracked::live, 1);
    }
    EXPECT_EQ(Tracked::live, 0);
}

TEST(Result, DestructorDestroysHeldValueOnce) {
    Tracked::live = 0;
    {
        const Result<Tracked> a = Tracked(1);
        const Result<Tracked> b = a;  // NOLINT(performance-unnecessary-copy-initialization)
        EXPECT_EQ(Tracked::live, 2);
    }
    EXPECT_EQ(Tracked::live, 0);
}

TEST(Result, ValueOrConvertsFallback) {
    const Result<std::string> error = Errc::closed;
    EXPECT_EQ(error.value_or("fallback"), "fallback");
    const Result<long> number = Errc::closed;
    EXPECT_EQ(number.value_or(3), 3L);
}

TEST(ResultVoid, DefaultIsSuccess) {
    const Result<void> result;
    EXPECT_TRUE(result.has_value());
    EXPECT_TRUE(static_cast<bool>(result));
    result.value();  // must not abort on success
    EXPECT_TRUE(ok().has_value());
}

TEST(ResultVoid, HoldsError) {
    const Result<void> from_code = Errc::output_full;
    EXPECT_FALSE(from_code.has_value());
    EXPECT_EQ(from_code.error(), (Error{Errc::output_full, 0}));

    const Result<void> from_error = Error{Errc::keepalive_timeout, -2};
    EXPECT_FALSE(static_cast<bool>(from_error));
    EXPECT_EQ(from_error.error().detail, -2);
}

TEST(ResultVoid, UsableInConstantExpressions) {
    static_assert(ok().has_value());
    static_assert(!Result<void>(Errc::closed).has_value());
    static_assert(Result<void>(Errc::closed).error().code == Errc::closed);
    EXPECT_TRUE(ok().has_value());
}

// --- MQTLS_TRY / MQTLS_TRY_ASSIGN -----------------------------------------------------------

int steps_after_try = 0;

Result<void> step(bool succeed) {
    if (succeed) return ok();
    return Error{Errc::not_connected, 11};
}

Result<void> two_steps(bool first, bool second) {
    MQTLS_TRY(step(first));
    ++steps_after_try;
    MQTLS_TRY(step(second));
    ++steps_after_try;
    return ok();
}

Result<int> parse_positive(int input) {
    if (input <= 0) return Error{Errc::invalid_argument, input};
    return input;
}

Result<int> sum_of_two(int a, int b) {
    // Two expansions in one function: the hidden temporaries must not collide.
    MQTLS_TRY_ASSIGN(const int first, parse_positive(a));
    MQTLS_TRY_ASSIGN(const int second, parse_positive(b));
    return first + second;
}

Result<int> try_void_in_value_function(bool succeed) {
    MQTLS_TRY(step(succeed));
    return 1;
}

Result<std::size_t> take_ownership(Result<std::unique_ptr<std::string>> source) {
    MQTLS_TRY_ASSIGN(std::unique_ptr<std::string> owned, std::move(source));
    return owned->size();
}

Result<int> assign_to_existing(int input) {
    int target = 0;
    MQTLS_TRY_ASSIGN(target, parse_positive(input));
    return target * 10;
}

TEST(Try, PassesThroughSuccess) {
    steps_after_try = 0;
    const auto result = two_steps(true, true);
    EXPECT_TRUE(result.has_value());
    EXPECT_EQ(steps_after_try, 2);
}

TEST(Try, ReturnsFirstErrorAndStopsThere) {
    steps_after_try = 0;
    const auto result = two_steps(false, true);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), (Error{Errc::not_connected, 11}));
    EXPECT_EQ(steps_after_try, 0);

    steps_after_try = 0;
    const auto second = two_steps(true, false);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(steps_after_try, 1);
}

TEST(Try, PropagatesIntoFunctionReturningValue) {
    EXPECT_EQ(try_void_in_value_function(true).value_or(0), 1);
    const auto failed = try_void_in_value_function(false);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error(), (Error{Errc::not_connected, 11}));
}

TEST(TryAssign, DeclaresValuesOnSuccess) {
    const auto result = sum_of_two(2, 3);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, 5);
}

TEST(TryAssign, ReturnsErrorWithDetail) {
    const auto first_bad = sum_of_two(-4, 3);
    ASSERT_FALSE(first_bad.has_value());
    EXPECT_EQ(first_bad.error(), (Error{Errc::invalid_argument, -4}));

    const auto second_bad = sum_of_two(4, -3);
    ASSERT_FALSE(second_bad.has_value());
    EXPECT_EQ(second_bad.error(), (Error{Errc::invalid_argument, -3}));
}

TEST(TryAssign, MovesMoveOnlyValues) {
    const auto size = take_ownership(std::make_unique<std::string>("four"));
    ASSERT_TRUE(size.has_value());
    EXPECT_EQ(*size, 4u);
    const auto failed = take_ownership(Errc::closed);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, Errc::closed);
}

TEST(TryAssign, AssignsToExistingVariable) {
    EXPECT_EQ(assign_to_existing(4).value_or(0), 40);
    EXPECT_FALSE(assign_to_existing(0).has_value());
}

// Reading the wrong alternative is a programming error and must stop the program, not return
// garbage from the union.
TEST(ResultDeathTest, ValueOfErrorAborts) {
    const Result<int> result = Errc::closed;
    EXPECT_DEATH((void)result.value(), "");
}

TEST(ResultDeathTest, ErrorOfValueAborts) {
    const Result<int> result = 1;
    EXPECT_DEATH((void)result.error(), "");
}

TEST(ResultDeathTest, VoidValueOfErrorAborts) {
    const Result<void> result = Errc::closed;
    EXPECT_DEATH(result.value(), "");
}

TEST(ResultDeathTest, VoidErrorOfSuccessAborts) {
    const Result<void> result;
    EXPECT_DEATH((void)result.error(), "");
}

}  // namespace
}  // namespace mqtls
