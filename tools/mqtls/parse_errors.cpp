#include "parse_errors.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli_support.hpp"

namespace mqtls::cli {
namespace {

struct MosquittoOption {
    const char* names;    // space-separated spellings
    const char* command;  // the mqtls command that has it ("" : none has it)
    const char* answer;
};

// mosquitto_pub/_sub options mqtls does not take on the command at hand, each with the reason
// and what to do instead. Options a command does take never reach this table.
constexpr MosquittoOption mosquitto_options[] = {
    {"--insecure", "",
     "mqtls always verifies the broker's certificate and its name, and has no switch to turn "
     "that off: someone who can skip the check can intercept the connection. Pass the CA that "
     "issued the broker's certificate with --cafile (or --capath), and add --pin-sha256 to "
     "pin the broker's key; a certificate made for another name must be reissued for the "
     "name you dial (mqtls pki server --san NAME)"},
    {"--psk --psk-identity", "",
     "TLS-PSK is not supported: mqtls authenticates the broker by its certificate (--cafile) "
     "and the device by user name and password or a client certificate (--cert, --key)"},
    {"--ciphers", "",
     "the cipher suites are fixed: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only; "
     "nothing weaker can be selected"},
    {"--tls-engine --keyform --tls-engine-kpass-sha1", "",
     "keys in OpenSSL engines or PKCS#11 are not supported: pass an unencrypted PEM key with "
     "--key (keep it mode 0600)"},
    {"--proxy", "", "SOCKS proxies are not supported: mqtls connects to the broker directly"},
    {"--unix", "", "mqtls connects over TCP and TLS only, not over a Unix socket"},
    {"-A", "", "binding to a local address is not supported"},
    {"--nodelay", "", "not needed: mqtls always disables Nagle's algorithm (TCP_NODELAY)"},
    {"-D", "",
     "mqtls node sets the properties of what it sends itself (-x for the session expiry, "
     "--reading-ttl for each reading's message expiry); -D is an option of mqtls pub and sub"},
    {"--repeat --repeat-delay", "", "not supported: run mqtls pub again, or use -l"},
    {"--pretty --random-filter", "", "not supported by mqtls sub"},
    {"-m --message -f --file -l --stdin-line -n --null-message -s --stdin-file -r --retain "
     "-M --max-inflight",
     "pub", "it is an option of mqtls pub (as of mosquitto_pub)"},
    {"-C --count -R -E -F -T -U -v --verbose -N --no-newline -W --timeout --retained-only "
     "--remove-retained --dedupe",
     "sub", "it is an option of mqtls sub (as of mosquitto_sub)"},
};

bool names_contain(std::string_view names, std::string_view option) {
    std::size_t start = 0;
    while (start < names.size()) {
        std::size_t end = names.find(' ', start);
        if (end == std::string_view::npos) end = names.size();
        if (names.substr(start, end - start) == option) return true;
        start = end + 1;
    }
    return false;
}

// The option name an argument spells, without anything that could be a value: "--pw=x" is
// "--pw", a short cluster "-dPsecret" is "-d".
std::string option_name_of(std::string_view argument) {
    if (argument.size() > 2 && argument.substr(0, 2) == "--") {
        return std::string(argument.substr(0, argument.find('=')));
    }
    return std::string(argument.substr(0, 2));
}

bool looks_like_option(std::string_view argument) {
    return argument.size() >= 2 && argument[0] == '-' &&
           (argument[1] == '-' || (argument[1] < '0' || argument[1] > '9'));
}

// The subcommand being parsed when the error came (the deepest one CLI11 entered), or `app`.
CLI::App& command_of(CLI::App& app) {
    CLI::App* command = &app;
    for (int depth = 0; depth < 8; ++depth) {
        const std::vector<CLI::App*> parsed = command->get_subcommands();
        if (parsed.empty()) break;
        command = parsed.front();
    }
    return *command;
}

// "mqtls pki init" for a subcommand, "mqtls" for the top level: how messages start.
std::string command_label(const CLI::App& command) {
    std::string label;
    for (const CLI::App* level = &command; level != nullptr && level->get_parent() != nullptr;
         level = level->get_parent()) {
        std::string outer = level->get_name();
        if (!label.empty()) outer.append(" ").append(label);
        label = std::move(outer);
    }
    return label.empty() ? std::string("mqtls") : "mqtls " + label;
}

// Edit distance with transpositions (optimal string alignment), for "did you mean": "hots" is
// one step from "host".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

// The long option of `command` closest to `name` (without dashes), if it is close.
std::string closest_option(const CLI::App& command, std::string_view name) {
    std::string best;
    std::size_t best_distance = name.size() / 3 + 1;  // less than a third of it mistyped
    for (const CLI::Option* option : command.get_options()) {
        for (const std::string& long_name : option->get_lnames()) {
            const std::size_t distance = edit_distance(name, long_name);
            if (distance < best_distance) {
                best_distance = distance;
                best = long_name;
            }
        }
    }
    return best;
}

void print_hint_footer(const std::string& label) {
    std::fprintf(stderr, "  see: %s --help\n", label.c_str());
}

// The 1-based positions in argv of the arguments that were left over. They come in argv
// order (per level of subcommands), so each is looked for after the one before it first.
// The first unused argument from `from` on that equals `extra`; 0 if none.
int find_unused(const std::string& extra, int from, int argc, char** argv,
                const std::vector<bool>& used) {
    for (int i = from; i < argc; ++i) {
        if (!used[static_cast<std::size_t>(i)] && extra == argv[i]) return i;
    }
    return 0;
}

std::vector<int> positions_of(const std::vector<std::string>& extras, int argc, char** argv) {
    std::vector<int> positions;
    std::vector<bool> used(static_cast<std::size_t>(argc), false);
    int after = 0;
    for (const std::string& extra : extras) {
        int found = find_unused(extra, after + 1, argc, argv, used);
        if (found == 0) found = find_unused(extra, 1, argc, argv, used);
        if (found == 0) continue;
        used[static_cast<std::size_t>(found)] = true;
        positions.push_back(found);
        after = found;
    }
    return positions;
}

std::string list_positions(const std::vector<int>& positions) {
    std::string list;
    for (const int position : positions) {
        list += list.empty() ? std::to_string(position) : ", " + std::to_string(position);
    }
    return list;
}

// One option the command does not have: mosquitto's meaning and ours, or "did you mean".
void report_unknown_option(CLI::App& command, const std::string& label,
                           const std::string& argument) {
    const std::string option = option_name_of(argument);
    const std::string_view answer = answer_for_mosquitto_option(option, command.get_name());
    if (!answer.empty()) {
        std::fprintf(stderr, "%s: %s is not an option of %s\n  hint: %.*s\n", label.c_str(),
                     option.c_str(), label.c_str(), static_cast<int>(answer.size()), answer.data());
        return;
    }
    std::fprintf(stderr, "%s: unknown option %s\n", label.c_str(), option.c_str());
    if (option.size() <= 2) return;
    if (const std::string near = closest_option(command, option.substr(2)); !near.empty()) {
        std::fprintf(stderr, "  hint: did you mean --%s?\n", near.c_str());
    }
}

int report_extras(CLI::App& app, CLI::App& command, int argc, char** argv) {
    const std::string label = command_label(command);
    // With fallthrough an unknown option of a subcommand goes up to the top level: collect
    // what every level left over.
    const std::vector<std::string> extras = app.remaining(true);
    const std::vector<int> positions = positions_of(extras, argc, argv);
    std::vector<int> value_positions;
    std::size_t values = 0;
    for (std::size_t index = 0; index < extras.size(); ++index) {
        if (looks_like_option(extras[index])) {
            report_unknown_option(command, label, extras[index]);
            continue;
        }
        ++values;
        if (index < positions.size()) value_positions.push_back(positions[index]);
    }
    if (values > 0) {
        // Never the value itself: it may be a password, or half of one (-P two words).
        const std::string where = list_positions(value_positions);
        std::fprintf(stderr,
                     "%s: unexpected argument%s at position %s of the command line (not shown: "
                     "it may be a secret)\n  hint: quote a value that contains spaces; an "
                     "option takes at most one value, and a flag such as -r none\n",
                     label.c_str(), values > 1 ? "s" : "", where.empty() ? "?" : where.c_str());
    }
    print_hint_footer(label);
    return exit_usage;
}

// The option a conversion or validation message is about: CLI11 writes "NAME: ...",
// "The value X is not an allowed value for NAME" or "Could not convert: NAME = X".
std::string option_in_message(std::string_view message) {
    constexpr std::string_view allowed_for = " is not an allowed value for ";
    constexpr std::string_view could_not = "Could not convert: ";
    if (const std::size_t at = message.rfind(allowed_for); at != std::string_view::npos) {
        return std::string(message.substr(at + allowed_for.size()));
    }
    if (message.substr(0, could_not.size()) == could_not) {
        const std::string_view rest = message.substr(could_not.size());
        return std::string(rest.substr(0, rest.find(" = ")));
    }
    const std::size_t colon = message.find(':');
    return colon == std::string_view::npos ? std::string() : std::string(message.substr(0, colon));
}

// Options whose values are secrets or may carry one: their values are never quoted, not even
// by the validators' own messages.
bool holds_secret(const CLI::Option& option) {
    static constexpr std::string_view secret_options[] = {"--pw", "--url", "--user"};
    for (const std::string& name : option.get_lnames()) {
        for (const std::string_view secret : secret_options) {
            if (name == secret.substr(2)) return true;
        }
    }
    return false;
}

int report_bad_value(CLI::App& command, const CLI::ParseError& error) {
    const std::string label = command_label(command);
    const std::string name = option_in_message(error.what());
    const CLI::Option* option = name.empty() ? nullptr : command.get_option_no_throw(name);
    if (option == nullptr || holds_secret(*option)) {
        std::fprintf(stderr, "%s: %s was given a value it does not accept (not shown)\n",
                     label.c_str(), option == nullptr ? "an option" : option->get_name().c_str());
    } else {
        // Not a secret: the message may quote the value, and our validators say precisely
        // what is wrong with a host name, a device id or a range.
        std::fprintf(
            stderr, "%s: %s\n  expected: %s\n", label.c_str(), error.what(),
            option->get_type_name().empty() ? "see --help" : option->get_type_name().c_str());
    }
    print_hint_footer(label);
    return exit_usage;
}

// "INI was not able to parse pub.hots": name the key and its section, suggest the near one.
int report_config_error(CLI::App& app, const CLI::ParseError& error) {
    const std::string_view message = error.what();
    constexpr std::string_view prefix = "INI was not able to parse ";
    if (message.substr(0, prefix.size()) != prefix) {
        std::fprintf(stderr, "mqtls: the --config file could not be used: %s\n", error.what());
        return exit_usage;
    }
    const std::string_view item = message.substr(prefix.size());
    const std::size_t dot = item.rfind('.');
    const std::string section(dot == std::string_view::npos ? "" : item.substr(0, dot));
    const std::string key(dot == std::string_view::npos ? item : item.substr(dot + 1));
    std::fprintf(stderr, "mqtls: unknown option '%s' in [%s] of the --config file\n", key.c_str(),
                 section.c_str());
    const std::vector<CLI::App*> named = app.get_subcommands(
        [&section](const CLI::App* command) { return command->get_name() == section; });
    const CLI::App* command = named.empty() ? nullptr : named.front();
    if (command != nullptr) {
        if (const std::string near = closest_option(*command, key); !near.empty()) {
            std::fprintf(stderr, "  hint: did you mean %s?\n", near.c_str());
        } else {
            std::fprintf(stderr, "  hint: keys are long option names of mqtls %s (--help)\n",
                         section.c_str());
        }
    }
    return exit_usage;
}

bool is_one_of_value_errors(const CLI::ParseError& error) {
    return dynamic_cast<const CLI::ConversionError*>(&error) != nullptr ||
           dynamic_cast<const CLI::ValidationError*>(&error) != nullptr;
}

}  // namespace

std::string_view answer_for_mosquitto_option(std::string_view option, std::string_view command) {
    for (const MosquittoOption& known : mosquitto_options) {
        if (names_contain(known.names, option) && command != known.command) return known.answer;
    }
    return {};
}

int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
    if (dynamic_cast<const CLI::Success*>(&error) != nullptr) {
        (void)app.exit(error);  // --help: CLI11 prints it
        return exit_ok;
    }
    CLI::App& command = command_of(app);
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr)
        return report_extras(app, command, argc, argv);
    if (is_one_of_value_errors(error)) return report_bad_value(command, error);
    if (dynamic_cast<const CLI::ConfigError*>(&error) != nullptr) {
        return report_config_error(app, error);
    }
    // The rest name options and counts only ("--topic is required", "--pw excludes
    // --pw-file", "--host: 1 required TEXT missing"), never values.
    const std::string label = command_label(command);
    std::fprintf(stderr, "%s: %s\n", label.c_str(), error.what());
    const std::string_view message = error.what();
    if (message.substr(0, 7) == "--host:") {
        std::fprintf(stderr,
                     "  hint: -h is the broker's host, as in mosquitto_pub; help is --help\n");
    }
    print_hint_footer(label);
    return exit_usage;
}

}  // namespace mqtls::cli
