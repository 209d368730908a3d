#pragma once
/// @file
/// TEST ONLY. The wire format of the loopback "secure" channel: records of [type, length (16-bit
/// big endian), payload], with a two-flight handshake shaped like TLS 1.2's (full: hello,
/// server hello, client finished, server finished; abbreviated: hello offering a session,
/// server hello + finished, client finished), so that handshake flights, resumption offers and
/// the one flight exist without cryptography. NOTHING IS ENCRYPTED OR VERIFIED.

#include <cstddef>
#include <cstdint>

namespace mqtls::sim::loopback {

enum class RecordType : std::uint8_t {
    client_hello = 1,   ///< [has_certificate][offering][session id (8) when offering]
    server_hello = 2,   ///< [resumed][certificate_request][session id (8)][name length][name]
    finished = 3,       ///< empty; the end of each side's handshake
    data = 23,          ///< application bytes
    close_notify = 21,  ///< empty
    alert = 22,         ///< [code]: the server refuses the handshake
};

inline constexpr std::size_t header_size = 3;
inline constexpr std::size_t max_payload = 16384;
inline constexpr std::size_t session_id_size = 8;

}  // namespace mqtls::sim::loopback
