// Tests of the TLS capture helpers (ModemBridgeTlsRecords.*) with hand-built flights
// (RFC 5246 6.2.1 / 7.4, RFC 8446 4.1.3 / 5.1).
#include "mqtls/testing/tls_records.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mqtls::testing {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t handshake_type = 22;
constexpr std::uint8_t change_cipher_spec_type = 20;
constexpr std::uint8_t application_data_type = 23;
constexpr std::uint8_t server_hello_done = 14;
constexpr std::uint8_t server_key_exchange = 12;

bytes_view view(const Bytes& bytes) { return {bytes.data(), bytes.size()}; }

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

Bytes u16(std::size_t value) {
    return {static_cast<std::uint8_t>(value >> 8U), static_cast<std::uint8_t>(value & 0xFFU)};
}

Bytes record(std::uint8_t type, const Bytes& payload) {
    return concat({{type, 0x03, 0x03}, u16(payload.size()), payload});
}

Bytes handshake(std::uint8_t type, const Bytes& body) {
    return concat({{type, 0x00}, u16(body.size()), body});
}

Bytes extension(std::uint16_t type, const Bytes& data) {
    return concat({u16(type), u16(data.size()), data});
}

// legacy_version random(32) session_id cipher_suite compression [extensions]
Bytes server_hello(const Bytes& session_id, const Bytes& extensions, bool with_extensions = true) {
    Bytes body = concat({u16(0x0303),
                         Bytes(32, 0x5A),
                         {static_cast<std::uint8_t>(session_id.size())},
                         session_id,
                         u16(0xC02B),
                         {0x00}});
    if (with_extensions) body = concat({body, u16(extensions.size()), extensions});
    return handshake(handshake_server_hello, body);
}

Bytes tls12_messages() {
    const Bytes hello = server_hello(Bytes(32, 0x11), extension(0xFF01, {0x00}));
    const Bytes certificate = handshake(handshake_certificate, Bytes(300, 0xCE));
    const Bytes key_exchange = handshake(server_key_exchange, Bytes(100, 0x4B));
    const Bytes done = handshake(server_hello_done, {});
    return concat({hello, certificate, key_exchange, done});
}

void expect_full_tls12(const ServerFlightSummary& summary) {
    EXPECT_TRUE(summary.parsed) << summary.problem;
    EXPECT_TRUE(summary.certificate_seen);
    EXPECT_FALSE(summary.tls13);
    EXPECT_FALSE(summary.psk_accepted);
    EXPECT_FALSE(summary.truncated);
    EXPECT_EQ(summary.selected_version, tls12_version);
    EXPECT_EQ(summary.cipher_suite, 0xC02B);
    EXPECT_EQ(summary.session_id, Bytes(32, 0x11));
    EXPECT_EQ(summary.handshake_types,
              (std::vector<std::uint8_t>{handshake_server_hello, handshake_certificate,
                                         server_key_exchange, server_hello_done}));
}

TEST(ModemBridgeTlsRecords, ParsesRecordsAndReportsATruncatedLastOne) {
    const Bytes bytes =
        concat({record(handshake_type, {1, 2, 3}), record(application_data_type, {9}),
                record(application_data_type, Bytes(10, 7))});
    const auto whole = parse_tls_records(view(bytes));
    ASSERT_EQ(whole.records.size(), 3U);
    EXPECT_FALSE(whole.truncated);
    EXPECT_TRUE(whole.problem.empty());
    EXPECT_EQ(whole.records[0].type, handshake_type);
    EXPECT_EQ(whole.records[0].version, 0x0303);
    EXPECT_EQ(whole.records[0].payload, (Bytes{1, 2, 3}));
    EXPECT_EQ(whole.records[1].offset, 8U);
    EXPECT_EQ(count_application_data_records(view(bytes)), 2U);
    EXPECT_EQ(record_shapes(view(bytes)),
              (std::vector<TlsRecordShape>{
                  {handshake_type, 3}, {application_data_type, 1}, {application_data_type, 10}}));

    const Bytes cut(bytes.begin(), bytes.end() - 4);
    const auto truncated = parse_tls_records(view(cut));
    EXPECT_EQ(truncated.records.size(), 2U);
    EXPECT_TRUE(truncated.truncated);
    EXPECT_EQ(truncated.trailing_bytes, 11U);
    EXPECT_EQ(count_application_data_records(view(cut)), 1U);
    EXPECT_EQ(describe_records(view(cut)), "22:3 23:1 +11 truncated");

    const Bytes header_only(bytes.begin(), bytes.begin() + 2);
    EXPECT_TRUE(parse_tls_records(view(header_only)).truncated);
}

