#include "mqtls/node/crc32.hpp"

#include "mqtls/core/crc32.hpp"

namespace mqtls::node {

// One CRC-32 in the tree (core), shared with the header-only retained session store.
std::uint32_t crc32_update(std::uint32_t crc, bytes_view data) noexcept {
    return mqtls::crc32_update(crc, data);
}

}  // namespace mqtls::node
