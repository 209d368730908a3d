// See mbedtls_internals.hpp: the fields are private in mbedTLS 3.6, so this file alone asks for
// private access, and only for the series whose layout it was written against.
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "mbedtls_internals.hpp"

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR == 3 && MBEDTLS_VERSION_MINOR == 6
#define MQTLS_TLS_READS_INTERNALS 1
#else
#define MQTLS_TLS_READS_INTERNALS 0
#endif

namespace mqtls::tls::detail {

std::int32_t received_alert(const mbedtls_ssl_context& ssl) noexcept {
#if MQTLS_TLS_READS_INTERNALS
    // The alert record is still in in_msg: [level, description].
    if (ssl.in_msg != nullptr && ssl.in_msglen >= 2 && ssl.in_msgtype == MBEDTLS_SSL_MSG_ALERT) {
        return ssl.in_msg[1];
    }
#else
    (void)ssl;
#endif
    return 0;
}

std::uint32_t ticket_lifetime(const mbedtls_ssl_session& session) noexcept {
#if MQTLS_TLS_READS_INTERNALS && defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_CLI_C)
    if (session.ticket_len > 0) return session.ticket_lifetime;
#else
    (void)session;
#endif
    return 0;
}

}  // namespace mqtls::tls::detail
