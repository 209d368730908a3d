#include "mqtls/node/retry_rule.hpp"

namespace mqtls::node {
namespace {

// CONNACK return code 3, "server unavailable": the broker is up but cannot serve us yet.
constexpr std::int32_t connack_server_unavailable = 3;

// Certificate alerts (RFC 5246 7.2.2: bad_certificate 42 .. unknown_ca 48, access_denied 49)
// mean the broker refused our client certificate; 47 (illegal_parameter) is not one of them.
bool refuses_our_certificate(std::int32_t alert) noexcept {
    return alert >= 42 && alert <= 49 && alert != 47;
}

// Credential files that do not parse are the user's to fix, not the network's.
bool unusable_credentials(Errc code) noexcept {
    return code == Errc::ca_bundle_invalid || code == Errc::client_key_invalid ||
           code == Errc::client_certificate_invalid || code == Errc::client_key_mismatch;
}

}  // namespace

bool should_stop(const Error& error) noexcept {
    switch (error.code) {
        case Errc::certificate_untrusted:
        case Errc::certificate_expired:
        case Errc::certificate_not_yet_valid:
        case Errc::hostname_mismatch:
        case Errc::pin_mismatch:
        case Errc::clock_unset:
        case Errc::client_certificate_required:
        case Errc::invalid_argument:
            return true;
        case Errc::broker_refused:
            return error.detail != connack_server_unavailable;
        case Errc::peer_alert:
            return refuses_our_certificate(error.detail);
        default:
            break;
    }
    switch (error_class(error.code)) {
        case ErrorClass::storage:
        case ErrorClass::config:
            return true;
        case ErrorClass::tls:
            return unusable_credentials(error.code);
        default:
            return false;
    }
}

}  // namespace mqtls::node
