#pragma once
/// @file
/// CRC-32 (IEEE 802.3, reflected, as in zlib and Ethernet): the checksum of outbox records and
/// of the retained stores' headers. Header-only so that header-only layers (tls_headers) can
/// use it. Nibble table: 64 bytes of table instead of 1 KiB, which matters more on a
/// microcontroller than the speed (records and headers are small).

#include <cstdint>

#include "mqtls/core/span.hpp"

namespace mqtls {

/// Continues a CRC over `data`; start with crc32_update(0, ...). crc32_update(0, "123456789")
/// is 0xCBF43926.
inline std::uint32_t crc32_update(std::uint32_t crc, bytes_view data) noexcept {
    // crc of each 4-bit value, polynomial 0xEDB88320 (reflected 0x04C11DB7).
    constexpr std::uint32_t nibble_table[16] = {
        0x00000000U, 0x1DB71064U, 0x3B6E20C8U, 0x26D930ACU, 0x76DC4190U, 0x6B6B51F4U,
        0x4DB26158U, 0x5005713CU, 0xEDB88320U, 0xF00F9344U, 0xD6D6A3E8U, 0xCB61B38CU,
        0x9B64C2B0U, 0x86D3D2D4U, 0xA00AE278U, 0xBDBDF21CU,
    };
    crc = ~crc;
    for (const std::uint8_t byte : data) {
        crc ^= byte;
        crc = (crc >> 4U) ^ nibble_table[crc & 0xFU];
        crc = (crc >> 4U) ^ nibble_table[crc & 0xFU];
    }
    return ~crc;
}

}  // namespace mqtls
