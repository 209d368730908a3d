// The stop-or-retry rule of the device runtime (core/include/mqtls/core/error.hpp, the retry
// column): every code's class is written out here a second time, so that a code added to the
// table, or a class changed there, fails this test until someone decides it on purpose.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <map>

#include "mqtls/core/error.hpp"

namespace mqtls {
namespace {

std::map<Errc, RetryClass> decided_classes() {
    return {
        // Codec and session: the conversation went wrong (bytes out of sync, a broken or hostile
        // broker, a timeout); the connection is closed and the next one starts from a fresh
        // stream. An error caused by our own data recurs, and the retry limit ends it.
        {Errc::need_more, RetryClass::transient},
        {Errc::buffer_too_small, RetryClass::transient},
        {Errc::malformed_remaining_length, RetryClass::transient},
        {Errc::overlong_remaining_length, RetryClass::transient},
        {Errc::packet_too_large, RetryClass::transient},
        {Errc::invalid_packet_type, RetryClass::transient},
        {Errc::invalid_fixed_header_flags, RetryClass::transient},
        {Errc::invalid_qos, RetryClass::transient},
        {Errc::zero_packet_id, RetryClass::transient},
        {Errc::length_mismatch, RetryClass::transient},
        {Errc::malformed_utf8, RetryClass::transient},
        {Errc::utf8_null_character, RetryClass::transient},
        {Errc::utf8_surrogate, RetryClass::transient},
        {Errc::string_too_long, RetryClass::transient},
        {Errc::empty_topic, RetryClass::transient},
        {Errc::wildcard_in_topic, RetryClass::transient},
        {Errc::invalid_topic_filter, RetryClass::transient},
        {Errc::invalid_protocol_name, RetryClass::transient},
        {Errc::unsupported_protocol_level, RetryClass::transient},
        {Errc::invalid_connect_flags, RetryClass::transient},
        {Errc::invalid_connack_flags, RetryClass::transient},
        {Errc::invalid_return_code, RetryClass::transient},
        {Errc::empty_subscription_list, RetryClass::transient},
        {Errc::invalid_subscription_options, RetryClass::transient},
        {Errc::malformed_variable_byte_integer, RetryClass::transient},
        {Errc::property_unknown, RetryClass::transient},
        {Errc::property_not_allowed, RetryClass::transient},
        {Errc::property_duplicated, RetryClass::transient},
        {Errc::property_value_invalid, RetryClass::transient},
        {Errc::mqtt5_unavailable, RetryClass::permanent},
        {Errc::mqtt5_only, RetryClass::permanent},
        {Errc::server_side_packet, RetryClass::transient},
        {Errc::invalid_reason_code, RetryClass::transient},
        {Errc::broker_disconnected, RetryClass::by_detail},
        {Errc::broker_redirected, RetryClass::permanent},
        {Errc::broker_limit_exceeded, RetryClass::transient},
        {Errc::message_rejected, RetryClass::by_detail},
        {Errc::topic_alias_unresolved, RetryClass::transient},
        {Errc::not_connected, RetryClass::transient},
        {Errc::already_connected, RetryClass::transient},
        {Errc::inflight_full, RetryClass::transient},
        {Errc::output_full, RetryClass::transient},
        {Errc::keepalive_timeout, RetryClass::transient},
        {Errc::connect_timeout, RetryClass::transient},
        {Errc::protocol_violation, RetryClass::transient},
        {Errc::unknown_packet_id, RetryClass::transient},
        {Errc::incoming_window_full, RetryClass::transient},
        {Errc::event_queue_full, RetryClass::transient},
        {Errc::message_too_large, RetryClass::transient},
        {Errc::closed, RetryClass::transient},
        {Errc::unexpected_session_present, RetryClass::transient},
        // Transport: the network or the broker's host; the classic case for a backoff.
        {Errc::resolve_failed, RetryClass::transient},
        {Errc::connection_refused, RetryClass::transient},
        {Errc::connect_timed_out, RetryClass::transient},
        {Errc::network_unreachable, RetryClass::transient},
        {Errc::connection_reset, RetryClass::transient},
        {Errc::socket_error, RetryClass::transient},
        {Errc::io_timed_out, RetryClass::transient},
        {Errc::entropy_unavailable, RetryClass::transient},
        {Errc::modem_link_failed, RetryClass::transient},
        {Errc::connect_failed, RetryClass::transient},
        // TLS problems of the moment: a setup out of memory, a handshake or record broken on the
        // way, a stored session that is simply not offered. clock_unset: SNTP sets the clock some
        // time after boot, and the runtime must not give a device up for good because it
        // connected too early (nothing connects without the clock: still fail closed).
        {Errc::tls_setup_failed, RetryClass::transient},
        {Errc::clock_unset, RetryClass::transient},
        {Errc::handshake_failed, RetryClass::transient},
        {Errc::tls_record_error, RetryClass::transient},
        {Errc::tls_closed, RetryClass::transient},
        {Errc::session_invalid, RetryClass::transient},
        {Errc::session_mismatch, RetryClass::transient},
        {Errc::session_expired, RetryClass::transient},
        // Sensor problems skip one reading; they never end a connection.
        {Errc::sensor_read_failed, RetryClass::transient},
        {Errc::too_many_sensor_values, RetryClass::transient},
        // Trust and our own credentials: a broker we must not trust (certificate, name, pin), or
        // a client certificate, key or CA bundle that cannot be used. A person must act.
        {Errc::ca_bundle_invalid, RetryClass::permanent},
        {Errc::client_certificate_invalid, RetryClass::permanent},
        {Errc::client_key_invalid, RetryClass::permanent},
        {Errc::client_key_mismatch, RetryClass::permanent},
        {Errc::certificate_untrusted, RetryClass::permanent},
        {Errc::certificate_expired, RetryClass::permanent},
        {Errc::certificate_not_yet_valid, RetryClass::permanent},
        {Errc::hostname_mismatch, RetryClass::permanent},
        {Errc::pin_mismatch, RetryClass::permanent},
        {Errc::client_certificate_required, RetryClass::permanent},
        {Errc::certificate_weak, RetryClass::permanent},
        {Errc::certificate_wrong_usage, RetryClass::permanent},
        {Errc::certificate_unsupported, RetryClass::permanent},
        {Errc::name_constraint_violation, RetryClass::permanent},
        {Errc::tls_parameters_refused, RetryClass::permanent},
        {Errc::tls_server_unavailable, RetryClass::permanent},
        {Errc::tls13_unavailable, RetryClass::permanent},
        {Errc::alpn_refused, RetryClass::permanent},
        {Errc::alpn_unavailable, RetryClass::permanent},
        // Files and folders, the CA's own limits (storage class), and arguments (config class).
        {Errc::file_exists, RetryClass::permanent},
        {Errc::file_read_failed, RetryClass::permanent},
        {Errc::file_write_failed, RetryClass::permanent},
        {Errc::storage_full, RetryClass::permanent},
        {Errc::outbox_full, RetryClass::permanent},
        {Errc::outbox_record_too_large, RetryClass::permanent},
        {Errc::storage_in_use, RetryClass::permanent},
        {Errc::file_permissions_unsafe, RetryClass::permanent},
        {Errc::file_type_unsafe, RetryClass::permanent},
        {Errc::folder_permissions_unsafe, RetryClass::permanent},
        {Errc::file_too_large, RetryClass::permanent},
        {Errc::file_not_regular, RetryClass::permanent},
        {Errc::sequence_exhausted, RetryClass::permanent},
        {Errc::session_key_invalid, RetryClass::permanent},
        {Errc::csr_invalid, RetryClass::permanent},
        {Errc::csr_signature_invalid, RetryClass::permanent},
        {Errc::csr_key_rejected, RetryClass::permanent},
        {Errc::csr_common_name_invalid, RetryClass::permanent},
        {Errc::issuer_expired, RetryClass::permanent},
        {Errc::csr_signature_algorithm_refused, RetryClass::permanent},
        {Errc::invalid_argument, RetryClass::permanent},
        {Errc::pem_invalid, RetryClass::permanent},
        {Errc::key_generation_failed, RetryClass::permanent},
        {Errc::certificate_generation_failed, RetryClass::permanent},
        {Errc::invalid_device_id, RetryClass::permanent},
        // The detail decides (the DetailDecides tests below).
        {Errc::broker_refused, RetryClass::by_detail},
        {Errc::peer_alert, RetryClass::by_detail},
    };
}

std::map<Errc, RetryClass> table_classes() {
    return {
#define MQTLS_TEST_RETRY_CLASS(name, value, retry, message, hint) {Errc::name, RetryClass::retry},
        MQTLS_ERRC_TABLE(MQTLS_TEST_RETRY_CLASS)
#undef MQTLS_TEST_RETRY_CLASS
    };
}

void expect_decided(const std::map<Errc, RetryClass>& decided, Errc code, RetryClass retry) {
    const auto found = decided.find(code);
    ASSERT_NE(found, decided.end())
        << name(code) << " has no decision in this test: add it to decided_classes()";
    EXPECT_EQ(found->second, retry) << name(code);
    EXPECT_EQ(retry_class(code), retry) << name(code);
}

TEST(RetryClass, EveryCodeIsDecidedHere) {
    const auto decided = decided_classes();
    const auto table = table_classes();
    for (const auto& [code, retry] : table) expect_decided(decided, code, retry);
    EXPECT_EQ(decided.size(), table.size()) << "decided_classes() lists a code the table lacks";
}

// is_permanent() for `code` whatever the detail says: its class alone decides.
void expect_detail_ignored(Errc code, RetryClass retry) {
    for (const std::int32_t detail : {0, 3, 5, 42, -1}) {
        EXPECT_EQ(is_permanent(Error{code, detail}), retry == RetryClass::permanent)
            << name(code) << " detail " << detail;
    }
}

TEST(RetryClass, IsPermanentFollowsTheClassWhereTheDetailDoesNotDecide) {
    for (const auto& [code, retry] : table_classes()) {
        if (retry != RetryClass::by_detail) expect_detail_ignored(code, retry);
    }
}

TEST(RetryClass, DetailDecidesForConnackRefusals) {
    // MQTT 3.1.1 table 3.1: only 3 ("server unavailable") can change by waiting.
    EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, 1}));   // protocol version
    EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, 2}));   // client id rejected
    EXPECT_FALSE(is_permanent(Error{Errc::broker_refused, 3}));  // server unavailable
    EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, 4}));   // bad user name or password
    EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, 5}));   // not authorized
    EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, 0}));   // no code: refused all the same
    static_assert(!is_permanent(Error{Errc::broker_refused, connack_server_unavailable}));
}

