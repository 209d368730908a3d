#include "broker_connection.hpp"
#include "property_flags.hpp"

#include <unistd.h>

#include "broker_url.hpp"
#include "mqtls/mqtt/topic.hpp"
#include "process_hardening.hpp"
#include "trust_sources.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace mqtls::cli {
namespace {

// certificate_revoked (RFC 5246 7.2): the broker's CRL lists our certificate.
constexpr std::int32_t alert_certificate_revoked = 44;

// A password file holds one line; anything this big is the wrong file.
constexpr std::size_t max_password_file_bytes = std::size_t{64} * 1024;

/// Why `pem` (the text of a file given as `flag`) cannot be what `flag` expects, or empty when
/// it may be (the TLS layer parses it for real). Catches the common mix-ups before connecting:
/// an empty file, a private key where a certificate belongs, a certificate instead of a key.
std::string pem_mix_up(std::string_view flag, std::string_view pem) {
    const bool has_certificate = pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
    const bool has_key = pem.find("PRIVATE KEY-----") != std::string_view::npos;
    if (pem.find_first_not_of(" \t\r\n") == std::string_view::npos) return "the file is empty";
    if (flag == "--key") {
        if (!has_key && has_certificate) {
            return "the file holds a certificate, not a private key (are --cert and --key "
                   "swapped?)";
        }
        return {};
    }
    if (has_key && !has_certificate) {
        return flag == "--cafile" ? "the file holds a PRIVATE KEY, not a CA certificate (pass the "
                                    "CA's .crt file, e.g. ca.crt from 'mqtls pki init')"
                                  : "the file holds a private key, not a certificate (are --cert "
                                    "and --key swapped?)";
    }
    return {};
}

/// Reads the password of --pw-file: its first line without the line break. exit_ok, or the
/// reported exit status (the file's content is never printed).
int read_password_file(const char* command, const std::string& path, std::string& password) {
    warn_if_readable_by_others(command, "--pw-file", path);
    auto text = read_text_file(path, max_password_file_bytes);
    if (!text) return report(command, text.error(), "--pw-file " + path);
    std::string& content = *text;
    const std::size_t line_end = content.find_first_of("\r\n");
    password.assign(content, 0, line_end == std::string::npos ? content.size() : line_end);
    std::fill(content.begin(), content.end(), '\0');
    if (password.empty()) {
        std::fprintf(stderr,
                     "mqtls %s: the password file is empty (--pw-file %s)\n"
                     "  hint: write the password on the first line of the file\n",
                     command, path.c_str());
        return exit_file;
    }
    return exit_ok;
}

/// The password to log in with, from -P, --pw-file or MQTLS_PASSWORD (in that order; the
/// environment only with -u, since MQTT sends no password without a user name). exit_ok, or
/// the reported exit status.
int resolve_password(const char* command, const BrokerConnectionFlags& flags,
                     std::optional<std::string>& password) {
    if (!flags.password_file.empty()) {
        std::string from_file;
        if (const int status = read_password_file(command, flags.password_file, from_file)) {
            return status;
        }
        password = std::move(from_file);
    } else if (flags.password_given) {
        password = flags.password;
    } else if (!flags.username.empty()) {
        if (const char* from_environment = std::getenv(password_environment_variable);
            from_environment != nullptr && *from_environment != '\0') {
            password = std::string(from_environment);
        }
    }
    if (password && flags.username.empty()) {
        return usage_error(command, "a password needs a user name (-u)",
                           "MQTT sends a password only together with a user name: add -u NAME");
    }
    return exit_ok;
}

/// Reads a PEM file given as `flag` into `pem`. exit_ok, or the reported exit status (exit_file)
/// for an unreadable file or an obvious mix-up (see pem_mix_up()).
int read_pem_flag(const char* command, std::string_view flag, const std::string& path, Errc invalid,
                  std::string& pem) {
    const std::string context = std::string(flag) + " " + path;
    auto text = read_text_file(path);
    if (!text) return report(command, text.error(), context);
    if (const std::string problem = pem_mix_up(flag, *text); !problem.empty()) {
        std::fill(text->begin(), text->end(), '\0');
        return report(command, Error{invalid}, context + ": " + problem);
    }
    pem = std::move(*text);
    return exit_ok;
}

// Takes host, port, user name, password from -L into `flags`. exit_ok or the usage status.
int apply_url(const char* command, BrokerConnectionFlags& flags) {
    if (flags.url.empty()) return exit_ok;
    std::string problem;
    const std::optional<BrokerUrl> url = parse_broker_url(flags.url, problem);
    if (!url)
        return usage_error(command, problem.c_str(),
                           "e.g. -L mqtts://sensor-17@broker:8883/telemetry/sensor-17");
    if (flags.host_given || flags.port_given) {
        return usage_error(command, "-L and -h/-p both name the broker",
                           "give the host and port either in the -L URL or with -h and -p");
    }
    if (url->username && (!flags.username.empty() || flags.password_given)) {
        return usage_error(command, "-L carries a user name, and -u or -P give another",
                           "give the credentials either in the -L URL or with -u and -P");
    }
    flags.host = url->host;
    flags.port = url->port;
    if (url->username) flags.username = *url->username;
    if (url->password) {
        flags.password = *url->password;
        flags.password_given = true;
    }
    return exit_ok;
}

// -V, -x and --tls-version: what this build speaks. exit_ok or the usage status.
// --tls-version's spellings: ours (1.2, 1.3, auto) and mosquitto_pub's (tlsv1.2, tlsv1.3).
std::optional<tls::TlsVersion> parse_tls_version_flag(const std::string& text) {
    const std::string_view version =
        text.rfind("tlsv", 0) == 0 ? std::string_view(text).substr(4) : std::string_view(text);
    auto parsed = tls::parse_tls_version(version);
    if (!parsed || (version == "auto" && text != "auto")) return std::nullopt;
    return *parsed;
}

int check_protocol_versions(const char* command, const BrokerConnectionFlags& flags) {
    const std::string& mqtt = flags.protocol_version;
    if (wants_mqtt5(flags) && !mqtt::mqtt5_available) {
        return usage_error(command, "this mqtls was built without MQTT 5 (-V mqttv5)",
                           "rebuild with -DMQTLS_MQTT5=ON, or leave out -V for MQTT 3.1.1");
    }
    if (!mqtt.empty() && !wants_mqtt5(flags) && mqtt != "mqttv311" && mqtt != "311") {
        return usage_error(command, "-V must be 311 or 5 (mqttv311 or mqttv5)",
                           "MQTT 3.1.1 is the default; MQTT 3.1 (mqttv31) is not supported");
    }
    if (flags.session_expiry_given && !wants_mqtt5(flags)) {
        return usage_error(command, "-x (session expiry) is an MQTT 5 property: add -V 5",
                           "with MQTT 3.1.1 use -c for a session the broker keeps until the "
                           "client connects with a clean session again");
    }
    if (flags.session_expiry_given && !parse_session_expiry(flags.session_expiry)) {
        return usage_error(command, "-x must be seconds (0..4294967295) or 'never'",
                           "the broker keeps the session that long after the connection ends; "
                           "'never' (4294967295) keeps it for ever");
    }
    if (!flags.tls_version.empty() && !parse_tls_version_flag(flags.tls_version)) {
        return usage_error(command, "--tls-version must be 1.2, 1.3 or auto",
                           "auto offers TLS 1.3 and accepts 1.2; mosquitto's tlsv1.2 and tlsv1.3 "
                           "are accepted too. mqtls never uses TLS 1.0 or 1.1 (RFC 8996 "
                           "deprecates them)");
    }
    return exit_ok;
}

// The CA certificates of --cafile, --capath and --tls-use-os-certs, concatenated into
// `roots`. exit_ok, or the reported status.
int read_trust_sources(const char* command, const BrokerConnectionFlags& flags,
                       std::string& roots) {
    if (flags.ca_file.empty() && flags.ca_path.empty() && !flags.use_os_certs) {
        return usage_error(command, "missing --cafile",
                           "pass the broker's root CA with --cafile (or --capath DIR, or "
                           "--tls-use-os-certs for a broker with a public CA): mqtls never "
                           "connects without verifying the broker");
    }
    if (!flags.ca_file.empty()) {
        if (const int status =
                read_pem_flag(command, "--cafile", flags.ca_file, Errc::ca_bundle_invalid, roots)) {
            return status;
        }
    }
    if (!flags.ca_path.empty()) {
        auto folder = read_ca_folder(flags.ca_path);
        if (!folder) return report(command, folder.error(), "--capath " + flags.ca_path);
        roots += *folder;
    }
    if (flags.use_os_certs) {
        std::string system;
        if (const int status = read_pem_flag(command, "--tls-use-os-certs", os_ca_bundle_path,
                                             Errc::ca_bundle_invalid, system)) {
            return status;
        }
        roots += system;
    }
    return exit_ok;
}

// -i, -I and -c. exit_ok or the usage status.
int choose_client_id(const char* command, const BrokerConnectionFlags& flags,
                     client::ClientOptions& options) {
    if (flags.persistent_session && flags.client_id.empty()) {
        return usage_error(command, "-c needs a client id (-i)",
                           "the broker finds a persistent session by its client id: give the "
                           "same -i every time");
    }
    const std::string pid = std::to_string(::getpid());
    if (!flags.client_id.empty()) {
        options.client_id = flags.client_id;
    } else if (!flags.client_id_prefix.empty()) {
        options.client_id = flags.client_id_prefix + pid;
    } else {
        options.client_id = std::string("mqtls-") + command + "-" + pid;
    }
    options.clean_session = !flags.persistent_session;
    return exit_ok;
}

// --will-*: the last will. exit_ok or the usage status.
int choose_will(const char* command, const BrokerConnectionFlags& flags,
                client::ClientOptions& options) {
    if (flags.will_topic.empty()) {
        if (flags.will_payload_given || flags.will_qos_given || flags.will_retain) {
            return usage_error(command,
                               "--will-payload, --will-qos and --will-retain need "
                               "--will-topic",
                               "name the topic the broker publishes the will to");
        }
        return exit_ok;
    }
    if (!mqtt::validate_topic_name(flags.will_topic)) {
        return usage_error(command, "--will-topic is not a valid topic name",
                           "a topic name has no wildcards ('+', '#') and is valid UTF-8");
    }
    if (flags.will_qos < 0 || flags.will_qos > 2) {
        return usage_error(command, "--will-qos must be 0, 1 or 2", "MQTT has QoS 0, 1 and 2");
    }
    options.will = client::WillOptions{flags.will_topic, flags.will_payload,
                                       static_cast<mqtt::QoS>(flags.will_qos), flags.will_retain};
    return exit_ok;
}

// "--cafile ca.crt", "--capath DIR and --tls-use-os-certs": where the roots came from.
std::string trust_sources_named(const BrokerConnectionFlags& flags) {
    std::string named;
    const auto add = [&named](const std::string& source) {
        named += named.empty() ? source : " and " + source;
    };
    if (!flags.ca_file.empty()) add("--cafile " + flags.ca_file);
    if (!flags.ca_path.empty()) add("--capath " + flags.ca_path);
    if (flags.use_os_certs) add(std::string("--tls-use-os-certs (") + os_ca_bundle_path + ")");
    return named;
}

}  // namespace

