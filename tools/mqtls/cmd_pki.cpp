// `mqtls pki`: a small certificate authority on disk for a broker and its devices.
//
//   mqtls pki init DIR                 DIR/ca.crt, DIR/ca.key (a root CA)
//   mqtls pki server DIR --san ...     DIR/broker.crt, DIR/broker.key (signed by DIR/ca.*)
//   mqtls pki device DIR ID            DIR/ID.crt, DIR/ID.key (client certificate, CN=ID)
//
// Nothing is ever overwritten: replacing a CA key that devices already trust, or a device key,
// must be a deliberate `rm`, not a side effect of running a command twice.
#include <arpa/inet.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* ca_certificate_name = "ca.crt";
constexpr const char* ca_key_name = "ca.key";
// RFC 5280's upper bound for a common name, which the pki layer enforces as well.
constexpr std::size_t max_identifier_length = 64;

// An empty string when `id` can name a file in the PKI directory, a certificate CN, an MQTT
// user name and a single topic level (devices publish under telemetry/<id>/); otherwise why not.
std::string identifier_problem(const std::string& id) {
    if (id.empty()) return "must not be empty";
    if (id.size() > max_identifier_length) return "must be at most 64 characters";
    if (id == "." || id == "..") return "must not be '.' or '..'";
    if (id.front() == '-') return "must not start with '-'";
    for (const char character : id) {
        const auto byte = static_cast<unsigned char>(character);
        // Printable ASCII without space: the ID ends up in file names, topics and config files.
        if (byte <= 0x20 || byte >= 0x7f) return "must be printable ASCII without spaces";
        // '/' would leave the directory and split the topic level; '+' and '#' are MQTT
        // wildcards; a backslash cannot be written into a certificate name by mbedTLS 2.28.
        if (character == '/' || character == '+' || character == '#' || character == '\\') {
            return "must not contain '/', '+', '#' or '\\'";
        }
    }
    return {};
}

// A CLI11 check for device IDs and certificate file names (a usage error, exit status 2).
CLI::Validator identifier_validator(const std::string& what) {
    return {[what](std::string& value) {
                const std::string problem = identifier_problem(value);
                return problem.empty() ? std::string{} : what + " '" + value + "' " + problem;
            },
            "ID"};
}

bool is_ip_address(const std::string& value) {
    unsigned char address[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, value.c_str(), address) == 1 ||
           ::inet_pton(AF_INET6, value.c_str(), address) == 1;
}

// An empty string when `label` can be one label of a DNS host name (RFC 1123: letters, digits
// and '-', not at either end, at most 63 characters); otherwise why not.
std::string dns_label_problem(const std::string& label) {
    if (label.empty()) return "has an empty label (two dots, or a dot at either end)";
    if (label.size() > 63) return "has a label longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') {
        return "has a label that starts or ends with '-'";
    }
    for (const char character : label) {
        const bool letter =
            (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
        const bool digit = character >= '0' && character <= '9';
        if (!letter && !digit && character != '-') {
            return "may contain only letters, digits, '-' and '.' (or be an IP address)";
        }
    }
    return {};
}

// An empty string when `name` is an IP address or a DNS host name a certificate can carry
// (RFC 1123 labels; a leftmost "*" label for a wildcard); otherwise why not.
std::string subject_alt_name_problem(const std::string& name) {
    if (is_ip_address(name)) return {};
    if (name.empty()) return "must not be empty";
    if (name.size() > 253) return "is longer than 253 characters";
    if (name.find(':') != std::string::npos) return "is not a valid IPv6 address";
    const bool wildcard = name.compare(0, 2, "*.") == 0;
    std::stringstream labels(wildcard ? name.substr(2) : name);
    for (std::string label; std::getline(labels, label, '.');) {
        if (std::string problem = dns_label_problem(label); !problem.empty()) return problem;
    }
    if (name.back() == '.') return dns_label_problem({});
    if (name.find_first_not_of("0123456789.") == std::string::npos) {
        return "looks like an IPv4 address but is not a valid one";
    }
    return {};
}

// A CLI11 check for --san (a usage error, exit status 2).
CLI::Validator subject_alt_name_validator() {
    return {[](std::string& value) {
                const std::string problem = subject_alt_name_problem(value);
                return problem.empty() ? std::string{} : "'" + value + "' " + problem;
            },
            "NAME|IP"};
}

std::string path_in(const std::string& directory, const std::string& name) {
    if (!directory.empty() && directory.back() == '/') return directory + name;
    return directory + "/" + name;
}