TEST(ModemBridgeTlsRecords, RejectsBytesThatAreNotTls) {
    const Bytes http = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '2', '0', '0'};
    const auto list = parse_tls_records(view(http));
    EXPECT_TRUE(list.records.empty());
    EXPECT_FALSE(list.problem.empty());
    const auto summary = summarize_server_flight(view(http));
    EXPECT_FALSE(summary.parsed);
    EXPECT_FALSE(summary.problem.empty());

    const Bytes oversized = {handshake_type, 0x03, 0x03, 0xFF, 0xFF};
    EXPECT_FALSE(parse_tls_records(view(oversized)).problem.empty());
}

TEST(ModemBridgeTlsRecords, FullTls12FlightCoalescedInOneRecord) {
    const Bytes flight = record(handshake_type, tls12_messages());
    expect_full_tls12(summarize_server_flight(view(flight)));
}

TEST(ModemBridgeTlsRecords, FullTls12FlightSplitAcrossRecords) {
    const Bytes messages = tls12_messages();
    // Split inside the ServerHello's header, and inside the Certificate's body.
    const auto at = [&](std::size_t offset) {
        return messages.begin() + static_cast<std::ptrdiff_t>(offset);
    };
    const Bytes flight = concat({record(handshake_type, Bytes(messages.begin(), at(2))),
                                 record(handshake_type, Bytes(at(2), at(150))),
                                 record(handshake_type, Bytes(at(150), messages.end()))});
    expect_full_tls12(summarize_server_flight(view(flight)));
}

TEST(ModemBridgeTlsRecords, ResumedTls12FlightHasNoCertificate) {
    const Bytes flight =
        concat({record(handshake_type, server_hello(Bytes(32, 0x22), {}, false)),
                record(change_cipher_spec_type, {0x01}),
                // The encrypted Finished: a handshake record after ChangeCipherSpec, not parsed.
                record(handshake_type, Bytes(40, 0xEE))});
    const auto summary = summarize_server_flight(view(flight));
    EXPECT_TRUE(summary.parsed) << summary.problem;
    EXPECT_FALSE(summary.certificate_seen);
    EXPECT_TRUE(summary.change_cipher_spec_seen);
    EXPECT_FALSE(summary.tls13);
    EXPECT_EQ(summary.session_id, Bytes(32, 0x22));
    EXPECT_EQ(summary.handshake_types, (std::vector<std::uint8_t>{handshake_server_hello}));
    EXPECT_TRUE(summary.extensions.empty());
}

TEST(ModemBridgeTlsRecords, Tls13ServerHelloWithPreSharedKeyIsAResumption) {
    const Bytes extensions =
        concat({extension(0x0033, concat({u16(0x001D), u16(32), Bytes(32, 0x33)})),
                extension(extension_supported_versions, u16(tls13_version)),
                extension(extension_pre_shared_key, u16(0))});
    const Bytes flight = concat({record(handshake_type, server_hello(Bytes(32, 0x44), extensions)),
                                 record(change_cipher_spec_type, {0x01}),
                                 record(application_data_type, Bytes(60, 1)),
                                 record(application_data_type, Bytes(80, 2))});
    const auto summary = summarize_server_flight(view(flight));
    EXPECT_TRUE(summary.parsed) << summary.problem;
    EXPECT_TRUE(summary.tls13);
    EXPECT_EQ(summary.legacy_version, tls12_version);
    EXPECT_EQ(summary.selected_version, tls13_version);
    EXPECT_TRUE(summary.psk_accepted);
    EXPECT_FALSE(summary.certificate_seen);
    EXPECT_FALSE(summary.hello_retry_request);
    EXPECT_EQ(summary.session_id, Bytes(32, 0x44));
    EXPECT_EQ(summary.extensions, (std::vector<std::uint16_t>{0x0033, extension_supported_versions,
                                                              extension_pre_shared_key}));
    EXPECT_EQ(count_application_data_records(view(flight)), 2U);
}

