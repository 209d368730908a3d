// `mqtls pki`: a small certificate authority on disk for a broker and its devices.
//
//   mqtls pki init DIR                 DIR/ca.crt, DIR/ca.key (a root CA)
//   mqtls pki server DIR --san ...     DIR/broker.crt, DIR/broker.key (signed by DIR/ca.*)
//   mqtls pki device DIR ID            DIR/ID.crt, DIR/ID.key (client certificate, CN=ID)
//   mqtls pki sign DIR CSR             DIR/<CN>.crt for a key made elsewhere (cmd_pki_sign.cpp)
//   mqtls pki show FILE                what a certificate says (cmd_pki_show.cpp)
//   mqtls pki revoke DIR ID            DIR/revoked.txt, DIR/crl.pem (cmd_pki_revoke.cpp)
//   mqtls pki crl DIR                  DIR/crl.pem issued anew (cmd_pki_revoke.cpp)
//
// Every issuing command takes --days and prints the notAfter date; a certificate never outlives
// the CA that signs it (cut to the CA's end, with a warning).
//
// Nothing is ever overwritten: replacing a CA key that devices already trust, or a device key,
// must be a deliberate `rm`, not a side effect of running a command twice. (The CRL and its
// record are the exception: they are meant to change, and are replaced atomically.)
//
// The PKI folder keeps private keys, so every command that uses it holds it to the private-file
// rules (mqtls/port/posix/private_files.hpp): a folder others may write into, or that another
// user owns, is refused, and so is a CA key that is a link, not ours, or readable by others.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "cmd_pki_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli {
namespace {

using namespace pki_support;

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

pki::KeyType key_type_for(bool rsa) {
    return rsa ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
}

struct InitOptions {
    std::string directory;
    std::string common_name = "mqtls root CA";
    int days = default_ca_validity_days;
    bool rsa = false;
};

// Creates the PKI folder 0700, or checks the existing one; exit_ok or the reported status.
int prepare_folder(const char* command, const std::string& directory) {
    struct stat info {};
    if (::lstat(directory.c_str(), &info) == 0) {
        if (!S_ISDIR(info.st_mode) && !S_ISLNK(info.st_mode)) {
            return report(command, Error{Errc::file_exists}, directory + " is not a directory");
        }
        return check_pki_folder(command, directory);
    }
    if (::mkdir(directory.c_str(), 0700) != 0) {
        return report(command, Error{Errc::file_write_failed, errno}, directory);
    }
    // mkdir's mode is narrowed by the umask; the directory holds private keys, so make sure.
    ::chmod(directory.c_str(), 0700);
    // A new folder in a parent that others may write (and that is not sticky) could be swapped.
    if (const int status = check_pki_folder(command, directory)) {
        ::rmdir(directory.c_str());
        return status;
    }
    return exit_ok;
}

int run_init(const InitOptions& options) {
    constexpr const char* command = "pki init";
    if (const int status = prepare_folder(command, options.directory)) return status;
    const std::string certificate_path = path_in(options.directory, ca_certificate_name);
    const std::string key_path = path_in(options.directory, ca_key_name);
    if (const int status = refuse_existing(command, {key_path, certificate_path})) return status;

    auto request = pki::ca_request(options.common_name);
    request.key_type = key_type_for(options.rsa);
    request.validity = pki::Validity::days_from_now(options.days);
    // pathlen:0: the CA signs only leaves. mqtls never makes intermediates, so a CA certificate
    // this one signed by mistake (or by a stolen key) still cannot issue anything verifiers
    // accept (RFC 5280 section 4.2.1.9).
    request.path_len = 0;
    auto ca = pki::make_self_signed(request);
    if (!ca) return report(command, ca.error(), "CN=" + options.common_name);
    const int status = write_pair(command, *ca, certificate_path, key_path);
    if (status != exit_ok) return status;
    std::printf("root CA \"%s\" (%s); give %s to every client as its CA file\n",
                options.common_name.c_str(), pki::key_type_name(request.key_type),
                certificate_path.c_str());
    print_validity(command, ca->certificate_pem);
    return exit_ok;
}

struct ServerOptions {
    std::string directory;
    std::vector<std::string> subject_alt_names;
    std::string common_name;  // default: the first subjectAltName
    std::string name = "broker";
    int days = default_leaf_validity_days;
    bool rsa = false;
};

int run_server(const ServerOptions& options) {
    constexpr const char* command = "pki server";
    const std::string certificate_path = path_in(options.directory, options.name + ".crt");
    const std::string key_path = path_in(options.directory, options.name + ".key");
    if (const int status = refuse_existing(command, {key_path, certificate_path})) return status;

    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    split_subject_alt_names(options.subject_alt_names, dns_names, ip_addresses);
    const std::string common_name =
        options.common_name.empty() ? options.subject_alt_names.front() : options.common_name;

    int status = exit_ok;
    auto ca = load_ca(command, options.directory, status);
    if (!ca) return status;
    const WipedOnExit ca_key_wiped(ca->private_key_pem);
    auto request = pki::server_request(common_name, dns_names, ip_addresses);
    request.key_type = key_type_for(options.rsa);
    auto validity = leaf_validity(command, options.days, ca->certificate_pem,
                                  path_in(options.directory, ca_certificate_name), status);
    if (!validity) return status;
    request.validity = *validity;
    auto server = pki::issue(request, *ca);
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
    print_validity(command, server->certificate_pem);
    return exit_ok;
}

struct DeviceOptions {
    std::string directory;
    std::string id;
    int days = default_leaf_validity_days;
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
    const WipedOnExit ca_key_wiped(ca->private_key_pem);
    auto request = pki::client_request(options.id);
    request.key_type = key_type_for(options.rsa);
    auto validity = leaf_validity(command, options.days, ca->certificate_pem,
                                  path_in(options.directory, ca_certificate_name), status);
    if (!validity) return status;
    request.validity = *validity;
    auto device = pki::issue(request, *ca);
    if (!device) return report(command, device.error(), "CN=" + options.id);
    status = write_pair(command, *device, certificate_path, key_path);
    if (status != exit_ok) return status;
    std::printf("device certificate CN=%s (%s): the broker's ACL knows it as user '%s'\n",
                options.id.c_str(), pki::key_type_name(request.key_type), options.id.c_str());
    print_validity(command, device->certificate_pem);
    return exit_ok;
}

}  // namespace

