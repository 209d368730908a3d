#include "cli_support.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "mqtls/mqtt/packets.hpp"

namespace mqtls::cli {

int exit_code_for(const Error& error) noexcept {
    switch (error.code) {
        case Errc::certificate_untrusted:
        case Errc::certificate_expired:
        case Errc::certificate_not_yet_valid:
        case Errc::hostname_mismatch:
        case Errc::pin_mismatch:
        case Errc::clock_unset:
            return exit_tls;
        case Errc::broker_refused:
        case Errc::client_certificate_required:
            return exit_refused;
        case Errc::peer_alert:
            // Certificate alerts (RFC 5246 7.2.2: bad_certificate 42 .. unknown_ca 48,
            // access_denied 49) mean the broker refused our client certificate.
            return error.detail >= 42 && error.detail <= 49 && error.detail != 47 ? exit_refused
                                                                                  : exit_network;
        case Errc::io_timed_out:
        case Errc::connect_timeout:
        case Errc::connect_timed_out:
        case Errc::keepalive_timeout:
            return exit_timeout;
        case Errc::invalid_argument:
            return exit_usage;
        default:
            break;
    }
    switch (error_class(error.code)) {
        case ErrorClass::transport:
            return exit_network;
        case ErrorClass::storage:
            return exit_file;
        case ErrorClass::tls:
            // Unreadable CA bundle, key or certificate files are file problems for the user.
            if (error.code == Errc::ca_bundle_invalid || error.code == Errc::client_key_invalid ||
                error.code == Errc::client_certificate_invalid ||
                error.code == Errc::client_key_mismatch) {
                return exit_file;
            }
            return exit_network;
        case ErrorClass::config:
            return error.code == Errc::pem_invalid ? exit_file : exit_usage;
        default:
            return exit_failure;
    }
}

namespace {

// What to do about each CONNACK refusal (MQTT 3.1.1 table 3.1), where the generic hint of
// broker_refused would leave the user guessing.
const char* connack_hint(std::int32_t code) noexcept {
    switch (code) {
        case 1:
            return "the broker does not accept MQTT 3.1.1 clients; mqtls speaks MQTT 3.1.1";
        case 2:
            return "the broker rejects this client id: pick another with -i (1-23 letters and "
                   "digits are always allowed)";
        case 3:
            return "the broker is up but cannot serve clients now: try again later";
        case 4:
            return "check the user name (-u) and the password (-P, --pw-file or "
                   "MQTLS_PASSWORD) against the broker's password file";
        case 5:
            return "the broker does not allow this client: check the user name or client "
                   "certificate it knows us by, the client id, and the broker's ACL";
        default:
            return "the broker may speak another MQTT version";
    }
}

}  // namespace

std::string describe(const Error& error) {
    std::string text = error.message();
    if (error.code == Errc::broker_refused && error.detail >= 1 && error.detail <= 5) {
        text += ": ";
        text +=
            mqtt::connect_return_code_message(static_cast<mqtt::ConnectReturnCode>(error.detail));
        text += " (CONNACK " + std::to_string(error.detail) + ")";
    }
    return text;
}

const char* hint_for(const Error& error) noexcept {
    if (error.code == Errc::broker_refused) return connack_hint(error.detail);
    return error.hint();
}

int report(std::string_view command, const Error& error, std::string_view context) {
    const std::string what = describe(error);
    std::fprintf(stderr, "mqtls %.*s: %s", static_cast<int>(command.size()), command.data(),
                 what.c_str());
    if (!context.empty()) {
        std::fprintf(stderr, " (%.*s)", static_cast<int>(context.size()), context.data());
    }
    if (error.detail > 0 && error_class(error.code) == ErrorClass::storage) {
        // File errors carry an errno: say it in words ("No such file or directory").
        std::fprintf(stderr, ": %s [%s %d]", std::strerror(error.detail), name(error.code),
                     error.detail);
    } else if (error.detail != 0 && error.code != Errc::broker_refused) {
        std::fprintf(stderr, " [%s %d]", name(error.code), error.detail);
    }
    std::fprintf(stderr, "\n  hint: %s\n", hint_for(error));
    return exit_code_for(error);
}

Result<std::string> read_text_file(const std::string& path) {
    // std::ifstream "opens" a directory and then reads nothing: say what is wrong instead.
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
        return Error{Errc::file_read_failed, EISDIR};
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) return Error{Errc::file_read_failed, errno};
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) return Error{Errc::file_read_failed, errno};
    return text.str();
}

}  // namespace mqtls::cli
