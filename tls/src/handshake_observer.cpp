#include "handshake_observer.hpp"

namespace mqtls::tls::detail {
namespace {

constexpr std::uint8_t content_change_cipher_spec = 20;
constexpr std::uint8_t content_handshake = 22;
constexpr std::uint8_t handshake_server_hello = 2;
constexpr std::uint8_t handshake_certificate_request = 13;

}  // namespace

void HandshakeObserver::observe_handshake_byte(std::uint8_t byte) noexcept {
    if (message_left_ > 0) {  // inside a message body: only its length matters
        --message_left_;
        return;
    }
    message_header_[message_header_have_++] = byte;
    if (message_header_have_ < sizeof message_header_) return;
    message_header_have_ = 0;
    message_left_ = (std::size_t{message_header_[1]} << 16) |
                    (std::size_t{message_header_[2]} << 8) | message_header_[3];
    if (message_header_[0] == handshake_certificate_request) certificate_requested_ = true;
    if (message_header_[0] == handshake_server_hello) server_hello_seen_ = true;
}

void HandshakeObserver::observe(bytes_view bytes) noexcept {
    for (std::size_t i = 0; i < bytes.size() && !encrypted_; ++i) {
        const std::uint8_t byte = bytes[i];
        if (record_left_ == 0) {
            record_header_[record_header_have_++] = byte;
            if (record_header_have_ < sizeof record_header_) continue;
            record_header_have_ = 0;
            record_left_ = (std::size_t{record_header_[3]} << 8) | record_header_[4];
            continue;
        }
        --record_left_;
        if (record_header_[0] == content_handshake) observe_handshake_byte(byte);
        // The peer's keys take over after its ChangeCipherSpec record (RFC 5246 7.1).
        if (record_header_[0] == content_change_cipher_spec && record_left_ == 0) {
            encrypted_ = true;
        }
    }
}

}  // namespace mqtls::tls::detail
