#include "reading_tally.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace mqtls::cli {
namespace {

using Json = nlohmann::json;

// A "device" longer than this is not a device id (mqtls node allows 64 characters); the bound
// keeps a hostile stream from filling memory with huge names.
constexpr std::size_t max_device_name_bytes = 256;

// The name as the text report shows it: as is when it is plain printable ASCII, else as a JSON
// string (quoted, escaped), so that control characters never reach the terminal.
std::string display_name(const std::string& device) {
    const bool plain = std::all_of(device.begin(), device.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7f && c != '"';
    });
    if (plain) return device;
    return Json(device).dump(-1, ' ', true, Json::error_handler_t::replace);
}

std::string range_text(const SeqRange& range) {
    if (range.first == range.last) return std::to_string(range.first);
    return std::to_string(range.first) + "-" + std::to_string(range.last);
}

std::string seq_line(const std::string& label, const SeqTally& tally,
                     std::size_t max_missing_ranges) {
    std::string line = label + ": received " + std::to_string(tally.received) + ", unique " +
                       std::to_string(tally.seen.size()) + ", duplicates " +
                       std::to_string(tally.duplicates) + ", seq " +
                       std::to_string(tally.seen.min()) + ".." + std::to_string(tally.seen.max()) +
                       ", missing " + std::to_string(tally.seen.missing_count());
    if (tally.seen.missing_count() > 0) {
        const std::vector<SeqRange> gaps = tally.seen.missing(max_missing_ranges);
        line += " (";
        for (std::size_t i = 0; i < gaps.size(); ++i) {
            if (i > 0) line += ", ";
            line += range_text(gaps[i]);
        }
        const std::size_t more = tally.seen.missing_range_count() - gaps.size();
        if (more > 0) line += ", ... " + std::to_string(more) + " more range(s)";
        line += ")";
    }
    return line;
}

// The members of one run (or of the readings without one) in the JSON report.
void add_seq_members(Json& entry, const SeqTally& tally, std::size_t max_missing_ranges) {
    Json missing = Json::array();
    for (const SeqRange& gap : tally.seen.missing(max_missing_ranges)) {
        missing.push_back(Json::array({gap.first, gap.last}));
    }
    entry["min_seq"] = tally.seen.min();
    entry["max_seq"] = tally.seen.max();
    entry["missing_ranges"] = tally.seen.missing_range_count();
    entry["missing"] = std::move(missing);
}

}  // namespace

bool SeqSet::insert(std::uint64_t seq) {
    // `next` is the first range starting after seq; the one before it may contain seq.
    auto next = ranges_.upper_bound(seq);
    const bool has_previous = next != ranges_.begin();
    const auto previous = has_previous ? std::prev(next) : ranges_.end();
    if (has_previous && previous->second >= seq) return false;
    // previous->second < seq, and seq < next->first: neither +1 below can overflow.
    const bool joins_previous = has_previous && previous->second + 1 == seq;
    const bool joins_next = next != ranges_.end() && next->first == seq + 1;
    if (joins_previous && joins_next) {
        previous->second = next->second;
        ranges_.erase(next);
    } else if (joins_previous) {
        previous->second = seq;
    } else if (joins_next) {
        const std::uint64_t last = next->second;
        next = ranges_.erase(next);
        ranges_.emplace_hint(next, seq, last);
    } else {
        ranges_.emplace_hint(next, seq, seq);
    }
    ++size_;
    return true;
}

bool SeqSet::contains(std::uint64_t seq) const {
    const auto next = ranges_.upper_bound(seq);
    return next != ranges_.begin() && std::prev(next)->second >= seq;
}

std::uint64_t SeqSet::min() const noexcept { return ranges_.empty() ? 0 : ranges_.begin()->first; }

std::uint64_t SeqSet::max() const noexcept {
    return ranges_.empty() ? 0 : ranges_.rbegin()->second;
}

bool SeqSet::covers_from_one(std::uint64_t last) const noexcept {
    if (last == 0) return true;
    return !ranges_.empty() && ranges_.begin()->first == 1 && ranges_.begin()->second >= last;
}

std::vector<SeqRange> SeqSet::ranges() const {
    std::vector<SeqRange> result;
    result.reserve(ranges_.size());
    for (const auto& [first, last] : ranges_) result.push_back({first, last});
    return result;
}

