// The outbox's cost per reading: push (append + the sync policy) and release (a STATE record)
// of a 111-byte reading, the steady state of a connected node, on:
//   Ram         the in-RAM outbox (RamLogStorage): the reference
//   FileSyncNone  two files, SyncPolicy::manual: the OS writes them back (survives a crash of
//               the process, not a power loss)
//   FileSyncEach  two files, fdatasync on every push: durable when push() returns
// and the same with readings piling up while disconnected (push only, drop-oldest when full).
// Files go to MQTLS_BENCH_DIR (default: the current directory), which should be on the disk
// the device would use; tmpfs makes fdatasync free.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mqtls/node/outbox.hpp"
#include "mqtls/port/posix/file_log_storage.hpp"

namespace {

using namespace mqtls;
using namespace mqtls::node;

constexpr char reading[] =
    R"({"device":"demo-node-1","seq":1,"ts":1795565398721,"temperature_c":21.38,"humidity_pct":44.6,"battery_mv":4149})";

enum class Backend { ram, file_sync_none, file_sync_each };

// Two segments of the chosen kind, removed at the end.
class Segments {
public:
    Segments(Backend backend, std::size_t segment_bytes) {
        if (backend == Backend::ram) {
            for (int i = 0; i < 2; ++i) {
                memory_[i].assign(segment_bytes, 0);
                ram_[i] = std::make_unique<RamLogStorage>(
                    mutable_bytes(memory_[i].data(), memory_[i].size()));
            }
            return;
        }
        const char* base = std::getenv("MQTLS_BENCH_DIR");
        std::string pattern = std::string(base != nullptr ? base : ".") + "/outbox-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        directory_ = pattern;
        for (int i = 0; i < 2; ++i) {
            auto file = port::posix::FileLogStorage::open(path(i));
            if (!file) std::abort();
            files_[i] = std::make_unique<port::posix::FileLogStorage>(std::move(*file));
        }
    }
    ~Segments() {
        if (directory_.empty()) return;
        files_[0].reset();
        files_[1].reset();
        ::unlink(path(0).c_str());
        ::unlink(path(1).c_str());
        ::rmdir(directory_.c_str());
    }
    Segments(const Segments&) = delete;
    Segments& operator=(const Segments&) = delete;

    LogStorage& segment(int i) {
        if (files_[i]) return *files_[i];
        return *ram_[i];
    }
    std::size_t syncs() const { return files_[0] ? files_[0]->syncs() + files_[1]->syncs() : 0; }

private:
    std::string path(int i) const { return directory_ + "/segment-" + std::to_string(i) + ".log"; }

    std::vector<std::uint8_t> memory_[2];
    std::unique_ptr<RamLogStorage> ram_[2];
    std::unique_ptr<port::posix::FileLogStorage> files_[2];
    std::string directory_;
};

OutboxConfig bench_config(Backend backend) {
    OutboxConfig config = OutboxMemory<1000, 384>::config();
    config.max_live_bytes = 256 * 1024;
    config.segment_bytes = 2 * Outbox::minimum_segment_bytes(config);
    config.sync = backend == Backend::file_sync_each ? SyncPolicy::every_push : SyncPolicy::manual;
    return config;
}

const bytes_view payload(reinterpret_cast<const std::uint8_t*>(reading), std::strlen(reading));

enum class Link { connected, disconnected };

// Connected: every reading is pushed and then acknowledged (released). Disconnected: readings
// pile up (drop-oldest once 1000 are waiting), compactions included.
void run_outbox(benchmark::State& state, Backend backend, Link link) {
    const OutboxConfig config = bench_config(backend);
    Segments segments(backend, config.segment_bytes);
    static OutboxMemory<1000, 384> memory;
    auto outbox = Outbox::open(segments.segment(0), segments.segment(1), memory.index,
                               memory.scratch, config);
    if (!outbox) {
        state.SkipWithError(outbox.error().message());
        return;
    }
    for (auto _ : state) {
        auto pushed = outbox->push(payload);
        if (!pushed || (link == Link::connected && !outbox->release(pushed->seq))) {
            state.SkipWithError("outbox failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["syncs_per_reading"] = benchmark::Counter(
        static_cast<double>(segments.syncs()) / static_cast<double>(state.iterations()));
}

void push_release(benchmark::State& state, Backend backend) {
    run_outbox(state, backend, Link::connected);
}
void push_only(benchmark::State& state, Backend backend) {
    run_outbox(state, backend, Link::disconnected);
}

BENCHMARK_CAPTURE(push_release, Ram, Backend::ram);
BENCHMARK_CAPTURE(push_release, FileSyncNone, Backend::file_sync_none);
BENCHMARK_CAPTURE(push_release, FileSyncEach, Backend::file_sync_each)->UseRealTime();
BENCHMARK_CAPTURE(push_only, Ram, Backend::ram);
BENCHMARK_CAPTURE(push_only, FileSyncNone, Backend::file_sync_none);
BENCHMARK_CAPTURE(push_only, FileSyncEach, Backend::file_sync_each)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
