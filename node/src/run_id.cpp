#include "mqtls/node/run_id.hpp"

namespace mqtls::node {

Result<std::string_view> format_run_id(std::uint64_t id, span<char> out) noexcept {
    if (out.size() < run_id_text_length) return Errc::buffer_too_small;
    for (std::size_t i = 0; i < run_id_text_length; ++i) {
        const unsigned shift = 4U * static_cast<unsigned>(run_id_text_length - 1 - i);
        out[i] = "0123456789abcdef"[(id >> shift) & 0xFU];
    }
    return std::string_view(out.data(), run_id_text_length);
}

Result<std::uint64_t> parse_run_id(std::string_view text) noexcept {
    if (text.size() != run_id_text_length) return Errc::invalid_argument;
    std::uint64_t id = 0;
    for (const char digit : text) {
        unsigned value = 0;
        if (digit >= '0' && digit <= '9') {
            value = static_cast<unsigned>(digit - '0');
        } else if (digit >= 'a' && digit <= 'f') {
            value = static_cast<unsigned>(digit - 'a' + 10);
        } else {
            return Errc::invalid_argument;
        }
        id = (id << 4U) | value;
    }
    if (id == 0) return Errc::invalid_argument;
    return id;
}

}  // namespace mqtls::node
