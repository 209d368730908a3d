#include "mqtls/mqtt/framer.hpp"

namespace mqtls::mqtt {

Framer::Framer(mutable_bytes buffer, DecodeLimits limits) noexcept
    : buffer_(buffer), limits_(limits) {
    if (limits_.max_packet_size > buffer_.size()) limits_.max_packet_size = buffer_.size();
}

Result<std::size_t> Framer::feed(bytes_view input) noexcept {
    if (ready_) return std::size_t{0};
    std::size_t taken = 0;
    // Fixed header one byte at a time: we cannot know its length before its last byte.
    while (expected_ == 0 && taken < input.size()) {
        if (filled_ == buffer_.size()) return Errc::packet_too_large;
        buffer_[filled_++] = input[taken++];
        auto header = decode_fixed_header(buffer_.first(filled_), limits_);
        if (header) {
            expected_ = header->packet_size();
        } else if (header.error().code != Errc::need_more) {
            return header.error();
        }
    }
    if (expected_ != 0) {
        const std::size_t want = expected_ - filled_;
        const std::size_t count = want < input.size() - taken ? want : input.size() - taken;
        for (std::size_t i = 0; i < count; ++i) buffer_[filled_ + i] = input[taken + i];
        filled_ += count;
        taken += count;
        ready_ = filled_ == expected_;
    }
    return taken;
}

bytes_view Framer::frame() const noexcept {
    return ready_ ? bytes_view(buffer_.first(filled_)) : bytes_view{};
}

Result<Decoded> Framer::decode_frame() const noexcept {
    if (!ready_) return Errc::need_more;
    return decode(frame(), limits_);
}

void Framer::release() noexcept {
    filled_ = 0;
    expected_ = 0;
    ready_ = false;
}

void Framer::reset() noexcept { release(); }

}  // namespace mqtls::mqtt