void register_pki_command(CLI::App& app, int& exit_status) {
    CLI::App* pki = app.add_subcommand(
        "pki",
        "Create a certificate authority, a broker certificate and device certificates, sign "
        "requests for keys made on a device, show certificates, revoke a device's certificate "
        "(files are never overwritten, except the CRL; private keys are mode 0600)");
    pki->require_subcommand(1);

    auto init_options = std::make_shared<InitOptions>();
    CLI::App* init = pki->add_subcommand(
        "init",
        "Create DIR (mode 0700 if new) with a root CA: DIR/ca.crt and DIR/ca.key (CA:TRUE, "
        "pathlen:0: it issues only leaves). An existing DIR must be yours (or root's) and not "
        "writable by others");
    init->add_option("DIR", init_options->directory, "The PKI directory")->required();
    init->add_flag("--rsa", init_options->rsa, "RSA-2048 instead of ECDSA P-256");
    init->add_option("--cn", init_options->common_name, "The CA's common name")
        ->capture_default_str();
    add_days_option(*init, init_options->days, default_ca_validity_days);
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
    add_days_option(*server, server_options->days, default_leaf_validity_days);
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
    add_days_option(*device, device_options->days, default_leaf_validity_days);
    device->callback([device_options, &exit_status] { exit_status = run_device(*device_options); });

    register_pki_sign_command(*pki, exit_status);
    register_pki_show_command(*pki, exit_status);
    register_pki_revoke_commands(*pki, exit_status);
}

}  // namespace mqtls::cli
