#include "socket_errors.hpp"

#include <cerrno>

namespace mqtls::port::posix::detail {

Error connect_failure(int error_number) noexcept {
    switch (error_number) {
        case ECONNREFUSED:
            return {Errc::connection_refused, error_number};
        case ETIMEDOUT:
            return {Errc::connect_timed_out, error_number};
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        // The host has no address of this family (IPv6 disabled, no ::1), which to the user is
        // the same as having no route to it.
        case EADDRNOTAVAIL:
        case EAFNOSUPPORT:
        case EPROTONOSUPPORT:
            return {Errc::network_unreachable, error_number};
        default:
            return {Errc::socket_error, error_number};
    }
}

namespace {

// A refusal proves the host is there; a timeout points at a firewall or a dead host; a local
// socket failure (EMFILE) is worth fixing; an unreachable address family is routine on hosts
// without IPv6 and the least worth reporting.
int rank(Errc code) noexcept {
    switch (code) {
        case Errc::connection_refused:
            return 4;
        case Errc::connect_timed_out:
            return 3;
        case Errc::socket_error:
            return 2;
        case Errc::network_unreachable:
            return 1;
        default:
            return 0;
    }
}

}  // namespace

Error more_informative(const Error& current, const Error& candidate) noexcept {
    return rank(candidate.code) > rank(current.code) ? candidate : current;
}

Error transfer_failure(int error_number) noexcept {
    switch (error_number) {
        case EPIPE:
        case ECONNRESET:
        case ECONNABORTED:
        case ENOTCONN:
            return {Errc::connection_reset, error_number};
        case ETIMEDOUT:
            return {Errc::io_timed_out, error_number};
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
            return {Errc::network_unreachable, error_number};
        default:
            return {Errc::socket_error, error_number};
    }
}

}  // namespace mqtls::port::posix::detail