TEST(RetryClass, DetailDecidesForMqtt5ReasonCodes) {
    // MQTT 5 table 2-6: what a person must fix is permanent, load and luck are not.
    for (const std::int32_t code :
         {0x81, 0x82, 0x84, 0x85, 0x86, 0x87, 0x8A, 0x8C, 0x90, 0x95, 0x99, 0x9A, 0x9B}) {
        EXPECT_TRUE(is_permanent(Error{Errc::broker_refused, code})) << code;
        EXPECT_TRUE(is_permanent(Error{Errc::broker_disconnected, code})) << code;
    }
    for (const std::int32_t code : {0x80, 0x83, 0x88, 0x89, 0x8B, 0x8D, 0x8E, 0x93, 0x97, 0x9F}) {
        EXPECT_FALSE(is_permanent(Error{Errc::broker_refused, code})) << code;
        EXPECT_FALSE(is_permanent(Error{Errc::broker_disconnected, code})) << code;
    }
    EXPECT_FALSE(is_permanent(Error{Errc::broker_disconnected, 0}));  // normal disconnection
    EXPECT_TRUE(is_permanent(Error{Errc::broker_redirected, 0x9D}));  // a person decides
    EXPECT_TRUE(is_permanent(Error{Errc::message_rejected, 0x87}));   // an ACL denial
    EXPECT_FALSE(is_permanent(Error{Errc::message_rejected, 0x97}));  // quota exceeded
}

void expect_alerts(std::initializer_list<std::int32_t> alerts, bool permanent) {
    for (const std::int32_t alert : alerts) {
        EXPECT_EQ(is_permanent(Error{Errc::peer_alert, alert}), permanent) << "alert " << alert;
        EXPECT_EQ(is_certificate_refusal_alert(alert), permanent) << "alert " << alert;
    }
}

TEST(RetryClass, DetailDecidesForTlsAlerts) {
    // RFC 5246 7.2.2: the broker refused our client certificate.
    expect_alerts({42, 43, 44, 45, 46, 48, 49}, true);
    // A malformed message, a failed handshake, an internal error, a version problem: transient.
    expect_alerts({0, 10, 20, 40, 41, 47, 50, 51, 70, 80, 116}, false);
}

TEST(RetryClass, UnknownCodeIsTransient) {
    // A value outside the table (a newer peer's number, a corrupted value) must not stop a device.
    EXPECT_EQ(retry_class(static_cast<Errc>(0x7f7f)), RetryClass::transient);
    EXPECT_FALSE(is_permanent(Error{static_cast<Errc>(0x7f7f), 0}));
}

}  // namespace
}  // namespace mqtls