std::string topic_from_url(const BrokerConnectionFlags& flags) {
    if (flags.url.empty()) return {};
    std::string problem;
    const std::optional<BrokerUrl> url = parse_broker_url(flags.url, problem);
    return url ? url->topic : std::string();
}

void add_broker_connection_flags(CLI::App& command, BrokerConnectionFlags& flags,
                                 ConnectionFlagGroups groups) {
    // -h is the host, as in mosquitto_pub/_sub; help is --help only.
    command.set_help_flag("--help", "print this help and exit");
    command.add_option("-h,--host", flags.host, "broker host name or IP address")
        ->capture_default_str()
        ->each([&flags](const std::string&) { flags.host_given = true; });
    command.add_option("-p,--port", flags.port, "broker TLS port")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535))
        ->each([&flags](const std::string&) { flags.port_given = true; });
    command.add_option("--cafile", flags.ca_file,
                       "PEM file with the broker's root CA(s) (one of --cafile, --capath and "
                       "--tls-use-os-certs is required: the broker's certificate is always "
                       "verified)");
    command.add_option("--capath", flags.ca_path,
                       "folder of PEM CA certificates (*.pem, *.crt, c_rehash links), as "
                       "/etc/ssl/certs");
    command.add_flag("--tls-use-os-certs", flags.use_os_certs,
                     std::string("trust the system's CA bundle (") + os_ca_bundle_path + ")");
    command.add_option("--tls-version", flags.tls_version,
                       "1.2 (the default: a resumed TLS 1.2 session costs a device a fiftieth of "
                       "the CPU of a TLS 1.3 one), 1.3, or auto (offer 1.3, accept 1.2); "
                       "tlsv1.2/tlsv1.3 as mosquitto_pub spells them. 1.0 and 1.1 are never used");
    command
        .add_option("--verify-name", flags.verify_name,
                    "verify the broker's certificate for this name (and send it as SNI) "
                    "instead of -h, which then only says where to connect: a broker reached "
                    "by IP address, or through a tunnel or port forward")
        ->each([&flags](const std::string&) { flags.verify_name_given = true; });
    command.add_option("--alpn,--tls-alpn", flags.alpn,
                       "offer this ALPN protocol (RFC 7301); repeatable, most preferred first. "
                       "AWS IoT Core takes MQTT on port 443 as x-amzn-mqtt-ca");
    command.add_flag("--alpn-required", flags.alpn_required,
                     "fail (alpn_refused) unless the broker picks one of the --alpn protocols");
    command.add_option("--cert", flags.certificate_file,
                       "PEM client certificate, for mutual TLS (with --key)");
    command.add_option("--key", flags.key_file, "PEM private key of --cert");
    command.add_option("--pin-sha256", flags.pins_hex,
                       "also require the broker's public key (SHA-256 of its SPKI, 64 hex "
                       "digits); repeatable, any one must match");
    auto* id = command.add_option("-i,--id", flags.client_id,
                                  "MQTT client id (default mqtls-<command>-<pid>)");
    command
        .add_option("-I,--id-prefix", flags.client_id_prefix,
                    "client id: this prefix followed by the process id")
        ->excludes(id);
    command.add_flag("-c,--disable-clean-session", flags.persistent_session,
                     "a persistent session: the broker keeps our subscriptions and queues "
                     "QoS 1/2 messages while we are away (needs -i)");
    command.add_option("-V,--protocol-version,--mqtt", flags.protocol_version,
                       "the MQTT version: 311 (mqttv311, the default) or 5 (mqttv5: the broker "
                       "says why it refuses a message or a connection)");
    command
        .add_option("-x,--session-expiry", flags.session_expiry,
                    "MQTT 5: seconds the broker keeps the session after we disconnect, or "
                    "'never' (needs -V 5; with -c)")
        ->each([&flags](const std::string&) { flags.session_expiry_given = true; });
    if (groups.property_packets != 0) {
        flags.property_packets = groups.property_packets;
        const std::string description =
            "MQTT 5 (-V 5): a property of " + packet_names(groups.property_packets) +
            ", as mosquitto_pub and mosquitto_sub take it, e.g. " +
            ((groups.property_packets & property_publish) != 0
                 ? "-D PUBLISH user-property site north, -D PUBLISH message-expiry-interval 60"
                 : "-D CONNECT user-property site north, -D SUBSCRIBE subscription-identifier 7") +
            ", -D DISCONNECT reason-string done; repeatable";
        command.add_option("-D,--property", flags.properties, description)
            ->expected(3, 4)
            ->type_name("PACKET PROPERTY VALUE [VALUE]");
    }
    command.add_option("-u,--username", flags.username, "user name");
    auto* password =
        command
            .add_option("-P,--pw", flags.password,
                        "password (never printed by mqtls; other local users can see argv: "
                        "prefer --pw-file or MQTLS_PASSWORD)")
            ->each([&flags](const std::string&) { flags.password_given = true; });
    auto* password_file = command.add_option(
        "--pw-file", flags.password_file,
        "read the password from the first line of FILE (a trailing \\r\\n is removed); "
        "without -P and --pw-file, the environment variable MQTLS_PASSWORD is used with -u");
    password->excludes(password_file);
    command.add_option("-k,--keepalive", flags.keep_alive_s, "keepalive interval in seconds")
        ->capture_default_str();
    command
        .add_option("--connect-timeout", flags.connect_timeout_s,
                    "seconds to wait for the TCP connection, TLS handshake and CONNACK")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    command.add_flag("-d,--debug", flags.debug,
                     "print the TLS protocol, cipher suite and verified name to stderr");
    if (groups.url) {
        command.add_option("-L,--url", flags.url,
                           "mqtts://[user[:password]@]host[:port]/topic instead of -h, -p, -u, "
                           "-P and -t (a password in the URL is visible to other local users: "
                           "prefer --pw-file)");
    }
    if (groups.will) {
        command.add_option("--will-topic", flags.will_topic,
                           "the topic of our last will, published by the broker if we vanish "
                           "without a DISCONNECT");
        command
            .add_option("--will-payload", flags.will_payload, "the will's payload (default: empty)")
            ->each([&flags](const std::string&) { flags.will_payload_given = true; });
        command.add_option("--will-qos", flags.will_qos, "the will's QoS: 0, 1 or 2")
            ->each([&flags](const std::string&) { flags.will_qos_given = true; });
        command.add_flag("--will-retain", flags.will_retain, "the broker retains the will");
    }
    // node publishes only its own small readings, with the client's default limits.
    if (command.get_name() == "pub" || command.get_name() == "sub") {
        command
            .add_option("--max-packet-size", flags.max_packet_size,
                        "largest MQTT packet to send or receive, in bytes (a message's payload "
                        "plus its topic and 4 to 9 bytes); memory is used only as large "
                        "messages need it")
            ->check(CLI::Range(client::min_packet_size_limit, client::mqtt_max_packet_size))
            ->type_name("BYTES")
            ->capture_default_str();
    }
}

