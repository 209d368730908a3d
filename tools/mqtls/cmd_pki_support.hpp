#pragma once
// What the `mqtls pki` subcommands share: argument checks, the PKI directory's files, validity
// periods and the messages about them.

#include <chrono>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
class Validator;
}  // namespace CLI

namespace mqtls::cli::pki_support {

inline constexpr const char* ca_certificate_name = "ca.crt";
inline constexpr const char* ca_key_name = "ca.key";
/// The CRL the broker configures (crlfile) and the record it is made from (revocation_index.hpp).
inline constexpr const char* crl_name = "crl.pem";
inline constexpr const char* revocation_index_name = "revoked.txt";

/// --days: how long a new certificate is valid. The cap (about 100 years) keeps every date far
/// inside the four-digit years certificates can carry and catches a mistyped extra digit.
inline constexpr int max_validity_days = 36500;
inline constexpr int default_leaf_validity_days = 365;
inline constexpr int default_ca_validity_days = 3650;
/// A certificate that ends sooner than this is worth a warning when it is issued or shown.
inline constexpr int expiry_warning_days = 30;

/// A CLI11 check for device IDs and certificate file names (a usage error, exit status 2).
CLI::Validator identifier_validator(const std::string& what);

/// A CLI11 check for --san (a usage error, exit status 2).
CLI::Validator subject_alt_name_validator();

/// Adds --days to `command`, 1..max_validity_days, defaulting to `default_days`.
void add_days_option(CLI::App& command, int& days, int default_days);

/// Splits --san values: address literals become iPAddress entries (clients that connect by
/// address check those), anything else dNSName entries.
void split_subject_alt_names(const std::vector<std::string>& values,
                             std::vector<std::string>& dns_names,
                             std::vector<std::string>& ip_addresses);

std::string path_in(const std::string& directory, const std::string& name);

/// exit_ok when `directory` is a folder the private-file rules allow keys in (ours or root's, no
/// one else may write it or its parent unless sticky: mqtls/port/posix/private_files.hpp);
/// otherwise the reported exit status (3).
int check_pki_folder(const char* command, const std::string& directory);

/// The content of the private file `path`, opened by the private-file rules (no link, regular,
/// ours, mode 0600 or stricter). Wipe it when it holds a key.
/// Errors: those of open_private_file() and pki::read_file_descriptor().
Result<std::string> read_private_file(const std::string& path);

/// Fails with file_exists naming the first of `paths` that exists, before any key is generated,
/// so that a refused command leaves nothing half-written behind. exit_ok when none exists.
int refuse_existing(const char* command, const std::vector<std::string>& paths);

/// The CA of `directory`, to sign with, after check_pki_folder(); the key is read with
/// read_private_file(), so a key others could read or swap is refused (exit 3). On failure
/// `status` holds the reported exit status. Wipe the private key (pki::wipe_secret) when done.
Result<pki::Issued> load_ca(const char* command, const std::string& directory, int& status);

/// The validity of a certificate `days` long that the CA in `ca_certificate_pem` signs: from an
/// hour ago (clock skew) to `days` × 24 h from now, cut to the CA's notAfter with a warning when
/// the CA expires first. A CA that has expired is reported; `status` then holds the exit status.
Result<pki::Validity> leaf_validity(const char* command, int days,
                                    const std::string& ca_certificate_pem,
                                    const std::string& ca_certificate_path, int& status);

/// Prints "valid until <ISO 8601> (N days)" for the certificate just issued, and a warning on
/// stderr when it ends within expiry_warning_days.
void print_validity(const char* command, const std::string& certificate_pem);

/// Warns on stderr when `not_after` is within expiry_warning_days of `now`, or past.
void warn_if_expiring(const char* command, const std::string& what,
                      std::chrono::system_clock::time_point not_after,
                      std::chrono::system_clock::time_point now);

/// Whole days from `now` to `when`, rounded to the nearest (negative when past).
long long days_between(std::chrono::system_clock::time_point now,
                       std::chrono::system_clock::time_point when);

/// "1 day", "10 days".
std::string days_text(long long days);

/// Wipes a private key's text when it goes out of scope, on every path out of a command.
class WipedOnExit {
public:
    explicit WipedOnExit(std::string& secret) noexcept : secret_(secret) {}
    ~WipedOnExit();
    WipedOnExit(const WipedOnExit&) = delete;
    WipedOnExit& operator=(const WipedOnExit&) = delete;
    WipedOnExit(WipedOnExit&&) = delete;
    WipedOnExit& operator=(WipedOnExit&&) = delete;

private:
    std::string& secret_;
};

}  // namespace mqtls::cli::pki_support

namespace mqtls::cli {

/// Adds `pki sign` (cmd_pki_sign.cpp), `pki show` (cmd_pki_show.cpp), and `pki revoke` and
/// `pki crl` (cmd_pki_revoke.cpp) to the `pki` command.
void register_pki_sign_command(CLI::App& pki, int& exit_status);
void register_pki_show_command(CLI::App& pki, int& exit_status);
void register_pki_revoke_commands(CLI::App& pki, int& exit_status);

}  // namespace mqtls::cli
