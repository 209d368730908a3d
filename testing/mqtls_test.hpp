#pragma once
/// @file
/// The test vocabulary shared by host and target. Tests of the embeddable layers include this
/// header instead of <gtest/gtest.h>: on the host it *is* GoogleTest; in the cross build
/// (MQTLS_MINITEST defined) it is a tiny runner with the same macros, no heap and printf output,
/// so the very same test files run under QEMU on Cortex-M4 and rv32imc.
///
/// Portable tests use only: TEST, EXPECT_/ASSERT_ TRUE FALSE EQ NE LT LE GT GE, and `<< message`.
/// No fixtures, parameterised tests, std::string, std::vector or iostreams.

#if !defined(MQTLS_MINITEST)
#include <gtest/gtest.h>
/// Whether a fatal check (ASSERT_*) failed in the running test, also inside a helper it called:
/// a long test loop stops there instead of piling up failures.
#define MQTLS_TEST_HAS_FATAL_FAILURE() (::testing::Test::HasFatalFailure())
/// Whether any check failed in the running test so far.
#define MQTLS_TEST_HAS_FAILURE() (::testing::Test::HasFailure())
#else

#include <cstddef>

namespace mqtls_test {

using TestFunction = void (*)();

struct TestCase {
    const char* suite;
    const char* name;
    TestFunction function;
};

/// Registers a test at static-initialisation time; the registry is a fixed array.
bool register_test(const char* suite, const char* name, TestFunction function) noexcept;
/// Records one failed check of the running test and prints where it was.
void report_failure(const char* file, int line, const char* expression) noexcept;
/// Whether a fatal check (ASSERT_*) failed in the running test so far.
bool has_fatal_failure() noexcept;
void note_fatal_failure() noexcept;
/// Whether any check failed in the running test so far.
bool has_failure() noexcept;
/// Runs every registered test, prints "N passed, M failed", returns the number failed.
int run_all_tests() noexcept;

/// Swallows `<< message` parts of a check; the minitest prints the expression only.
struct Message {
    template <class T>
    Message& operator<<(const T&) noexcept {
        return *this;
    }
};

/// Built when a check fails: reports on construction, discards any streamed message.
struct Failure {
    Failure(const char* file, int line, const char* expression) noexcept {
        report_failure(file, line, expression);
    }
    template <class T>
    Failure& operator<<(const T&) noexcept {
        return *this;
    }
};

/// For ASSERT_*: `return FatalFailure(...) = Message() << ...;` leaves the test function.
struct FatalFailure {
    FatalFailure(const char* file, int line, const char* expression) noexcept {
        report_failure(file, line, expression);
        note_fatal_failure();
    }
    void operator=(const Message&) const noexcept {}
};

}  // namespace mqtls_test

#define MQTLS_TEST_HAS_FATAL_FAILURE() (::mqtls_test::has_fatal_failure())
#define MQTLS_TEST_HAS_FAILURE() (::mqtls_test::has_failure())
#define MQTLS_TEST_NAME(suite, name) mqtls_test_##suite##_##name
#define TEST(suite, name)                                                          \
    static void MQTLS_TEST_NAME(suite, name)();                                    \
    static const bool MQTLS_TEST_NAME(suite, name##_registered) =                  \
        ::mqtls_test::register_test(#suite, #name, &MQTLS_TEST_NAME(suite, name)); \
    static void MQTLS_TEST_NAME(suite, name)()

#define MQTLS_TEST_CHECK(condition, text) \
    if (condition) {                      \
    } else                                \
        ::mqtls_test::Failure(__FILE__, __LINE__, text)
#define MQTLS_TEST_ASSERT(condition, text) \
    if (condition) {                       \
    } else                                 \
        return ::mqtls_test::FatalFailure(__FILE__, __LINE__, text) = ::mqtls_test::Message()

#define ADD_FAILURE() ::mqtls_test::Failure(__FILE__, __LINE__, "ADD_FAILURE()")
#define EXPECT_TRUE(c) MQTLS_TEST_CHECK((c), "EXPECT_TRUE(" #c ")")
#define EXPECT_FALSE(c) MQTLS_TEST_CHECK(!(c), "EXPECT_FALSE(" #c ")")
#define EXPECT_EQ(a, b) MQTLS_TEST_CHECK((a) == (b), "EXPECT_EQ(" #a ", " #b ")")
#define EXPECT_NE(a, b) MQTLS_TEST_CHECK((a) != (b), "EXPECT_NE(" #a ", " #b ")")
#define EXPECT_LT(a, b) MQTLS_TEST_CHECK((a) < (b), "EXPECT_LT(" #a ", " #b ")")
#define EXPECT_LE(a, b) MQTLS_TEST_CHECK((a) <= (b), "EXPECT_LE(" #a ", " #b ")")
#define EXPECT_GT(a, b) MQTLS_TEST_CHECK((a) > (b), "EXPECT_GT(" #a ", " #b ")")
#define EXPECT_GE(a, b) MQTLS_TEST_CHECK((a) >= (b), "EXPECT_GE(" #a ", " #b ")")
#define ASSERT_TRUE(c) MQTLS_TEST_ASSERT((c), "ASSERT_TRUE(" #c ")")
#define ASSERT_FALSE(c) MQTLS_TEST_ASSERT(!(c), "ASSERT_FALSE(" #c ")")
#define ASSERT_EQ(a, b) MQTLS_TEST_ASSERT((a) == (b), "ASSERT_EQ(" #a ", " #b ")")
#define ASSERT_NE(a, b) MQTLS_TEST_ASSERT((a) != (b), "ASSERT_NE(" #a ", " #b ")")
#define ASSERT_LT(a, b) MQTLS_TEST_ASSERT((a) < (b), "ASSERT_LT(" #a ", " #b ")")
#define ASSERT_LE(a, b) MQTLS_TEST_ASSERT((a) <= (b), "ASSERT_LE(" #a ", " #b ")")
#define ASSERT_GT(a, b) MQTLS_TEST_ASSERT((a) > (b), "ASSERT_GT(" #a ", " #b ")")
#define ASSERT_GE(a, b) MQTLS_TEST_ASSERT((a) >= (b), "ASSERT_GE(" #a ", " #b ")")

#endif  // MQTLS_MINITEST
