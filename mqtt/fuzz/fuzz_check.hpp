#pragma once
/// @file
/// MQTLS_FUZZ_CHECK: how the fuzz targets state an invariant. A broken invariant is printed with
/// its source line and the process aborts, which libFuzzer reports as a crash (saving the input)
/// and the replay driver as a failed test. Used instead of `assert` so that it also fires in
/// builds with NDEBUG.

#include <cstdio>
#include <cstdlib>

#define MQTLS_FUZZ_CHECK(condition)                                                                \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
