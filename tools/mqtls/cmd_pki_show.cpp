// `mqtls pki show FILE`: what a certificate (or each one of a bundle) says, read back with the
// parser the TLS layer verifies with, and a warning when it ends within 30 days.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "cmd_pki_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli {
namespace {

using namespace pki_support;

constexpr const char* command = "pki show";

std::string subject_alt_names_text(const pki::CertificateSummary& certificate) {
    std::string text;
    for (const auto& name : certificate.dns_names)
        text += (text.empty() ? "" : ", ") + ("DNS:" + name);
    for (const auto& address : certificate.ip_addresses) {
        text += (text.empty() ? "" : ", ") + ("IP:" + address);
    }
    return text.empty() ? "(none)" : text;
}

void print_summary(const pki::CertificateSummary& certificate,
                   std::chrono::system_clock::time_point now) {
    const long long days_left = days_between(now, certificate.not_after);
    std::printf("subject:        %s\n", certificate.subject.c_str());
    std::printf("issuer:         %s\n", certificate.issuer.c_str());
    std::printf("serial:         %s\n", certificate.serial.c_str());
    std::printf("subjectAltName: %s\n", subject_alt_names_text(certificate).c_str());
    std::printf("not before:     %s\n", pki::iso8601_utc(certificate.not_before).c_str());
    std::printf("not after:      %s\n", pki::iso8601_utc(certificate.not_after).c_str());
    if (certificate.not_after <= now) {
        std::printf("days left:      0 (expired %s ago)\n", days_text(-days_left).c_str());
    } else {
        std::printf("days left:      %lld\n", days_left);
    }
    std::printf("key:            %s\n", certificate.key_description.c_str());
    std::printf("pin-sha256:     %s\n", certificate.spki_sha256.c_str());
}

int run_show(const std::string& path) {
    auto text = pki::read_file(path);
    if (!text) return report(command, text.error(), path);
    auto certificates = pki::describe_certificates(*text);
    if (!certificates) return report(command, certificates.error(), path);
    const auto now = std::chrono::system_clock::now();
    const std::size_t count = certificates->size();
    for (std::size_t i = 0; i < count; ++i) {
        const auto& certificate = (*certificates)[i];
        if (count > 1) std::printf("%scertificate %zu of %zu\n", i == 0 ? "" : "\n", i + 1, count);
        print_summary(certificate, now);
        warn_if_expiring(command, path + (count > 1 ? " #" + std::to_string(i + 1) : ""),
                         certificate.not_after, now);
    }
    return exit_ok;
}

}  // namespace

void register_pki_show_command(CLI::App& pki, int& exit_status) {
    auto path = std::make_shared<std::string>();
    CLI::App* show = pki.add_subcommand(
        "show",
        "Print what a certificate file says (each certificate of a bundle): subject, issuer, "
        "serial, subjectAltName, validity and days left, key type and SPKI SHA-256 pin; warns "
        "when one expires within 30 days");
    show->add_option("FILE", *path, "A certificate, PEM or DER (e.g. DIR/ca.crt, DIR/ID.crt)")
        ->required();
    show->callback([path, &exit_status] { exit_status = run_show(*path); });
}

}  // namespace mqtls::cli
