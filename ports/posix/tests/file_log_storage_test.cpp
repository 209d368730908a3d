// FileLogStorage: the outbox's log as a file (mode, lock, append/read/truncate, a reopen sees
// what was written), and an outbox on two such files across a "reboot" (close and reopen).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>

#include <cstdlib>
#include <string>

#include "mqtls/node/outbox.hpp"
#include "mqtls/port/posix/file_log_storage.hpp"

namespace mqtls::port::posix {
namespace {

class FileLogStorageTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mqtls-file-log-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        directory_ = pattern;
    }
    void TearDown() override {
        for (const char* name : {"/log", "/segment-0", "/segment-1"}) {
            ::unlink((directory_ + name).c_str());
        }
        ::rmdir(directory_.c_str());
    }
    std::string path(const char* name) const { return directory_ + "/" + name; }

    std::string directory_;
};

bytes_view text(const std::string& value) {
    return bytes_view(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
}

TEST_F(FileLogStorageTest, CreatesAPrivateFileAndKeepsWhatWasWritten) {
    {
        auto log = FileLogStorage::open(path("log"));
        ASSERT_TRUE(log) << log.error().message();
        ASSERT_TRUE(log->append(text("hello, ")));
        ASSERT_TRUE(log->append(text("outbox")));
        ASSERT_TRUE(log->sync());
        EXPECT_EQ(log->syncs(), 1U);
        EXPECT_EQ(*log->size(), 13U);
    }
    struct stat info {};
    ASSERT_EQ(::stat(path("log").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    auto reopened = FileLogStorage::open(path("log"));
    ASSERT_TRUE(reopened);
    std::uint8_t buffer[32] = {};
    const auto got = reopened->read(7, mutable_bytes(buffer, sizeof buffer));
    ASSERT_TRUE(got);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), *got), "outbox");
    ASSERT_TRUE(reopened->truncate(5));
    EXPECT_EQ(*reopened->size(), 5U);
    ASSERT_TRUE(reopened->append(text("!")));
    const auto all = reopened->read(0, mutable_bytes(buffer, sizeof buffer));
    ASSERT_TRUE(all);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), *all), "hello!");
}

TEST_F(FileLogStorageTest, SecondOpenerIsToldTheOutboxIsInUse) {
    auto first = FileLogStorage::open(path("log"));
    ASSERT_TRUE(first);
    auto second = FileLogStorage::open(path("log"));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::storage_in_use);
}

TEST_F(FileLogStorageTest, UnwritableDirectoryIsAFileError) {
    auto log = FileLogStorage::open("/proc/mqtls-no-such-dir/log");
    ASSERT_FALSE(log);
    // The folder is checked first (private_files.hpp): it cannot even be looked at.
    EXPECT_EQ(error_class(log.error().code), ErrorClass::storage) << name(log.error().code);
    EXPECT_EQ(log.error().detail, ENOENT);
}

TEST_F(FileLogStorageTest, OutboxOnFilesSurvivesAReopen) {
    node::OutboxMemory<16, 128> memory;
    const node::OutboxConfig config = node::OutboxMemory<16, 128>::config();
    std::uint64_t oldest = 0;
    {
        auto first = FileLogStorage::open(path("segment-0"));
        auto second = FileLogStorage::open(path("segment-1"));
        ASSERT_TRUE(first && second);
        auto outbox = node::Outbox::open(*first, *second, memory.index, memory.scratch, config);
        ASSERT_TRUE(outbox) << outbox.error().message();
        for (int i = 0; i < 10; ++i) {
            ASSERT_TRUE(outbox->push(text("{\"seq\":" + std::to_string(i + 1) + "}")));
        }
        ASSERT_TRUE(outbox->release(1));
        ASSERT_TRUE(outbox->release(2));
        oldest = 3;
    }
    auto first = FileLogStorage::open(path("segment-0"));
    auto second = FileLogStorage::open(path("segment-1"));
    ASSERT_TRUE(first && second);
    auto outbox = node::Outbox::open(*first, *second, memory.index, memory.scratch, config);
    ASSERT_TRUE(outbox);
    // The releases were not synced: they may or may not be there; the pushes were.
    ASSERT_GE(outbox->size(), 8U);
    std::uint8_t buffer[128];
    const auto reading = outbox->peek(outbox->size() - 8, mutable_bytes(buffer, sizeof buffer));
    ASSERT_TRUE(reading);
    EXPECT_EQ(reading->seq, oldest);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(reading->payload.data()),
                          reading->payload.size()),
              "{\"seq\":3}");
    EXPECT_EQ(outbox->next_sequence(), 11U);
}

}  // namespace
}  // namespace mqtls::port::posix
