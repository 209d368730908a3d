// `mqtls explain`: what an error a device printed means and what to do about it. Device images
// built with MQTLS_ERROR_TEXT=OFF print only the error's name (and detail), to save the flash
// the texts take; this command gives the message, the hint, its class and whether retrying can
// help, from the same table the library is built from (core/include/mqtls/core/error.hpp).
//
//   mqtls explain NAME|0xVALUE|VALUE...    e.g. mqtls explain certificate_expired 0x0407
//   mqtls explain --all
//
// Exit 0 when every code was known, 2 for an unknown one (the others are still explained).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "mqtls/core/error.hpp"

namespace mqtls::cli {
namespace {

constexpr Errc every_code[] = {
#define MQTLS_ERRC_LIST(name, value, retry, message, hint) Errc::name,
    MQTLS_ERRC_TABLE(MQTLS_ERRC_LIST)
#undef MQTLS_ERRC_LIST
};

const char* class_name(ErrorClass error_class) {
    switch (error_class) {
        case ErrorClass::codec:
            return "codec";
        case ErrorClass::session:
            return "session";
        case ErrorClass::transport:
            return "transport";
        case ErrorClass::tls:
            return "tls";
        case ErrorClass::storage:
            return "storage";
        case ErrorClass::config:
            return "config";
        case ErrorClass::node:
            return "node";
    }
    return "unknown";
}

const char* retry_name(RetryClass retry) {
    switch (retry) {
        case RetryClass::transient:
            return "transient: a new connection may succeed";
        case RetryClass::permanent:
            return "permanent: retrying cannot help, something must be changed";
        case RetryClass::by_detail:
            return "the detail decides (a CONNACK return code or a TLS alert)";
    }
    return "unknown";
}

// A name as printed, or its value in hex (0x0405) or decimal.
bool find_code(const std::string& text, Errc& found) {
    for (const Errc code : every_code) {
        if (text == name(code)) {
            found = code;
            return true;
        }
    }
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long value = std::strtoul(text.c_str(), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0' || value > 0xFFFFU) return false;
    for (const Errc code : every_code) {
        if (static_cast<unsigned long>(code) == value) {
            found = code;
            return true;
        }
    }
    return false;
}

void print_code(Errc code) {
    std::printf("%s (0x%04x, %s; %s)\n  %s\n  hint: %s\n", name(code), static_cast<unsigned>(code),
                class_name(error_class(code)), retry_name(retry_class(code)), message(code),
                hint(code));
}

int run_explain(const std::vector<std::string>& codes, bool all) {
    if (all) {
        for (const Errc code : every_code) print_code(code);
        return exit_ok;
    }
    if (codes.empty()) {
        std::fprintf(stderr,
                     "mqtls explain: name an error (e.g. certificate_expired or 0x0407), or "
                     "give --all\n");
        return exit_usage;
    }
    int status = exit_ok;
    for (const std::string& text : codes) {
        Errc code{};
        if (find_code(text, code)) {
            print_code(code);
            continue;
        }
        std::fprintf(stderr,
                     "mqtls explain: '%s' is not an mqtls error name or value ('mqtls explain "
                     "--all' lists them)\n",
                     text.c_str());
        status = exit_usage;
    }
    return status;
}

}  // namespace

void register_explain_command(CLI::App& app, int& exit_status) {
    struct ExplainFlags {
        std::vector<std::string> codes;
        bool all = false;
    };
    auto flags = std::make_shared<ExplainFlags>();
    CLI::App* explain = app.add_subcommand(
        "explain",
        "what an mqtls error means and what to do: its message, hint, class and whether "
        "retrying helps (device images built without error texts print only the name)");
    explain->set_help_flag("--help", "print this help and exit");
    explain->add_option("code", flags->codes,
                        "error names as printed (certificate_expired) or values (0x0405)");
    explain->add_flag("--all", flags->all, "list every error");
    explain->callback(
        [flags, &exit_status] { exit_status = run_explain(flags->codes, flags->all); });
}

}  // namespace mqtls::cli
