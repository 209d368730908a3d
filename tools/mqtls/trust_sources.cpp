#include "trust_sources.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "cli_support.hpp"

namespace mqtls::cli {
namespace {

// A CA folder bigger than this is not a folder of CA certificates (Debian's holds ~300 KB).
constexpr std::size_t max_folder_bytes = std::size_t{16} * 1024 * 1024;

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// c_rehash's names: 8 hex digits, a dot, a decimal counter (e.g. 4a6481c9.0).
bool is_hash_link_name(std::string_view name) {
    if (name.size() < 10 || name[8] != '.') return false;
    const auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    return std::all_of(name.begin(), name.begin() + 8, is_hex) &&
           std::all_of(name.begin() + 9, name.end(), is_digit);
}

bool is_certificate_file_name(std::string_view name) {
    return ends_with(name, ".pem") || ends_with(name, ".crt") || ends_with(name, ".cer") ||
           is_hash_link_name(name);
}

Result<std::vector<std::string>> certificate_file_names(const std::string& folder) {
    const std::unique_ptr<DIR, int (*)(DIR*)> directory(::opendir(folder.c_str()), &::closedir);
    if (!directory) return Error{Errc::file_read_failed, errno};
    std::vector<std::string> names;
    // Bounded: a folder cannot list more entries than it has; readdir ends with nullptr.
    while (const dirent* entry = ::readdir(directory.get())) {
        const std::string_view name = entry->d_name;
        if (name.front() != '.' && is_certificate_file_name(name)) names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

Result<std::string> read_ca_folder(const std::string& folder) {
    auto names = certificate_file_names(folder);
    if (!names) return names.error();
    std::string bundle;
    std::set<std::pair<dev_t, ino_t>> seen;  // the same file under several links counts once
    for (const std::string& name : *names) {
        std::string path = folder;
        path.append("/").append(name);
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        if (!seen.emplace(info.st_dev, info.st_ino).second) continue;
        auto text = read_text_file(path);
        if (!text) return text.error();
        if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos) continue;
        bundle += *text;
        bundle += '\n';
        if (bundle.size() > max_folder_bytes) return Error{Errc::file_read_failed, EFBIG};
    }
    if (bundle.empty()) return Error{Errc::file_read_failed, ENOENT};
    return bundle;
}

}  // namespace mqtls::cli
