// Power loss at every write of a workload (the littlefs approach): the outbox's storage is
// cut off at write k, with the torn write keeping 0, 1, half or all but one of its bytes, and
// with everything since the last sync either kept or lost; then the device "reboots" (the
// outbox is reopened on what the storage durably holds). After every such cut, every reading
// whose push() had returned (SyncPolicy::every_push: durable) and that was neither released
// nor dropped must be back, byte for byte; nothing recovered may be corrupt; no seq may be
// handed out twice. Also: writes that fail (I/O errors) at every point, without power loss.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mqtls/node/outbox.hpp"
#include "mqtls/node/retained_log_storage.hpp"
#include "retained_power_cut.hpp"

namespace mqtls::node::test {
namespace {

// Shared by both segments: counts writes (appends and truncations) across them, and cuts the
// power at one of them.
struct PowerSupply {
    std::size_t writes = 0;
    std::optional<std::size_t> cut_at;   // the write during which power fails
    std::size_t torn_keep = 0;           // bytes of that write that reach the medium
    bool torn_scrambled = false;         // the kept bytes are garbage (a half-programmed sector)
    std::optional<std::size_t> fail_at;  // the write that fails with an I/O error (power stays)
    bool off = false;
};

// A log on a simulated medium. `durable_` is what survives power loss for sure; `view_` adds
// the writes since the last sync, which survive in order up to the cut (the model of an
// ordered journal), or not at all when the test says the write cache was lost.
class SimulatedLog final : public LogStorage {
public:
    explicit SimulatedLog(PowerSupply& power) : power_(power) {}

    Result<std::size_t> size() noexcept override {
        if (power_.off) return Error{Errc::file_read_failed, 5};
        return view_.size();
    }
    Result<std::size_t> read(std::size_t offset, mutable_bytes out) noexcept override {
        if (power_.off) return Error{Errc::file_read_failed, 5};
        if (offset > view_.size()) return Errc::invalid_argument;
        std::size_t count = 0;
        for (; count < out.size() && offset + count < view_.size(); ++count) {
            out[count] = view_[offset + count];
        }
        return count;
    }
    Result<void> append(bytes_view data) noexcept override {
        if (auto refused = begin_write(); !refused) return refused;
        if (cut_now()) {
            // The torn write: only a prefix reaches the medium.
            const std::size_t keep = std::min(power_.torn_keep, data.size());
            for (std::size_t i = 0; i < keep; ++i) {
                view_.push_back(power_.torn_scrambled ? static_cast<std::uint8_t>(data[i] ^ 0x5AU)
                                                      : data[i]);
            }
            power_.off = true;
            return Error{Errc::file_write_failed, 5};
        }
        view_.insert(view_.end(), data.begin(), data.end());
        return ok();
    }
    Result<void> truncate(std::size_t length) noexcept override {
        if (auto refused = begin_write(); !refused) return refused;
        if (cut_now()) {
            power_.off = true;  // the truncation did not happen
            return Error{Errc::file_write_failed, 5};
        }
        if (length > view_.size()) return Errc::invalid_argument;
        view_.resize(length);
        return ok();
    }
    Result<void> sync() noexcept override {
        if (power_.off) return Error{Errc::file_write_failed, 5};
        durable_ = view_;
        return ok();
    }

    // Power comes back: the medium holds the durable bytes plus, if `cache_survived`, the
    // writes since the last sync (the last one possibly torn).
    void reboot(bool cache_survived) {
        if (cache_survived) {
            durable_ = view_;
        } else {
            view_ = durable_;
        }
    }

private:
    Result<void> begin_write() {
        if (power_.off) return Error{Errc::file_write_failed, 5};
        ++power_.writes;
        if (power_.fail_at && power_.writes == *power_.fail_at + 1) {
            return Error{Errc::file_write_failed, 28};  // ENOSPC, say; nothing written
        }
        return ok();
    }
    bool cut_now() const { return power_.cut_at && power_.writes == *power_.cut_at + 1; }

