// Fuzz target: mqtt::decode_properties (MQTT 5 section 2.2.2). The first byte picks the packet
// the section belongs to (mod the 14 contexts), the rest is the section and whatever follows it.
//
// The decoder is strict (shortest variable byte integers, known identifiers, the encoder's own
// value rules), so an accepted section has exactly one encoding: re-encoding the decoded list
// must give back the very bytes, its size must be predicted, and every proper prefix must be
// refused as a length fault.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "mqtls/mqtt/properties.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::mqtt;

constexpr unsigned context_count = 14;

bool same_bytes(bytes_view a, bytes_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

}  // namespace

// The libFuzzer entry point; its name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto context = static_cast<PropertyContext>(data[0] % context_count);
    const bytes_view in{data + 1, size - 1};
    const auto decoded = decode_properties(in, context);
    if (!decoded) {
        MQTLS_FUZZ_CHECK(decoded.error().code != Errc::buffer_too_small);
        return 0;
    }
    MQTLS_FUZZ_CHECK(decoded->consumed > 0 && decoded->consumed <= in.size());
    const bytes_view section = in.first(decoded->consumed);

    std::size_t count = 0;
    for (const Property p : decoded->list) {
        MQTLS_FUZZ_CHECK(property_allowed(p.id, context));
        ++count;
    }
    MQTLS_FUZZ_CHECK(count == decoded->list.size());

    const auto predicted = properties_size(decoded->list, context);
    MQTLS_FUZZ_CHECK(predicted && *predicted == section.size());
    std::vector<std::uint8_t> out(section.size());  // exact size, so ASan sees any overrun
    const auto written = encode_properties(decoded->list, context, {out.data(), out.size()});
    MQTLS_FUZZ_CHECK(written && *written == section.size());
    MQTLS_FUZZ_CHECK(same_bytes(section, {out.data(), out.size()}));

    std::vector<std::uint8_t> small(section.size() - 1);
    const auto refused = encode_properties(decoded->list, context, {small.data(), small.size()});
    MQTLS_FUZZ_CHECK(!refused && refused.error().code == Errc::buffer_too_small);

    for (const std::size_t cut : {std::size_t{0}, section.size() / 2, section.size() - 1}) {
        const auto partial = decode_properties(section.first(cut), context);
        MQTLS_FUZZ_CHECK(!partial && partial.error().code == Errc::length_mismatch);
    }
    return 0;
}