// Fails with file_exists naming the first of `paths` that exists, before any key is generated,
// so that a refused command leaves nothing half-written behind.
int refuse_existing(const char* command, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        struct stat info {};
        if (::lstat(path.c_str(), &info) == 0) {
            return report(command, Error{Errc::file_exists}, path);
        }
    }
    return exit_ok;
}

// Writes the key (0600) and then the certificate; removes the key again when the certificate
// cannot be written, so a failed run can simply be repeated.
int write_pair(const char* command, pki::Issued& issued, const std::string& certificate_path,
               const std::string& key_path) {
    auto key_written = pki::write_private_key_file(key_path, issued.private_key_pem);
    pki::wipe_secret(issued.private_key_pem);
    if (!key_written) return report(command, key_written.error(), key_path);
    auto certificate_written = pki::write_public_file(certificate_path, issued.certificate_pem);
    if (!certificate_written) {
        std::remove(key_path.c_str());
        return report(command, certificate_written.error(), certificate_path);
    }
    std::printf("wrote %s\nwrote %s (private key, mode 0600)\n", certificate_path.c_str(),
                key_path.c_str());
    return exit_ok;
}

// The CA of `directory`, to sign with. The caller wipes the private key.
Result<pki::Issued> load_ca(const char* command, const std::string& directory, int& status) {
    const std::string certificate_path = path_in(directory, ca_certificate_name);
    const std::string key_path = path_in(directory, ca_key_name);
    auto certificate = pki::read_file(certificate_path);
    if (!certificate) {
        status = report(command, certificate.error(), certificate_path);
        std::fprintf(stderr, "  (create the CA first: mqtls pki init %s)\n", directory.c_str());
        return certificate.error();
    }
    auto key = pki::read_file(key_path);
    if (!key) {
        status = report(command, key.error(), key_path);
        return key.error();
    }
    return pki::Issued{std::move(*certificate), std::move(*key)};
}

pki::KeyType key_type_for(bool rsa) {
    return rsa ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
}

struct InitOptions {
    std::string directory;
    std::string common_name = "mqtls root CA";
    bool rsa = false;
};

int run_init(const InitOptions& options) {
    constexpr const char* command = "pki init";
    struct stat info {};
    if (::stat(options.directory.c_str(), &info) != 0) {
        if (::mkdir(options.directory.c_str(), 0700) != 0) {
            return report(command, Error{Errc::file_write_failed, errno}, options.directory);
        }
        // mkdir's mode is narrowed by the umask; the directory holds private keys, so make sure.
        ::chmod(options.directory.c_str(), 0700);
    } else if (!S_ISDIR(info.st_mode)) {
        return report(command, Error{Errc::file_exists}, options.directory + " is not a directory");
    }
    const std::string certificate_path = path_in(options.directory, ca_certificate_name);
    const std::string key_path = path_in(options.directory, ca_key_name);
    if (const int status = refuse_existing(command, {key_path, certificate_path})) return status;

    auto request = pki::ca_request(options.common_name);
    request.key_type = key_type_for(options.rsa);
    auto ca = pki::make_self_signed(request);
    if (!ca) return report(command, ca.error(), "CN=" + options.common_name);
    const int status = write_pair(command, *ca, certificate_path, key_path);
    if (status == exit_ok) {
        std::printf("root CA \"%s\" (%s); give %s to every client as its CA file\n",
                    options.common_name.c_str(), pki::key_type_name(request.key_type),
                    certificate_path.c_str());
    }
    return status;
}

struct ServerOptions {
    std::string directory;
    std::vector<std::string> subject_alt_names;
    std::string common_name;  // default: the first subjectAltName
    std::string name = "broker";
    bool rsa = false;
};

int run_server(const ServerOptions& options) {
    constexpr const char* command = "pki server";
    const std::string certificate_path = path_in(options.directory, options.name + ".crt");
    const std::string key_path = path_in(options.directory, options.name + ".key");
    if (const int status = refuse_existing(command, {key_path, certificate_path})) return status;

    // An address literal becomes an iPAddress entry (clients connecting by address check that),
    // anything else a dNSName.
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    for (const auto& value : options.subject_alt_names) {
        if (is_ip_address(value)) {
            ip_addresses.push_back(value);
        } else {
            dns_names.push_back(value);
        }
    }
    const std::string common_name =
        options.common_name.empty() ? options.subject_alt_names.front() : options.common_name;

    int status = exit_ok;
    auto ca = load_ca(command, options.directory, status);
    if (!ca) return status;
    auto request = pki::server_request(common_name, dns_names, ip_addresses);
    request.key_type = key_type_for(options.rsa);
    auto server = pki::issue(request, *ca);
    pki::wipe_secret(ca->private_key_pem);
    if (!server) return report(command, server.error(), "CN=" + common_name);
    const auto pin = pki::spki_sha256_hex(server->certificate_pem);
    status = write_pair(command, *server, certificate_path, key_path);
    if (status != exit_ok) return status;
    std::printf("server certificate CN=%s (%s) for:", common_name.c_str(),
                pki::key_type_name(request.key_type));
    for (const auto& value : dns_names) std::printf(" DNS:%s", value.c_str());
    for (const auto& value : ip_addresses) std::printf(" IP:%s", value.c_str());
    std::printf("\n");
    if (pin) std::printf("pin (for --pin-sha256): %s\n", pin->c_str());
    return exit_ok;
}

