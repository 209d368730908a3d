#pragma once
// The one place the tls layer reads mbedTLS state that its public API does not expose, so that
// a change of mbedTLS version shows up here and nowhere else (mbedtls_internals.cpp).
//
//   received_alert   the description of the fatal alert the peer sent: it tells "the broker
//                    refused our client certificate" (42-49, 116) from a network failure.
//                    TLS 1.3 alerts are encrypted, so the clear-text handshake observer cannot
//                    see them.
//   ticket_lifetime  the lifetime a server announced for its ticket (RFC 5077 3.3, RFC 8446
//                    4.6.1): a session is not kept for longer than the broker will honour it.
//
// Both read fields that mbedTLS 3.6 marks MBEDTLS_PRIVATE. The implementation is compiled only
// for the 3.6 series it was checked against; on any other version both report "unknown" (0),
// which costs detail (a certificate refusal by the broker reads as a generic alert; a session
// may be offered after the broker forgot it, and the handshake is then a full one), never
// security.
#include <mbedtls/ssl.h>

#include <cstdint>

namespace mqtls::tls::detail {

/// The alert description (RFC 8446 6) after mbedTLS returned MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
/// 0 when unknown.
std::int32_t received_alert(const mbedtls_ssl_context& ssl) noexcept;

/// The server's ticket lifetime hint in seconds; 0 when the session holds no ticket or the
/// value is unknown.
std::uint32_t ticket_lifetime(const mbedtls_ssl_session& session) noexcept;

}  // namespace mqtls::tls::detail
