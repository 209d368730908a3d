// TLS record and server-flight reading for captures (tls_records.hpp).
#include "mqtls/testing/tls_records.hpp"

#include <algorithm>
#include <array>

namespace mqtls::testing {
namespace {

constexpr std::size_t record_header_bytes = 5;
constexpr std::size_t handshake_header_bytes = 4;
// RFC 5246 6.2.3: TLSCiphertext.length is at most 2^14 + 2048 (TLS 1.3 allows less, 5.2).
constexpr std::size_t max_record_length = (std::size_t{1} << 14U) + 2048U;
constexpr std::size_t random_bytes = 32;
constexpr std::size_t max_session_id = 32;

// RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random (SHA-256 of
// "HelloRetryRequest").
constexpr std::array<std::uint8_t, random_bytes> hello_retry_random = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

bool known_content_type(std::uint8_t type) noexcept {
    return type >= static_cast<std::uint8_t>(TlsContentType::change_cipher_spec) &&
           type <= static_cast<std::uint8_t>(TlsContentType::application_data);
}

// Reads big-endian fields from a byte range; every read checks the bounds and a failed read
// leaves the reader failed.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

    bool u8(std::uint8_t& out) noexcept {
        if (!need(1)) return false;
        out = data_[position_++];
        return true;
    }
    bool u16(std::uint16_t& out) noexcept {
        if (!need(2)) return false;
        out = static_cast<std::uint16_t>((data_[position_] << 8U) | data_[position_ + 1]);
        position_ += 2;
        return true;
    }
    bool bytes(std::size_t count, const std::uint8_t*& out) noexcept {
        if (!need(count)) return false;
        out = data_ + position_;
        position_ += count;
        return true;
    }
    [[nodiscard]] bool at_end() const noexcept { return position_ == size_; }

private:
    bool need(std::size_t count) noexcept { return size_ - position_ >= count; }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t position_ = 0;
};

// The type-22 bytes of the flight, in order, up to the first ChangeCipherSpec or encrypted
// record (handshake messages may span or share records: RFC 5246 6.2.1).
// `ended`: a record after the plaintext flight was seen.
std::vector<std::uint8_t> plaintext_handshake_stream(const TlsRecordList& list,
                                                     ServerFlightSummary& summary, bool& ended) {
    std::vector<std::uint8_t> stream;
    ended = true;
    for (const auto& record : list.records) {
        const auto type = static_cast<TlsContentType>(record.type);
        summary.change_cipher_spec_seen = type == TlsContentType::change_cipher_spec;
        summary.alert_seen = type == TlsContentType::alert;
        if (type != TlsContentType::handshake) return stream;
        stream.insert(stream.end(), record.payload.begin(), record.payload.end());
    }
    ended = false;
    return stream;
}

bool parse_extensions(Reader& reader, ServerFlightSummary& summary) {
    std::uint16_t total = 0;
    const std::uint8_t* block = nullptr;
    if (!reader.u16(total) || !reader.bytes(total, block)) return false;
    Reader extensions(block, total);
    while (!extensions.at_end()) {
        std::uint16_t type = 0;
        std::uint16_t length = 0;
        const std::uint8_t* data = nullptr;
        if (!extensions.u16(type) || !extensions.u16(length) || !extensions.bytes(length, data)) {
            return false;
        }
        summary.extensions.push_back(type);
        if (type == extension_supported_versions && length == 2) {
            // RFC 8446 4.2.1: in a ServerHello it holds the one selected_version.
            summary.selected_version = static_cast<std::uint16_t>((data[0] << 8U) | data[1]);
        }
        if (type == extension_pre_shared_key) summary.psk_accepted = true;
    }
    return true;
}

// RFC 5246 7.4.1.3 / RFC 8446 4.1.3: legacy_version(2) random(32) session_id<0..32>
// cipher_suite(2) compression(1) extensions<0..2^16-1> (absent in an old TLS 1.2 hello).
bool parse_server_hello(const std::uint8_t* body, std::size_t size, ServerFlightSummary& summary) {
    Reader reader(body, size);
    const std::uint8_t* random = nullptr;
    std::uint8_t session_id_length = 0;
    const std::uint8_t* session_id = nullptr;
    std::uint8_t compression = 0;
    if (!reader.u16(summary.legacy_version) || !reader.bytes(random_bytes, random) ||
        !reader.u8(session_id_length) || session_id_length > max_session_id ||
        !reader.bytes(session_id_length, session_id) || !reader.u16(summary.cipher_suite) ||
        !reader.u8(compression)) {
        return false;
    }
    summary.session_id.assign(session_id, session_id + session_id_length);
    summary.hello_retry_request =
        std::equal(random, random + random_bytes, hello_retry_random.begin());
    summary.selected_version = summary.legacy_version;
    if (!reader.at_end() && !parse_extensions(reader, summary)) return false;
    summary.tls13 = summary.selected_version == tls13_version;
    // pre_shared_key only exists in TLS 1.3 (RFC 8446 4.2.11).
    summary.psk_accepted = summary.psk_accepted && summary.tls13;
    return reader.at_end();
}

// Walks the handshake messages of `stream`, recording their types and parsing the first
// ServerHello.
void read_handshake_messages(const std::vector<std::uint8_t>& stream,
                             ServerFlightSummary& summary) {
    std::size_t offset = 0;
    bool hello_done = false;
    while (stream.size() - offset >= handshake_header_bytes) {
        const std::uint8_t type = stream[offset];
        const std::size_t length = (std::size_t{stream[offset + 1]} << 16U) |
                                   (std::size_t{stream[offset + 2]} << 8U) | stream[offset + 3];
        if (stream.size() - offset - handshake_header_bytes < length) break;
        const std::uint8_t* body = stream.data() + offset + handshake_header_bytes;
        summary.handshake_types.push_back(type);
        if (type == handshake_certificate) summary.certificate_seen = true;
        if (type == handshake_server_hello && !hello_done) {
            hello_done = true;
            summary.parsed = parse_server_hello(body, length, summary);
            if (!summary.parsed) summary.problem = "the ServerHello is malformed";
        }
        offset += handshake_header_bytes + length;
    }
    if (offset != stream.size()) summary.truncated = true;
    if (!hello_done && summary.problem.empty()) {
        summary.problem = "no complete ServerHello before the first ChangeCipherSpec";
    }
}

}  // namespace

