// Fuzz target: mqtt::server::decode, which takes every packet type, over a stream of MQTT 5
// packets (DecodeLimits::protocol = v5); the client's mqtt::decode() must agree with it
// (client_decode_check.hpp).
//
// Beyond "no crash": every packet the decoder accepts re-encodes (in the version it was decoded
// in: a CONNECT's own level, MQTT 5 otherwise) to bytes that decode to an equal packet, sized
// exactly by encoded_size(); the re-encoding is the canonical form, so it is never longer than
// the input and encoding it again reproduces it byte for byte. (Unlike 3.1.1, MQTT 5 lets a
// sender spell some packets longer than needed, e.g. a PUBACK with an explicit Success and an
// empty property section [3.4.2.1], so the input itself need not be canonical.)
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

DecodeLimits v5_limits() {
    DecodeLimits limits;
    limits.protocol = ProtocolVersion::v5;
    return limits;
}
const DecodeLimits limits = v5_limits();

// Every proper prefix of a valid packet is incomplete, never an error and never a packet.
void check_prefixes(bytes_view wire) {
    for (std::size_t cut = 0; cut < wire.size(); cut += 1 + cut / 4) {
        const auto partial = server::decode(wire.first(cut), limits);
        MQTLS_FUZZ_CHECK(!partial && partial.error().code == Errc::need_more);
    }
}

// The server's encoder, which takes every packet (a broker's too).
std::vector<std::uint8_t> encode_exactly(const Packet& packet, ProtocolVersion version) {
    const auto size = server::encoded_size(packet, version);
    MQTLS_FUZZ_CHECK(size.has_value());
    std::vector<std::uint8_t> out(*size);  // exact size, so ASan sees any overrun
    const auto written = server::encode(packet, {out.data(), out.size()}, version);
    MQTLS_FUZZ_CHECK(written && *written == out.size());
    if (!out.empty()) {
        std::vector<std::uint8_t> small(out.size() - 1);
        const auto refused = server::encode(packet, {small.data(), small.size()}, version);
        MQTLS_FUZZ_CHECK(!refused && refused.error().code == Errc::buffer_too_small);
    }
    return out;
}

void check_publish_header(const Publish& publish, bytes_view canonical) {
    const auto size = encoded_publish_header_size(publish, ProtocolVersion::v5);
    MQTLS_FUZZ_CHECK(size && *size + publish.payload.size() == canonical.size());
    std::vector<std::uint8_t> header(*size);
    const auto written =
        encode_publish_header(publish, {header.data(), header.size()}, ProtocolVersion::v5);
    MQTLS_FUZZ_CHECK(written && *written == *size);
    MQTLS_FUZZ_CHECK(equal_bytes(canonical.first(*size), {header.data(), header.size()}));
}

void check_round_trip(const Decoded& decoded, bytes_view wire) {
    const std::vector<std::uint8_t> canonical = encode_exactly(decoded.packet, decoded.version);
    MQTLS_FUZZ_CHECK(canonical.size() <= wire.size());
    const bytes_view canonical_view{canonical.data(), canonical.size()};

    const auto again = server::decode(canonical_view, limits);
    MQTLS_FUZZ_CHECK(again && again->consumed == canonical.size() &&
                     again->version == decoded.version && again->packet == decoded.packet);
    const std::vector<std::uint8_t> twice = encode_exactly(again->packet, again->version);
    MQTLS_FUZZ_CHECK(equal_bytes(canonical_view, {twice.data(), twice.size()}));

    if (const auto* publish = std::get_if<Publish>(&decoded.packet)) {
        check_publish_header(*publish, canonical_view);
    }
}

}  // namespace

// The libFuzzer entry point; its name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    bytes_view rest{data, size};
    while (!rest.empty()) {
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
        check_prefixes(wire);
        check_round_trip(*decoded, wire);
        rest = rest.subspan(consumed);
    }
    return 0;
}