struct DeviceOptions {
    std::string directory;
    std::string id;
    bool rsa = false;
};

int run_device(const DeviceOptions& options) {
    constexpr const char* command = "pki device";
    const std::string certificate_path = path_in(options.directory, options.id + ".crt");
    const std::string key_path = path_in(options.directory, options.id + ".key");
    if (const int status = refuse_existing(command, {key_path, certificate_path})) return status;
    int status = exit_ok;
    auto ca = load_ca(command, options.directory, status);
    if (!ca) return status;
    auto request = pki::client_request(options.id);
    request.key_type = key_type_for(options.rsa);
    auto device = pki::issue(request, *ca);
    pki::wipe_secret(ca->private_key_pem);
    if (!device) return report(command, device.error(), "CN=" + options.id);
    status = write_pair(command, *device, certificate_path, key_path);
    if (status == exit_ok) {
        std::printf("device certificate CN=%s (%s): the broker's ACL knows it as user '%s'\n",
                    options.id.c_str(), pki::key_type_name(request.key_type), options.id.c_str());
    }
    return status;
}

}  // namespace

void register_pki_command(CLI::App& app, int& exit_status) {
    CLI::App* pki = app.add_subcommand(
        "pki",
        "Create a certificate authority, a broker certificate and device certificates (files "
        "are never overwritten; private keys are mode 0600)");
    pki->require_subcommand(1);

    auto init_options = std::make_shared<InitOptions>();
    CLI::App* init = pki->add_subcommand(
        "init", "Create DIR (mode 0700 if new) with a root CA: DIR/ca.crt and DIR/ca.key");
    init->add_option("DIR", init_options->directory, "The PKI directory")->required();
    init->add_flag("--rsa", init_options->rsa, "RSA-2048 instead of ECDSA P-256");
    init->add_option("--cn", init_options->common_name, "The CA's common name")
        ->capture_default_str();
    init->callback([init_options, &exit_status] { exit_status = run_init(*init_options); });

    auto server_options = std::make_shared<ServerOptions>();
    CLI::App* server = pki->add_subcommand(
        "server",
        "Issue the broker's certificate from DIR/ca.*: DIR/<name>.crt and DIR/<name>.key, and "
        "print its SPKI SHA-256 pin");
    server->add_option("DIR", server_options->directory, "The PKI directory (from pki init)")
        ->required();
    server
        ->add_option("--san", server_options->subject_alt_names,
                     "A host name or IP address clients use to reach the broker (repeat it, e.g. "
                     "--san localhost --san 127.0.0.1); addresses become IP entries")
        ->required()
        ->check(subject_alt_name_validator());
    server->add_option("--cn", server_options->common_name,
                       "Common name (default: the first --san)");
    server
        ->add_option("--name", server_options->name,
                     "File name of the certificate and key, without extension")
        ->capture_default_str()
        ->check(identifier_validator("--name"));
    server->add_flag("--rsa", server_options->rsa, "RSA-2048 key instead of ECDSA P-256");
    server->callback([server_options, &exit_status] { exit_status = run_server(*server_options); });

    auto device_options = std::make_shared<DeviceOptions>();
    CLI::App* device = pki->add_subcommand(
        "device",
        "Issue a device (client) certificate with CN=ID from DIR/ca.*: DIR/ID.crt and DIR/ID.key");
    device->add_option("DIR", device_options->directory, "The PKI directory (from pki init)")
        ->required();
    device
        ->add_option("ID", device_options->id,
                     "The device ID: printable ASCII, no spaces, '/', '+', '#' or '\\', at most "
                     "64 characters; it becomes the CN and the broker user name")
        ->required()
        ->check(identifier_validator("device ID"));
    device->add_flag("--rsa", device_options->rsa, "RSA-2048 key instead of ECDSA P-256");
    device->callback([device_options, &exit_status] { exit_status = run_device(*device_options); });
}

}  // namespace mqtls::cli
