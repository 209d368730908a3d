#include <cstring>

#include "mqtls/node/log_storage.hpp"

namespace mqtls::node {

Result<std::size_t> RamLogStorage::read(std::size_t offset, mutable_bytes out) noexcept {
    if (offset > used_) return Errc::invalid_argument;
    const std::size_t count = out.size() < used_ - offset ? out.size() : used_ - offset;
    if (count != 0) std::memcpy(out.data(), memory_.data() + offset, count);
    return count;
}

Result<void> RamLogStorage::append(bytes_view data) noexcept {
    if (data.size() > memory_.size() - used_) return Errc::storage_full;
    if (!data.empty()) std::memcpy(memory_.data() + used_, data.data(), data.size());
    used_ += data.size();
    return ok();
}

Result<void> RamLogStorage::truncate(std::size_t length) noexcept {
    if (length > used_) return Errc::invalid_argument;
    used_ = length;
    return ok();
}

}  // namespace mqtls::node
