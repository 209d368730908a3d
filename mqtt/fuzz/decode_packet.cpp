// Fuzz target: mqtt::server::decode, which takes every packet type, over a stream of packets;
// the client's mqtt::decode() must agree with it (client_decode_check.hpp).
//
// Beyond "no crash", every packet the decoder accepts must survive a round trip. The decoder is
// strict (shortest remaining length, fixed flag bits, no trailing bytes, and the encoder's own
// validation rules), so a valid packet has exactly one encoding: re-encoding must give back the
// very bytes it was decoded from, and those bytes must decode to an equal packet.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "client_decode_check.hpp"
#include "fuzz_check.hpp"
#include "mqtls/mqtt/codec.hpp"
#include "mqtls/mqtt/packet_equality.hpp"
#include "mqtls/mqtt/server_decode.hpp"
#include "mqtls/mqtt/server_encode.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::mqtt;

const DecodeLimits limits{};

// Every proper prefix of a valid packet is incomplete, never an error and never a packet.
void check_prefixes(bytes_view wire, const FixedHeader& header) {
    const std::size_t cuts[] = {
        0, 1, header.header_size - 1, header.header_size, wire.size() / 2, wire.size() - 1};
    for (const std::size_t cut : cuts) {
        if (cut >= wire.size()) continue;
        const auto partial = server::decode(wire.first(cut), limits);
        MQTLS_FUZZ_CHECK(!partial && partial.error().code == Errc::need_more);
    }
}

// The payload-less PUBLISH encoder must agree with the whole-packet encoder.
void check_publish_header(const Publish& publish, bytes_view wire) {
    const auto size = encoded_publish_header_size(publish);
    MQTLS_FUZZ_CHECK(size && *size + publish.payload.size() == wire.size());
    std::vector<std::uint8_t> header(*size);  // exact size, so ASan sees any overrun
    const auto written = encode_publish_header(publish, {header.data(), header.size()});
    MQTLS_FUZZ_CHECK(written && *written == *size);
    MQTLS_FUZZ_CHECK(equal_bytes(wire.first(*size), {header.data(), header.size()}));
}

// `version` is what the packet was decoded as: 3.1.1 (the limits'), or a CONNECT's own level, so an
// MQTT 5 CONNECT (level 5) goes back out as MQTT 5.
// The server's encoder takes every packet (a broker's too), so the round trip covers all of
// them; the client's takes the same bytes for every packet but the three only a server sends.
void check_round_trip(const Packet& packet, ProtocolVersion version, bytes_view wire) {
    const auto size = server::encoded_size(packet, version);
    MQTLS_FUZZ_CHECK(size && *size == wire.size());
    const auto client_size = encoded_size(packet, version);
    const PacketType type = packet_type(packet);
    if (type == PacketType::connack || type == PacketType::suback || type == PacketType::unsuback) {
        MQTLS_FUZZ_CHECK(!client_size && client_size.error().code == Errc::server_side_packet &&
                         client_size.error().detail == static_cast<std::int32_t>(type));
    } else {
        MQTLS_FUZZ_CHECK(client_size && *client_size == *size);
    }

    std::vector<std::uint8_t> out(wire.size());
    const auto written = server::encode(packet, {out.data(), out.size()}, version);
    MQTLS_FUZZ_CHECK(written && *written == wire.size());
    MQTLS_FUZZ_CHECK(equal_bytes(wire, {out.data(), out.size()}));

    const auto again = server::decode({out.data(), out.size()}, limits);
    MQTLS_FUZZ_CHECK(again && again->consumed == out.size() && again->packet == packet);

    // One byte short must fail cleanly, without touching memory past the buffer.
    std::vector<std::uint8_t> small(wire.size() - 1);
    const auto refused = server::encode(packet, {small.data(), small.size()}, version);
    MQTLS_FUZZ_CHECK(!refused && refused.error().code == Errc::buffer_too_small);

    if (const auto* publish = std::get_if<Publish>(&packet)) check_publish_header(*publish, wire);
}

}  // namespace

// The libFuzzer entry point; its name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    bytes_view rest{data, size};
    while (!rest.empty()) {
        // The fixed header alone, without a size limit (so 3- and 4-byte lengths occur too): its
        // length field must have the form the encoder chooses.
        const auto unlimited = decode_fixed_header(rest, DecodeLimits{SIZE_MAX});
        if (unlimited) {
            MQTLS_FUZZ_CHECK(remaining_length_size(unlimited->remaining_length) ==
                             unlimited->header_size - 1);
        }
        const auto decoded = server::decode(rest, limits);
        fuzz::check_client_decode(rest, limits, decoded);
        if (!decoded) break;
        const std::size_t consumed = decoded->consumed;
        MQTLS_FUZZ_CHECK(consumed > 0 && consumed <= rest.size());
        MQTLS_FUZZ_CHECK(consumed <= limits.max_packet_size);

        const auto header = decode_fixed_header(rest, limits);
        MQTLS_FUZZ_CHECK(header && header->packet_size() == consumed);
        MQTLS_FUZZ_CHECK(header->type == packet_type(decoded->packet));

        const bytes_view wire = rest.first(consumed);
        check_prefixes(wire, *header);
        MQTLS_FUZZ_CHECK(decoded->version == ProtocolVersion::v3_1_1 ||
                         header->type == PacketType::connect);
        check_round_trip(decoded->packet, decoded->version, wire);
        rest = rest.subspan(consumed);
    }
    return 0;
}