std::vector<SeqRange> SeqSet::missing(std::size_t limit) const {
    std::vector<SeqRange> gaps;
    std::uint64_t expected = 1;  // the smallest seq not yet accounted for
    for (const auto& [first, last] : ranges_) {
        if (gaps.size() >= limit) break;
        if (first > expected) gaps.push_back({expected, first - 1});
        if (last == std::numeric_limits<std::uint64_t>::max()) break;
        expected = last + 1;
    }
    return gaps;
}

std::uint64_t SeqSet::missing_count() const noexcept {
    // Every seq held lies in 1..max(), so the rest of that interval is missing.
    return max() - size_;
}

std::size_t SeqSet::missing_range_count() const noexcept {
    if (ranges_.empty()) return 0;
    // A gap between each two ranges, and one before the first unless it starts at 1.
    return ranges_.size() - 1 + (ranges_.begin()->first > 1 ? 1 : 0);
}

std::uint64_t DeviceTally::received() const noexcept {
    std::uint64_t sum = without_run.received;
    for (const auto& [run, tally] : runs) sum += tally.received;
    return sum;
}

std::uint64_t DeviceTally::unique() const noexcept {
    std::uint64_t sum = without_run.seen.size();
    for (const auto& [run, tally] : runs) sum += tally.seen.size();
    return sum;
}

std::uint64_t DeviceTally::duplicates() const noexcept {
    std::uint64_t sum = without_run.duplicates;
    for (const auto& [run, tally] : runs) sum += tally.duplicates;
    return sum;
}

std::uint64_t DeviceTally::missing_count() const noexcept {
    std::uint64_t sum = without_run.seen.missing_count();
    for (const auto& [run, tally] : runs) sum += tally.seen.missing_count();
    return sum;
}

bool DeviceTally::complete() const noexcept {
    if (without_run.received > 0 && !without_run.complete) return false;
    for (const auto& [run, tally] : runs) {
        if (!tally.complete) return false;
    }
    return true;
}

ReadingOutcome ReadingTally::add_payload(std::string_view payload) {
    // Keep only the top-level "device", "run" and "seq": other members (and anything nested in
    // them) are parsed but not stored, so a payload costs no memory beyond those three.
    const Json::parser_callback_t keep_reading_keys = [](int depth, Json::parse_event_t event,
                                                         Json& parsed) {
        if (event == Json::parse_event_t::key && depth == 1) {
            return parsed == "device" || parsed == "seq" || parsed == "run";
        }
        return true;
    };
    const Json reading = Json::parse(payload.begin(), payload.end(), keep_reading_keys, false);
    const bool is_object = reading.is_object();
    const auto device = is_object ? reading.find("device") : reading.end();
    const auto seq = is_object ? reading.find("seq") : reading.end();
    const auto run = is_object ? reading.find("run") : reading.end();
    // An integer seq >= 0 parses as number_unsigned; negative ones, fractions, exponents and
    // integers beyond 2^64-1 do not. A "run" must be a non-empty string: one that is not
    // cannot key the reading, and by device alone it could be taken for another run's.
    const bool run_usable =
        run == reading.end() || (run->is_string() && !run->get_ref<const std::string&>().empty());
    if (!is_object || device == reading.end() || !device->is_string() || seq == reading.end() ||
        !seq->is_number_unsigned() || !run_usable) {
        ++messages_;
        ++not_readings_;
        return ReadingOutcome::not_a_reading;
    }
    const std::string_view run_id =
        run == reading.end() ? std::string_view() : run->get_ref<const std::string&>();
    return add(device->get_ref<const std::string&>(), run_id, seq->get<std::uint64_t>());
}

ReadingOutcome ReadingTally::add(std::string_view device, std::string_view run, std::uint64_t seq) {
    ++messages_;
    if (device.empty() || device.size() > max_device_name_bytes || run.size() > max_run_id_bytes ||
        seq == 0) {
        ++not_readings_;
        return ReadingOutcome::not_a_reading;
    }
    SeqTally* tally = stream_for(device, run);
    if (tally == nullptr) {
        ++over_device_limit_;
        return ReadingOutcome::over_device_limit;
    }
    return count_reading(*tally, seq);
}

