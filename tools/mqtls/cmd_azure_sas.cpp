// `mqtls azure-sas`: the SAS token an Azure IoT Hub device sends as its MQTT password, made from
// the device's key (tls::azure_sas_token, the code a device runs to renew its own), with the
// user name to go with it (docs/cloud-brokers.md).
//
//   mqtls azure-sas --hub myhub --device dev-1 --key-file dev-1.key [--hours 24] [-o dev-1.sas]
//
// The key comes from a file or MQTLS_AZURE_KEY, never from the command line (other users see
// argv). The token goes to stdout, or with -o to a new 0600 file for `--pw-file`.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "broker_connection.hpp"
#include "cli_support.hpp"
#include "mqtls/pki/files.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/tls/azure_sas.hpp"
#include "process_hardening.hpp"

namespace mqtls::cli {
namespace {

constexpr const char* command_name = "azure-sas";
constexpr const char* key_environment_variable = "MQTLS_AZURE_KEY";
constexpr const char* hub_domain = ".azure-devices.net";
// The api-version IoT Hub's MQTT documentation gives for the user name.
constexpr const char* api_version = "2021-04-12";

struct AzureSasFlags {
    std::string hub;
    std::string device;
    std::string key_file;
    int hours = 24;
    std::string output;
};

// "myhub" or "myhub.azure-devices.net": the hub's host name.
std::string hub_host(const std::string& hub) {
    return hub.find('.') == std::string::npos ? hub + hub_domain : hub;
}

bool printable_without_spaces(const std::string& text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) return false;
    }
    return !text.empty();
}

// The key: the first line of --key-file, or MQTLS_AZURE_KEY. exit_ok or a status.
int read_key(const AzureSasFlags& flags, std::string& key) {
    if (!flags.key_file.empty()) {
        auto text = read_text_file(flags.key_file);
        if (!text) return report(command_name, text.error(), "--key-file " + flags.key_file);
        key = text->substr(0, text->find_first_of("\r\n"));
        wipe(*text);
    } else if (const char* from_environment = std::getenv(key_environment_variable)) {
        key = from_environment;
    } else {
        return usage_error(command_name, "no device key",
                           "pass --key-file FILE (the device's primary or secondary key, as the "
                           "Azure portal shows it) or set MQTLS_AZURE_KEY");
    }
    return exit_ok;
}

std::string utc_time(std::int64_t unix_seconds) {
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

int run_azure_sas(const AzureSasFlags& flags) {
    if (!printable_without_spaces(flags.hub) || !printable_without_spaces(flags.device)) {
        return usage_error(command_name, "--hub and --device must be names without spaces",
                           "e.g. --hub myhub --device dev-1 (the device id as IoT Hub has it)");
    }
    std::string key;
    if (const int status = read_key(flags, key)) return status;
    const std::string host = hub_host(flags.hub);
    const std::string resource = host + "/devices/" + flags.device;
    const std::int64_t expiry =
        port::posix::wall_clock_seconds() + std::int64_t{flags.hours} * 3600;
    char token[tls::max_azure_sas_token_size];
    auto made = tls::azure_sas_token(resource, key, expiry, span<char>(token, sizeof token));
    wipe(key);
    if (!made) {
        if (made.error() == Error{Errc::invalid_argument, 2}) {
            return usage_error(command_name, "the device key is not a Base64 key of 1 to 64 bytes",
                               "copy the device's primary key from the Azure portal (it ends in "
                               "'='), or its connection string's SharedAccessKey part");
        }
        return report(command_name, made.error(), resource);
    }
    const std::string text(token, *made);
    if (!flags.output.empty()) {
        if (auto written = pki::write_private_key_file(flags.output, text + "\n"); !written) {
            return report(command_name, written.error(), "-o " + flags.output);
        }
    } else {
        std::printf("%s\n", text.c_str());
    }
    std::fprintf(stderr,
                 "mqtls azure-sas: a token for %s, valid until %s%s%s\n"
                 "  connect with: -h %s -i %s -u '%s/%s/?api-version=%s' --pw-file FILE\n",
                 resource.c_str(), utc_time(expiry).c_str(),
                 flags.output.empty() ? "" : ", written to ", flags.output.c_str(), host.c_str(),
                 flags.device.c_str(), host.c_str(), flags.device.c_str(), api_version);
    return exit_ok;
}

}  // namespace

void register_azure_sas_command(CLI::App& app, int& exit_status) {
    auto flags = std::make_shared<AzureSasFlags>();
    CLI::App* command = app.add_subcommand(
        command_name,
        "make the SAS token an Azure IoT Hub device sends as its MQTT password, from its key "
        "(docs/cloud-brokers.md)");
    command->set_help_flag("--help", "print this help and exit");
    command->add_option("--hub", flags->hub, "the IoT Hub: myhub or myhub.azure-devices.net")
        ->required();
    command->add_option("--device", flags->device, "the device id, as registered in the hub")
        ->required();
    command->add_option("--key-file", flags->key_file,
                        "file whose first line is the device's Base64 key (default: the "
                        "MQTLS_AZURE_KEY environment variable)");
    command->add_option("--hours", flags->hours, "how long the token is valid")
        ->capture_default_str()
        ->check(CLI::Range(1, 8760));
    command->add_option("-o,--output", flags->output,
                        "write the token to this new file (mode 0600, for --pw-file) instead of "
                        "stdout");
    command->callback([flags, &exit_status] { exit_status = run_azure_sas(*flags); });
}

}  // namespace mqtls::cli
