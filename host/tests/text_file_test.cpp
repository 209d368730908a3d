// host::read_text_file: whole regular files only, within a limit.
#include "mqtls/host/text_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace mqtls::host {
namespace {

class HostTextFile : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mqtls-host-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
    std::string write(const std::string& name, const std::string& text) {
        std::string path = dir_ + "/" + name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }
    std::string dir_;
};

TEST_F(HostTextFile, ReadsTheWholeFile) {
    const std::string text(100000, 'x');
    auto read = read_text_file(write("big", text + "\nend"));
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, text + "\nend");
    EXPECT_EQ(read_text_file(write("empty", "")).value_or("not empty"), "");
}

TEST_F(HostTextFile, RefusesWhatIsTooLargeOrNotARegularFile) {
    auto large = read_text_file(write("large", std::string(11, 'y')), 10);
    ASSERT_FALSE(large);
    EXPECT_EQ(large.error(), (Error{Errc::file_too_large, 10}));
    EXPECT_TRUE(read_text_file(write("exact", std::string(10, 'y')), 10));

    auto directory = read_text_file(dir_);
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error(), (Error{Errc::file_not_regular, S_IFDIR}));
    const std::string fifo = dir_ + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto pipe = read_text_file(fifo);  // must not block waiting for a writer
    ASSERT_FALSE(pipe);
    EXPECT_EQ(pipe.error(), (Error{Errc::file_not_regular, S_IFIFO}));

    auto missing = read_text_file(dir_ + "/missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), (Error{Errc::file_read_failed, ENOENT}));
}

}  // namespace
}  // namespace mqtls::host
