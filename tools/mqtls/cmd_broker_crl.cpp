// The CRL of `mqtls broker` (see cmd_broker_crl.hpp).
#include "cmd_broker_crl.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli::broker {

namespace {

constexpr const char* command_name = "broker";
constexpr double seconds_per_day = 24.0 * 60 * 60;

long long days_until(std::chrono::system_clock::time_point now,
                     std::chrono::system_clock::time_point when) {
    const std::chrono::duration<double> difference = when - now;
    return std::llround(difference.count() / seconds_per_day);
}

// Says why Mosquitto cannot use the CRL and returns exit_file.
int unusable(const std::string& crl_path, const std::string& why, const std::string& hint) {
    std::fprintf(stderr,
                 "mqtls broker: the CRL %s is not usable: %s\n"
                 "  hint: %s; mosquitto was not started\n",
                 crl_path.c_str(), why.c_str(), hint.c_str());
    return exit_file;
}

}  // namespace

std::string crl_path_for(const BrokerOptions& options) {
    if (!options.require_certificate) return {};
    std::error_code error;
    const auto path =
        std::filesystem::absolute(std::filesystem::path(options.pki_directory) / "crl.pem", error);
    if (error) return {};
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return {};
    return path.lexically_normal().string();
}

int check_crl_file(const BrokerOptions& options, const std::string& crl_path,
                   const std::string& ca_certificate_path,
                   std::chrono::system_clock::time_point now) {
    const std::string reissue = "issue it again: mqtls pki crl " + options.pki_directory;
    auto crl = read_text_file(crl_path, pki::max_pem_file_size);
    if (!crl) return unusable(crl_path, describe(crl.error()), reissue);
    auto ca = pki::read_file(ca_certificate_path);
    if (!ca) return report(command_name, ca.error(), ca_certificate_path);
    auto check = pki::check_crl(*crl, *ca);
    if (!check) {
        return unusable(crl_path,
                        "it is not a CRL mbedTLS can parse (" + describe(check.error()) + ")",
                        reissue);
    }
    if (!check->signed_by_ca) {
        return unusable(crl_path,
                        "it was not signed by the CA " + ca_certificate_path +
                            ", so OpenSSL would find no CRL for the CA and refuse every client "
                            "certificate",
                        reissue + " (or remove it to run without revocation)");
    }
    const pki::CrlSummary& summary = check->summary;
    if (summary.this_update > now) {
        return unusable(crl_path,
                        "it is valid only from " + pki::iso8601_utc(summary.this_update) +
                            ", and until then OpenSSL refuses every client certificate",
                        "check this machine's clock and the clock of the one that issued it");
    }
    if (!summary.next_update || *summary.next_update <= now) {
        const std::string when = summary.next_update
                                     ? "it expired on " + pki::iso8601_utc(*summary.next_update)
                                     : "it has no next update";
        return unusable(crl_path,
                        when +
                            ": OpenSSL refuses EVERY client certificate while its CRL is "
                            "past its next update",
                        reissue + " --days N, then start the broker again");
    }
    const long long days_left = days_until(now, *summary.next_update);
    std::fprintf(stderr, "mqtls broker: CRL %s: %zu revoked, next update %s (in %lld day%s)\n",
                 crl_path.c_str(), summary.revoked_serials.size(),
                 pki::iso8601_utc(*summary.next_update).c_str(), days_left,
                 days_left == 1 ? "" : "s");
    if (*summary.next_update - now < std::chrono::hours(24) * crl_warning_days) {
        std::fprintf(stderr,
                     "mqtls broker: warning: the CRL %s expires on %s: from then on Mosquitto "
                     "refuses EVERY device\n"
                     "  hint: %s before then, and restart the broker (or send it SIGHUP)\n",
                     crl_path.c_str(), pki::iso8601_utc(*summary.next_update).c_str(),
                     reissue.c_str());
    }
    return exit_ok;
}

}  // namespace mqtls::cli::broker
