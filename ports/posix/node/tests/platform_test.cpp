// port::posix::Platform: the Linux bundle fills every field of node::Platform with its own
// objects, keeps the outbox's segments in a private folder (locked, surviving a reopen) or in
// RAM, and seals the TLS session under a key file it makes and repairs.
#include "mqtls/port/posix/platform.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "mqtls/port/posix/clock.hpp"

namespace mqtls::port::posix {
namespace {

class PosixPlatformTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mqtls-platform-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        directory_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    [[nodiscard]] std::string path(const char* name) const { return directory_ + "/" + name; }
    static mode_t mode_of(const std::string& file) {
        struct stat info {};
        EXPECT_EQ(::stat(file.c_str(), &info), 0) << file;
        return info.st_mode & 0777;
    }

    std::string directory_;
};

bytes_view text(const char* bytes) { return as_bytes(bytes, std::strlen(bytes)); }

TEST_F(PosixPlatformTest, FillsStreamClocksEntropyAndIdleFromTheSystem) {
    Platform device;
    const node::Platform& platform = device.node();
    EXPECT_EQ(platform.stream, &device.stream());
    EXPECT_FALSE(platform.stream->is_open());
    const Instant before = monotonic_now();
    const Instant read = platform.clock.now();
    EXPECT_GE(read.millis(), before.millis());
    EXPECT_LE((read - before).millis(), 1000);
    ASSERT_NE(platform.wall_clock.now_seconds, nullptr);
    EXPECT_GT(platform.wall_clock.now_seconds(platform.wall_clock.context), 1'600'000'000);
    // Two 32-bit draws from getrandom agree with a chance of 2^-32; six would be a broken source.
    const std::uint32_t first = platform.random32();
    bool differs = false;
    for (int i = 0; i < 5 && !differs; ++i) differs = platform.random32() != first;
    EXPECT_TRUE(differs);
    // Idle really lets time pass (a device light-sleeps here).
    const Instant idle_from = monotonic_now();
    platform.idle(idle_from + Duration::from_millis(30));
    EXPECT_GE((monotonic_now() - idle_from).millis(), 29);
    EXPECT_EQ(platform.sessions, nullptr);
    EXPECT_EQ(platform.session_key, nullptr);
    EXPECT_EQ(platform.outbox_segments[0], nullptr);
    EXPECT_EQ(platform.outbox_segments[1], nullptr);
}

TEST_F(PosixPlatformTest, OutboxSegmentsAreLockedPrivateFilesThatSurviveAReopen) {
    const std::string outbox = path("outbox");
    {
        Platform device;
        ASSERT_TRUE(device.open_outbox_segments(outbox));
        ASSERT_NE(device.outbox_segments(), nullptr);
        EXPECT_TRUE(device.outbox_segments()->persistent());
        node::LogStorage* first = device.node().outbox_segments[0];
        node::LogStorage* second = device.node().outbox_segments[1];
        ASSERT_NE(first, nullptr);
        ASSERT_NE(second, nullptr);
        EXPECT_NE(first, second);
        ASSERT_TRUE(first->append(text("reading")));
        ASSERT_TRUE(first->sync());
        EXPECT_EQ(mode_of(outbox), 0700U);
        EXPECT_EQ(mode_of(outbox + "/segment-0.log"), 0600U);
        EXPECT_EQ(mode_of(outbox + "/segment-1.log"), 0600U);

        // A second device on the same folder is refused while this one holds it.
        Platform other;
        auto refused = other.open_outbox_segments(outbox);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, Errc::storage_in_use);
        EXPECT_EQ(other.node().outbox_segments[0], nullptr);

        // Reopening one's own folder works: the old files close first.
        ASSERT_TRUE(device.open_outbox_segments(outbox));
    }
    Platform device;
    ASSERT_TRUE(device.open_outbox_segments(outbox));
    auto size = device.node().outbox_segments[0]->size();
    ASSERT_TRUE(size);
    EXPECT_EQ(*size, 7U);
}

TEST_F(PosixPlatformTest, OutboxFolderOthersMayWriteIsRefused) {
    const std::string outbox = path("open");
    ASSERT_EQ(::mkdir(outbox.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(outbox.c_str(), 0777), 0);
    Platform device;
    auto refused = device.open_outbox_segments(outbox);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::folder_permissions_unsafe);
    EXPECT_EQ(device.outbox_segments(), nullptr);
}

TEST_F(PosixPlatformTest, RamSegmentsHoldTheirSizeAndStartEmpty) {
    Platform device;
    device.use_ram_outbox_segments(64);
    ASSERT_NE(device.outbox_segments(), nullptr);
    EXPECT_FALSE(device.outbox_segments()->persistent());
    node::LogStorage* segment = device.node().outbox_segments[1];
    ASSERT_NE(segment, nullptr);
    EXPECT_EQ(*segment->size(), 0U);
    ASSERT_TRUE(segment->append(bytes_view(std::vector<std::uint8_t>(64, 1).data(), 64)));
    EXPECT_FALSE(segment->append(text("x")));  // full: the segment is 64 bytes
}

TEST_F(PosixPlatformTest, SessionFilesUseAPrivateKeyThatIsMadeOnceAndRepairedWhenDamaged) {
    Platform device;
    device.use_session_files(path("session.sealed"), path("session.key"));
    ASSERT_NE(device.node().sessions, nullptr);
    ASSERT_NE(device.node().session_key, nullptr);
    EXPECT_EQ(device.node().sessions, device.session_store());
    EXPECT_EQ(device.session_store()->path(), path("session.sealed"));

    tls::SessionKey made;
    auto loaded = device.node().session_key->load(made);
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(*loaded);
    EXPECT_EQ(mode_of(path("session.key")), 0600U);
    EXPECT_FALSE(device.session_key()->replaced_damaged_key());
    tls::SessionKey again;
    ASSERT_TRUE(device.node().session_key->load(again));
    EXPECT_EQ(again.bytes, made.bytes);

    std::filesystem::resize_file(path("session.key"), 5);
    tls::SessionKey repaired;
    ASSERT_TRUE(device.node().session_key->load(repaired));
    ASSERT_TRUE(device.session_key()->replaced_damaged_key());
    EXPECT_EQ(*device.session_key()->replaced_damaged_key(), 5);
    EXPECT_NE(repaired.bytes, made.bytes);
    EXPECT_EQ(std::filesystem::file_size(path("session.key")), 32U);

    // A key others may read is not used (and not replaced: it may be someone's on purpose).
    ASSERT_EQ(::chmod(path("session.key").c_str(), 0644), 0);
    tls::SessionKey exposed;
    auto refused = device.node().session_key->load(exposed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::file_permissions_unsafe);
    EXPECT_FALSE(device.session_key()->replaced_damaged_key());

    device.forget_session_files();
    EXPECT_EQ(device.node().sessions, nullptr);
    EXPECT_EQ(device.node().session_key, nullptr);
}

}  // namespace
}  // namespace mqtls::port::posix
