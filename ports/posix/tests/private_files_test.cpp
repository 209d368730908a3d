// The rules for files the node trusts (private_files.hpp), as an attacker on the same machine
// would probe them: a symlink, a hard link or a FIFO planted under the outbox's file name, a
// file of another user, one others may write, a folder others may write or that belongs to
// someone else. Each is refused and the planted target is left untouched. The tests that need
// another user's files chown them to `nobody` and run only as root.
#include "mqtls/port/posix/private_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "mqtls/port/posix/file_log_storage.hpp"
#include "mqtls/port/posix/file_session_store.hpp"

namespace mqtls::port::posix {
namespace {

class PrivateFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mqtls-private-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
        folder_ = root_ + "/outbox";
        ASSERT_EQ(::mkdir(folder_.c_str(), 0700), 0);
        write(victim(), "keep\n");
    }
    void TearDown() override { (void)std::system(("rm -rf '" + root_ + "'").c_str()); }

    std::string in_folder(const std::string& name) const { return folder_ + "/" + name; }
    std::string victim() const { return root_ + "/victim"; }

    static void write(const std::string& path, const std::string& text) {
        std::ofstream(path, std::ios::binary) << text;
    }
    static std::string read(const std::string& path) {
        std::ifstream file(path, std::ios::binary);
        std::ostringstream text;
        text << file.rdbuf();
        return text.str();
    }
    static uid_t nobody() {
        const passwd* entry = ::getpwnam("nobody");
        return entry != nullptr ? entry->pw_uid : 65534;
    }

    std::string root_;
    std::string folder_;
};

TEST_F(PrivateFilesTest, SymlinkedSegmentIsRefusedAndItsTargetUntouched) {
    // The attack of issue 12: segment-0.log -> a file of value; the old open followed it and
    // truncated the target when it found no intact log.
    ASSERT_EQ(::chmod(victim().c_str(), 0600), 0);
    ASSERT_EQ(::symlink(victim().c_str(), in_folder("segment-0.log").c_str()), 0);
    auto log = FileLogStorage::open(in_folder("segment-0.log"));
    ASSERT_FALSE(log);
    EXPECT_EQ(log.error().code, Errc::file_type_unsafe);
    EXPECT_EQ(log.error().detail, -1);
    EXPECT_EQ(read(victim()), "keep\n");
}

TEST_F(PrivateFilesTest, HardLinkAndFifoAreRefused) {
    ASSERT_EQ(::chmod(victim().c_str(), 0600), 0);
    ASSERT_EQ(::link(victim().c_str(), in_folder("segment-0.log").c_str()), 0);
    auto linked = FileLogStorage::open(in_folder("segment-0.log"));
    ASSERT_FALSE(linked);
    EXPECT_EQ(linked.error().code, Errc::file_type_unsafe);
    EXPECT_EQ(read(victim()), "keep\n");

    ASSERT_EQ(::mkfifo(in_folder("segment-1.log").c_str(), 0600), 0);
    auto fifo = FileLogStorage::open(in_folder("segment-1.log"));  // must not block
    ASSERT_FALSE(fifo);
    EXPECT_EQ(fifo.error().code, Errc::file_type_unsafe);
    EXPECT_EQ(fifo.error().detail, static_cast<int>(S_IFIFO));
}