client::ClientLimits client_limits(const BrokerConnectionFlags& flags, std::size_t max_inflight) {
    client::ClientLimits limits;
    limits.max_packet_size = flags.max_packet_size;
    limits.max_inflight = max_inflight;
    return limits;
}

int report_message_over_limit(const char* command, const char* what, std::size_t packet_size,
                              const BrokerConnectionFlags& flags, bool at_least) {
    std::fprintf(stderr,
                 "mqtls %s: %s is %s%zu bytes as an MQTT packet, over the limit of %zu bytes "
                 "(--max-packet-size)\n"
                 "  hint: raise it with --max-packet-size %zu or more (at most %zu); the broker "
                 "has its own limit too (Mosquitto: message_size_limit)\n",
                 command, what, at_least ? "at least " : "", packet_size, flags.max_packet_size,
                 packet_size, client::mqtt_max_packet_size);
    return exit_usage;
}

int report_client_error(const char* command, const Error& error, std::string_view context,
                        const BrokerConnectionFlags& flags) {
    if (error.code == Errc::message_too_large && error.detail > 0 &&
        static_cast<std::size_t>(error.detail) > flags.max_packet_size) {
        return report_message_over_limit(command, "a message",
                                         static_cast<std::size_t>(error.detail), flags);
    }
    if (error.code != Errc::packet_too_large || error.detail <= 0) {
        return report(command, error, context);
    }
    // The connection is gone: the rest of the packet could not be skipped without reading it.
    std::fprintf(stderr,
                 "mqtls %s: the broker sent a %d-byte packet, over the limit of %zu bytes "
                 "(--max-packet-size); the connection was closed (%.*s)\n"
                 "  hint: raise the limit with --max-packet-size %d or more (at most %zu); MQTT "
                 "3.1.1 has no way to tell the broker our limit, so it sends every message it "
                 "accepted\n",
                 command, error.detail, flags.max_packet_size, static_cast<int>(context.size()),
                 context.data(), error.detail, client::mqtt_max_packet_size);
    return exit_failure;
}

