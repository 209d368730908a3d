#pragma once
// The revocation state of a PKI folder, shared by `pki revoke` and `pki crl`: DIR/revoked.txt
// (what was revoked, and the number of the last CRL; 0600, ours) and DIR/crl.pem (the CRL made
// from it, for the broker). Both are replaced whole (write, fsync, rename), the record first:
// a crash in between leaves a record ahead of the CRL, which the next `pki crl` catches up,
// never a CRL number used twice.

#include <string>

#include "mqtls/core/result.hpp"
#include "mqtls/pki/certificate.hpp"
#include "mqtls/pki/revocation_index.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}  // namespace CLI

namespace mqtls::cli::pki_support {

/// --days of a CRL: its nextUpdate. Mosquitto (OpenSSL) refuses every client certificate once
/// the CRL is past it, so the default is long; `mqtls broker` warns in the last 30 days.
inline constexpr int default_crl_validity_days = 365;

/// Adds --days for the CRL's nextUpdate to `command`.
void add_crl_days_option(CLI::App& command, int& days);

/// An exclusive lock on the PKI folder (flock on the folder itself) for as long as it lives, so
/// that two commands cannot interleave their updates of the record and the CRL.
class FolderLock {
public:
    FolderLock() = default;
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;
    FolderLock(FolderLock&&) = delete;
    FolderLock& operator=(FolderLock&&) = delete;

    /// exit_ok once locked; otherwise the reported status (without waiting: another command
    /// holding the lock is reported, exit 1).
    int acquire(const char* command, const std::string& directory);

private:
    int fd_ = -1;
};

/// DIR/revoked.txt, read by the private-file rules; an empty index when there is none yet. On
/// failure `status` holds the reported exit status (3).
Result<pki::RevocationIndex> read_revocation_index(const char* command,
                                                   const std::string& directory, int& status);

/// Issues the next CRL from `index`: takes the next CRL number, writes the record, then writes
/// DIR/crl.pem signed by `ca`, valid for `days`, and says what it wrote. exit_ok or the
/// reported status.
int issue_crl(const char* command, const std::string& directory, pki::RevocationIndex& index,
              const pki::Issued& ca, int days);

}  // namespace mqtls::cli::pki_support
