// `mqtls pki sign DIR CSR`: a certificate from DIR/ca.* for a key that was made, and stays, on
// a device or in a secure element; only its PKCS#10 request comes to the CA.
//
//   mqtls pki sign DIR device.csr                      DIR/<CN>.crt, a device certificate
//   mqtls pki sign DIR broker.csr --server --san ...   a server certificate for those names
//
// The request's signature, key and CN are checked by the pki layer (signing_request.hpp); the
// certificate gets the profile `pki device` (or `pki server`) gives, whatever the request asks.
#include <CLI/CLI.hpp>
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

constexpr const char* command = "pki sign";

struct SignOptions {
    std::string directory;
    std::string request_path;
    std::string output_path;  // default: DIR/<CN>.crt
    std::vector<std::string> subject_alt_names;
    int days = default_leaf_validity_days;
    bool server = false;
};

// Reads and checks the request; on failure `status` holds the reported exit status. A device
// request's CN must be a device id; every request's CN must name a file unless --out is given.
Result<pki::SigningRequestSummary> checked_request(const SignOptions& options,
                                                   const std::string& text, int& status) {
    auto summary = pki::check_signing_request(text);
    if (!summary) {
        status = report(command, summary.error(), options.request_path);
        return summary.error();
    }
    // The CN is not echoed: it comes from someone else's file and may hold anything printable.
    const std::string problem = pki::device_id_problem(summary->common_name);
    if (!options.server && !problem.empty()) {
        status = report(command, Error{Errc::csr_common_name_invalid},
                        options.request_path + ": the CN " + problem);
        return Error{Errc::csr_common_name_invalid};
    }
    if (options.output_path.empty() && !problem.empty()) {
        std::fprintf(stderr,
                     "mqtls %s: the request's CN cannot name the certificate file (%s: it %s)\n"
                     "  hint: give the certificate's path with --out FILE\n",
                     command, options.request_path.c_str(), problem.c_str());
        status = exit_usage;
        return Error{Errc::invalid_argument};
    }
    return summary;
}

void print_signed(const SignOptions& options, const pki::SigningRequestSummary& request,
                  const pki::SigningProfile& profile, const std::string& certificate_pem) {
    std::printf("%s certificate CN=%s (%s key from the request; its private key never came here)",
                options.server ? "server" : "device", request.common_name.c_str(),
                request.key_description.c_str());
    if (options.server) {
        std::printf(" for:");
        for (const auto& value : profile.dns_names) std::printf(" DNS:%s", value.c_str());
        for (const auto& value : profile.ip_addresses) std::printf(" IP:%s", value.c_str());
        std::printf("\n");
        if (const auto pin = pki::spki_sha256_hex(certificate_pem)) {
            std::printf("pin (for --pin-sha256): %s\n", pin->c_str());
        }
    } else {
        std::printf(": the broker's ACL knows it as user '%s'\n", request.common_name.c_str());
    }
    if (request.has_other_subject_attributes) {
        std::printf(
            "note: only the request's CN and key are used; its other subject attributes and any "
            "extensions it asks for are not copied\n");
    }
    print_validity(command, certificate_pem);
}

int run_sign(const SignOptions& options) {
    auto text = pki::read_file(options.request_path);
    if (!text) return report(command, text.error(), options.request_path);
    int status = exit_ok;
    auto request = checked_request(options, *text, status);
    if (!request) return status;
    const std::string output_path = options.output_path.empty()
                                        ? path_in(options.directory, request->common_name + ".crt")
                                        : options.output_path;
    if (const int refused = refuse_existing(command, {output_path})) return refused;

    auto ca = load_ca(command, options.directory, status);
    if (!ca) return status;
    const WipedOnExit ca_key_wiped(ca->private_key_pem);
    pki::SigningProfile profile;
    profile.usage = options.server ? pki::Usage::server : pki::Usage::client;
    split_subject_alt_names(options.subject_alt_names, profile.dns_names, profile.ip_addresses);
    auto validity = leaf_validity(command, options.days, ca->certificate_pem,
                                  path_in(options.directory, ca_certificate_name), status);
    if (!validity) return status;
    profile.validity = *validity;
    auto certificate = pki::sign_request(*text, profile, *ca);
    if (!certificate) return report(command, certificate.error(), options.request_path);

    auto written = pki::write_public_file(output_path, *certificate);
    if (!written) return report(command, written.error(), output_path);
    std::printf("wrote %s\n", output_path.c_str());
    print_signed(options, *request, profile, *certificate);
    return exit_ok;
}

}  // namespace

void register_pki_sign_command(CLI::App& pki, int& exit_status) {
    auto options = std::make_shared<SignOptions>();
    CLI::App* sign = pki.add_subcommand(
        "sign",
        "Issue a certificate from DIR/ca.* for the key in a PKCS#10 request (CSR) made on the "
        "device or its secure element, so the private key never leaves it: a device certificate "
        "with CN = the request's CN (checked like a pki device ID), or with --server a broker "
        "certificate for the --san names. Refuses requests whose signature does not verify and "
        "keys weaker than ECDSA P-256 or RSA-2048");
    sign->add_option("DIR", options->directory, "The PKI directory (from pki init)")->required();
    sign->add_option("CSR", options->request_path,
                     "The request, PEM (-----BEGIN CERTIFICATE REQUEST-----) or DER, e.g. from "
                     "openssl req -new -key device.key -subj /CN=sensor-17")
        ->required();
    sign->add_option("--out", options->output_path,
                     "Where to write the certificate (default: DIR/<CN>.crt); never overwritten");
    CLI::Option* server =
        sign->add_flag("--server", options->server,
                       "Issue a server (broker) certificate instead of a device certificate");
    sign->add_option("--san", options->subject_alt_names,
                     "With --server: a host name or IP address clients use to reach the broker "
                     "(repeat it); the request's own names are not used")
        ->check(subject_alt_name_validator())
        ->needs(server);
    server->needs("--san");
    add_days_option(*sign, options->days, default_leaf_validity_days);
    sign->callback([options, &exit_status] { exit_status = run_sign(*options); });
}

}  // namespace mqtls::cli
