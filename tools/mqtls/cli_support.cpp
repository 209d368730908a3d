#include "cli_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "mqtls/mqtt/packets.hpp"
#if MQTLS_MQTT5
#include "mqtls/mqtt/reason_codes.hpp"
#endif

namespace mqtls::cli {

int exit_code_for(const Error& error) noexcept {
    switch (error.code) {
        case Errc::certificate_untrusted:
        case Errc::certificate_expired:
        case Errc::certificate_not_yet_valid:
        case Errc::hostname_mismatch:
        case Errc::pin_mismatch:
        case Errc::clock_unset:
        case Errc::certificate_weak:
        case Errc::certificate_wrong_usage:
        case Errc::certificate_unsupported:
        case Errc::name_constraint_violation:
        case Errc::tls_parameters_refused:
        case Errc::alpn_refused:
            return exit_tls;
        case Errc::broker_refused:
        case Errc::broker_redirected:
        case Errc::message_rejected:
        case Errc::client_certificate_required:
            return exit_refused;
        case Errc::peer_alert:
            // A certificate alert means the broker refused our client certificate (the same
            // test as the stop-or-retry rule, core/error.hpp).
            return is_certificate_refusal_alert(error.detail) ? exit_refused : exit_network;
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
        case 0x87:
            return "the broker does not allow this client: check the user name or client "
                   "certificate it knows us by, the client id, and the broker's ACL";
        case 0x84:
            return "the broker does not speak this MQTT version: try -V 311";
        case 0x85:
            return "the broker rejects this client id: pick another with -i";
        case 0x86:
            return "check the user name (-u) and the password (-P, --pw-file or "
                   "MQTLS_PASSWORD) against the broker's password file";
        case 0x88:
        case 0x89:
        case 0x97:
        case 0x9F:
            return "the broker is up but cannot serve this client now: try again later";
        default:
            return code >= 0x80 ? "the Reason Code and the broker's log say why"
                                : "the broker may speak another MQTT version";
    }
}

}  // namespace

namespace {

const char* file_type_name(std::int32_t type_bits) noexcept {
    switch (static_cast<mode_t>(type_bits)) {
        case S_IFDIR:
            return "a directory";
        case S_IFIFO:
            return "a FIFO";
        case S_IFCHR:
            return "a character device";
        case S_IFBLK:
            return "a block device";
        case S_IFSOCK:
            return "a socket";
        case S_IFLNK:
            return "a symbolic link";
        default:
            return "not a regular file";
    }
}

// What the detail of a file error means, in words, or empty when it is an errno.
std::string file_detail(const Error& error) {
    switch (error.code) {
        case Errc::file_not_regular:
            return file_type_name(error.detail);
        case Errc::file_type_unsafe:
            return error.detail == -1 ? "a symbolic or hard link" : file_type_name(error.detail);
        case Errc::file_too_large:
            return "more than " + std::to_string(error.detail) + " bytes";
        case Errc::file_permissions_unsafe:
        case Errc::folder_permissions_unsafe: {
            char mode[16];
            std::snprintf(mode, sizeof mode, "mode %04o", static_cast<unsigned>(error.detail));
            return mode;
        }
        default:
            return {};
    }
}

// TLS alert descriptions (RFC 5246 7.2, RFC 8446 6.2) that a broker may end a handshake with.
const char* alert_name(std::int32_t alert) noexcept {
    switch (alert) {
        case 10:
            return "unexpected_message";
        case 20:
            return "bad_record_mac";
        case 22:
            return "record_overflow";
        case 40:
            return "handshake_failure";
        case 42:
            return "bad_certificate";
        case 43:
            return "unsupported_certificate";
        case 44:
            return "certificate_revoked";
        case 45:
            return "certificate_expired";
        case 46:
            return "certificate_unknown";
        case 47:
            return "illegal_parameter";
        case 48:
            return "unknown_ca";
        case 49:
            return "access_denied";
        case 50:
            return "decode_error";
        case 51:
            return "decrypt_error";
        case 70:
            return "protocol_version";
        case 71:
            return "insufficient_security";
        case 80:
            return "internal_error";
        case 86:
            return "inappropriate_fallback";
        case 109:
            return "missing_extension";
        case 110:
            return "unsupported_extension";
        case 112:
            return "unrecognized_name";
        case 116:
            return "certificate_required";
        case 120:
            return "no_application_protocol";
        default:
            return nullptr;
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
#if MQTLS_MQTT5
    // MQTT 5 Reason Codes (0x80 and up) in the detail: their names, from table 2-6.
    const auto packet_of = [](Errc code) {
        switch (code) {
            case Errc::broker_refused:
                return mqtt::ReasonPacket::connack;
            case Errc::message_rejected:
                return mqtt::ReasonPacket::puback;
            default:
                return mqtt::ReasonPacket::disconnect;
        }
    };
    const bool reason_code_detail =
        error.code == Errc::broker_refused || error.code == Errc::broker_disconnected ||
        error.code == Errc::broker_redirected || error.code == Errc::message_rejected;
    if (reason_code_detail && error.detail >= 0x80 && error.detail <= 0xff) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned>(error.detail));
        text += ": ";
        text +=
            mqtt::reason_code_name(static_cast<std::uint8_t>(error.detail), packet_of(error.code));
        text += std::string(" (Reason Code ") + code + ")";
    }
#endif
    if ((error.code == Errc::peer_alert || error.code == Errc::client_certificate_required) &&
        alert_name(error.detail) != nullptr) {
        text += std::string(": ") + alert_name(error.detail) + " (alert " +
                std::to_string(error.detail) + ")";
    }
    return text;
}

const char* hint_for(const Error& error) noexcept {
    if (error.code == Errc::broker_refused) return connack_hint(error.detail);
    if (error.code == Errc::message_rejected && error.detail == 0x87) {
        return "the broker's ACL does not let this client publish to this topic; the message "
               "was not delivered";
    }
    return error.hint();
}

int report(std::string_view command, const Error& error, std::string_view context) {
    const std::string what = describe(error);
    std::fprintf(stderr, "mqtls %.*s: %s", static_cast<int>(command.size()), command.data(),
                 what.c_str());
    if (!context.empty()) {
        std::fprintf(stderr, " (%.*s)", static_cast<int>(context.size()), context.data());
    }
    if (const std::string words = file_detail(error); !words.empty()) {
        std::fprintf(stderr, ": %s [%s]", words.c_str(), name(error.code));
    } else if (error.detail > 0 && error_class(error.code) == ErrorClass::storage) {
        // File errors carry an errno: say it in words ("No such file or directory").
        std::fprintf(stderr, ": %s [%s %d]", std::strerror(error.detail), name(error.code),
                     error.detail);
    } else if (error.detail != 0 && error.code != Errc::broker_refused &&
               !((error.code == Errc::peer_alert ||
                  error.code == Errc::client_certificate_required) &&
                 alert_name(error.detail) != nullptr)) {
        std::fprintf(stderr, " [%s %d]", name(error.code), error.detail);
    }
    std::fprintf(stderr, "\n  hint: %s\n", hint_for(error));
    return exit_code_for(error);
}

void warn_if_readable_by_others(std::string_view command, std::string_view flag,
                                const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO)) == 0) return;
    std::fprintf(stderr,
                 "mqtls %.*s: warning: %.*s %s can be read by other users (mode %04o)\n"
                 "  hint: chmod 600 it; a secret others can read has leaked\n",
                 static_cast<int>(command.size()), command.data(), static_cast<int>(flag.size()),
                 flag.data(), path.c_str(), static_cast<unsigned>(info.st_mode & 07777));
}

}  // namespace mqtls::cli
