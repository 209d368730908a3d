// PEM files: exclusive creation, permissions, clean reads.

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "pki_test_support.hpp"

namespace mqtls::pki {
namespace {

constexpr const char* key_text = "-----BEGIN EC PRIVATE KEY-----\nnot a real key\n";

class PkiFiles : public ::testing::Test {
protected:
    // A known umask, so that the permission checks do not depend on the caller's.
    void SetUp() override { saved_umask_ = ::umask(022); }
    void TearDown() override { ::umask(saved_umask_); }

    [[nodiscard]] std::string path(const char* name) const { return directory_.file(name); }

    static unsigned mode_of(const std::string& file) {
        struct stat status {};
        EXPECT_EQ(::stat(file.c_str(), &status), 0);
        return status.st_mode & 07777U;
    }

    static std::string content_of(const std::string& file) {
        std::ifstream in(file, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    testing::TemporaryDirectory directory_;
    mode_t saved_umask_ = 0;
};

TEST_F(PkiFiles, PrivateKeyFileIsOwnerOnly) {
    const std::string file = path("device.key");
    ASSERT_TRUE(write_private_key_file(file, key_text));
    EXPECT_EQ(mode_of(file), 0600U);
    EXPECT_EQ(content_of(file), key_text);
}

TEST_F(PkiFiles, PrivateKeyModeIgnoresTheUmask) {
    ::umask(0);
    ASSERT_TRUE(write_private_key_file(path("open-umask.key"), key_text));
    EXPECT_EQ(mode_of(path("open-umask.key")), 0600U);
    ::umask(0277);
    ASSERT_TRUE(write_private_key_file(path("tight-umask.key"), key_text));
    EXPECT_EQ(mode_of(path("tight-umask.key")), 0600U);
}

TEST_F(PkiFiles, ExistingFileIsNeverOverwritten) {
    const std::string file = path("ca.key");
    ASSERT_TRUE(write_private_key_file(file, "first"));
    const auto again = write_private_key_file(file, "second");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::file_exists);
    EXPECT_EQ(again.error().detail, EEXIST);
    const auto public_again = write_public_file(file, "third");
    ASSERT_FALSE(public_again);
    EXPECT_EQ(public_again.error().code, Errc::file_exists);
    EXPECT_EQ(content_of(file), "first");
}

TEST_F(PkiFiles, SymbolicLinkIsNotFollowed) {
    const std::string target = path("target.key");
    const std::string link = path("link.key");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);  // dangling
    const auto result = write_private_key_file(link, key_text);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::file_exists);
    EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(PkiFiles, PublicFileFollowsTheUmask) {
    ASSERT_TRUE(write_public_file(path("ca.crt"), "certificate"));
    EXPECT_EQ(mode_of(path("ca.crt")), 0644U);
    ::umask(077);
    ASSERT_TRUE(write_public_file(path("private-umask.crt"), "certificate"));
    EXPECT_EQ(mode_of(path("private-umask.crt")), 0600U);
}

TEST_F(PkiFiles, MissingDirectoryGivesFileWriteFailed) {
    const auto result = write_private_key_file(path("no-such-dir/device.key"), key_text);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::file_write_failed);
    EXPECT_EQ(result.error().detail, ENOENT);
}

TEST_F(PkiFiles, ReadFileReturnsWhatWasWritten) {
    const std::string file = path("server.crt");
    const std::string text(10000, 'x');  // more than one read chunk
    ASSERT_TRUE(write_public_file(file, text));
    EXPECT_EQ(read_file(file).value_or(""), text);
    ASSERT_TRUE(write_public_file(path("empty.crt"), ""));
    EXPECT_EQ(read_file(path("empty.crt")).value_or("x"), "");
}

TEST_F(PkiFiles, ReadMissingFileGivesFileReadFailed) {
    const auto result = read_file(path("absent.crt"));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::file_read_failed);
    EXPECT_EQ(result.error().detail, ENOENT);
}

TEST_F(PkiFiles, ReadRefusesOversizedFiles) {
    const std::string file = path("huge.pem");
    ASSERT_TRUE(write_public_file(file, std::string(max_pem_file_size + 1, 'x')));
    const auto result = read_file(file);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::file_read_failed);
    EXPECT_EQ(result.error().detail, EFBIG);
    ASSERT_TRUE(write_public_file(path("limit.pem"), std::string(max_pem_file_size, 'x')));
    EXPECT_TRUE(read_file(path("limit.pem")));
}

TEST_F(PkiFiles, ReadRefusesEndlessDevices) {
    const auto result = read_file("/dev/zero");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().detail, EFBIG);
}

TEST_F(PkiFiles, ReplaceFileReplacesWholeWithExactlyTheModeAndLeavesNoTemporary) {
    const std::string file = path("crl.pem");
    ::umask(077);  // narrower than the mode asked for: the mode must still be exact
    ASSERT_TRUE(replace_file(file, "first\n", 0644));
    EXPECT_EQ(mode_of(file), 0644U);
    ASSERT_TRUE(replace_file(file, "second\n", 0600));
    EXPECT_EQ(content_of(file), "second\n");
    EXPECT_EQ(mode_of(file), 0600U);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(file).parent_path())) {
        ++entries;
    }
    EXPECT_EQ(entries, 1U) << "a temporary file was left behind";
}

TEST_F(PkiFiles, ReplaceFileReplacesASymbolicLinkInsteadOfWritingThroughIt) {
    const std::string target = path("target");
    ASSERT_TRUE(write_public_file(target, "keep me\n"));
    const std::string link = path("crl.pem");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    ASSERT_TRUE(replace_file(link, "new\n", 0644));
    EXPECT_EQ(content_of(target), "keep me\n");
    struct stat status {};
    ASSERT_EQ(::lstat(link.c_str(), &status), 0);
    EXPECT_TRUE(S_ISREG(status.st_mode));
    EXPECT_EQ(content_of(link), "new\n");
}

TEST_F(PkiFiles, ReplaceFileInAMissingFolderFailsAndReadsBackThroughADescriptor) {
    auto missing = replace_file(path("no-such-folder/crl.pem"), "x", 0644);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::file_write_failed);
    EXPECT_EQ(missing.error().detail, ENOENT);

    ASSERT_TRUE(replace_file(path("record"), "line 1\nline 2\n", 0600));
    const int fd = ::open(path("record").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto text = read_file_descriptor(fd);
    ::close(fd);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "line 1\nline 2\n");
}

}  // namespace
}  // namespace mqtls::pki
