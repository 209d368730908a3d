// Power cuts at every store to retained memory: the board tears the N-th store after some of
// its bytes (QEMU's file-backed RAM keeps exactly what landed) and dies. The next wake must
// boot cleanly from whatever is there, and no reading the device had stored may be lost: the
// broker ends up with every seq from 1 to the recovering wake's last one.
#include <set>
#include <sstream>

#include "firmware_fixture.hpp"

namespace mqtls::firmware_test {
namespace {

constexpr int exit_power_cut = 99;

// Where in a store the power goes: before any byte, after a few (inside a record header), and
// after all of it (before the store's caller could note that it finished).
constexpr std::size_t cut_points[] = {0, 5, std::size_t{1} << 20};

class WakePowerCut : public FirmwareTest {
protected:
    struct Device {
        std::string id;
        std::uint64_t last_seq = 0;  // the recovering wake's last seq
    };

    // How many stores a wake of a fresh device makes (`warm`: after one wake already ran).
    std::uint64_t stores_of_a_wake(bool warm) {
        const std::string id = warm ? "reference-warm" : "reference-cold";
        if (warm && wake({}, id).exit_code != 0) return 0;
        const FirmwareRun run = wake({}, id);
        EXPECT_EQ(run.exit_code, 0) << context(run);
        last_seqs_.push_back({id, run.report.value("last_seq", std::uint64_t{0})});
        return run.report.value("retained_stores", std::uint64_t{0});
    }

    // One device through one cut and its recovery.
    void cut_and_recover(bool warm, std::uint64_t store, std::size_t bytes) {
        std::ostringstream id;
        id << "cut-" << (warm ? "warm-" : "cold-") << store << "-" << (bytes > 64 ? 0xffff : bytes);
        const std::string where = id.str();
        if (warm) {
            const FirmwareRun before = wake({}, where);
            ASSERT_EQ(before.exit_code, 0) << where << "\n" << context(before);
        }
        const FirmwareRun cut =
            wake({"cut=" + std::to_string(store) + ":" + std::to_string(bytes)}, where);
        ASSERT_EQ(cut.exit_code, exit_power_cut) << where << "\n" << context(cut);
        const FirmwareRun recovery = wake({}, where);
        ASSERT_EQ(recovery.exit_code, 0) << where << "\n" << context(recovery);
        EXPECT_EQ(recovery.report["pending"], 0) << where;
        // A torn session slot is dropped (a full handshake), never reported as tampering.
        EXPECT_NE(recovery.report.value("session_problem", std::string()), "session_invalid")
            << where << "\n"
            << recovery.report.dump();
        last_seqs_.push_back({where, recovery.report.value("last_seq", std::uint64_t{0})});
    }

    // Every device's readings 1..last_seq at the broker (duplicates allowed: QoS 1).
    void expect_no_reading_lost() {
        std::size_t expected = 0;
        for (const Device& device : last_seqs_) expected += device.last_seq;
        // QoS 1 allows redeliveries (a cut after a PUBLISH left the device): take everything.
        const std::vector<Delivered> delivered = collect_all();
        for (const Device& device : last_seqs_) {
            const auto readings = readings_of(delivered, device.id);
            for (std::uint64_t seq = 1; seq <= device.last_seq; ++seq) {
                EXPECT_EQ(readings.count(seq), 1U)
                    << device.id << ": seq " << seq << " lost (" << unique(delivered) << " of "
                    << expected << " readings arrived)";
            }
        }
    }

    std::vector<Device> last_seqs_;

private:
    static std::size_t unique(const std::vector<Delivered>& delivered) {
        std::set<std::pair<std::string, std::uint64_t>> seen;
        for (const Delivered& one : delivered) {
            if (one.payload.is_object() && one.payload.contains("seq")) {
                seen.insert({one.topic, one.payload["seq"].get<std::uint64_t>()});
            }
        }
        return seen.size();
    }
};

TEST_F(WakePowerCut, FirstWakeSurvivesACutAtEveryStore) {
    const std::uint64_t stores = stores_of_a_wake(/*warm=*/false);
    ASSERT_GT(stores, 0U);
    for (std::uint64_t store = 1; store <= stores; ++store) {
        for (const std::size_t bytes : cut_points) {
            ASSERT_NO_FATAL_FAILURE(cut_and_recover(/*warm=*/false, store, bytes));
        }
    }
    expect_no_reading_lost();
}

TEST_F(WakePowerCut, ResumingWakeSurvivesACutAtEveryStore) {
    const std::uint64_t stores = stores_of_a_wake(/*warm=*/true);
    ASSERT_GT(stores, 0U);
    for (std::uint64_t store = 1; store <= stores; ++store) {
        for (const std::size_t bytes : cut_points) {
            ASSERT_NO_FATAL_FAILURE(cut_and_recover(/*warm=*/true, store, bytes));
        }
    }
    expect_no_reading_lost();
}

}  // namespace
}  // namespace mqtls::firmware_test
