#pragma once
// What the decode_packet fuzz targets check of every input beside their own invariants: they
// decode with server::decode(), which takes every packet type, and the client's decode() must
// agree with it.

#include <cstdint>

#include "fuzz_check.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/server_decode.hpp"

namespace mqtls::mqtt::fuzz {

/// Whether `in` starts with a packet only a server receives: CONNECT, SUBSCRIBE, UNSUBSCRIBE.
inline bool is_server_bound(bytes_view in) noexcept {
    if (in.empty()) return false;
    const auto type = static_cast<PacketType>(in[0] >> 4);
    return type == PacketType::connect || type == PacketType::subscribe ||
           type == PacketType::unsubscribe;
}

/// `server` is server::decode(in, limits). decode() gives the same result for every packet a
/// client receives; CONNECT, SUBSCRIBE and UNSUBSCRIBE it refuses with server_side_packet (their
/// type in the detail), unless a check before the body fails first, with the server's error.
inline void check_client_decode(bytes_view in, const DecodeLimits& limits,
                                const Result<Decoded>& server) {
    const auto client = decode(in, limits);
    if (client) {
        MQTLS_FUZZ_CHECK(server && !is_server_bound(in));
        MQTLS_FUZZ_CHECK(client->consumed == server->consumed &&
                         client->version == server->version && client->packet == server->packet);
        return;
    }
    const Error& error = client.error();
    if (error.code == Errc::server_side_packet) {
        MQTLS_FUZZ_CHECK(is_server_bound(in) && error.detail == in[0] >> 4);
        return;
    }
    MQTLS_FUZZ_CHECK(!server && server.error().code == error.code &&
                     server.error().detail == error.detail);
}

}  // namespace mqtls::mqtt::fuzz
