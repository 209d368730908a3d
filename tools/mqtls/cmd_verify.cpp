// `mqtls verify`: a broker's certificate chain checked offline, by the code a connection runs
// (tls::verify_server_chain: the same Config, verify callback, name and IP rules, profile and
// pins), so the broker's certificate can be checked before devices are deployed with it.
//
//   mqtls verify --cafile ROOTS.pem --chain LEAF_AND_INTERMEDIATES.pem --name HOST_OR_IP
//                [--at UNIX_SECONDS] [--pin-sha256 PIN]...
//
// Prints "ok ..." and exits 0, or prints the reason a connection would be refused (its message
// and hint) and exits 5; 2 for bad arguments, 3 when a file cannot be read or is not PEM.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/verify.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command = "verify";

struct VerifyFlags {
    std::string ca_file;
    std::string chain_file;
    std::string name;
    std::int64_t at = -1;  // -1: now, by the system clock
    std::vector<std::string> pins_hex;
};

std::int64_t fixed_time(void* context) { return *static_cast<const std::int64_t*>(context); }

std::int64_t system_time(void* /*context*/) { return port::posix::wall_clock_seconds(); }

int read_file_flag(const char* flag, const std::string& path, std::string& text) {
    auto read = read_text_file(path);
    if (!read) return report(command, read.error(), std::string(flag) + " " + path);
    text = std::move(*read);
    return exit_ok;
}

int run_verify(VerifyFlags& flags) {
    tls::ConfigOptions options;
    options.role = tls::Role::client;
    if (const int status = parse_pin_flags(command, flags.pins_hex, options.pinned_spki)) {
        return status;
    }
    std::string roots;
    std::string chain;
    if (const int status = read_file_flag("--cafile", flags.ca_file, roots)) return status;
    if (const int status = read_file_flag("--chain", flags.chain_file, chain)) return status;
    options.trusted_roots_pem = roots;
    options.wall_clock = flags.at >= 0 ? tls::WallClock{&fixed_time, &flags.at}
                                       : tls::WallClock{&system_time, nullptr};
    options.entropy = tls::EntropySource{&port::posix::getrandom_entropy, nullptr};
    tls::Config config;
    if (auto set_up = config.setup(options); !set_up) {
        return report(command, set_up.error(), "--cafile " + flags.ca_file);
    }
    auto verified = tls::verify_server_chain(config, chain, flags.name);
    if (!verified) return report(command, verified.error(), "--chain " + flags.chain_file);
    std::printf("ok: %s is certified for %s by a root in %s (%zu certificate%s in the chain%s)\n",
                flags.chain_file.c_str(), flags.name.c_str(), flags.ca_file.c_str(),
                verified->certificates, verified->certificates == 1 ? "" : "s",
                flags.pins_hex.empty() ? "" : ", pin matched");
    return exit_ok;
}

}  // namespace

void register_verify_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<VerifyFlags>();
    CLI::App* verify = app.add_subcommand(
        "verify",
        "check a broker's certificate chain offline, by the checks a connection makes (trusted "
        "root, dates, the name or IP address dialed, certificate profile and usage, pins): "
        "prints ok, or the reason a connection would be refused");
    verify->set_help_flag("--help", "print this help and exit");
    verify->add_option("--cafile", flags->ca_file, "PEM file with the root CA(s) devices trust")
        ->required();
    verify
        ->add_option("--chain", flags->chain_file,
                     "PEM file with the broker's certificate, then its intermediates, as the "
                     "broker sends them")
        ->required();
    verify
        ->add_option("--name", flags->name,
                     "the DNS name or IP address devices dial (as given to -h)")
        ->required();
    verify
        ->add_option("--at", flags->at,
                     "check the dates at this time (Unix seconds) instead of now, e.g. the "
                     "day devices will be deployed")
        ->check(CLI::NonNegativeNumber);
    verify->add_option("--pin-sha256", flags->pins_hex,
                       "also require the broker's public key (SHA-256 of its SPKI, 64 hex "
                       "digits); repeatable, any one must match");
    verify->callback([flags, &exit_status] { exit_status = run_verify(*flags); });
}

}  // namespace mqtls::cli