    PowerSupply& power_;
    std::vector<std::uint8_t> durable_;
    std::vector<std::uint8_t> view_;
};

std::string payload_for(std::uint64_t seq) {
    // Sizes vary so that records straddle compaction boundaries differently.
    return "reading-" + std::to_string(seq) + "-" + std::string(seq * 7 % 40, char('a' + seq % 26));
}

OutboxConfig tight_config(OverflowPolicy overflow) {
    OutboxConfig config;
    config.max_records = 6;
    config.max_live_bytes = 200;
    config.max_record_bytes = 64;
    config.segment_bytes = 620;  // several compactions in the workload
    config.overflow = overflow;
    config.sync = SyncPolicy::every_push;
    return config;
}

// What the workload knows for sure when the power fails.
struct Expectations {
    std::map<std::uint64_t, std::string> durable;      // push returned: durable, live unless below
    std::set<std::uint64_t> released;                  // released (may come back: duplicates only)
    std::uint64_t highest_handed_out = 0;              // seqs the workload saw assigned
    std::map<std::uint64_t, std::uint16_t> in_flight;  // packet ids noted (may be recovered)
};

// A window of up to three readings goes out, each noted under its packet id before it
// leaves; the second is acknowledged first, then the first (out of order: RELEASE, then
// STATE); the third stays in flight into the next round.
bool send_window_and_acknowledge(Outbox& outbox, Expectations& expected) {
    std::uint64_t window[3] = {};
    std::size_t sent = 0;
    for (; sent < 3 && sent < outbox.size(); ++sent) {
        std::uint8_t buffer[64];
        const auto reading = outbox.peek(sent, mutable_bytes(buffer, sizeof buffer));
        if (!reading) return false;
        const auto id = static_cast<std::uint16_t>(reading->seq % 65535 + 1);
        expected.in_flight[reading->seq] = id;  // a failed note may still have landed
        if (!outbox.note_in_flight(reading->seq, id)) return false;
        window[sent] = reading->seq;
    }
    // An acknowledged reading may be gone after a reboot even if release() failed (its record
    // can land before the error): count the attempt.
    for (const std::size_t acknowledged : {std::size_t{1}, std::size_t{0}}) {
        if (acknowledged >= sent) continue;
        expected.released.insert(window[acknowledged]);
        if (!outbox.release(window[acknowledged])) return false;
    }
    return true;
}

// 40 pushes; every third push sends a window and takes two acknowledgements. Stops at the
// first error (the power is off, or a write failed and the test wants to see the state after
// it).
void run_workload(Outbox& outbox, Expectations& expected, bool stop_on_error) {
    for (int step = 0; step < 40; ++step) {
        const std::uint64_t seq = outbox.next_sequence();
        const std::string payload = payload_for(seq);
        const auto pushed = outbox.push(
            bytes_view(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
        if (!pushed) {
            if (stop_on_error) return;
            continue;
        }
        expected.highest_handed_out = std::max(expected.highest_handed_out, pushed->seq);
        if (pushed->stored) expected.durable[pushed->seq] = payload;
        if (step % 3 == 2 && !send_window_and_acknowledge(outbox, expected) && stop_on_error) {
            return;
        }
    }
}

// After the reboot: durable readings that were not released are all there unless the policy
// dropped them (counted); everything there is intact; seqs only go up.
void check_recovered(Outbox& outbox, const Expectations& expected, OverflowPolicy overflow,
                     const std::string& where) {
    std::set<std::uint64_t> live;
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < outbox.size(); ++i) {
        std::uint8_t buffer[64];
        const auto reading = outbox.peek(i, mutable_bytes(buffer, sizeof buffer));
        ASSERT_TRUE(reading) << where;
        EXPECT_GT(reading->seq, previous) << where;
        previous = reading->seq;
        const std::string payload(reinterpret_cast<const char*>(reading->payload.data()),
                                  reading->payload.size());
        // Never corrupt: whatever comes back is exactly what was pushed under that seq.
        EXPECT_EQ(payload, payload_for(reading->seq)) << where;
        live.insert(reading->seq);
    }
    for (const auto& [seq, payload] : expected.durable) {
        if (expected.released.count(seq) != 0 || live.count(seq) != 0) continue;
        // Not live: only drop-oldest may have dropped it (counted, and older than all live).
        EXPECT_EQ(overflow, OverflowPolicy::drop_oldest)
            << where << ": durable seq " << seq << " (" << payload << ") lost";
        EXPECT_GT(outbox.dropped(), 0U) << where << ": durable seq " << seq << " lost";
        EXPECT_LT(seq, live.empty() ? outbox.next_sequence() : *live.begin())
            << where << ": durable seq " << seq << " missing between live readings";
    }
    EXPECT_GT(outbox.next_sequence(), expected.highest_handed_out) << where;
    // Every recovered in-flight note is the id noted for that reading, and no identifier is
    // held by two readings (a QoS 2 id restored twice would be reused while in flight).
    std::set<std::uint16_t> ids;
    for (std::size_t i = 0; i < outbox.size(); ++i) {
        std::uint8_t buffer[64];
        const auto reading = outbox.peek(i, mutable_bytes(buffer, sizeof buffer));
        ASSERT_TRUE(reading) << where;
        if (reading->packet_id == 0) continue;
        const auto noted = expected.in_flight.find(reading->seq);
        ASSERT_NE(noted, expected.in_flight.end()) << where;
        EXPECT_EQ(reading->packet_id, noted->second) << where;
        EXPECT_TRUE(ids.insert(reading->packet_id).second) << where;
    }
}

struct Rig {
    PowerSupply power;
    SimulatedLog first{power};
    SimulatedLog second{power};
    OutboxMemory<6, 64> memory;
    Result<Outbox> open(const OutboxConfig& config) {
        return Outbox::open(first, second, memory.index, memory.scratch, config);
    }
};

// How many writes the uninterrupted workload makes.
std::size_t count_writes(OverflowPolicy overflow) {
    Rig rig;
    auto outbox = rig.open(tight_config(overflow));
    EXPECT_TRUE(outbox);
    Expectations expected;
    run_workload(*outbox, expected, true);
    return rig.power.writes;
}

// The workload with the power cut at write `cut` (the torn write keeps `keep` bytes), then a
// reboot whose page cache is lost (mode 0), kept (1) or kept with the tear scrambled (2), and
// the recovered outbox checked against what was durable.
void cut_and_recover(OverflowPolicy overflow, std::size_t cut, std::size_t keep, int mode) {
    const bool cache_survived = mode != 0;
    Rig rig;
    rig.power.cut_at = cut;
    rig.power.torn_keep = keep;
    rig.power.torn_scrambled = mode == 2;
    Expectations expected;
    {
        auto outbox = rig.open(tight_config(overflow));
        if (outbox) run_workload(*outbox, expected, true);
    }
    rig.power.off = false;
    rig.power.cut_at.reset();
    rig.first.reboot(cache_survived);
    rig.second.reboot(cache_survived);
    auto recovered = rig.open(tight_config(overflow));
    const std::string where = "cut at write " + std::to_string(cut) + ", keep " +
                              std::to_string(keep) +
                              (mode == 0   ? ", cache lost"
                               : mode == 1 ? ", cache kept"
                                           : ", cache kept, tear scrambled");
    ASSERT_TRUE(recovered) << where << ": " << recovered.error().message();
    check_recovered(*recovered, expected, overflow, where);
}

class OutboxPowerLoss : public ::testing::TestWithParam<OverflowPolicy> {};

TEST_P(OutboxPowerLoss, EveryDurableReadingSurvivesACutAtEveryWrite) {
    const OverflowPolicy overflow = GetParam();
    const std::size_t total = count_writes(overflow);
    ASSERT_GT(total, 60U);  // the workload compacts several times
    std::size_t cuts = 0;
    for (std::size_t cut = 0; cut < total; ++cut) {
        for (const std::size_t keep :
             {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
            for (const int mode : {0, 1, 2}) {  // cache lost; kept; kept with the tear scrambled
                cut_and_recover(overflow, cut, keep, mode);
                if (::testing::Test::HasFailure()) return;
                ++cuts;
            }
        }
    }
    RecordProperty("power_cuts", static_cast<int>(cuts));
    std::printf("outbox power loss: %zu writes, %zu cuts simulated and recovered\n", total, cuts);
}

TEST_P(OutboxPowerLoss, AFailedWriteAtAnyPointLosesNothingDurable) {
    const OverflowPolicy overflow = GetParam();
    const std::size_t total = count_writes(overflow);
    for (std::size_t fail = 0; fail < total; ++fail) {
        Rig rig;
        rig.power.fail_at = fail;
        Expectations expected;
        {
            auto outbox = rig.open(tight_config(overflow));
            if (!outbox) continue;  // the failure hit the initial set-up: nothing was durable
            // Keep going after the error, as a device would.
            run_workload(*outbox, expected, false);
            ASSERT_TRUE(outbox->sync());
        }
        rig.first.reboot(true);
        rig.second.reboot(true);
        auto recovered = rig.open(tight_config(overflow));
        const std::string where = "write " + std::to_string(fail) + " failed";
        ASSERT_TRUE(recovered) << where;
        check_recovered(*recovered, expected, overflow, where);
        if (::testing::Test::HasFailure()) return;
    }
}

// The same workload over two RetainedLogStorage segments in retained memory (RTC memory on an
// ESP32), where every byte store lands at once: the power fails after every byte the workload
// stores, with the store in progress torn front first, front first with a garbage byte, or
// back first; then the device boots again with new storages over the same bytes.
struct RetainedRig {
    static constexpr std::size_t segment_bytes = 620;  // tight_config's
    mqtls::test::PowerSupply power;
    RetainedLogRegion<segment_bytes> regions[2] = {};
    mqtls::test::PowerCutHook hooks[2] = {{power, mutable_bytes(regions[0].bytes)},
                                          {power, mutable_bytes(regions[1].bytes)}};
    std::optional<RetainedLogStorage> first;
    std::optional<RetainedLogStorage> second;
    OutboxMemory<6, 64> memory;

    // A boot: nothing survives but the regions.
    Result<Outbox> boot(const OutboxConfig& config) {
        first.emplace(mutable_bytes(regions[0].bytes), &hooks[0]);
        second.emplace(mutable_bytes(regions[1].bytes), &hooks[1]);
        return Outbox::open(*first, *second, memory.index, memory.scratch, config);
    }
};

// How many bytes the uninterrupted workload stores (its opening included).
std::size_t count_retained_bytes(OverflowPolicy overflow) {
    RetainedRig rig;
    auto outbox = rig.boot(tight_config(overflow));
    EXPECT_TRUE(outbox);
    Expectations expected;
    run_workload(*outbox, expected, true);
    return rig.power.stored;
}

std::string describe_cut(std::size_t landed, mqtls::test::Tear tear) {
    return "reset after byte " + std::to_string(landed) +
           (tear == mqtls::test::Tear::prefix           ? ", torn front first"
            : tear == mqtls::test::Tear::prefix_garbage ? ", torn front first with garbage"
                                                        : ", torn back first");
}

class RetainedOutboxPowerLoss : public ::testing::TestWithParam<OverflowPolicy> {};

TEST_P(RetainedOutboxPowerLoss, EveryDurableReadingSurvivesAResetAtEveryByteStored) {
    const OverflowPolicy overflow = GetParam();
    const std::size_t total = count_retained_bytes(overflow);
    ASSERT_GT(total, 1000U);  // hundreds of stores, headers among them
    std::size_t cuts = 0;
    for (std::size_t landed = 0; landed < total; ++landed) {
        for (const auto tear : {mqtls::test::Tear::prefix, mqtls::test::Tear::prefix_garbage,
                                mqtls::test::Tear::suffix}) {
            RetainedRig rig;
            rig.power.cut_after(landed, tear);
            Expectations expected;
            {
                auto outbox = rig.boot(tight_config(overflow));
                if (outbox) run_workload(*outbox, expected, true);
            }
            ASSERT_TRUE(rig.power.off) << describe_cut(landed, tear);
            // A segment that ever committed a header has one after any reset: the other slot.
            const bool committed[2] = {rig.first->sequence() != 0, rig.second->sequence() != 0};
            rig.power.restore();
            auto recovered = rig.boot(tight_config(overflow));
            const std::string where = describe_cut(landed, tear);
            ASSERT_TRUE(recovered) << where << ": " << recovered.error().message();
            if (committed[0]) {
                EXPECT_EQ(rig.first->contents(), RetainedContents::recovered) << where;
            }
            if (committed[1]) {
                EXPECT_EQ(rig.second->contents(), RetainedContents::recovered) << where;
            }
            EXPECT_FALSE(recovered->recovery().discarded_invalid) << where;
            check_recovered(*recovered, expected, overflow, where);
            if (::testing::Test::HasFailure()) return;
            ++cuts;
        }
    }
    RecordProperty("power_cuts", static_cast<int>(cuts));
    std::printf(
        "outbox over retained storage: %zu bytes stored, %zu resets simulated and "
        "recovered\n",
        total, cuts);
}

INSTANTIATE_TEST_SUITE_P(Policies, RetainedOutboxPowerLoss,
                         ::testing::Values(OverflowPolicy::drop_oldest, OverflowPolicy::drop_newest,
                                           OverflowPolicy::refuse));

INSTANTIATE_TEST_SUITE_P(Policies, OutboxPowerLoss,
                         ::testing::Values(OverflowPolicy::drop_oldest, OverflowPolicy::drop_newest,
                                           OverflowPolicy::refuse),
                         [](const ::testing::TestParamInfo<OverflowPolicy>& param_info) {
                             switch (param_info.param) {
                                 case OverflowPolicy::drop_oldest:
                                     return std::string("DropOldest");
                                 case OverflowPolicy::drop_newest:
                                     return std::string("DropNewest");
                                 case OverflowPolicy::refuse:
                                     return std::string("Refuse");
                             }
                             return std::string("Unknown");
                         });

}  // namespace
}  // namespace mqtls::node::test
