// FileSessionStore and the session key file: private modes, atomic replacement, and refusal of
// files other users could read or change.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "mqtls/port/posix/file_session_store.hpp"

namespace mqtls::port::posix {
namespace {

class FileSessionStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mqtls-session-store-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        directory_ = pattern;
    }
    void TearDown() override {
        for (const char* name : {"/session", "/session.new", "/key", "/key.new"}) {
            ::unlink((directory_ + name).c_str());
        }
        ::rmdir(directory_.c_str());
    }
    std::string path(const char* name) const { return directory_ + "/" + name; }
    static mode_t mode_of(const std::string& file) {
        struct stat info {};
        EXPECT_EQ(::stat(file.c_str(), &info), 0);
        return info.st_mode & 0777;
    }
    static void write_file(const std::string& file, const std::string& bytes, mode_t mode) {
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        ::close(fd);
        ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    }

    std::string directory_;
};

TEST_F(FileSessionStoreTest, MissingFileIsAnEmptyStore) {
    FileSessionStore store(path("session"));
    std::vector<std::uint8_t> out(tls::max_sealed_session_size);
    auto loaded = store.load(mutable_bytes(out.data(), out.size()));
    ASSERT_TRUE(loaded);
    EXPECT_EQ(*loaded, 0U);
    EXPECT_TRUE(store.erase());  // nothing to erase is fine
}

TEST_F(FileSessionStoreTest, SavesPrivatelyReplacesAtomicallyAndErases) {
    FileSessionStore store(path("session"));
    const std::vector<std::uint8_t> first(500, 0x11);
    const std::vector<std::uint8_t> second(300, 0x22);
    ASSERT_TRUE(store.save(bytes_view(first.data(), first.size())));
    EXPECT_EQ(mode_of(path("session")), 0600U);
    ASSERT_TRUE(store.save(bytes_view(second.data(), second.size())));
    EXPECT_EQ(mode_of(path("session")), 0600U);
    EXPECT_NE(::access(path("session.new").c_str(), F_OK), 0) << "no temporary file is left";

    std::vector<std::uint8_t> out(tls::max_sealed_session_size);
    auto loaded = FileSessionStore(path("session")).load(mutable_bytes(out.data(), out.size()));
    ASSERT_TRUE(loaded);
    ASSERT_EQ(*loaded, second.size());
    EXPECT_TRUE(std::equal(second.begin(), second.end(), out.begin()));

    ASSERT_TRUE(store.erase());
    EXPECT_NE(::access(path("session").c_str(), F_OK), 0);
}

TEST_F(FileSessionStoreTest, RefusesAFileOthersCanRead) {
    write_file(path("session"), std::string(200, 'x'), 0644);
    FileSessionStore store(path("session"));
    std::vector<std::uint8_t> out(tls::max_sealed_session_size);
    auto loaded = store.load(mutable_bytes(out.data(), out.size()));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::file_permissions_unsafe);
    EXPECT_EQ(loaded.error().detail, 0644);
}

TEST_F(FileSessionStoreTest, RefusesAFileLargerThanAnySealedSession) {
    write_file(path("session"), std::string(tls::max_sealed_session_size + 1, 'x'), 0600);
    std::vector<std::uint8_t> out(tls::max_sealed_session_size);
    auto loaded = FileSessionStore(path("session")).load(mutable_bytes(out.data(), out.size()));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::message_too_large);
}

TEST_F(FileSessionStoreTest, KeyIsCreatedOnceThenReadBack) {
    auto made = load_or_create_session_key(path("key"));
    ASSERT_TRUE(made) << made.error().message();
    EXPECT_EQ(mode_of(path("key")), 0600U);
    auto again = load_or_create_session_key(path("key"));
    ASSERT_TRUE(again);
    EXPECT_EQ(made->bytes, again->bytes);
    EXPECT_NE(made->bytes, tls::SessionKey{}.bytes);  // random, not zeros

    auto other = load_or_create_session_key(path("session"));  // another file, another key
    ASSERT_TRUE(other);
    EXPECT_NE(other->bytes, made->bytes);
}

TEST_F(FileSessionStoreTest, DamagedKeyIsReplacedByANewOne) {
    write_file(path("key"), std::string(7, 'k'), 0600);  // a power cut mid-write, say
    auto replaced = replace_session_key(path("key"));
    ASSERT_TRUE(replaced) << replaced.error().message();
    auto again = load_or_create_session_key(path("key"));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->bytes, replaced->bytes);
    EXPECT_NE(::access(path("key.new").c_str(), F_OK), 0) << "no temporary file is left";
}

TEST_F(FileSessionStoreTest, AnotherUsersFileIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
    write_file(path("session"), std::string(200, 'x'), 0600);
    ASSERT_EQ(::chown(path("session").c_str(), 65534, 65534), 0);
    std::vector<std::uint8_t> out(tls::max_sealed_session_size);
    auto loaded = FileSessionStore(path("session")).load(mutable_bytes(out.data(), out.size()));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::file_permissions_unsafe);
}

TEST_F(FileSessionStoreTest, KeyOfTheWrongSizeOrModeIsRefused) {
    write_file(path("key"), std::string(31, 'k'), 0600);
    auto short_key = load_or_create_session_key(path("key"));
    ASSERT_FALSE(short_key);
    EXPECT_EQ(short_key.error().code, Errc::session_key_invalid);

    write_file(path("key"), std::string(33, 'k'), 0600);
    auto long_key = load_or_create_session_key(path("key"));
    ASSERT_FALSE(long_key);
    EXPECT_EQ(long_key.error().code, Errc::session_key_invalid);

    write_file(path("key"), std::string(32, 'k'), 0640);
    auto shared = load_or_create_session_key(path("key"));
    ASSERT_FALSE(shared);
    EXPECT_EQ(shared.error().code, Errc::file_permissions_unsafe);
}

}  // namespace
}  // namespace mqtls::port::posix