TlsRecordList parse_tls_records(bytes_view bytes) {
    TlsRecordList list;
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        const std::size_t left = bytes.size() - offset;
        const std::uint8_t* header = bytes.data() + offset;
        if (left >= 3 && (!known_content_type(header[0]) || header[1] != 3)) {
            list.problem = "not a TLS record header at offset " + std::to_string(offset);
            return list;
        }
        if (left < record_header_bytes) break;
        const std::size_t length = (std::size_t{header[3]} << 8U) | header[4];
        if (length > max_record_length) {
            list.problem = "record length " + std::to_string(length) +
                           " over 2^14+2048 at offset " + std::to_string(offset);
            return list;
        }
        if (left - record_header_bytes < length) break;
        TlsRecord record;
        record.type = header[0];
        record.version = static_cast<std::uint16_t>((header[1] << 8U) | header[2]);
        record.length = length;
        record.offset = offset;
        record.payload.assign(header + record_header_bytes, header + record_header_bytes + length);
        list.records.push_back(std::move(record));
        offset += record_header_bytes + length;
    }
    list.trailing_bytes = bytes.size() - offset;
    list.truncated = list.trailing_bytes != 0;
    return list;
}

std::vector<TlsRecordShape> record_shapes(bytes_view bytes) {
    std::vector<TlsRecordShape> shapes;
    for (const auto& record : parse_tls_records(bytes).records) {
        shapes.push_back({record.type, record.length});
    }
    return shapes;
}

std::string describe_records(bytes_view bytes) {
    const auto list = parse_tls_records(bytes);
    std::string text;
    for (const auto& record : list.records) {
        if (!text.empty()) text += ' ';
        text += std::to_string(record.type) + ":" + std::to_string(record.length);
    }
    if (list.truncated) text += " +" + std::to_string(list.trailing_bytes) + " truncated";
    if (!list.problem.empty()) text += " (" + list.problem + ")";
    return text;
}

std::size_t count_application_data_records(bytes_view bytes) {
    const auto list = parse_tls_records(bytes);
    return static_cast<std::size_t>(
        std::count_if(list.records.begin(), list.records.end(), [](const TlsRecord& record) {
            return record.type == static_cast<std::uint8_t>(TlsContentType::application_data);
        }));
}

ServerFlightSummary summarize_server_flight(bytes_view server_to_client) {
    ServerFlightSummary summary;
    const auto list = parse_tls_records(server_to_client);
    bool flight_ended = false;
    const auto stream = plaintext_handshake_stream(list, summary, flight_ended);
    read_handshake_messages(stream, summary);
    // A capture cut inside the flight leaves an incomplete record (one cut after the flight
    // does not matter here).
    if (list.truncated && !flight_ended) summary.truncated = true;
    if (!list.problem.empty() && summary.problem.empty()) summary.problem = list.problem;
    return summary;
}

}  // namespace mqtls::testing
