// `mqtls pki revoke` and `mqtls pki crl`: shut one lost or stolen device out without re-keying
// the fleet. The CA signs a certificate revocation list (X.509 v2 CRL, RFC 5280 section 5) that
// `mqtls broker` hands to Mosquitto (crlfile), which then refuses the revoked certificates in
// the TLS handshake.
//
//   mqtls pki revoke DIR ID [--reason R]        revoke DIR/ID.crt
//   mqtls pki revoke DIR --cert FILE            revoke a certificate of this CA kept elsewhere
//   mqtls pki revoke DIR --serial HEX           revoke by serial (from mqtls pki show)
//   mqtls pki crl DIR [--days N]                issue the CRL again (before its next update)
//
// What is revoked is recorded in DIR/revoked.txt; every CRL is made from that record with a
// CRL number one greater than the last (cmd_pki_revocations.cpp).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "cmd_pki_revocations.hpp"
#include "cmd_pki_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli {
namespace {

using namespace pki_support;

constexpr const char* revoke_command = "pki revoke";
constexpr const char* crl_command = "pki crl";

struct RevokeOptions {
    std::string directory;
    std::string device_id;
    std::string serial;
    std::string certificate_path;
    std::string reason = "unspecified";
    int days = default_crl_validity_days;
};

// What is to be revoked.
struct Target {
    std::string serial;       // canonical_serial() form
    std::string common_name;  // "-" when unknown
    std::string description;  // for messages: "device-2 (DIR/device-2.crt)", "serial 5A1B..."
};

int no_such_device(const RevokeOptions& options, const std::string& path) {
    std::fprintf(stderr,
                 "mqtls %s: there is no device '%s' in %s: %s does not exist\n"
                 "  hint: the device IDs are the names of %s/*.crt; for a certificate of this "
                 "CA kept elsewhere use --cert FILE, or --serial HEX (mqtls pki show prints it)\n",
                 revoke_command, options.device_id.c_str(), options.directory.c_str(), path.c_str(),
                 options.directory.c_str());
    return exit_file;
}

// The certificate at `path`, checked to be a leaf of `ca`; on failure `status` holds the
// reported exit status.
Result<Target> certificate_target(const RevokeOptions& options, const std::string& path,
                                  const pki::Issued& ca, int& status) {
    auto pem = read_text_file(path, pki::max_pem_file_size);
    if (!pem) {
        const bool missing =
            pem.error().code == Errc::file_read_failed && pem.error().detail == ENOENT;
        status = missing && !options.device_id.empty() ? no_such_device(options, path)
                                                       : report(revoke_command, pem.error(), path);
        return pem.error();
    }
    auto certificates = pki::describe_certificates(*pem);
    if (!certificates) {
        status = report(revoke_command, certificates.error(), path);
        return certificates.error();
    }
    auto ca_summary = pki::describe_certificates(ca.certificate_pem);
    if (!ca_summary) {
        status = report(revoke_command, ca_summary.error(),
                        path_in(options.directory, ca_certificate_name));
        return ca_summary.error();
    }
    auto issued_here = pki::is_issued_by(*pem, ca.certificate_pem);
    if (!issued_here) {
        status = report(revoke_command, issued_here.error(), path);
        return issued_here.error();
    }
    const pki::CertificateSummary& certificate = certificates->front();
    if (certificate.spki_sha256 == ca_summary->front().spki_sha256) {
        std::fprintf(stderr,
                     "mqtls %s: %s is the CA's own certificate\n"
                     "  hint: a CA cannot revoke itself; to retire it, make a new CA (mqtls pki "
                     "init NEWDIR) and issue the broker and device certificates again from it\n",
                     revoke_command, path.c_str());
        status = exit_usage;
        return Error{Errc::invalid_argument};
    }
    if (!*issued_here) {
        std::fprintf(stderr,
                     "mqtls %s: %s was not issued by the CA of %s (%s)\n"
                     "  hint: a CRL can only revoke certificates of its own CA: revoke it with "
                     "the CA that issued it\n",
                     revoke_command, path.c_str(), options.directory.c_str(),
                     path_in(options.directory, ca_certificate_name).c_str());
        status = exit_file;
        return Error{Errc::invalid_argument};
    }
    auto serial = pki::canonical_serial(certificate.serial_number);
    if (!serial) {
        status = report(revoke_command, serial.error(), path + ": its serial number");
        return serial.error();
    }
    const std::string name =
        options.device_id.empty() ? certificate.common_name : options.device_id;
    return Target{*serial, pki::record_common_name(name),
                  pki::record_common_name(name) + " (" + path + ")"};
}

Result<Target> target_of(const RevokeOptions& options, const pki::Issued& ca, int& status) {
    if (!options.device_id.empty()) {
        return certificate_target(options, path_in(options.directory, options.device_id + ".crt"),
                                  ca, status);
    }
    if (!options.certificate_path.empty()) {
        return certificate_target(options, options.certificate_path, ca, status);
    }
    // Checked by the option's validator already.
    auto serial = pki::canonical_serial(options.serial);
    if (!serial) {
        status = report(revoke_command, serial.error(), "--serial");
        return serial.error();
    }
    return Target{*serial, "-", "serial " + *serial};
}

// Whether DIR/crl.pem lists `serial` (false also when it is missing or unreadable).
bool crl_lists(const std::string& directory, const std::string& serial) {
    auto text = pki::read_file(path_in(directory, crl_name));
    if (!text) return false;
    auto summary = pki::describe_crl(*text);
    if (!summary) return false;
    for (const auto& listed : summary->revoked_serials) {
        if (listed == serial) return true;
    }
    return false;
}

int run_revoke(const RevokeOptions& options) {
    int status = exit_ok;
    auto ca = load_ca(revoke_command, options.directory, status);
    if (!ca) return status;
    const WipedOnExit ca_key_wiped(ca->private_key_pem);
    FolderLock lock;
    if (const int locked = lock.acquire(revoke_command, options.directory)) return locked;
    auto index = read_revocation_index(revoke_command, options.directory, status);
    if (!index) return status;
    auto target = target_of(options, *ca, status);
    if (!target) return status;

    if (const pki::RevocationRecord* record = index->find(target->serial)) {
        std::printf("%s was already revoked on %s (%s): nothing changed\n",
                    target->description.c_str(),
                    pki::iso8601_utc(record->certificate.revocation_date).c_str(),
                    pki::revocation_reason_name(record->certificate.reason));
        if (crl_lists(options.directory, target->serial)) return exit_ok;
        // An earlier run recorded it but could not write the CRL.
        std::printf("%s does not list it yet: issuing the CRL\n",
                    path_in(options.directory, crl_name).c_str());
        return issue_crl(revoke_command, options.directory, *index, *ca, options.days);
    }
    pki::RevocationRecord record;
    record.certificate.serial = target->serial;
    record.certificate.revocation_date =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    // The option's check admits only the names of RevocationReason.
    record.certificate.reason =
        pki::revocation_reason_from_name(options.reason).value_or(pki::RevocationReason{});
    record.common_name = target->common_name;
    index->records.push_back(record);
    std::printf("revoking %s: serial %s, reason %s\n", target->description.c_str(),
                target->serial.c_str(), options.reason.c_str());
    return issue_crl(revoke_command, options.directory, *index, *ca, options.days);
}

struct CrlOptions {
    std::string directory;
    int days = default_crl_validity_days;
};

int run_crl(const CrlOptions& options) {
    int status = exit_ok;
    auto ca = load_ca(crl_command, options.directory, status);
    if (!ca) return status;
    const WipedOnExit ca_key_wiped(ca->private_key_pem);
    FolderLock lock;
    if (const int locked = lock.acquire(crl_command, options.directory)) return locked;
    auto index = read_revocation_index(crl_command, options.directory, status);
    if (!index) return status;
    return issue_crl(crl_command, options.directory, *index, *ca, options.days);
}

CLI::Validator serial_validator() {
    return {[](std::string& value) {
                return pki::canonical_serial(value)
                           ? std::string{}
                           : std::string(
                                 "--serial must be the certificate's serial number in "
                                 "hex, 1 to 20 octets, e.g. 5A:1B:... as mqtls pki show "
                                 "prints it");
            },
            "HEX"};
}

std::vector<std::string> reason_names() {
    std::vector<std::string> names;
    for (const auto reason : pki::all_revocation_reasons()) {
        names.emplace_back(pki::revocation_reason_name(reason));
    }
    return names;
}

void register_revoke(CLI::App& pki, int& exit_status) {
    auto options = std::make_shared<RevokeOptions>();
    CLI::App* revoke = pki.add_subcommand(
        "revoke",
        "Revoke a device's certificate: record it in DIR/revoked.txt and write DIR/crl.pem, the "
        "certificate revocation list signed by DIR/ca.key that 'mqtls broker --pki DIR "
        "--require-certificate' gives Mosquitto; restart the broker to apply it. Revoking a "
        "certificate twice changes nothing");
    revoke->add_option("DIR", options->directory, "The PKI directory (from pki init)")->required();
    CLI::Option* device =
        revoke->add_option("DEVICE_ID", options->device_id, "The device whose DIR/ID.crt to revoke")
            ->check(identifier_validator("device ID"));
    CLI::Option* certificate =
        revoke->add_option("--cert", options->certificate_path,
                           "Revoke this certificate file instead (it must be from DIR's CA)");
    CLI::Option* serial = revoke->add_option(
        "--serial", options->serial,
        "Revoke the certificate with this serial number instead (hex, e.g. from mqtls pki show)");
    serial->check(serial_validator());
    device->excludes(certificate)->excludes(serial);
    certificate->excludes(serial);
    revoke->add_option("--reason", options->reason, "Why (RFC 5280 CRLReason)")
        ->check(CLI::IsMember(reason_names()))
        ->capture_default_str();
    add_crl_days_option(*revoke, options->days);
    revoke->callback([options, device, certificate, serial, &exit_status] {
        if (device->count() + certificate->count() + serial->count() == 0) {
            std::fprintf(stderr,
                         "mqtls %s: say which certificate to revoke\n"
                         "  hint: give a DEVICE_ID, --cert FILE or --serial HEX\n",
                         revoke_command);
            exit_status = exit_usage;
            return;
        }
        exit_status = run_revoke(*options);
    });
}

void register_crl(CLI::App& pki, int& exit_status) {
    auto options = std::make_shared<CrlOptions>();
    CLI::App* crl = pki.add_subcommand(
        "crl",
        "Issue DIR/crl.pem again from DIR/revoked.txt with the next CRL number and a new next "
        "update (also an empty CRL when nothing is revoked). Do it before the current one's next "
        "update: past it, Mosquitto refuses every device");
    crl->add_option("DIR", options->directory, "The PKI directory (from pki init)")->required();
    add_crl_days_option(*crl, options->days);
    crl->callback([options, &exit_status] { exit_status = run_crl(*options); });
}

}  // namespace

void register_pki_revoke_commands(CLI::App& pki, int& exit_status) {
    register_revoke(pki, exit_status);
    register_crl(pki, exit_status);
}

}  // namespace mqtls::cli
