#pragma once
/// @file
/// Writing to memory that keeps its contents across a reset: RTC slow memory (RTC_DATA_ATTR)
/// on an ESP32 through deep sleep, a .noinit section on other microcontrollers. Such memory
/// has no cache and no sync: every byte store lands at once, and a reset can stop the program
/// between any two stores, or inside one. The retained stores (node::RetainedLogStorage,
/// tls::RetainedSessionStore) are built so that any such stop leaves a state they recover
/// from; they write only through RetainedMemory, so that a simulation (RetainedStoreHook) can
/// stop them at every byte.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mqtls/core/assert.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls {

/// What a retained store found in its region when it looked.
enum class RetainedContents : std::uint8_t {
    recovered,  ///< a valid header: the contents written before the reset are back
    blank,      ///< headers all zero (the first boot after power-on): empty, nothing was lost
    discarded,  ///< neither header is valid (garbage, another layout or size, or a reset tore
                ///< the very first commit): starts empty, whatever the region held is lost;
                ///< worth reporting
};

/// A test seam: sees every store to a retained region before it happens and decides how much
/// of it lands, so that a simulation can cut the power at every byte. Production code passes
/// no hook.
class RetainedStoreHook {
public:
    RetainedStoreHook(const RetainedStoreHook&) = delete;
    RetainedStoreHook& operator=(const RetainedStoreHook&) = delete;

    /// `data` is about to be stored at `offset` of the region. Returns how many of its first
    /// bytes reach the memory: data.size() normally, fewer when the power fails during the
    /// store (the hook may also scribble on the region itself, to model a store torn in some
    /// other order). After a short store the writer reports failure and writes nothing more.
    virtual std::size_t admit(std::size_t offset, bytes_view data) noexcept = 0;

protected:
    RetainedStoreHook() = default;
    RetainedStoreHook(RetainedStoreHook&&) = default;
    RetainedStoreHook& operator=(RetainedStoreHook&&) = default;
    ~RetainedStoreHook() = default;
};

/// A view over a retained region that stores bytes in program order. Each store is fenced
/// against the compiler, so that a header written after its data is also stored after it (the
/// retained stores' atomicity rests on that order between stores, never on the order of the
/// bytes inside one store).
class RetainedMemory {
public:
    constexpr RetainedMemory() noexcept = default;
    RetainedMemory(mutable_bytes region, RetainedStoreHook* hook) noexcept
        : region_(region), hook_(hook) {}

    [[nodiscard]] std::size_t size() const noexcept { return region_.size(); }
    [[nodiscard]] bytes_view bytes() const noexcept { return region_; }
    [[nodiscard]] bytes_view bytes(std::size_t offset, std::size_t length) const noexcept {
        return bytes_view(region_).subspan(offset, length);
    }

    /// Stores `data` at `offset` (the range must lie in the region). False when the power
    /// failed during the store (only under a hook): the program is as good as stopped.
    [[nodiscard]] bool store(std::size_t offset, bytes_view data) noexcept {
        MQTLS_ASSERT(offset <= region_.size() && data.size() <= region_.size() - offset);
        std::size_t admitted = hook_ == nullptr ? data.size() : hook_->admit(offset, data);
        if (admitted > data.size()) admitted = data.size();
        // Everything stored before is in memory before any byte of this store, and this store
        // is complete before anything after it.
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (admitted != 0) std::memcpy(region_.data() + offset, data.data(), admitted);
        std::atomic_signal_fence(std::memory_order_seq_cst);
        return admitted == data.size();
    }

    /// Stores `length` zero bytes at `offset`, in chunks (each one a store).
    [[nodiscard]] bool zero(std::size_t offset, std::size_t length) noexcept {
        constexpr std::size_t chunk = 32;
        constexpr std::uint8_t zeros[chunk] = {};
        while (length != 0) {
            const std::size_t count = length < chunk ? length : chunk;
            if (!store(offset, bytes_view(zeros, count))) return false;
            offset += count;
            length -= count;
        }
        return true;
    }

    /// True when every byte of the range is zero (memory that was never written).
    [[nodiscard]] bool all_zero(std::size_t offset, std::size_t length) const noexcept {
        for (const std::uint8_t byte : bytes(offset, length)) {
            if (byte != 0) return false;
        }
        return true;
    }

private:
    mutable_bytes region_;
    RetainedStoreHook* hook_ = nullptr;
};

/// Little-endian fields of the retained headers (the same on every target, so a region dumped
/// from a device reads the same on the host).
inline void put_le32(std::uint8_t* out, std::uint32_t value) noexcept {
    for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8U * i));
}
inline std::uint32_t get_le32(const std::uint8_t* in) noexcept {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value |= std::uint32_t{in[i]} << (8U * i);
    return value;
}

/// Serial-number order of 32-bit generation counters (RFC 1982): `a` is newer than `b` when
/// it is ahead by less than half the space, so the counters may wrap.
inline bool newer_generation(std::uint32_t a, std::uint32_t b) noexcept {
    return a != b && static_cast<std::uint32_t>(a - b) < (std::uint32_t{1} << 31U);
}

}  // namespace mqtls