SeqTally* ReadingTally::stream_for(std::string_view device, std::string_view run) {
    auto found = devices_.find(device);
    const bool new_device = found == devices_.end();
    if (!new_device) {
        DeviceTally& known = found->second;
        if (run.empty() && known.without_run.received > 0) return &known.without_run;
        if (auto known_run = known.runs.find(run); !run.empty() && known_run != known.runs.end()) {
            return &known_run->second;
        }
    }
    // A new device, run, or the first reading of a device without a run.
    if (streams_ >= max_devices_) return nullptr;
    if (new_device) found = devices_.emplace(std::string(device), DeviceTally{}).first;
    ++streams_;
    return run.empty() ? &found->second.without_run
                       : &found->second.runs.emplace(std::string(run), SeqTally{}).first->second;
}

ReadingOutcome ReadingTally::count_reading(SeqTally& tally, std::uint64_t seq) {
    ++tally.received;
    if (!tally.seen.insert(seq)) {
        ++tally.duplicates;
        ++duplicates_;
        return ReadingOutcome::duplicate;
    }
    ++new_readings_;
    if (completion_target_ > 0 && !tally.complete &&
        tally.seen.covers_from_one(completion_target_)) {
        tally.complete = true;
        ++complete_streams_;
    }
    return ReadingOutcome::new_reading;
}

std::string ReadingTally::text_report(std::size_t max_missing_ranges) const {
    std::string report = "dedupe report: " + std::to_string(devices_.size()) + " device(s), " +
                         std::to_string(messages_) + " message(s), " +
                         std::to_string(new_readings_) + " unique reading(s), " +
                         std::to_string(duplicates_) + " duplicate(s), " +
                         std::to_string(not_readings_) + " not a reading\n";
    const auto add_line = [&](const std::string& label, const SeqTally& tally) {
        report += seq_line(label, tally, max_missing_ranges);
        if (completion_target_ > 0 && !tally.complete) {
            report += " [incomplete: seq 1.." + std::to_string(completion_target_) + " wanted]";
        }
        report += '\n';
    };
    for (const auto& [name, device] : devices_) {
        const std::string label = "device " + display_name(name);
        if (device.without_run.received > 0) add_line(label, device.without_run);
        for (const auto& [run, tally] : device.runs) {
            add_line(label + " run " + display_name(run), tally);
        }
    }
    if (over_device_limit_ > 0) {
        report += "readings beyond the limit of " + std::to_string(max_devices_) +
                  " tracked devices and runs (counted, not tracked): " +
                  std::to_string(over_device_limit_) + '\n';
    }
    return report;
}

std::string ReadingTally::json_report(std::size_t max_missing_ranges) const {
    Json devices = Json::object();
    for (const auto& [name, device] : devices_) {
        Json entry = {{"received", device.received()},
                      {"unique", device.unique()},
                      {"duplicates", device.duplicates()},
                      {"missing_count", device.missing_count()}};
        if (device.without_run.received > 0) {
            add_seq_members(entry, device.without_run, max_missing_ranges);
        }
        if (!device.runs.empty()) {
            Json runs = Json::object();
            for (const auto& [run, tally] : device.runs) {
                Json run_entry = {{"received", tally.received},
                                  {"unique", tally.seen.size()},
                                  {"duplicates", tally.duplicates},
                                  {"missing_count", tally.seen.missing_count()}};
                add_seq_members(run_entry, tally, max_missing_ranges);
                if (completion_target_ > 0) run_entry["complete"] = tally.complete;
                runs[run] = std::move(run_entry);
            }
            entry["runs"] = std::move(runs);
        }
        if (completion_target_ > 0) entry["complete"] = device.complete();
        devices[name] = std::move(entry);
    }
    Json report = {{"devices", std::move(devices)}, {"messages", messages_},
                   {"unique", new_readings_},       {"duplicates", duplicates_},
                   {"not_readings", not_readings_}, {"over_device_limit", over_device_limit_},
                   {"max_devices", max_devices_}};
    if (completion_target_ > 0) {
        report["completion_target"] = completion_target_;
        report["complete"] = all_complete();
    }
    return report.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n';
}

}  // namespace mqtls::cli
