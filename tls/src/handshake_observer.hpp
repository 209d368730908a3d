#pragma once
// Watches the server's handshake messages as they arrive, for what mbedTLS's public API does
// not say: whether the server asked for a client certificate. Without that, a broker that
// requires one and ends the handshake with a bare handshake_failure alert (OpenSSL does, RFC
// 5246 7.4.6) looks like a network problem, and a device would retry it forever.
//
// TLS 1.2 sends the server's flight in the clear until ChangeCipherSpec (RFC 5246 7.1), so
// the record and handshake headers can be read without any key; once the peer's
// ChangeCipherSpec has passed, everything is encrypted and the observer stops. TLS 1.3 sends
// its CertificateRequest encrypted, and a refusing server says certificate_required (alert
// 116, RFC 8446 6.2) instead.

#include <cstddef>
#include <cstdint>

#include "mqtls/core/span.hpp"

namespace mqtls::tls::detail {

class HandshakeObserver {
public:
    /// Bytes from the peer, in order, as they are fed to the engine (any split).
    void observe(bytes_view bytes) noexcept;
    /// A CertificateRequest (handshake type 13, RFC 5246 7.4.4) arrived in the clear.
    [[nodiscard]] bool certificate_requested() const noexcept { return certificate_requested_; }
    /// A ServerHello (type 2) arrived: the server accepted a version and suite of ours. An alert
    /// before it refuses the ClientHello itself (no version or suite in common); TLS 1.3 sends
    /// the ServerHello in the clear too (RFC 8446 4.1.3).
    [[nodiscard]] bool server_hello_seen() const noexcept { return server_hello_seen_; }

private:
    void observe_handshake_byte(std::uint8_t byte) noexcept;

    // Record layer (RFC 5246 6.2.1): type(1) version(2) length(2), then the fragment.
    std::uint8_t record_header_[5]{};
    std::size_t record_header_have_ = 0;
    std::size_t record_left_ = 0;
    // Handshake layer (RFC 5246 7.4): msg_type(1) length(3), then the body, across records.
    std::uint8_t message_header_[4]{};
    std::size_t message_header_have_ = 0;
    std::size_t message_left_ = 0;
    bool encrypted_ = false;  // the peer's ChangeCipherSpec passed: nothing more to read
    bool certificate_requested_ = false;
    bool server_hello_seen_ = false;
};

}  // namespace mqtls::tls::detail
