// The calloc/free wrappers behind HeapAccount. The tls target links with
// -Wl,--wrap=calloc -Wl,--wrap=free, so mbedTLS's static libraries (and only code linked into
// the same executable) call these; allocations are charged to the account of the innermost
// HeapScope on this thread, measured with malloc_usable_size so free() needs no header.
#include <malloc.h>

#include <atomic>
#include <cstdlib>

#include "mqtls/tls/heap.hpp"

namespace mqtls::tls {
namespace {
thread_local HeapAccount* active_account = nullptr;
std::atomic<bool> wrappers_called{false};
}  // namespace

bool heap_accounting_active() noexcept { return wrappers_called.load(std::memory_order_relaxed); }

void HeapAccount::charge(std::size_t bytes) noexcept {
    usage_.current += bytes;
    ++usage_.allocations;
    if (usage_.current > usage_.peak) usage_.peak = usage_.current;
}

void HeapAccount::credit(std::size_t bytes) noexcept {
    // A block allocated outside any scope may be freed inside one; never go below zero.
    usage_.current -= bytes < usage_.current ? bytes : usage_.current;
}

HeapScope::HeapScope(HeapAccount& account) noexcept : previous_(active_account) {
    active_account = &account;
}

HeapScope::~HeapScope() { active_account = previous_; }

}  // namespace mqtls::tls

// The linker's --wrap contract fixes these names (__wrap_X replaces X, __real_X is the original).
// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming)
extern "C" {
void* __real_calloc(std::size_t count, std::size_t size);
void __real_free(void* pointer);

void* __wrap_calloc(std::size_t count, std::size_t size) {
    mqtls::tls::wrappers_called.store(true, std::memory_order_relaxed);
    void* pointer = __real_calloc(count, size);
    if (pointer != nullptr && mqtls::tls::active_account != nullptr) {
        mqtls::tls::active_account->charge(malloc_usable_size(pointer));
    }
    return pointer;
}

void __wrap_free(void* pointer) {
    if (pointer != nullptr && mqtls::tls::active_account != nullptr) {
        mqtls::tls::active_account->credit(malloc_usable_size(pointer));
    }
    __real_free(pointer);
}
}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)