TEST(ModemBridgeTlsRecords, Tls13FullHandshakeHasNoPreSharedKey) {
    const Bytes extensions = extension(extension_supported_versions, u16(tls13_version));
    // No middlebox-compatibility ChangeCipherSpec: the flight ends at the first encrypted record.
    const Bytes flight = concat({record(handshake_type, server_hello({}, extensions)),
                                 record(application_data_type, Bytes(900, 3))});
    const auto summary = summarize_server_flight(view(flight));
    EXPECT_TRUE(summary.parsed) << summary.problem;
    EXPECT_TRUE(summary.tls13);
    EXPECT_FALSE(summary.psk_accepted);
    EXPECT_FALSE(summary.change_cipher_spec_seen);
    EXPECT_TRUE(summary.session_id.empty());
}

TEST(ModemBridgeTlsRecords, TruncatedFlights) {
    const Bytes flight = record(handshake_type, tls12_messages());
    // Cut inside the Certificate: the ServerHello is complete, the Certificate is not.
    const Bytes inside_certificate(flight.begin(), flight.begin() + 5 + 4 + 70 + 4 + 100);
    const auto partial = summarize_server_flight(view(inside_certificate));
    EXPECT_TRUE(partial.truncated);
    EXPECT_FALSE(partial.parsed);  // the record is incomplete, so no message was reassembled
    EXPECT_FALSE(partial.problem.empty());

    // The ServerHello alone in its own record, the Certificate's record cut.
    const Bytes messages = tls12_messages();
    const std::size_t hello_size = 4 + 2 + 32 + 1 + 32 + 2 + 1 + 2 + 5;
    const Bytes split =
        concat({record(handshake_type, Bytes(messages.begin(), messages.begin() + hello_size)),
                record(handshake_type, Bytes(messages.begin() + hello_size, messages.end()))});
    const Bytes cut(split.begin(),
                    split.begin() + static_cast<std::ptrdiff_t>(5 + hello_size + 50));
    const auto hello_only = summarize_server_flight(view(cut));
    EXPECT_TRUE(hello_only.parsed) << hello_only.problem;
    EXPECT_TRUE(hello_only.truncated);
    EXPECT_FALSE(hello_only.certificate_seen);
    EXPECT_EQ(hello_only.session_id, Bytes(32, 0x11));

    EXPECT_FALSE(summarize_server_flight(bytes_view()).parsed);
}

TEST(ModemBridgeTlsRecords, MalformedServerHelloIsReported) {
    // A session id length of 33 is over RFC 5246's 32.
    Bytes body = concat({u16(0x0303), Bytes(32, 0), {33}, Bytes(33, 0), u16(0xC02B), {0}});
    const Bytes flight = record(handshake_type, handshake(handshake_server_hello, body));
    const auto summary = summarize_server_flight(view(flight));
    EXPECT_FALSE(summary.parsed);
    EXPECT_EQ(summary.problem, "the ServerHello is malformed");
}

TEST(ModemBridgeTlsRecords, HelloRetryRequestIsRecognised) {
    const Bytes hrr_random = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                              0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                              0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    const Bytes extensions = extension(extension_supported_versions, u16(tls13_version));
    const Bytes body = concat(
        {u16(0x0303), hrr_random, {0}, u16(0x1301), {0}, u16(extensions.size()), extensions});
    const Bytes flight = record(handshake_type, handshake(handshake_server_hello, body));
    const auto summary = summarize_server_flight(view(flight));
    EXPECT_TRUE(summary.parsed) << summary.problem;
    EXPECT_TRUE(summary.hello_retry_request);
    EXPECT_TRUE(summary.tls13);
}

}  // namespace
}  // namespace mqtls::testing
