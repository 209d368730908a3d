// The Reader's one function that its users (the decoder, the properties) do not inline: out of
// line, the image holds one copy of it instead of one per object.
#include "wire.hpp"

namespace mqtls::mqtt::wire {

Result<bytes_view> Reader::bytes(std::size_t count) noexcept {
    if (rest_.size() < count) return Errc::length_mismatch;
    const bytes_view out = rest_.first(count);
    rest_ = rest_.subspan(count);
    return out;
}

}  // namespace mqtls::mqtt::wire