int usage_error(const char* command, const char* what, const char* hint) {
    std::fprintf(stderr, "mqtls %s: %s\n  hint: %s\n", command, what, hint);
    return exit_usage;
}

namespace {

// --cert and --key, when given (make_client_options() checked that they come together).
int read_client_identity(const char* command, const BrokerConnectionFlags& flags,
                         client::ClientOptions& options) {
    if (flags.certificate_file.empty()) return exit_ok;
    if (const int status =
            read_pem_flag(command, "--cert", flags.certificate_file,
                          Errc::client_certificate_invalid, options.certificate_pem)) {
        return status;
    }
    warn_if_readable_by_others(command, "--key", flags.key_file);
    return read_pem_flag(command, "--key", flags.key_file, Errc::client_key_invalid,
                         options.private_key_pem);
}

}  // namespace

int parse_pin_flags(const char* command, const std::vector<std::string>& pins_hex,
                    std::vector<tls::SpkiSha256>& pins) {
    for (const std::string& hex : pins_hex) {
        auto pin = tls::parse_spki_pin(hex);
        if (!pin) {
            return usage_error(command, "--pin-sha256 is not a SHA-256 in hex",
                               "give 64 hex digits: the SHA-256 of the broker's "
                               "SubjectPublicKeyInfo ('mqtls pki show' prints it)");
        }
        pins.push_back(*pin);
    }
    return exit_ok;
}

