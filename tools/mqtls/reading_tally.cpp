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

std::string device_line(const std::string& name, const DeviceTally& device,
                        std::size_t max_missing_ranges) {
    std::string line =
        "device " + display_name(name) + ": received " + std::to_string(device.received) +
        ", unique " + std::to_string(device.seen.size()) + ", duplicates " +
        std::to_string(device.duplicates) + ", seq " + std::to_string(device.seen.min()) + ".." +
        std::to_string(device.seen.max()) + ", missing " +
        std::to_string(device.seen.missing_count());
    if (device.seen.missing_count() > 0) {
        const std::vector<SeqRange> gaps = device.seen.missing(max_missing_ranges);
        line += " (";
        for (std::size_t i = 0; i < gaps.size(); ++i) {
            if (i > 0) line += ", ";
            line += range_text(gaps[i]);
        }
        const std::size_t more = device.seen.missing_range_count() - gaps.size();
        if (more > 0) line += ", ... " + std::to_string(more) + " more range(s)";
        line += ")";
    }
    return line;
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

ReadingOutcome ReadingTally::add_payload(std::string_view payload) {
    // Keep only the top-level "device" and "seq": other members (and anything nested in them)
    // are parsed but not stored, so a payload costs no memory beyond those two.
    const Json::parser_callback_t keep_device_and_seq = [](int depth, Json::parse_event_t event,
                                                           Json& parsed) {
        if (event == Json::parse_event_t::key && depth == 1) {
            return parsed == "device" || parsed == "seq";
        }
        return true;
    };
    const Json reading = Json::parse(payload.begin(), payload.end(), keep_device_and_seq, false);
    const auto device = reading.is_object() ? reading.find("device") : reading.end();
    const auto seq = reading.is_object() ? reading.find("seq") : reading.end();
    // An integer seq >= 0 parses as number_unsigned; negative ones, fractions, exponents and
    // integers beyond 2^64-1 do not.
    if (!reading.is_object() || device == reading.end() || !device->is_string() ||
        seq == reading.end() || !seq->is_number_unsigned()) {
        ++messages_;
        ++not_readings_;
        return ReadingOutcome::not_a_reading;
    }
    return add(device->get_ref<const std::string&>(), seq->get<std::uint64_t>());
}

ReadingOutcome ReadingTally::add(std::string_view device, std::uint64_t seq) {
    ++messages_;
    if (device.empty() || device.size() > max_device_name_bytes || seq == 0) {
        ++not_readings_;
        return ReadingOutcome::not_a_reading;
    }
    auto found = devices_.find(device);
    if (found == devices_.end()) {
        if (devices_.size() >= max_devices_) {
            ++over_device_limit_;
            return ReadingOutcome::over_device_limit;
        }
        found = devices_.emplace(std::string(device), DeviceTally{}).first;
    }
    DeviceTally& tally = found->second;
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
        ++complete_devices_;
    }
    return ReadingOutcome::new_reading;
}

std::string ReadingTally::text_report(std::size_t max_missing_ranges) const {
    std::string report = "dedupe report: " + std::to_string(devices_.size()) + " device(s), " +
                         std::to_string(messages_) + " message(s), " +
                         std::to_string(new_readings_) + " unique reading(s), " +
                         std::to_string(duplicates_) + " duplicate(s), " +
                         std::to_string(not_readings_) + " not a reading\n";
    for (const auto& [name, device] : devices_) {
        report += device_line(name, device, max_missing_ranges);
        if (completion_target_ > 0 && !device.complete) {
            report += " [incomplete: seq 1.." + std::to_string(completion_target_) + " wanted]";
        }
        report += '\n';
    }
    if (over_device_limit_ > 0) {
        report += "readings from devices beyond the limit of " + std::to_string(max_devices_) +
                  " devices (counted, not tracked): " + std::to_string(over_device_limit_) + '\n';
    }
    return report;
}

std::string ReadingTally::json_report(std::size_t max_missing_ranges) const {
    Json devices = Json::object();
    for (const auto& [name, device] : devices_) {
        Json missing = Json::array();
        for (const SeqRange& gap : device.seen.missing(max_missing_ranges)) {
            missing.push_back(Json::array({gap.first, gap.last}));
        }
        Json entry = {{"received", device.received},
                      {"unique", device.seen.size()},
                      {"duplicates", device.duplicates},
                      {"min_seq", device.seen.min()},
                      {"max_seq", device.seen.max()},
                      {"missing_count", device.seen.missing_count()},
                      {"missing_ranges", device.seen.missing_range_count()},
                      {"missing", std::move(missing)}};
        if (completion_target_ > 0) entry["complete"] = device.complete;
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
