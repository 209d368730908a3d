#pragma once
/// @file
/// MQTT 5 packets paired with the exact bytes OASIS MQTT Version 5.0 (7 March 2019) says they
/// encode to, derived by hand from the specification (section 3), not by the encoder under test.
/// codec_v5_vectors.cpp says which rules each exercises. Only in builds with MQTLS_MQTT5.

#include "codec_vectors.hpp"
#include "mqtls/core/span.hpp"

#if MQTLS_MQTT5
namespace mqtls::mqtt::test::v5_vectors {

/// Every vector, in packet-type order; each is canonical (the shortest form the encoder emits).
span<const WireVector> all() noexcept;

}  // namespace mqtls::mqtt::test::v5_vectors
#endif
