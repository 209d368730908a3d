#include "provisioning.hpp"

#include <charconv>
#include <cstring>

#include "mqtls/port/baremetal/semihosting.hpp"

namespace mqtls::firmware {
namespace {

namespace host = port::baremetal::semihosting;

bool refuse_key(std::string_view& failed, std::string_view key) noexcept {
    failed = key;
    return false;
}

Error bad_argument(std::string_view& failed, std::string_view key) noexcept {
    failed = key;
    return Error{Errc::invalid_argument, 0};
}

template <class Number>
bool parse_number(std::string_view text, Number& out) noexcept {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
}

// A host path from the command line, NUL-terminated for SYS_OPEN.
struct Path {
    char text[256] = {};
    bool set(std::string_view path) noexcept {
        if (path.empty() || path.size() >= sizeof text) return false;
        std::memcpy(text, path.data(), path.size());
        text[path.size()] = '\0';
        return true;
    }
};

// Reads the file named by `key` (if given) into `buffer` as NUL-terminated text.
Result<std::string_view> read_text(std::string_view line, std::string_view key, char* buffer,
                                   std::size_t size, bool required, std::string_view& failed) {
    const std::string_view path_text = host::argument(line, key);
    if (path_text.empty()) {
        if (!required) return std::string_view{};
        failed = key;
        return Error{Errc::invalid_argument, 0};
    }
    Path path;
    if (!path.set(path_text)) {
        failed = key;
        return Error{Errc::invalid_argument, 0};
    }
    auto read = host::read_file(path.text,
                                mutable_bytes(reinterpret_cast<std::uint8_t*>(buffer), size - 1));
    if (!read) {
        failed = key;
        return read.error();
    }
    buffer[*read] = '\0';
    return std::string_view(buffer, *read);
}

Result<std::optional<tls::SessionKey>> read_session_key(std::string_view line,
                                                        std::string_view& failed) {
    const std::string_view path_text = host::argument(line, "session-key");
    if (path_text.empty()) return std::optional<tls::SessionKey>{};
    Path path;
    tls::SessionKey key;
    std::uint8_t bytes[64];
    failed = "session-key";
    if (!path.set(path_text)) return Error{Errc::invalid_argument, 0};
    MQTLS_TRY_ASSIGN(const std::size_t length, host::read_file(path.text, bytes));
    if (length != key.bytes.size()) return Error{Errc::session_key_invalid, 0};
    std::memcpy(key.bytes.data(), bytes, key.bytes.size());
    failed = {};
    return std::optional<tls::SessionKey>(key);
}

bool parse_tls_version(std::string_view text, tls::TlsVersion& version) noexcept {
    if (text.empty() || text == "1.2") {
        version = tls::TlsVersion::tls1_2;
    } else if (text == "1.3") {
        version = tls::TlsVersion::tls1_3;
    } else if (text == "auto") {
        version = tls::TlsVersion::automatic;
    } else {
        return false;
    }
    return true;
}

// The numeric keys; a key left out keeps its default.
bool parse_numbers(std::string_view line, Provisioning& p, std::string_view& failed) noexcept {
    struct Seconds {
        const char* key;
        Duration* value;
    };
    std::uint32_t number = 0;
    for (const Seconds& item : {Seconds{"deadline", &p.deadline}, Seconds{"period", &p.period}}) {
        const std::string_view text = host::argument(line, item.key);
        if (text.empty()) continue;
        if (!parse_number(text, number) || number == 0) return refuse_key(failed, item.key);
        *item.value = Duration::from_seconds(number);
    }
    const std::string_view qos = host::argument(line, "qos");
    if (!qos.empty()) {
        if (!parse_number(qos, number) || number > 2) return refuse_key(failed, "qos");
        p.qos = static_cast<mqtt::QoS>(number);
    }
    const std::string_view readings = host::argument(line, "readings");
    if (!readings.empty() && (!parse_number(readings, p.readings) || p.readings == 0)) {
        return refuse_key(failed, "readings");
    }
    const std::string_view cut = host::argument(line, "cut");
    if (!cut.empty()) {
        const std::size_t colon = cut.find(':');
        if (colon == std::string_view::npos || !parse_number(cut.substr(0, colon), p.cut_at) ||
            !parse_number(cut.substr(colon + 1), p.cut_bytes)) {
            return refuse_key(failed, "cut");
        }
    }
    return true;
}

constexpr std::string_view known_keys[] = {
    "host",     "port",   "id",       "user", "pass",        "ca",          "cert", "key", "tls",
    "deadline", "period", "readings", "cut",  "session-key", "verify-name", "alpn", "qos"};

// alpn=NAME[,NAME...]: at most p.alpn.size() names of 1 to 255 bytes (RFC 7301 3.1).
bool parse_alpn(std::string_view list, Provisioning& p) noexcept {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        if (name.empty() || name.size() > 255 || p.alpn_count == p.alpn.size()) return false;
        p.alpn[p.alpn_count++] = name;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
        if (list.empty()) return false;  // a trailing comma
    }
    return true;
}

// The words after the program name, one at a time.
std::string_view next_word(std::string_view& rest) noexcept {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return rest = {};
    const std::size_t end = rest.find(' ', start);
    const std::string_view word =
        rest.substr(start, end == std::string_view::npos ? end : end - start);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    return word;
}

std::string_view key_of(std::string_view word) noexcept { return word.substr(0, word.find('=')); }

bool known(std::string_view word) noexcept {
    if (word == "tickets") return true;
    if (word.find('=') == std::string_view::npos) return false;
    for (const std::string_view key : known_keys) {
        if (key_of(word) == key) return true;
    }
    return false;
}

// Whether `key=` is on the line, even with an empty value (which the caller refuses).
bool given(std::string_view line, std::string_view key) noexcept {
    std::string_view rest = line;
    next_word(rest);  // the program name
    for (std::string_view word = next_word(rest); !word.empty(); word = next_word(rest)) {
        if (word.size() > key.size() && key_of(word) == key) return true;
    }
    return false;
}

// Every word is a known key=value (or the tickets flag), and no key comes twice: a typo or a
// second value must not be silently ignored (the first one would win).
bool check_words(std::string_view line, std::string_view& failed) noexcept {
    std::string_view rest = line;
    next_word(rest);  // the program name
    for (std::string_view word = next_word(rest); !word.empty(); word = next_word(rest)) {
        if (!known(word)) return refuse_key(failed, key_of(word));
        std::string_view later = rest;
        for (std::string_view other = next_word(later); !other.empty(); other = next_word(later)) {
            if (key_of(other) == key_of(word)) return refuse_key(failed, key_of(word));
        }
    }
    return true;
}

}  // namespace

