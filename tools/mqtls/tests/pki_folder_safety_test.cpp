// The PKI folder under the private-file rules (issue 12, item 2): `mqtls pki` keeps the CA key
// there, so a folder others may write into or that another user owns, and a CA key that is a
// link, readable by others or not ours, are refused (exit 3) before anything is written.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::exists;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::run_mqtls;
using mqtls::cli_test::run_program;

// The names in `folder`, sorted.
std::vector<std::string> listing(const std::string& folder) {
    return mqtls::cli_test::lines_of(run_program({"ls", "-A", folder}).output);
}

class CliPkiFolder : public mqtls::cli_test::PkiFolderTest {
protected:
    CliPkiFolder() : PkiFolderTest("mqtls-pki-folder-test-") {}

    void set_up_in_directory() override {
        make_pki({"device-1"});
        if (HasFatalFailure()) return;
        // A request for `pki sign`, made by openssl as a device would.
        csr_ = temp_->file("csr-device.csr");
        const auto made =
            run_program({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                         temp_->file("csr-device.key"), "-out", csr_, "-subj", "/CN=csr-device"});
        ASSERT_EQ(made.exit_code, 0) << made.output;
    }

    // Every command that signs with the CA key: each must fail with exit 3, say `expected`, and
    // leave the folder as it was.
    void expect_every_signing_command_refused(const std::string& expected) {
        const std::vector<std::string> before = listing(pki_);
        const std::vector<std::vector<std::string>> calls{
            {"pki", "device", pki_, "device-2"},
            {"pki", "server", pki_, "--san", "localhost", "--name", "broker-2"},
            {"pki", "sign", pki_, csr_},
            {"pki", "revoke", pki_, "device-1"},
            {"pki", "crl", pki_},
        };
        for (const auto& call : calls) {
            const auto result = run_mqtls(call);
            EXPECT_EQ(result.exit_code, exit_file) << call[1] << "\n" << result.output;
            EXPECT_NE(result.output.find(expected), std::string::npos) << call[1] << "\n"
                                                                       << result.output;
            EXPECT_EQ(listing(pki_), before) << call[1] << " wrote something";
        }
    }

    std::string csr_;
};

TEST_F(CliPkiFolder, SymlinkedCaKeyIsRefused) {
    // The key moved elsewhere (still 0600 and ours) with a link in its place: whoever controls
    // the link decides which key signs.
    const std::string elsewhere = temp_->file("moved-ca.key");
    ASSERT_EQ(::rename(file("ca.key").c_str(), elsewhere.c_str()), 0);
    ASSERT_EQ(::symlink(elsewhere.c_str(), file("ca.key").c_str()), 0);
    expect_every_signing_command_refused(file("ca.key") + "): a symbolic or hard link");
}

TEST_F(CliPkiFolder, CaKeyReadableByOthersIsRefused) {
    ASSERT_EQ(::chmod(file("ca.key").c_str(), 0644), 0);
    expect_every_signing_command_refused(file("ca.key") + "): mode 0644");
}

TEST_F(CliPkiFolder, FolderOthersMayWriteIsRefused) {
    ASSERT_EQ(::chmod(pki_.c_str(), 0777), 0);
    expect_every_signing_command_refused(pki_ + "): mode 0777 [folder_permissions_unsafe]");
}

TEST_F(CliPkiFolder, InitRefusesAnExistingFolderOthersMayWrite) {
    const std::string open_folder = temp_->file("open");
    ASSERT_EQ(::mkdir(open_folder.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(open_folder.c_str(), 0777), 0);
    const auto result = run_mqtls({"pki", "init", open_folder});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("mode 0777 [folder_permissions_unsafe]"), std::string::npos)
        << result.output;
    EXPECT_TRUE(listing(open_folder).empty());
}

TEST_F(CliPkiFolder, InitRefusesANewFolderInAParentOthersMayWrite) {
    // Not sticky (unlike /tmp): anyone could rename the new folder away and put theirs there.
    const std::string parent = temp_->file("shared");
    ASSERT_EQ(::mkdir(parent.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(parent.c_str(), 0777), 0);
    const auto result = run_mqtls({"pki", "init", parent + "/pki"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("[folder_permissions_unsafe]"), std::string::npos)
        << result.output;
    EXPECT_FALSE(exists(parent + "/pki")) << "the refused folder is removed again";
}

class CliPkiFolderAsRoot : public CliPkiFolder {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a folder to another user";
        const passwd* nobody = ::getpwnam("nobody");
        if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
        nobody_ = nobody->pw_uid;
        CliPkiFolder::SetUp();
    }

    uid_t nobody_ = 0;
};

TEST_F(CliPkiFolderAsRoot, FolderOwnedByAnotherUserIsRefused) {
    // The files stay ours (root's); the folder's owner could still swap them.
    ASSERT_EQ(::chown(pki_.c_str(), nobody_, static_cast<gid_t>(-1)), 0);
    expect_every_signing_command_refused(pki_ + "): mode 0700 [folder_permissions_unsafe]");

    const std::string foreign = temp_->file("foreign");
    ASSERT_EQ(::mkdir(foreign.c_str(), 0700), 0);
    ASSERT_EQ(::chown(foreign.c_str(), nobody_, static_cast<gid_t>(-1)), 0);
    const auto init = run_mqtls({"pki", "init", foreign});
    EXPECT_EQ(init.exit_code, exit_file) << init.output;
    EXPECT_NE(init.output.find("[folder_permissions_unsafe]"), std::string::npos) << init.output;
    EXPECT_TRUE(listing(foreign).empty());
}

TEST_F(CliPkiFolderAsRoot, CaKeyOwnedByAnotherUserIsRefused) {
    ASSERT_EQ(::chown(file("ca.key").c_str(), nobody_, static_cast<gid_t>(-1)), 0);
    expect_every_signing_command_refused(file("ca.key") + "): mode 0600 [file_permissions_unsafe]");
}

}  // namespace
