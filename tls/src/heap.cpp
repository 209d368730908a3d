// The counting calloc/free behind HeapAccount, installed through MBEDTLS_PLATFORM_MEMORY
// (mbedtls_platform_set_calloc_free). Each block carries a small header holding its requested
// size, so free() knows what to credit without asking the allocator (malloc_usable_size is a
// glibc extension a device does not have). The allocator mbedTLS would otherwise use still does
// the work: MBEDTLS_PLATFORM_STD_CALLOC/FREE, which is the C library's calloc/free unless the
// configuration names another (ESP-IDF names its internal-RAM or PSRAM allocator there). mbedTLS
// 3.6 has no getter for the functions installed at run time (mbedtls_calloc is a function that
// calls them), so ours is installed over the configured default, never over another hook.
#include <mbedtls/build_info.h>
#include <mbedtls/platform.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mqtls/tls/heap.hpp"

// A configuration that maps calloc/free to macros has no hook to install. A build that shares
// mbedTLS with other code which may allocate before static initialisation leaves the hook out:
// with MQTLS_TLS_NO_HEAP_HOOK, and on ESP-IDF (Wi-Fi, esp-tls; the Arduino core too) unless
// MQTLS_TLS_HEAP_ACCOUNTING asks for it (ports/espidf's Kconfig). Heap figures are then
// unavailable (heap_accounting_active() is false); nothing else changes.
#if defined(ESP_PLATFORM) && !defined(MQTLS_TLS_HEAP_ACCOUNTING) && !defined(MQTLS_TLS_NO_HEAP_HOOK)
#define MQTLS_TLS_NO_HEAP_HOOK
#endif
#if defined(MBEDTLS_PLATFORM_MEMORY) && !defined(MBEDTLS_PLATFORM_CALLOC_MACRO) && \
    !defined(MBEDTLS_PLATFORM_FREE_MACRO) && !defined(MQTLS_TLS_NO_HEAP_HOOK)
#define MQTLS_TLS_HEAP_HOOK 1
#else
#define MQTLS_TLS_HEAP_HOOK 0
#endif

namespace mqtls::tls {
namespace {
thread_local HeapAccount* active_account = nullptr;

#if MQTLS_TLS_HEAP_HOOK
// The header keeps the block after it aligned for any type, as calloc's result must be.
constexpr std::size_t header_size = alignof(std::max_align_t) > sizeof(std::size_t)
                                        ? alignof(std::max_align_t)
                                        : sizeof(std::size_t);

void* counting_calloc(std::size_t count, std::size_t size) {
    if (count != 0 && size > (SIZE_MAX - header_size) / count) return nullptr;
    const std::size_t bytes = count * size;
    auto* block = static_cast<unsigned char*>(MBEDTLS_PLATFORM_STD_CALLOC(1, header_size + bytes));
    if (block == nullptr) return nullptr;
    std::memcpy(block, &bytes, sizeof bytes);
    if (active_account != nullptr) active_account->charge(bytes);
    return block + header_size;
}

void counting_free(void* pointer) {
    if (pointer == nullptr) return;
    unsigned char* block = static_cast<unsigned char*>(pointer) - header_size;
    std::size_t bytes = 0;
    std::memcpy(&bytes, block, sizeof bytes);
    if (active_account != nullptr) active_account->credit(bytes);
    MBEDTLS_PLATFORM_STD_FREE(block);
}

// Installed during static initialisation, before main: a block allocated by mbedTLS before the
// hook (by pki, say) would otherwise be handed to counting_free without a header.
struct HookInstaller {
    HookInstaller() noexcept { mbedtls_platform_set_calloc_free(&counting_calloc, &counting_free); }
};
const HookInstaller installer;
#endif
}  // namespace

bool heap_accounting_active() noexcept { return MQTLS_TLS_HEAP_HOOK != 0; }

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
