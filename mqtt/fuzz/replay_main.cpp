// A main() for fuzz targets built without libFuzzer (gcc builds): runs LLVMFuzzerTestOneInput once
// on every file named on the command line, or found directly inside a named directory, so that
// CI replays every seed and every saved crash under the sanitizers it has.
//
//   mqtt_fuzz_decode_packet corpus/decode_packet [more files or directories...]
//
// Files run in name order, each announced on stderr first, so a crash names its input. Exit
// status 0 when all ran, 1 when a path cannot be read; an input that breaks an invariant aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The regular files directly inside `path` (sorted), or `path` itself if it is a file.
bool collect(const fs::path& path, std::vector<fs::path>& out) {
    std::error_code error;
    if (fs::is_regular_file(path, error)) {
        out.push_back(path);
        return true;
    }
    if (!fs::is_directory(path, error)) {
        std::fprintf(stderr, "replay: %s: not a file or directory\n", path.string().c_str());
        return false;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, error)) {
        if (entry.is_regular_file(error)) files.push_back(entry.path());
    }
    if (error) {
        std::fprintf(stderr, "replay: %s: %s\n", path.string().c_str(), error.message().c_str());
        return false;
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
    return true;
}

bool replay(const fs::path& file) {
    std::error_code error;
    const auto size = static_cast<std::size_t>(fs::file_size(file, error));
    std::ifstream in(file, std::ios::binary);
    // Exactly the input's size, so that ASan catches a read past its end.
    std::vector<std::uint8_t> bytes(error ? 0 : size);
    if (error || !in.read(reinterpret_cast<char*>(bytes.data()),
                          static_cast<std::streamsize>(bytes.size()))) {
        std::fprintf(stderr, "replay: %s: cannot read\n", file.string().c_str());
        return false;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.string().c_str(), bytes.size());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <file or directory>...\n", argv[0]);
        return 2;
    }
    std::vector<fs::path> files;
    bool ok = true;
    for (int i = 1; i < argc; ++i) ok = collect(argv[i], files) && ok;
    std::size_t replayed = 0;
    for (const auto& file : files) {
        if (replay(file)) {
            ++replayed;
        } else {
            ok = false;
        }
    }
    std::printf("replay: %zu of %zu inputs ran without breaking an invariant\n", replayed,
                files.size());
    return ok ? 0 : 1;
}