TEST_F(PrivateFilesTest, FileOthersMayReadOrWriteIsRefusedAndLeftAsItWas) {
    for (const mode_t mode : {0666U, 0640U, 0604U, 0620U}) {
        write(in_folder("segment-0.log"), "planted");
        ASSERT_EQ(::chmod(in_folder("segment-0.log").c_str(), mode), 0);
        auto log = FileLogStorage::open(in_folder("segment-0.log"));
        ASSERT_FALSE(log) << std::oct << mode;
        EXPECT_EQ(log.error().code, Errc::file_permissions_unsafe);
        EXPECT_EQ(log.error().detail, static_cast<int>(mode));
        struct stat info {};
        ASSERT_EQ(::stat(in_folder("segment-0.log").c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 07777, mode) << "not silently re-moded";
        EXPECT_EQ(read(in_folder("segment-0.log")), "planted");
    }
}

TEST_F(PrivateFilesTest, NewFileIsCreatedPrivateAndReportedAsNew) {
    auto file = open_private_file(in_folder("new"), O_RDWR | O_CREAT);
    ASSERT_TRUE(file) << name(file.error().code);
    EXPECT_TRUE(file->created);
    struct stat info {};
    ASSERT_EQ(::fstat(file->fd, &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600U);
    ::close(file->fd);
    auto again = open_private_file(in_folder("new"), O_RDWR | O_CREAT);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->created);
    ::close(again->fd);
}

TEST_F(PrivateFilesTest, FolderOthersMayWriteIsRefused) {
    ASSERT_EQ(::chmod(folder_.c_str(), 0777), 0);
    auto log = FileLogStorage::open(in_folder("segment-0.log"));
    ASSERT_FALSE(log);
    EXPECT_EQ(log.error().code, Errc::folder_permissions_unsafe);
    EXPECT_EQ(log.error().detail, 0777);
    EXPECT_NE(::access(in_folder("segment-0.log").c_str(), F_OK), 0) << "nothing created";
    ASSERT_EQ(::chmod(folder_.c_str(), 0770), 0);
    EXPECT_FALSE(check_private_folder(folder_));
    ASSERT_EQ(::chmod(folder_.c_str(), 0755), 0);
    EXPECT_TRUE(check_private_folder(folder_)) << "others may look, not write";
}

TEST_F(PrivateFilesTest, ParentOthersMayWriteIsRefusedUnlessSticky) {
    ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
    auto refused = check_private_folder(folder_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::folder_permissions_unsafe);
    ASSERT_EQ(::chmod(root_.c_str(), 01777), 0);  // as /tmp
    EXPECT_TRUE(check_private_folder(folder_));
}

TEST_F(PrivateFilesTest, FolderThatIsASymlinkIsRefused) {
    const std::string link = root_ + "/link";
    ASSERT_EQ(::symlink(folder_.c_str(), link.c_str()), 0);
    auto refused = check_private_folder(link);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::file_type_unsafe);
}

TEST_F(PrivateFilesTest, AnotherUsersFileOrFolderIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to make files of another user";
    write(in_folder("segment-0.log"), "theirs");
    ASSERT_EQ(::chmod(in_folder("segment-0.log").c_str(), 0600), 0);
    ASSERT_EQ(::chown(in_folder("segment-0.log").c_str(), nobody(), nobody()), 0);
    auto file = FileLogStorage::open(in_folder("segment-0.log"));
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, Errc::file_permissions_unsafe);
    EXPECT_EQ(read(in_folder("segment-0.log")), "theirs");

    const std::string theirs = root_ + "/theirs";
    ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
    ASSERT_EQ(::chown(theirs.c_str(), nobody(), nobody()), 0);
    auto folder = check_private_folder(theirs);
    ASSERT_FALSE(folder);
    EXPECT_EQ(folder.error().code, Errc::folder_permissions_unsafe);
}

TEST_F(PrivateFilesTest, SessionAndKeyFilesFollowTheSameRules) {
    ASSERT_EQ(::chmod(victim().c_str(), 0600), 0);
    ASSERT_EQ(::symlink(victim().c_str(), in_folder("tls-session.key").c_str()), 0);
    auto key = load_or_create_session_key(in_folder("tls-session.key"));
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::file_type_unsafe);
    EXPECT_EQ(read(victim()), "keep\n");
    ASSERT_EQ(::chmod(folder_.c_str(), 0777), 0);
    FileSessionStore store(in_folder("tls-session.sealed"));
    std::uint8_t buffer[64];
    auto loaded = store.load(buffer);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::folder_permissions_unsafe);
}

}  // namespace
}  // namespace mqtls::port::posix
