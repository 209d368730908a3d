#include "mqtls/pki/revocation_index.hpp"

#include <sstream>

#include "mqtls/pki/lifetime.hpp"

namespace mqtls::pki {

namespace {

constexpr std::string_view crl_number_keyword = "crl-number ";
constexpr std::string_view revoked_keyword = "revoked ";
constexpr std::size_t iso8601_size = 20;  // 2026-12-02T16:39:57Z

// "2026-12-02T16:39:57Z" as the instant it names.
Result<std::chrono::system_clock::time_point> instant_of_iso8601(std::string_view text) {
    if (text.size() != iso8601_size || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != 'Z') {
        return Error{Errc::invalid_argument};
    }
    std::string stamp;
    for (const std::size_t at : {0, 5, 8, 11, 14, 17}) {
        stamp.append(text.substr(at, at == 0 ? 4 : 2));
    }
    return time_of(stamp);
}

// The next space-separated field of `rest`, which is advanced past it and its space.
std::string_view take_field(std::string_view& rest) {
    const std::size_t space = rest.find(' ');
    const std::string_view field = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    return field;
}

Result<RevocationRecord> parse_record(std::string_view rest) {
    RevocationRecord record;
    const std::string_view serial = take_field(rest);
    MQTLS_TRY_ASSIGN(record.certificate.serial, canonical_serial(serial));
    if (record.certificate.serial != serial) return Error{Errc::invalid_argument};
    MQTLS_TRY_ASSIGN(record.certificate.revocation_date, instant_of_iso8601(take_field(rest)));
    const auto reason = revocation_reason_from_name(take_field(rest));
    if (!reason) return Error{Errc::invalid_argument};
    record.certificate.reason = *reason;
    if (rest.empty() || record_common_name(rest) != rest) return Error{Errc::invalid_argument};
    record.common_name = std::string(rest);
    return record;
}

Result<std::uint64_t> parse_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 19 || (digits.size() > 1 && digits.front() == '0')) {
        return Error{Errc::invalid_argument};
    }
    std::uint64_t value = 0;
    for (const char digit : digits) {
        if (digit < '0' || digit > '9') return Error{Errc::invalid_argument};
        value = value * 10 + static_cast<std::uint64_t>(digit - '0');
    }
    return value;
}

}  // namespace

const RevocationRecord* RevocationIndex::find(std::string_view canonical) const noexcept {
    for (const RevocationRecord& record : records) {
        if (record.certificate.serial == canonical) return &record;
    }
    return nullptr;
}

std::string record_common_name(std::string_view common_name) {
    if (common_name.empty()) return "-";
    std::string text;
    text.reserve(common_name.size());
    for (const char character : common_name) {
        const auto byte = static_cast<unsigned char>(character);
        text += byte >= 0x20 && byte < 0x7f ? character : '?';
    }
    return text;
}

std::string revocation_index_text(const RevocationIndex& index) {
    std::ostringstream text;
    text << "# mqtls revocation index, written by 'mqtls pki revoke' and 'mqtls pki crl'; every\n"
            "# CRL (crl.pem) is made from it. Do not edit: revoke with 'mqtls pki revoke'.\n"
            "# crl-number: the number of the last CRL issued.\n"
            "# revoked SERIAL DATE REASON COMMON-NAME\n"
         << crl_number_keyword << index.last_crl_number << "\n";
    for (const RevocationRecord& record : index.records) {
        text << revoked_keyword << record.certificate.serial << " "
             << iso8601_utc(record.certificate.revocation_date) << " "
             << revocation_reason_name(record.certificate.reason) << " "
             << record_common_name(record.common_name) << "\n";
    }
    return text.str();
}

namespace {

// One non-comment line of the index into `index`; false when it is malformed or repeats what
// may appear once (the CRL number, a serial).
bool parse_index_line(std::string_view line, RevocationIndex& index, bool& has_number) {
    if (line.substr(0, crl_number_keyword.size()) == crl_number_keyword) {
        auto number = parse_number(line.substr(crl_number_keyword.size()));
        if (!number || has_number) return false;
        index.last_crl_number = *number;
        has_number = true;
        return true;
    }
    if (line.substr(0, revoked_keyword.size()) != revoked_keyword) return false;
    auto record = parse_record(line.substr(revoked_keyword.size()));
    if (!record || index.find(record->certificate.serial) != nullptr) return false;
    index.records.push_back(std::move(*record));
    return true;
}

}  // namespace

Result<RevocationIndex> parse_revocation_index(std::string_view text) {
    RevocationIndex index;
    bool has_number = false;
    std::int32_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.empty() || line.front() == '#') continue;
        if (!parse_index_line(line, index, has_number)) {
            return Error{Errc::invalid_argument, line_number};
        }
    }
    return index;
}

}  // namespace mqtls::pki
