#pragma once
/// @file
/// A power supply for the retained stores' tests (RetainedStoreHook): lets a budget of bytes
/// land, then fails during the store in progress, which keeps a prefix of its bytes (and, if
/// asked, a garbage byte after it: a half-written word), and lets nothing land after that. With
/// no budget it only counts. Several regions (one hook each) can share one supply, so a cut is
/// counted across all the stores of a workload. Portable: no heap, usable under the minitest.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/retained_memory.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::test {

/// How the store the power fails in is torn.
enum class Tear : std::uint8_t {
    prefix,          ///< its first bytes landed, the rest did not
    prefix_garbage,  ///< ... and the byte after them is garbage
    suffix,          ///< its last bytes landed first (a memcpy that copies backwards)
};

struct PowerSupply {
    bool limited = false;      ///< cut once `budget` bytes have landed
    std::size_t budget = 0;    ///< bytes that still land before the cut
    Tear tear = Tear::prefix;  ///< how the store in progress is torn
    std::size_t stored = 0;    ///< bytes that landed, over every region
    bool off = false;          ///< the power failed: nothing lands any more

    /// Fails the power after `bytes` more bytes have landed.
    void cut_after(std::size_t bytes, Tear how) noexcept {
        limited = true;
        budget = bytes;
        tear = how;
        off = false;
    }
    /// The power is back (the device rebooted): everything lands again.
    void restore() noexcept {
        limited = false;
        off = false;
    }
};

/// One region's view of the supply.
class PowerCutHook final : public mqtls::RetainedStoreHook {
public:
    PowerCutHook(PowerSupply& supply, mutable_bytes region) noexcept
        : supply_(supply), region_(region) {}

    std::size_t admit(std::size_t offset, bytes_view data) noexcept override {
        if (supply_.off) return 0;
        if (!supply_.limited || supply_.budget >= data.size()) {
            if (supply_.limited) supply_.budget -= data.size();
            supply_.stored += data.size();
            return data.size();
        }
        const std::size_t keep = supply_.budget;
        supply_.budget = 0;
        supply_.off = true;
        supply_.stored += keep;
        return tear(offset, data, keep);
    }

private:
    std::size_t tear(std::size_t offset, bytes_view data, std::size_t keep) noexcept {
        if (supply_.tear == Tear::prefix_garbage) {
            region_[offset + keep] = static_cast<std::uint8_t>(data[keep] ^ 0xA5U);
        }
        if (supply_.tear != Tear::suffix) return keep;
        // The last `keep` bytes land; the writer then stores no prefix.
        for (std::size_t i = data.size() - keep; i < data.size(); ++i)
            region_[offset + i] = data[i];
        return 0;
    }

    PowerSupply& supply_;
    mutable_bytes region_;
};

}  // namespace mqtls::test
