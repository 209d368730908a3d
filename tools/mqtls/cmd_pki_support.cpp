// Shared parts of the `mqtls pki` subcommands (see cmd_pki_support.hpp).
#include "cmd_pki_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cli_support.hpp"
#include "mqtls/pki/pki.hpp"
#include "mqtls/port/posix/private_files.hpp"

namespace mqtls::cli::pki_support {
namespace {

constexpr double seconds_per_day = 24.0 * 60 * 60;

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
    // RFC 6125 7.2 and the CA/Browser baseline: a wildcard stands for one label under a name
    // of at least two more, so "*.com" (which would certify every .com host) is refused, as
    // mqtls's verifier refuses to match it.
    if (wildcard && name.find('.', 2) == std::string::npos) {
        return "is a wildcard over a single label (a top-level domain): use '*.example.com' or "
               "list the host names";
    }
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

}  // namespace

CLI::Validator identifier_validator(const std::string& what) {
    return {[what](std::string& value) {
                const std::string problem = pki::device_id_problem(value);
                return problem.empty() ? std::string{} : what + " '" + value + "' " + problem;
            },
            "ID"};
}

CLI::Validator subject_alt_name_validator() {
    return {[](std::string& value) {
                const std::string problem = subject_alt_name_problem(value);
                return problem.empty() ? std::string{} : "'" + value + "' " + problem;
            },
            "NAME|IP"};
}

void add_days_option(CLI::App& command, int& days, int default_days) {
    days = default_days;
    command
        .add_option("--days", days,
                    "How many days the certificate is valid, 1.." +
                        std::to_string(max_validity_days) +
                        " (from an hour ago, for clock skew; never past the CA's own end)")
        ->capture_default_str()
        ->check(CLI::Range(1, max_validity_days));
}

void split_subject_alt_names(const std::vector<std::string>& values,
                             std::vector<std::string>& dns_names,
                             std::vector<std::string>& ip_addresses) {
    for (const auto& value : values) {
        if (is_ip_address(value)) {
            ip_addresses.push_back(value);
        } else {
            dns_names.push_back(value);
        }
    }
}

std::string path_in(const std::string& directory, const std::string& name) {
    if (!directory.empty() && directory.back() == '/') return directory + name;
    return directory + "/" + name;
}

int check_pki_folder(const char* command, const std::string& directory) {
    auto checked = port::posix::check_private_folder(directory);
    if (checked) return exit_ok;
    const int status = report(command, checked.error(), directory);
    if (checked.error().code == Errc::file_read_failed && checked.error().detail == ENOENT) {
        std::fprintf(stderr, "  (create the CA first: mqtls pki init %s)\n", directory.c_str());
    }
    return status;
}

Result<std::string> read_private_file(const std::string& path) {
    MQTLS_TRY_ASSIGN(const auto file, port::posix::open_private_file(path, O_RDONLY));
    auto content = pki::read_file_descriptor(file.fd);
    ::close(file.fd);
    return content;
}

int refuse_existing(const char* command, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        struct stat info {};
        if (::lstat(path.c_str(), &info) == 0) {
            return report(command, Error{Errc::file_exists}, path);
        }
    }
    return exit_ok;
}

Result<pki::Issued> load_ca(const char* command, const std::string& directory, int& status) {
    status = check_pki_folder(command, directory);
    if (status != exit_ok) return Error{Errc::folder_permissions_unsafe};
    const std::string certificate_path = path_in(directory, ca_certificate_name);
    const std::string key_path = path_in(directory, ca_key_name);
    auto certificate = pki::read_file(certificate_path);
    if (!certificate) {
        status = report(command, certificate.error(), certificate_path);
        std::fprintf(stderr, "  (create the CA first: mqtls pki init %s)\n", directory.c_str());
        return certificate.error();
    }
    // Whoever could read the CA key could issue devices; whoever could swap it would have this
    // command sign with their key.
    auto key = read_private_file(key_path);
    if (!key) {
        status = report(command, key.error(), key_path);
        return key.error();
    }
    return pki::Issued{std::move(*certificate), std::move(*key)};
}

Result<pki::Validity> leaf_validity(const char* command, int days,
                                    const std::string& ca_certificate_pem,
                                    const std::string& ca_certificate_path, int& status) {
    auto fitted = pki::fit_to_issuer(pki::Validity::days_from_now(days), ca_certificate_pem);
    if (!fitted) {
        status = report(command, fitted.error(), ca_certificate_path);
        return fitted.error();
    }
    if (fitted->clamped_to_issuer) {
        const auto now = std::chrono::system_clock::now();
        std::fprintf(stderr,
                     "mqtls %s: warning: the CA (%s) expires on %s, in %s, before the %s asked "
                     "for: the certificate ends when the CA does\n"
                     "  hint: no certificate verifies past its CA's end; before then, make a "
                     "new CA (mqtls pki init NEWDIR) and reissue the broker and devices from it\n",
                     command, ca_certificate_path.c_str(),
                     pki::iso8601_utc(fitted->issuer_not_after).c_str(),
                     days_text(days_between(now, fitted->issuer_not_after)).c_str(),
                     days_text(days).c_str());
    }
    return fitted->validity;
}

void print_validity(const char* command, const std::string& certificate_pem) {
    auto summaries = pki::describe_certificates(certificate_pem);
    if (!summaries || summaries->empty()) {
        // The certificate was just made by the pki layer and is already on disk; say so
        // rather than fail the command.
        std::printf("valid until: (could not read the certificate back)\n");
        return;
    }
    const auto now = std::chrono::system_clock::now();
    const auto not_after = summaries->front().not_after;
    std::printf("valid until %s (%s)\n", pki::iso8601_utc(not_after).c_str(),
                days_text(days_between(now, not_after)).c_str());
    warn_if_expiring(command, "the certificate", not_after, now);
}

void warn_if_expiring(const char* command, const std::string& what,
                      std::chrono::system_clock::time_point not_after,
                      std::chrono::system_clock::time_point now) {
    const std::string date = pki::iso8601_utc(not_after);
    // What stdout said so far comes first, also when both go to one pipe or file.
    std::fflush(stdout);
    if (not_after <= now) {
        std::fprintf(stderr,
                     "mqtls %s: warning: %s expired on %s, %s ago\n"
                     "  hint: peers refuse it; issue a new one\n",
                     command, what.c_str(), date.c_str(),
                     days_text(-days_between(now, not_after)).c_str());
    } else if (not_after - now < std::chrono::hours(24 * expiry_warning_days)) {
        std::fprintf(stderr,
                     "mqtls %s: warning: %s expires in %s, on %s\n"
                     "  hint: peers refuse it from then on; renew it before that date\n",
                     command, what.c_str(), days_text(days_between(now, not_after)).c_str(),
                     date.c_str());
    }
}

long long days_between(std::chrono::system_clock::time_point now,
                       std::chrono::system_clock::time_point when) {
    const std::chrono::duration<double> difference = when - now;
    return std::llround(difference.count() / seconds_per_day);
}

std::string days_text(long long days) {
    return std::to_string(days) + (days == 1 || days == -1 ? " day" : " days");
}

WipedOnExit::~WipedOnExit() { pki::wipe_secret(secret_); }

}  // namespace mqtls::cli::pki_support
