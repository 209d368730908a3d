#pragma once
/// @file
/// CRC-32 (IEEE 802.3, reflected, as in zlib and Ethernet) for outbox records. Nibble-table
/// implementation: 64 bytes of table instead of 1 KiB, which matters more on a microcontroller
/// than the speed (records are a few hundred bytes, written every few seconds).

#include <cstdint>

#include "mqtls/core/span.hpp"

namespace mqtls::node {

/// Continues a CRC over `data`; start with crc32_update(0, ...). crc32_update(0, "123456789")
/// is 0xCBF43926.
std::uint32_t crc32_update(std::uint32_t crc, bytes_view data) noexcept;

}  // namespace mqtls::node
