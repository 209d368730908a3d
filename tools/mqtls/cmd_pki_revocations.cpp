// The revocation record and the CRL of a PKI folder (see cmd_pki_revocations.hpp).
#include "cmd_pki_revocations.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <limits>

#include "cli_support.hpp"
#include "cmd_pki_support.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli::pki_support {

namespace {

constexpr unsigned int private_mode = 0600;
constexpr unsigned int public_mode = 0644;

std::string plural(std::size_t count, const char* noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

}  // namespace

void add_crl_days_option(CLI::App& command, int& days) {
    days = default_crl_validity_days;
    command
        .add_option("--days", days,
                    "Days until the CRL's next update, 1.." + std::to_string(max_validity_days) +
                        ": issue a new one (mqtls pki crl DIR) before then, or the broker refuses "
                        "every device")
        ->capture_default_str()
        ->check(CLI::Range(1, max_validity_days));
}

FolderLock::~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

int FolderLock::acquire(const char* command, const std::string& directory) {
    fd_ = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) return report(command, Error{Errc::file_read_failed, errno}, directory);
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return exit_ok;
    if (errno != EWOULDBLOCK) {
        return report(command, Error{Errc::file_write_failed, errno}, directory);
    }
    std::fprintf(stderr,
                 "mqtls %s: another mqtls pki command is updating %s\n"
                 "  hint: wait until it has finished, then run this one again\n",
                 command, directory.c_str());
    return exit_failure;
}

Result<pki::RevocationIndex> read_revocation_index(const char* command,
                                                   const std::string& directory, int& status) {
    const std::string path = path_in(directory, revocation_index_name);
    auto text = read_private_file(path);
    if (!text) {
        if (text.error().code == Errc::file_read_failed && text.error().detail == ENOENT) {
            return pki::RevocationIndex{};  // nothing revoked yet
        }
        status = report(command, text.error(), path);
        return text.error();
    }
    auto index = pki::parse_revocation_index(*text);
    if (!index) {
        std::fprintf(stderr,
                     "mqtls %s: %s is not a revocation record mqtls wrote (line %d)\n"
                     "  hint: only 'mqtls pki revoke' and 'mqtls pki crl' write it; restore it "
                     "from a backup (it holds the CRL number, which must keep growing)\n",
                     command, path.c_str(), static_cast<int>(index.error().detail));
        status = exit_file;
    }
    return index;
}

int issue_crl(const char* command, const std::string& directory, pki::RevocationIndex& index,
              const pki::Issued& ca, int days) {
    if (index.last_crl_number == std::numeric_limits<std::uint64_t>::max()) {
        return report(command, Error{Errc::invalid_argument},
                      "the CRL number cannot grow any further");
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    pki::CrlContents contents;
    contents.this_update = now;
    contents.next_update = now + std::chrono::hours(24) * days;
    contents.crl_number = index.last_crl_number + 1;
    for (const auto& record : index.records) contents.revoked.push_back(record.certificate);
    auto crl = pki::make_crl(contents, ca);
    if (!crl) return report(command, crl.error(), path_in(directory, ca_certificate_name));

    // The record first: its number is then used up even if the CRL cannot be written.
    index.last_crl_number = contents.crl_number;
    const std::string index_path = path_in(directory, revocation_index_name);
    if (auto written =
            pki::replace_file(index_path, pki::revocation_index_text(index), private_mode);
        !written) {
        return report(command, written.error(), index_path);
    }
    const std::string crl_path = path_in(directory, crl_name);
    if (auto written = pki::replace_file(crl_path, *crl, public_mode); !written) {
        const int status = report(command, written.error(), crl_path);
        std::fprintf(stderr, "  (%s already records it: once fixed, run mqtls pki crl %s)\n",
                     index_path.c_str(), directory.c_str());
        return status;
    }
    std::printf("wrote %s (mode 0600)\n", index_path.c_str());
    std::printf("wrote %s: CRL number %llu, %s, next update %s (%s)\n", crl_path.c_str(),
                static_cast<unsigned long long>(contents.crl_number),
                plural(contents.revoked.size(), "revoked certificate").c_str(),
                pki::iso8601_utc(contents.next_update).c_str(), days_text(days).c_str());
    std::printf(
        "the broker reads %s when it starts: restart 'mqtls broker --pki %s "
        "--require-certificate ...' now. (SIGHUP makes a running broker re-read it, but only "
        "for new connections: a revoked device that is connected stays connected until it "
        "disconnects.)\n"
        "issue a new CRL before %s with 'mqtls pki crl %s': past its next update, the broker "
        "refuses every device\n",
        crl_path.c_str(), directory.c_str(), pki::iso8601_utc(contents.next_update).c_str(),
        directory.c_str());
    return exit_ok;
}

}  // namespace mqtls::cli::pki_support
