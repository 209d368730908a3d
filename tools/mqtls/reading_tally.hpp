#pragma once
// Per-device accounting of telemetry readings for `mqtls sub --dedupe`: which seq numbers
// arrived (as ranges, so a million in-order readings are one range), how many arrived twice,
// and which are missing between 1 and the highest seen. Kept apart from the command so that it
// can be tested without a broker.
//
// A reading is a JSON object with "device" (a non-empty string), "seq" (an integer from 1 to
// 2^64-1) and, from nodes that have it, "run": the run of seq numbers it belongs to (a string
// of 1..64 bytes), as `mqtls node` publishes them:
// {"device":"sensor-17","run":"3f9a0c2e51b7d864","seq":12,"ts":...}. A node that had to start
// its numbering over (no outbox, or a lost one) starts a new run, so seqs are kept per device
// and run: the same seq in two runs is two readings, not a duplicate. Readings without "run"
// (older nodes, other publishers) are kept per device alone, as before. Anything else (not
// JSON, no device, seq 0, negative, fractional or a string, a "run" that is not such a
// string) is counted as "not a reading".

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mqtls::cli {

/// The seq numbers first..last, both included.
struct SeqRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    friend bool operator==(const SeqRange& a, const SeqRange& b) noexcept {
        return a.first == b.first && a.last == b.last;
    }
};

/// A set of seq numbers stored as disjoint, non-adjacent ranges in order. Memory grows with the
/// number of gaps, not with the number of seqs; insert is O(log ranges) whatever the order.
class SeqSet {
public:
    /// Adds `seq`; false when it was already there.
    bool insert(std::uint64_t seq);
    [[nodiscard]] bool contains(std::uint64_t seq) const;
    /// How many seqs the set holds.
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// The smallest and largest seq (0 when empty).
    [[nodiscard]] std::uint64_t min() const noexcept;
    [[nodiscard]] std::uint64_t max() const noexcept;
    /// Whether every seq from 1 to `last` is in the set (true for last 0).
    [[nodiscard]] bool covers_from_one(std::uint64_t last) const noexcept;
    /// The ranges held, in order.
    [[nodiscard]] std::vector<SeqRange> ranges() const;
    [[nodiscard]] std::size_t range_count() const noexcept { return ranges_.size(); }
    /// The seqs from 1 to max() not in the set: the first `limit` gap ranges, in order.
    [[nodiscard]] std::vector<SeqRange> missing(
        std::size_t limit = static_cast<std::size_t>(-1)) const;
    /// How many seqs from 1 to max() are not in the set, and in how many ranges.
    [[nodiscard]] std::uint64_t missing_count() const noexcept;
    [[nodiscard]] std::size_t missing_range_count() const noexcept;

private:
    std::map<std::uint64_t, std::uint64_t> ranges_;  // first -> last
    std::uint64_t size_ = 0;
};

/// What the readings of one run of seq numbers looked like so far: a device's readings with
/// one run id, or its readings without any.
struct SeqTally {
    std::uint64_t received = 0;    ///< readings, duplicates included
    std::uint64_t duplicates = 0;  ///< readings whose seq had arrived before
    SeqSet seen;                   ///< the distinct seqs; seen.size() readings were new
    bool complete = false;         ///< seen covers 1..the completion target (if one is set)
};

/// One device: its readings without a run id and those of each run.
struct DeviceTally {
    SeqTally without_run;                               ///< received == 0: there were none
    std::map<std::string, SeqTally, std::less<>> runs;  ///< by run id

    /// Over the device's runs and its readings without one.
    [[nodiscard]] std::uint64_t received() const noexcept;
    [[nodiscard]] std::uint64_t unique() const noexcept;
    [[nodiscard]] std::uint64_t duplicates() const noexcept;
    [[nodiscard]] std::uint64_t missing_count() const noexcept;
    [[nodiscard]] bool complete() const noexcept;
};

/// What add() made of a message.
enum class ReadingOutcome {
    new_reading,        ///< first arrival of this device's (and run's) seq
    duplicate,          ///< this device's (and run's) seq had arrived before
    not_a_reading,      ///< not a JSON object with a device string and a positive integer seq
    over_device_limit,  ///< a reading of a new device or run when max_devices are tracked
};

/// Longest "run" accepted (mqtls node's are 16 hex digits); bounds what a stream can make us
/// store.
inline constexpr std::size_t max_run_id_bytes = 64;

