#pragma once
/// @file
/// How much heap mbedTLS uses, per Config and per connection. The tls layer installs a counting
/// calloc/free through MBEDTLS_PLATFORM_MEMORY (before main, chained to the allocator installed
/// before it): every allocation made while an Engine or Config is inside mbedTLS is charged to
/// that object's account, in bytes requested (the allocator's own overhead is not counted).

#include <cstddef>

namespace mqtls::tls {

struct HeapUsage {
    std::size_t current = 0;  ///< bytes held now
    std::size_t peak = 0;     ///< most bytes held at once
    std::size_t allocations = 0;
};

/// Whether mbedTLS was built with MBEDTLS_PLATFORM_MEMORY (the bundled build is; a system
/// mbedTLS may not be); when false, every HeapUsage reads zero.
bool heap_accounting_active() noexcept;

/// One account; charged while a HeapScope for it is alive on this thread.
class HeapAccount {
public:
    [[nodiscard]] HeapUsage usage() const noexcept { return usage_; }
    void charge(std::size_t bytes) noexcept;
    void credit(std::size_t bytes) noexcept;

private:
    HeapUsage usage_;
};

/// Charges this thread's mbedTLS allocations to `account` until destroyed (scopes nest).
class HeapScope {
public:
    explicit HeapScope(HeapAccount& account) noexcept;
    ~HeapScope();
    HeapScope(const HeapScope&) = delete;
    HeapScope& operator=(const HeapScope&) = delete;

private:
    HeapAccount* previous_;
};

}  // namespace mqtls::tls
