#pragma once
/// @file
/// Pure helpers that read a captured TLS byte stream (ModemBridge::connections()) without
/// decrypting anything: the record layer (RFC 5246 6.2, RFC 8446 5.1) and the server's plaintext
/// handshake flight up to its first ChangeCipherSpec, which is enough to tell a full TLS 1.2
/// handshake (the server's Certificate travels in clear) from a resumed one, and a TLS 1.3
/// resumption (the ServerHello carries pre_shared_key) from a full TLS 1.3 handshake.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mqtls/core/span.hpp"

namespace mqtls::testing {

/// TLS ContentType values (RFC 5246 6.2.1, RFC 8446 5.1).
enum class TlsContentType : std::uint8_t {
    change_cipher_spec = 20,
    alert = 21,
    handshake = 22,
    application_data = 23,
};

/// Handshake message types that matter here (RFC 5246 7.4, RFC 8446 4).
inline constexpr std::uint8_t handshake_server_hello = 2;
inline constexpr std::uint8_t handshake_certificate = 11;
/// Extension numbers (RFC 8446 4.2).
inline constexpr std::uint16_t extension_pre_shared_key = 0x0029;
inline constexpr std::uint16_t extension_supported_versions = 0x002b;
inline constexpr std::uint16_t tls12_version = 0x0303;
inline constexpr std::uint16_t tls13_version = 0x0304;

/// One record: header fields and its payload (a copy).
struct TlsRecord {
    std::uint8_t type = 0;
    std::uint16_t version = 0;  ///< legacy_record_version
    std::size_t length = 0;     ///< the header's length field (== payload.size())
    std::size_t offset = 0;     ///< where the record's header starts in the input
    std::vector<std::uint8_t> payload;
};

struct TlsRecordList {
    std::vector<TlsRecord> records;  ///< the complete records, in order
    /// The input ends inside a record (its header or payload): normal for a capture cut short.
    bool truncated = false;
    std::size_t trailing_bytes = 0;  ///< bytes of that incomplete record
    /// Not empty when a record header is not TLS (unknown type, major version not 3, length
    /// over 2^14 + 2048, RFC 5246 6.2.3): parsing stopped there.
    std::string problem;
};

/// Splits `bytes` into records (5-byte header: type, version, length; RFC 5246 6.2.1).
TlsRecordList parse_tls_records(bytes_view bytes);

/// The (type, length) of a record, for checking the shape of the client's traffic.
struct TlsRecordShape {
    std::uint8_t type = 0;
    std::size_t length = 0;
    bool operator==(const TlsRecordShape& other) const noexcept {
        return type == other.type && length == other.length;
    }
};
std::vector<TlsRecordShape> record_shapes(bytes_view bytes);
/// "22:517 20:1 23:53 ..." (type:length per record; "+N truncated" at the end) for messages.
std::string describe_records(bytes_view bytes);
/// The complete application_data (23) records in `bytes`.
std::size_t count_application_data_records(bytes_view bytes);

/// What the server's first flight says, from the server -> client bytes of one connection.
struct ServerFlightSummary {
    /// A ServerHello was found and parsed; otherwise `problem` says why not.
    bool parsed = false;
    std::string problem;
    /// The plaintext handshake message types before the first ChangeCipherSpec or encrypted
    /// record, in order (e.g. 2 11 12 14 for a full TLS 1.2 ECDHE handshake).
    std::vector<std::uint8_t> handshake_types;
    /// A plaintext Certificate (11): a full TLS 1.2 handshake. (TLS 1.3 encrypts the
    /// Certificate, so this is false for every TLS 1.3 handshake.)
    bool certificate_seen = false;
    bool change_cipher_spec_seen = false;
    bool alert_seen = false;  ///< an alert record came before the flight ended
    bool truncated = false;   ///< the bytes end inside a record or handshake message
    // From the ServerHello (RFC 5246 7.4.1.3, RFC 8446 4.1.3).
    std::uint16_t legacy_version = 0;
    std::uint16_t selected_version = 0;    ///< supported_versions if present, else legacy_version
    bool tls13 = false;                    ///< selected_version == 0x0304
    bool hello_retry_request = false;      ///< the random is RFC 8446 4.1.3's HRR value
    std::vector<std::uint8_t> session_id;  ///< legacy_session_id_echo / session_id
    std::uint16_t cipher_suite = 0;
    std::vector<std::uint16_t> extensions;  ///< extension types, in order
    /// pre_shared_key (0x0029) in a TLS 1.3 ServerHello: the server accepted a resumption PSK.
    bool psk_accepted = false;
};

/// Reassembles the handshake (22) records before the first ChangeCipherSpec or
/// application_data record into messages (type(1), length(3), body; RFC 5246 7.4, RFC 8446 4)
/// and parses the first ServerHello. Never fails: oddities land in `problem`. After a
/// HelloRetryRequest only the HRR itself is summarised.
ServerFlightSummary summarize_server_flight(bytes_view server_to_client);

}  // namespace mqtls::testing
