#pragma once
/// @file
/// MQTLS_ASSERT: checks a precondition that only a programming error can break (never bad input:
/// bad input gets an `Errc`). On failure it aborts; it never throws, because the core is built
/// with -fno-exceptions.

#include <cstdlib>

#define MQTLS_ASSERT(condition)         \
    do {                                \
        if (!(condition)) std::abort(); \
    } while (false)