// -x: seconds, or "never" for 0xFFFFFFFF, which MQTT 5 defines as "does not expire"
// (section 3.1.2.11.2).
std::optional<std::uint32_t> parse_session_expiry(const std::string& text) {
    if (text == "never") return 0xFFFFFFFFU;
    if (text.empty() || text.size() > 10 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const unsigned long long seconds = std::stoull(text);
    if (seconds > 0xFFFFFFFFULL) return std::nullopt;
    return static_cast<std::uint32_t>(seconds);
}

// -V: "311"/"mqttv311" (the default) or "5"/"mqttv5", as mosquitto_pub spells them.
bool wants_mqtt5(const BrokerConnectionFlags& flags) {
    return flags.protocol_version == "mqttv5" || flags.protocol_version == "5";
}

// --verify-name and --alpn: what the TLS handshake names, as the TLS layer would refuse it
// (RFC 7301 3.1: a protocol is 1 to 255 bytes), but as a usage error.
int choose_tls_names(const char* command, const BrokerConnectionFlags& flags,
                     client::ClientOptions& options) {
    if (flags.verify_name_given && flags.verify_name.empty()) {
        return usage_error(command, "--verify-name is empty",
                           "give the name the broker's certificate is issued for");
    }
    for (const std::string& protocol : flags.alpn) {
        if (protocol.empty() || protocol.size() > 255) {
            return usage_error(command, "an --alpn protocol must be 1 to 255 bytes long",
                               "e.g. --alpn x-amzn-mqtt-ca for AWS IoT Core on port 443");
        }
    }
    if (flags.alpn_required && flags.alpn.empty()) {
        return usage_error(command, "--alpn-required needs an --alpn protocol",
                           "e.g. --alpn x-amzn-mqtt-ca --alpn-required");
    }
    options.verify_name = flags.verify_name;
    options.alpn_protocols = flags.alpn;
    options.alpn_required = flags.alpn_required;
    return exit_ok;
}

int make_client_options(const char* command, const BrokerConnectionFlags& given,
                        client::ClientOptions& options) {
    BrokerConnectionFlags flags = given;
    if (const int status = apply_url(command, flags)) return status;
    if (const int status = check_protocol_versions(command, flags)) return status;
    if (flags.certificate_file.empty() != flags.key_file.empty()) {
        return usage_error(command, "--cert and --key go together",
                           "pass both the client certificate and its private key for mutual TLS");
    }
    // Mistakes in the arguments first, then the files.
    if (const int status = choose_client_id(command, flags, options)) return status;
    if (const int status = choose_will(command, flags, options)) return status;
    if (wants_mqtt5(flags)) options.protocol = mqtt::ProtocolVersion::v5;
    if (flags.session_expiry_given)
        options.session_expiry_s = parse_session_expiry(flags.session_expiry);
    if (const int status = parse_property_flags(command, flags.properties, wants_mqtt5(flags),
                                                flags.property_packets, options)) {
        return status;
    }
    options.host = flags.host;
    options.port = flags.port;
    if (const int status = choose_tls_names(command, flags, options)) return status;
    if (!flags.tls_version.empty())
        options.tls_version = *parse_tls_version_flag(flags.tls_version);
    if (const int status = read_trust_sources(command, flags, options.trusted_roots_pem)) {
        return status;
    }
    if (const int status = read_client_identity(command, flags, options)) return status;
    if (const int status = parse_pin_flags(command, flags.pins_hex, options.pinned_spki))
        return status;
    if (!flags.username.empty()) options.username = flags.username;
    if (const int status = resolve_password(command, flags, options.password)) return status;
    wipe(flags.password);
    options.keep_alive_s = flags.keep_alive_s;
    options.connect_timeout = std::chrono::seconds(flags.connect_timeout_s);
    return exit_ok;
}

std::string file_context_for(const Error& error, const BrokerConnectionFlags& flags) {
    switch (error.code) {
        case Errc::ca_bundle_invalid:
            return trust_sources_named(flags);
        case Errc::client_certificate_invalid:
            return "--cert " + flags.certificate_file;
        case Errc::client_key_invalid:
            return "--key " + flags.key_file;
        case Errc::client_key_mismatch:
            return "--cert " + flags.certificate_file + " and --key " + flags.key_file;
        default:
            return {};
    }
}

namespace {

// With mutual TLS, a fatal alert is most often the broker refusing our certificate: say so.
void note_certificate_refusal(const Error& error, int status, const BrokerConnectionFlags& flags) {
    if (error.detail == alert_certificate_revoked) {
        std::fprintf(stderr,
                     "  note: the broker's CA has revoked the client certificate (--cert "
                     "%s): it will not be accepted again; ask for a new one (mqtls pki "
                     "device or pki sign)\n",
                     flags.certificate_file.c_str());
        return;
    }
    std::fprintf(stderr,
                 "  note: %s the client certificate (--cert %s): is it issued by the CA "
                 "the broker trusts, and still valid?\n",
                 status == exit_refused ? "the broker refused" : "the broker may have refused",
                 flags.certificate_file.c_str());
}

// Reports a failed connect with what the user can check: the file, the CAs, the certificate,
// or whether the port speaks TLS MQTT at all.
int report_connect_failure(const char* command, const Error& error,
                           const BrokerConnectionFlags& flags, const std::string& where) {
    if (const std::string file = file_context_for(error, flags); !file.empty()) {
        return report(command, error, file);
    }
    const int status = exit_code_for(error);
    if (status == exit_tls) {
        return report(command, error, where + ", CAs from " + trust_sources_named(flags));
    }
    const int reported = report(command, error, where);
    if (error.code == Errc::peer_alert && !flags.certificate_file.empty()) {
        note_certificate_refusal(error, status, flags);
    } else if (status == exit_timeout && error.code != Errc::connect_timed_out) {
        std::fprintf(stderr,
                     "  note: no TLS/MQTT answer within %d s (--connect-timeout): is port %u "
                     "a TLS MQTT broker?\n",
                     flags.connect_timeout_s, static_cast<unsigned>(flags.port));
    }
    return reported;
}

}  // namespace

std::string broker_where(const client::ClientOptions& options) {
    std::string where = options.host + ":" + std::to_string(options.port);
    if (!options.verify_name.empty() && options.verify_name != options.host) {
        where += " as " + options.verify_name;
    }
    return where;
}

int connect_client(const char* command, const BrokerConnectionFlags& flags,
                   const client::ClientOptions& options, client::Client& client) {
    auto connected = client.connect(options);
    const std::string where = broker_where(options);
    if (!connected) return report_connect_failure(command, connected.error(), flags, where);
    if (flags.debug) {
        const auto info = client.tls_info();
        std::fprintf(stderr, "mqtls %s: connected to %s over %s, %s, verified name %.*s%s%.*s\n",
                     command, where.c_str(), info.protocol, info.cipher_suite,
                     static_cast<int>(info.verified_name.size()), info.verified_name.data(),
                     info.alpn_protocol.empty() ? "" : ", ALPN ",
                     static_cast<int>(info.alpn_protocol.size()), info.alpn_protocol.data());
    }
    return exit_ok;
}

}  // namespace mqtls::cli
