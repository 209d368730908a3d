// C++ runtime hooks for the bare-metal test executables (cmake/toolchains/). The lean toolchain
// install has no libstdc++.a/libsupc++.a, yet the libstdc++ headers and the compiler can still
// reach a few runtime functions. For a no-heap, no-exception library every one of them is a bug:
// each prints what happened and aborts, which QEMU reports as exit status 134.
//
// The libraries themselves must not need any of these: scripts/embedded-check.sh fails if an
// embeddable archive has an undefined reference outside its allowlist. They exist so that a test
// executable links, and so that a stray call fails loudly instead of silently. The one exception
// is a program with a heap (MQTLS_PORT_HEAP): the simulation runner, whose test harness needs
// operator new, and the firmware (firmware/), whose tls layer allocates at set-up (tls::Config,
// tls::Engine) and whose mbedTLS allocates through calloc.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
[[noreturn]] void trap(const char* what) noexcept {
    std::fputs("mqtls embedded port: unexpected call to ", stderr);
    std::fputs(what, stderr);
    std::fputs("\n", stderr);
    std::abort();
}
}  // namespace

// A pure or deleted virtual function called through a vtable (e.g. from a base constructor).
extern "C" void __cxa_pure_virtual() { trap("__cxa_pure_virtual"); }
extern "C" void __cxa_deleted_virtual() { trap("__cxa_deleted_virtual"); }

#if !defined(MQTLS_PORT_HEAP)
// The heap. A virtual destructor's "deleting destructor" references operator delete even if no
// object is ever deleted; any actual call is a bug in a no-heap build.
void* operator new(std::size_t) { trap("operator new"); }
void* operator new[](std::size_t) { trap("operator new[]"); }
void operator delete(void*) noexcept { trap("operator delete"); }
void operator delete[](void*) noexcept { trap("operator delete[]"); }
void operator delete(void*, std::size_t) noexcept { trap("operator delete(sized)"); }
void operator delete[](void*, std::size_t) noexcept { trap("operator delete[](sized)"); }
#else
// The simulation runner (mqtls_embedded_sim_tests) and the firmware: the test harness (testing/sim)
// and its fixtures keep their records in std::vector/std::string, so operator new is picolibc's
// malloc, over the RAM between .bss and the stack (picolibc.ld's __heap_start..__heap_end). Without
// exceptions there is no bad_alloc to throw: running out of heap is a test-environment failure.
// The libraries under test never come here: the symbol gate checks their archives.
namespace {
void* allocate(std::size_t size, const char* what) noexcept {
    void* memory = std::malloc(size == 0 ? 1 : size);
    if (memory == nullptr) trap(what);
    return memory;
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size, "operator new (heap exhausted)"); }
void* operator new[](std::size_t size) { return allocate(size, "operator new[] (heap exhausted)"); }
// The tls layer allocates with new (std::nothrow) and reports a null as an error of its own.
const std::nothrow_t std::nothrow{};
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
#endif

// libstdc++'s out-of-line "throw" helpers, reached from e.g. string_view::substr()/at(),
// array::at() even with -fno-exceptions. (optional/variant's throw helpers are inline and abort.)
namespace std {
void __throw_out_of_range_fmt(const char*, ...) { trap("std::__throw_out_of_range_fmt"); }
void __throw_out_of_range(const char*) { trap("std::__throw_out_of_range"); }
void __throw_length_error(const char*) { trap("std::__throw_length_error"); }
void __throw_logic_error(const char*) { trap("std::__throw_logic_error"); }
void __throw_invalid_argument(const char*) { trap("std::__throw_invalid_argument"); }
void __throw_bad_alloc() { trap("std::__throw_bad_alloc"); }
void __throw_bad_array_new_length() { trap("std::__throw_bad_array_new_length"); }
void __throw_bad_function_call() { trap("std::__throw_bad_function_call"); }
}  // namespace std

// Function-local statics with thread-safe initialisation; the toolchain files pass
// -fno-threadsafe-statics, so these are only a fallback. Single-threaded semantics.
extern "C" int __cxa_guard_acquire(long long* guard) {
    return *reinterpret_cast<char*>(guard) == 0 ? 1 : 0;
}
extern "C" void __cxa_guard_release(long long* guard) { *reinterpret_cast<char*>(guard) = 1; }
extern "C" void __cxa_guard_abort(long long*) {}