Result<Provisioning> provision(std::string_view line, ProvisioningFiles& files,
                               std::string_view& failed) noexcept {
    if (!check_words(line, failed)) return Error{Errc::invalid_argument, 0};
    Provisioning p;
    p.host = host::argument(line, "host");
    p.device_id = host::argument(line, "id");
    p.username = host::argument(line, "user");
    p.password = host::argument(line, "pass");
    if (p.host.empty()) return bad_argument(failed, "host");
    if (given(line, "verify-name")) {
        p.verify_name = host::argument(line, "verify-name");
        if (p.verify_name.empty()) return bad_argument(failed, "verify-name");
    }
    if (given(line, "alpn") && !parse_alpn(host::argument(line, "alpn"), p)) {
        return bad_argument(failed, "alpn");
    }
    if (p.device_id.empty()) return bad_argument(failed, "id");
    if (!parse_number(host::argument(line, "port"), p.port) || p.port == 0) {
        return bad_argument(failed, "port");
    }
    if (!parse_tls_version(host::argument(line, "tls"), p.tls_version)) {
        return bad_argument(failed, "tls");
    }
    p.session_tickets = host::has_flag(line, "tickets");
    if (!parse_numbers(line, p, failed)) return Error{Errc::invalid_argument, 0};
    MQTLS_TRY_ASSIGN(p.ca_pem, read_text(line, "ca", files.ca, sizeof files.ca, true, failed));
    MQTLS_TRY_ASSIGN(p.certificate_pem, read_text(line, "cert", files.certificate,
                                                  sizeof files.certificate, false, failed));
    MQTLS_TRY_ASSIGN(p.private_key_pem, read_text(line, "key", files.private_key,
                                                  sizeof files.private_key, false, failed));
    if (p.certificate_pem.empty() != p.private_key_pem.empty()) {
        return bad_argument(failed, p.certificate_pem.empty() ? "cert" : "key");
    }
    MQTLS_TRY_ASSIGN(p.session_key, read_session_key(line, failed));
    return p;
}

}  // namespace mqtls::firmware
