// The minitest runner for cross builds (see mqtls_test.hpp): a fixed registry, printf output and
// the failure count as the exit status, which QEMU's semihosting passes to the host.
#include <cstdio>

#include "mqtls_test.hpp"

namespace mqtls_test {
namespace {
constexpr std::size_t max_tests = 1024;
TestCase registry[max_tests];
std::size_t registered = 0;
bool registry_overflow = false;
int failures_in_current_test = 0;
bool fatal_failure_in_current_test = false;
}  // namespace

bool has_fatal_failure() noexcept { return fatal_failure_in_current_test; }
void note_fatal_failure() noexcept { fatal_failure_in_current_test = true; }
bool has_failure() noexcept { return failures_in_current_test > 0; }

bool register_test(const char* suite, const char* name, TestFunction function) noexcept {
    if (registered == max_tests) {
        registry_overflow = true;
        return false;
    }
    registry[registered++] = TestCase{suite, name, function};
    return true;
}

void report_failure(const char* file, int line, const char* expression) noexcept {
    ++failures_in_current_test;
    std::printf("  %s:%d: failed: %s\n", file, line, expression);
}

int run_all_tests() noexcept {
    int passed = 0;
    int failed = 0;
    if (registry_overflow) {
        std::printf("minitest: more than %u tests registered; raise max_tests\n",
                    static_cast<unsigned>(max_tests));
        ++failed;
    }
    for (std::size_t i = 0; i < registered; ++i) {
        failures_in_current_test = 0;
        fatal_failure_in_current_test = false;
        registry[i].function();
        if (failures_in_current_test == 0) {
            ++passed;
        } else {
            ++failed;
            std::printf("[  FAILED  ] %s.%s\n", registry[i].suite, registry[i].name);
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed;
}

}  // namespace mqtls_test

int main() { return mqtls_test::run_all_tests() == 0 ? 0 : 1; }
