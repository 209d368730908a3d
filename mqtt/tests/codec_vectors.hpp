#pragma once
/// @file
/// Packets paired with the exact bytes MQTT 3.1.1 (OASIS Standard, 29 October 2014) says they
/// encode to. The bytes are derived by hand from the specification, not produced by the encoder
/// under test; each array in codec_vectors.cpp says which rules it exercises.

#include "mqtls/core/span.hpp"
#include "mqtls/mqtt/packets.hpp"

namespace mqtls::mqtt::test {

struct WireVector {
    const char* name;
    Packet packet;
    bytes_view wire;
};

namespace vectors {
extern const WireVector connect_minimal;
extern const WireVector connect_will_credentials;
extern const WireVector connect_will_qos2_empty_client_id;
extern const WireVector connect_username_only;
extern const WireVector connect_empty_password;
extern const WireVector connack_accepted;
extern const WireVector connack_session_present;
extern const WireVector connack_not_authorized;
extern const WireVector publish_qos0;
extern const WireVector publish_qos0_retain_empty_payload;
extern const WireVector publish_qos1;
extern const WireVector publish_qos1_dup_empty_payload;
extern const WireVector publish_qos2_dup_retain;
extern const WireVector publish_multibyte_utf8_topic;
extern const WireVector publish_two_byte_remaining_length;
extern const WireVector puback;
extern const WireVector pubrec;
extern const WireVector pubrel;
extern const WireVector pubcomp;
extern const WireVector subscribe_three_filters;
extern const WireVector subscribe_single;
extern const WireVector suback_with_failure;
extern const WireVector unsubscribe_two_filters;
extern const WireVector unsuback;
extern const WireVector pingreq;
extern const WireVector pingresp;
extern const WireVector disconnect;
}  // namespace vectors

/// Every vector above, for tests that sweep all of them.
span<const WireVector* const> all_vectors() noexcept;

/// Offset of the payload inside vectors::publish_two_byte_remaining_length, and its length.
inline constexpr std::size_t big_publish_payload_offset = 8;
inline constexpr std::size_t big_publish_payload_size = 200;

}  // namespace mqtls::mqtt::test