class ReadingTally {
public:
    static constexpr std::size_t default_max_devices = 10'000;

    /// Tracks at most `max_devices` devices and runs (a device's readings without a run count
    /// as one, each run as one more); readings of further ones are only counted.
    explicit ReadingTally(std::size_t max_devices = default_max_devices)
        : max_devices_(max_devices) {}

    /// Parses a message payload and accounts for it. Never throws on bad input.
    ReadingOutcome add_payload(std::string_view payload);
    /// Accounts for a reading already taken apart; seq 0, an empty device or a run longer than
    /// max_run_id_bytes is not a reading. An empty `run`: the reading has none.
    ReadingOutcome add(std::string_view device, std::string_view run, std::uint64_t seq);
    ReadingOutcome add(std::string_view device, std::uint64_t seq) { return add(device, {}, seq); }

    /// Sets the completion target: a device's run (and its readings without a run) is
    /// complete once it has every seq 1..`last` (0: no target). Set it before adding readings.
    void set_completion_target(std::uint64_t last) noexcept { completion_target_ = last; }
    [[nodiscard]] std::uint64_t completion_target() const noexcept { return completion_target_; }
    /// With a target: at least one device, and every run of every device seen is complete.
    [[nodiscard]] bool all_complete() const noexcept {
        return completion_target_ > 0 && streams_ > 0 && complete_streams_ == streams_;
    }

    [[nodiscard]] const std::map<std::string, DeviceTally, std::less<>>& devices() const noexcept {
        return devices_;
    }
    [[nodiscard]] std::size_t max_devices() const noexcept { return max_devices_; }
    [[nodiscard]] std::uint64_t messages() const noexcept { return messages_; }
    [[nodiscard]] std::uint64_t new_readings() const noexcept { return new_readings_; }
    [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }
    [[nodiscard]] std::uint64_t not_readings() const noexcept { return not_readings_; }
    [[nodiscard]] std::uint64_t over_device_limit() const noexcept { return over_device_limit_; }

    /// A summary and one line per device without run ids, and per device and run, e.g.
    ///   device sensor-18: received 990, unique 990, duplicates 0, seq 1..1000, missing 10
    ///   (401-410)
    ///   device sensor-19 run 3f9a0c2e51b7d864: received 5, unique 5, duplicates 0, seq 1..5,
    ///   missing 0
    /// At most `max_missing_ranges` gap ranges are listed per line.
    [[nodiscard]] std::string text_report(std::size_t max_missing_ranges = 10) const;
    /// {"devices":{"<device>":{"received":..,"unique":..,"duplicates":..,"missing_count":..,
    ///  "min_seq":..,"max_seq":..,"missing_ranges":..,"missing":[[first,last],..],
    ///  "runs":{"<run>":{"received":..,"unique":..,"duplicates":..,"missing_count":..,
    ///  "min_seq":..,"max_seq":..,"missing_ranges":..,"missing":[..]}}}},
    ///  "messages":..,"not_readings":..,"over_device_limit":..,"max_devices":..} plus
    ///  "completion_target" and "complete" (also per device and run) when a target is set.
    ///  A device's received, unique, duplicates, missing_count and complete sum up all its
    ///  readings; min_seq, max_seq, missing_ranges and missing are those of its readings
    ///  without a run and appear only when it has some; "runs" appears only when it has runs.
    ///  A device without runs thus reads as before run ids. At most `max_missing_ranges`
    ///  ranges are listed per run ("missing_ranges" counts them all).
    [[nodiscard]] std::string json_report(std::size_t max_missing_ranges = 10'000) const;

private:
    /// The tally of (device, run), created when there is room; nullptr when it is new and the
    /// device limit is reached.
    SeqTally* stream_for(std::string_view device, std::string_view run);
    ReadingOutcome count_reading(SeqTally& tally, std::uint64_t seq);

    std::map<std::string, DeviceTally, std::less<>> devices_;
    std::size_t max_devices_;
    std::uint64_t completion_target_ = 0;
    std::size_t streams_ = 0;  // runs and devices' readings without one, tracked
    std::size_t complete_streams_ = 0;
    std::uint64_t messages_ = 0;
    std::uint64_t new_readings_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t not_readings_ = 0;
    std::uint64_t over_device_limit_ = 0;
};

}  // namespace mqtls::cli
