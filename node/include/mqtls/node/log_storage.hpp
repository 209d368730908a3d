#pragma once
/// @file
/// Where the outbox keeps its log: an append-only byte sequence that can be read back,
/// shortened and synced. A file on Linux (ports/posix), a flash partition or RTC memory
/// (RetainedLogStorage) on a device, RAM in tests (RamLogStorage). The outbox needs two of them (it
/// compacts from one into the other), so a crash never leaves it without a complete copy.
///
/// Durability contract: after sync() returns, everything appended and every truncation before
/// it survives a power loss. Appends after the last sync may be lost on power loss, in part
/// (a torn tail) or whole, but never reordered before synced data; the outbox's recovery finds
/// the torn tail by its record checksums and discards it.

#include <cstddef>
#include <cstring>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::node {

class LogStorage {
public:
    LogStorage(const LogStorage&) = delete;
    LogStorage& operator=(const LogStorage&) = delete;

    /// Bytes currently stored.
    virtual Result<std::size_t> size() noexcept = 0;
    /// Reads up to out.size() bytes from `offset`; returns how many (fewer only at the end).
    virtual Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept = 0;
    /// Appends `data` at the end. Errors: storage_full, file_write_failed.
    virtual Result<void> append(bytes_view data) noexcept = 0;
    /// Shortens the log to `length` bytes (length <= size()).
    virtual Result<void> truncate(std::size_t length) noexcept = 0;
    /// Makes every append and truncation so far durable.
    virtual Result<void> sync() noexcept = 0;

protected:
    LogStorage() = default;
    LogStorage(LogStorage&&) = default;
    LogStorage& operator=(LogStorage&&) = default;
    // Never deleted through the interface (see SensorSource).
    ~LogStorage() = default;
};

/// A log in a caller-provided RAM buffer: the in-RAM outbox (no persistence across reboots,
/// but across reconnects). It always starts empty; for a log that survives deep sleep and
/// resets in RTC memory use RetainedLogStorage (retained_log_storage.hpp). Defined inline: with no
/// out-of-line virtual function, its vtable is emitted wherever it is used, so host code built with
/// RTTI (and UBSan's vptr checks) links against this RTTI-free layer.
class RamLogStorage final : public LogStorage {
public:
    explicit RamLogStorage(mutable_bytes memory) noexcept : memory_(memory) {}

    Result<std::size_t> size() noexcept override { return used_; }

    Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept override {
        if (offset > used_) return Errc::invalid_argument;
        const std::size_t count = out.size() < used_ - offset ? out.size() : used_ - offset;
        if (count != 0) std::memcpy(out.data(), memory_.data() + offset, count);
        return count;
    }

    Result<void> append(bytes_view data) noexcept override {
        if (data.size() > memory_.size() - used_) return Errc::storage_full;
        if (!data.empty()) std::memcpy(memory_.data() + used_, data.data(), data.size());
        used_ += data.size();
        return ok();
    }

    Result<void> truncate(std::size_t length) noexcept override {
        if (length > used_) return Errc::invalid_argument;
        used_ = length;
        return ok();
    }

    Result<void> sync() noexcept override { return ok(); }

private:
    mutable_bytes memory_;
    std::size_t used_ = 0;
};

}  // namespace mqtls::node
