// `mqtls broker`: runs Mosquitto with a configuration that is secure by construction: one TLS
// listener (1.2 or 1.3, AEAD suites only; never a plaintext one), no anonymous clients, client
// ids bound to the authenticated identity, and optionally an ACL that keeps every device inside
// its own topics.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "broker_config.hpp"
#include "broker_users.hpp"
#include "cli_support.hpp"
#include "cmd_broker_crl.hpp"
#include "mqtls/host/process.hpp"
#include "mqtls/pki/pki.hpp"

namespace mqtls::cli {
namespace {

using broker::BrokerOptions;
using broker::ConfigPaths;
using broker::Login;

constexpr const char* command_name = "broker";
constexpr const char* install_hint = "install it with: apt-get install mosquitto";

// Prints a usage problem the way CLI11 would and returns exit_usage.
int usage_error(const std::string& text, const char* hint) {
    std::fprintf(stderr, "mqtls broker: %s\n  hint: %s\n", text.c_str(), hint);
    return exit_usage;
}

bool has_control_character(const std::string& text) {
    for (const char character : text) {
        const auto byte = static_cast<unsigned char>(character);
        if (byte < 0x20 || byte == 0x7f) return true;
    }
    return false;
}

// Mosquitto reads one value per line: a path with a line break would inject configuration.
bool safe_config_value(const std::string& value) {
    return !value.empty() && !has_control_character(value);
}

std::string absolute_path(const std::string& path) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    return error ? path : absolute.lexically_normal().string();
}

// Creates `path` 0600 (replacing an older file of ours) with `text`.
Result<void> write_private_text(const std::string& path, const std::string& text) {
    ::unlink(path.c_str());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Error{Errc::file_write_failed, errno};
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t result = ::write(fd, text.data() + written, text.size() - written);
        if (result < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            ::unlink(path.c_str());
            return Error{Errc::file_write_failed, saved};
        }
        written += static_cast<std::size_t>(result);
    }
    if (::close(fd) != 0) return Error{Errc::file_write_failed, errno};
    return ok();
}

// Runs argv to completion with inherited output; its exit status, 127 when it cannot run, -1
// when it could not be started or a signal ended it.
int run_and_wait(const std::vector<std::string>& argv) {
    host::SpawnOptions options;
    options.argv = argv;
    auto child = host::Process::spawn(options);
    return child ? child->wait().code() : -1;
}

// The password file: plain "name:password" lines hashed in place by `mosquitto_passwd -U`.
// Unlike `mosquitto_passwd -b`, this never puts a password on a command line, where other local
// users could read it in /proc. The plain file is 0600 in a 0700 directory and removed if hashing
// fails.
int write_password_file(const std::string& path, const std::vector<Login>& users) {
    const std::string mosquitto_passwd = host::find_program("mosquitto_passwd");
    if (mosquitto_passwd.empty()) {
        std::fprintf(stderr, "mqtls broker: mosquitto_passwd was not found in PATH\n  hint: %s\n",
                     install_hint);
        return exit_failure;
    }
    std::string lines;
    for (const Login& user : users) {
        // Appended piece by piece: temporaries holding a password would be freed unwiped.
        lines.append(user.name).append(":").append(user.password).append("\n");
    }
    auto written = write_private_text(path, lines);
    std::fill(lines.begin(), lines.end(), '\0');
    if (!written) return report(command_name, written.error(), path);
    if (run_and_wait({mosquitto_passwd, "-U", path}) != 0) {
        ::unlink(path.c_str());
        std::fprintf(stderr,
                     "mqtls broker: mosquitto_passwd -U could not hash the passwords (%s)\n"
                     "  hint: check that mosquitto_passwd works: mosquitto_passwd --help\n",
                     path.c_str());
        return exit_failure;
    }
    return exit_ok;
}

std::atomic<pid_t> broker_child{-1};

// Passes SIGINT/SIGTERM on to Mosquitto, which then shuts down cleanly (we exit with it), and
// SIGHUP, on which it reloads its configuration, certificates and CRL.
extern "C" void forward_signal(int signal_number) {
    const pid_t child = broker_child.load();
    if (child > 0) ::kill(child, signal_number);
}

// Starts Mosquitto, waits for it and returns the exit status for mqtls.
int run_mosquitto(const std::string& program, const std::string& config_path,
                  const BrokerOptions& options, const std::string& log_path) {
    struct sigaction forwarding {};
    forwarding.sa_handler = forward_signal;
    sigemptyset(&forwarding.sa_mask);
    struct sigaction old_interrupt {};
    struct sigaction old_terminate {};
    struct sigaction old_hangup {};
    ::sigaction(SIGINT, &forwarding, &old_interrupt);
    ::sigaction(SIGTERM, &forwarding, &old_terminate);
    ::sigaction(SIGHUP, &forwarding, &old_hangup);

    // The forwarding handlers become the default action in the child at exec (Mosquitto
    // installs its own); if mqtls is killed outright, the broker must not keep running
    // unattended (death_signal).
    host::SpawnOptions spawn;
    spawn.argv = {program, "-c", config_path};
    spawn.death_signal = SIGTERM;
    auto child = host::Process::spawn(spawn);
    if (!child) {
        ::sigaction(SIGINT, &old_interrupt, nullptr);
        ::sigaction(SIGTERM, &old_terminate, nullptr);
        ::sigaction(SIGHUP, &old_hangup, nullptr);
        return report(command_name, child.error(), "fork");
    }
    broker_child.store(child->pid());
    std::fprintf(stderr, "mqtls broker: mosquitto (pid %d) on %s:%d (TLS), config %s\n",
                 static_cast<int>(child->pid()), options.bind_address.c_str(), options.port,
                 config_path.c_str());
    const host::ExitStatus status = child->wait();
    broker_child.store(-1);
    ::sigaction(SIGINT, &old_interrupt, nullptr);
    ::sigaction(SIGTERM, &old_terminate, nullptr);
    ::sigaction(SIGHUP, &old_hangup, nullptr);

    if (!status.exited()) return status.shell_status();
    const int exit_status = status.code();
    if (exit_status == 0) return exit_ok;
    if (exit_status == 127) {
        std::fprintf(stderr, "mqtls broker: could not run %s\n  hint: %s\n", program.c_str(),
                     install_hint);
        return exit_failure;
    }
    const std::string log = read_text_file(log_path).value_or(std::string{});
    if (log.find("Address already in use") != std::string::npos) {
        std::fprintf(stderr,
                     "mqtls broker: port %d on %s is already in use\n"
                     "  hint: stop the program listening on port %d, or choose another with "
                     "--port\n",
                     options.port, options.bind_address.c_str(), options.port);
        return exit_network;
    }
    // Repeat Mosquitto's own error lines: its log scrolled by above, and a temporary work
    // directory (and the log file in it) is removed when mqtls exits.
    std::string errors;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("Error") != std::string::npos) errors += "    " + line + "\n";
    }
    std::fprintf(stderr, "mqtls broker: mosquitto exited with status %d%s\n%s", exit_status,
                 errors.empty() ? "" : ":", errors.c_str());
    if (options.workdir.empty()) {
        std::fprintf(stderr, "  hint: see its log above\n");
    } else {
        std::fprintf(stderr, "  hint: see its log above (also in %s)\n", log_path.c_str());
    }
    return exit_failure;
}

// The logins of --user, --users-file, --users-stdin and MQTLS_BROKER_USERS (the environment only
// when none of the others, --password-file or --require-certificate is given). exit_ok, or the
// status after saying what is wrong.
int collect_logins(const BrokerOptions& options, std::vector<Login>& logins) {
    for (const std::string& value : options.users) {
        if (const int status = broker::add_login(value, "--user", exit_usage, logins)) {
            return status;
        }
    }
    if (!options.users_file.empty()) {
        if (const int status = broker::read_users_file(options.users_file, logins)) return status;
    }
    if (options.users_stdin) {
        if (const int status = broker::read_users_stdin(logins)) return status;
    }
    const bool other_source = !logins.empty() || !options.password_file.empty() ||
                              options.require_certificate || options.users_stdin;
    std::vector<Login> from_environment;
    bool found = false;
    const int status = broker::take_users_from_environment(from_environment, found);
    if (found && other_source) {
        broker::wipe_logins(from_environment);
        std::fprintf(
            stderr, "mqtls broker: note: %s is set but not used (another way to log in is given)\n",
            broker::users_environment_variable);
        return exit_ok;
    }
    if (status != exit_ok) {
        broker::wipe_logins(from_environment);
        return status;
    }
    for (Login& login : from_environment) logins.push_back(std::move(login));
    return broker::check_unique_names(logins);
}

// The checks CLI11 cannot express; exit_ok or exit_usage (after saying why).
int validate_options(const BrokerOptions& options, const std::vector<Login>& logins) {
    if (logins.empty() && options.password_file.empty() && !options.require_certificate) {
        return usage_error("no way to authenticate clients (anonymous clients are not allowed)",
                           "pass --require-certificate (devices present certificates from "
                           "'mqtls pki device'), --users-file FILE (NAME:PASSWORD lines), "
                           "--users-stdin, MQTLS_BROKER_USERS, or --password-file FILE");
    }
    for (const auto* value :
         {&options.bind_address, &options.pki_directory, &options.workdir, &options.password_file,
          &options.collector, &options.certificate_name}) {
        if (!value->empty() && !safe_config_value(*value)) {
            return usage_error("arguments must not contain control characters",
                               "check --bind, --pki, --workdir, --password-file, --collector and "
                               "--cert-name");
        }
    }
    if (!options.collector.empty() && !broker::valid_user_name(options.collector)) {
        return usage_error(
            "the --collector name " + broker::printable_name(options.collector) + " is not allowed",
            "user names are 1 to 64 characters of A-Z a-z 0-9 . _ - (the rule "
            "for device ids), as 'mqtls pki device' gives them");
    }
    return exit_ok;
}

// --print-config: nothing is written; the work directory's files are shown where `--workdir`
// puts them (the placeholder WORKDIR without it).
int print_config(const BrokerOptions& options, bool has_users, ConfigPaths paths) {
    const std::string workdir =
        options.workdir.empty() ? std::string{"WORKDIR"} : absolute_path(options.workdir);
    if (!options.password_file.empty()) {
        paths.password_file = absolute_path(options.password_file);
    } else if (has_users) {
        paths.password_file = workdir + "/passwords";
    }
    if (options.acl_devices) paths.acl_file = workdir + "/acl";
    paths.log_file = workdir + "/mosquitto.log";
    std::fputs(broker::config_text(options, paths).c_str(), stdout);
    if (options.acl_devices) {
        std::printf("\n# ---- %s ----\n%s", paths.acl_file.c_str(),
                    broker::acl_text(options).c_str());
    }
    return exit_ok;
}

// The work directory holds the configuration, password file, ACL and log. Without --workdir it
// is temporary and removed again when the broker exits.
class WorkDirectory {
public:
    WorkDirectory() = default;
    WorkDirectory(const WorkDirectory&) = delete;
    WorkDirectory& operator=(const WorkDirectory&) = delete;
    ~WorkDirectory() {
        std::error_code ignored;
        if (temporary_) std::filesystem::remove_all(path_, ignored);
    }

    // exit_ok, or the reported error's exit status.
    int create(const std::string& requested) {
        if (requested.empty()) {
            std::string pattern = "/tmp/mqtls-broker-XXXXXX";
            if (::mkdtemp(pattern.data()) == nullptr) {
                return report(command_name, Error{Errc::file_write_failed, errno}, "/tmp");
            }
            path_ = pattern;
            temporary_ = true;
            return exit_ok;
        }
        path_ = absolute_path(requested);
        if (::mkdir(path_.c_str(), 0700) != 0 && errno != EEXIST) {
            return report(command_name, Error{Errc::file_write_failed, errno}, path_);
        }
        return exit_ok;
    }

    [[nodiscard]] std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
    bool temporary_ = false;
};

// Why the PEM file `path` cannot be a certificate (want_key false) or a private key (true),
// or empty when it looks right. Mosquitto would only say so in its log, and later.
std::string pem_file_problem(const std::string& path, bool want_key) {
    auto text = pki::read_file(path);
    if (!text) return std::string("it could not be read: ") + text.error().message();
    std::string& pem = *text;
    const bool has_certificate = pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
    const bool has_key = pem.find("PRIVATE KEY-----") != std::string::npos;
    std::string problem;
    if (pem.find_first_not_of(" \t\r\n") == std::string::npos) {
        problem = "the file is empty";
    } else if (want_key && !has_key) {
        problem = has_certificate ? "the file holds a certificate, not a private key"
                                  : "the file holds no PEM private key";
    } else if (!want_key && !has_certificate) {
        problem = has_key ? "the file holds a PRIVATE KEY, not a certificate"
                          : "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
    } else if (!want_key && !pki::spki_sha256_hex(pem)) {
        problem = "the certificate could not be parsed";
    }
    pki::wipe_secret(pem);
    return problem;
}

// exit_ok when ca.crt and the broker's certificate are PEM certificates and its key is a PEM
// private key; otherwise exit_file after naming the file and the problem.
int check_pem_files(const ConfigPaths& paths) {
    const struct {
        const std::string* path;
        bool want_key;
        const char* role;
    } files[] = {{&paths.ca_certificate, false, "CA certificate"},
                 {&paths.certificate, false, "broker certificate"},
                 {&paths.key, true, "broker private key"}};
    for (const auto& file : files) {
        const std::string problem = pem_file_problem(*file.path, file.want_key);
        if (problem.empty()) continue;
        std::fprintf(stderr,
                     "mqtls broker: the %s %s is not usable: %s\n"
                     "  hint: recreate the PKI directory with 'mqtls pki init' and 'mqtls pki "
                     "server'; mosquitto was not started\n",
                     file.role, file.path->c_str(), problem.c_str());
        return exit_file;
    }
    return exit_ok;
}

// exit_ok when the broker's certificate files and the mosquitto program are there.
int check_prerequisites(const BrokerOptions& options, const ConfigPaths& paths,
                        std::string& mosquitto) {
    for (const auto* path : {&paths.ca_certificate, &paths.certificate, &paths.key}) {
        if (::access(path->c_str(), R_OK) != 0) {
            report(command_name, Error{Errc::file_read_failed, errno}, *path);
            std::fprintf(stderr,
                         "  (create them with 'mqtls pki init %s' and 'mqtls pki server %s --san "
                         "...')\n",
                         options.pki_directory.c_str(), options.pki_directory.c_str());
            return exit_file;
        }
    }
    if (const int status = check_pem_files(paths)) return status;
    if (!paths.crl_file.empty()) {
        if (const int status =
                broker::check_crl_file(options, paths.crl_file, paths.ca_certificate)) {
            return status;
        }
    }
    mosquitto = host::find_program(options.mosquitto);
    if (mosquitto.empty()) {
        std::fprintf(stderr,
                     "mqtls broker: %s was not found\n  hint: %s, or pass --mosquitto PATH\n",
                     options.mosquitto.c_str(), install_hint);
        return exit_failure;
    }
    if (!options.password_file.empty() &&
        ::access(absolute_path(options.password_file).c_str(), R_OK) != 0) {
        return report(command_name, Error{Errc::file_read_failed, errno}, options.password_file);
    }
    return exit_ok;
}

// Writes the work directory's files and runs Mosquitto until it exits.
int prepare_and_run(const BrokerOptions& options, const std::vector<Login>& users) {
    ConfigPaths paths;
    const std::string pki_prefix = options.pki_directory + "/";
    paths.ca_certificate = absolute_path(pki_prefix + "ca.crt");
    paths.certificate = absolute_path(pki_prefix + options.certificate_name + ".crt");
    paths.key = absolute_path(pki_prefix + options.certificate_name + ".key");
    paths.crl_file = broker::crl_path_for(options);
    if (options.print_config) return print_config(options, !users.empty(), paths);

    std::string mosquitto;
    if (const int status = check_prerequisites(options, paths, mosquitto)) return status;
    WorkDirectory workdir;
    if (const int status = workdir.create(options.workdir)) return status;

    if (!options.password_file.empty()) {
        paths.password_file = absolute_path(options.password_file);
    } else if (!users.empty()) {
        paths.password_file = workdir.file("passwords");
        if (const int status = write_password_file(paths.password_file, users)) return status;
    }
    if (options.acl_devices) {
        paths.acl_file = workdir.file("acl");
        if (auto written = write_private_text(paths.acl_file, broker::acl_text(options));
            !written) {
            return report(command_name, written.error(), paths.acl_file);
        }
    }
    paths.log_file = workdir.file("mosquitto.log");
    ::unlink(paths.log_file.c_str());
    const std::string config_path = workdir.file("mosquitto.conf");
    if (auto written = write_private_text(config_path, broker::config_text(options, paths));
        !written) {
        return report(command_name, written.error(), config_path);
    }
    return run_mosquitto(mosquitto, config_path, options, paths.log_file);
}

int run_broker(const BrokerOptions& options) {
    std::vector<Login> users;
    int status = collect_logins(options, users);
    if (status == exit_ok) status = validate_options(options, users);
    if (status == exit_ok && options.acl_devices && !options.password_file.empty()) {
        status = broker::check_password_file_names(absolute_path(options.password_file));
    }
    if (status == exit_ok) status = prepare_and_run(options, users);
    broker::wipe_logins(users);
    return status;
}

}  // namespace

void register_broker_command(CLI::App& app, int& exit_status) {
    auto options = std::make_shared<BrokerOptions>();
    CLI::App* command = app.add_subcommand(
        "broker",
        "Run Mosquitto in the foreground with a TLS-only configuration made from a 'mqtls pki' "
        "directory (no plaintext listener, no anonymous clients)");
    command
        ->add_option("--pki", options->pki_directory,
                     "PKI directory with ca.crt and the broker's certificate and key; with "
                     "--require-certificate, its crl.pem (mqtls pki revoke) too when it exists")
        ->required();
    command->add_option("--port", options->port, "TLS port")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    command->add_option("--bind", options->bind_address, "Address to listen on")
        ->capture_default_str();
    auto* user = command->add_option(
        "--user", options->users,
        "NAME:PASSWORD of a client allowed to log in with a password (repeatable); hashed into a "
        "password file, never printed by mqtls, but other local users can see argv (ps, "
        "/proc/PID/cmdline) until mqtls hides it after parsing: prefer --users-file, "
        "--users-stdin or MQTLS_BROKER_USERS");
    auto* users_file = command->add_option(
        "--users-file", options->users_file,
        "A file of NAME:PASSWORD lines (# comments and empty lines skipped); it must be a "
        "regular file of yours that others cannot read or write (chmod 600)");
    auto* users_stdin = command->add_flag(
        "--users-stdin", options->users_stdin,
        "Read NAME:PASSWORD lines from standard input up to its end (not echoed on a terminal). "
        "Without any of --user, --users-file, --users-stdin, --password-file and "
        "--require-certificate, the environment variable MQTLS_BROKER_USERS (the same lines) is "
        "used");
    auto* password_file = command->add_option(
        "--password-file", options->password_file,
        "An existing Mosquitto password file (made with mosquitto_passwd) instead of --user");
    auto* require_certificate = command->add_flag(
        "--require-certificate", options->require_certificate,
        "Mutual TLS: clients must present a certificate from the PKI's CA, and its CN (the "
        "device ID) becomes their user name");
    auto* acl_devices = command->add_flag(
        "--acl-devices", options->acl_devices,
        "Add an ACL: every client may publish only to telemetry/<its user name>/# and "
        "status/<its user name>, and read nothing (pattern write telemetry/%u/#, pattern write "
        "status/%u)");
    command
        ->add_option("--collector", options->collector,
                     "With --acl-devices: the user name that may also read telemetry/# and "
                     "status/# (log in with a password login, or with a 'mqtls pki device' "
                     "certificate for NAME under --require-certificate)")
        ->needs(acl_devices);
    command
        ->add_option("--cert-name", options->certificate_name,
                     "Base name of the broker's certificate and key in the PKI directory")
        ->capture_default_str();
    command
        ->add_option("--max-queued", options->max_queued_messages,
                     "QoS 1/2 messages Mosquitto queues per subscriber before it drops new ones "
                     "(its max_queued_messages; 0: no limit)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command->add_option("--workdir", options->workdir,
                        "Directory (0700 if new) for mosquitto.conf, the password file, the ACL "
                        "and mosquitto.log; default: a temporary directory removed on exit");
    command->add_flag("--print-config", options->print_config,
                      "Print the Mosquitto configuration (and ACL) and exit without writing "
                      "anything or starting the broker");
    command->add_option("--mosquitto", options->mosquitto, "The mosquitto program to run")
        ->capture_default_str();
    for (CLI::Option* login_source : {user, users_file, users_stdin}) {
        login_source->excludes(password_file);
        require_certificate->excludes(login_source);
    }
    require_certificate->excludes(password_file);
    command->footer(
        "Authentication: choose --require-certificate (devices use 'mqtls pki device' "
        "certificates) or passwords (--users-file, --users-stdin, MQTLS_BROKER_USERS, --user or "
        "--password-file). User names (and --collector) are 1 to 64 characters of A-Z a-z 0-9 . "
        "_ -, like device ids.\n"
        "Every client's client id is its user name (its certificate's CN): Mosquitto replaces "
        "the id a client sends, so no client can take over another's session.\n"
        "TLS 1.2 (ECDHE with AES-GCM or ChaCha20-Poly1305) and TLS 1.3 (AES-GCM, ChaCha20-"
        "Poly1305); nothing older, no CBC suites.\n"
        "Revoked devices (mqtls pki revoke): with --require-certificate, DIR/crl.pem is given to "
        "Mosquitto (crlfile) when it exists, and checked first: a CRL past its next update would "
        "make Mosquitto refuse every device, so the broker does not start with one (and warns 30 "
        "days before). Restart the broker after a revocation; SIGHUP makes it re-read the CRL, "
        "but only for new connections.\n"
        "SIGINT and SIGTERM are passed on to Mosquitto, and SIGHUP (reload); the exit status is "
        "Mosquitto's (4 when the port is taken).\n");
    command->callback([options, &exit_status] {
        if (!options->users.empty()) {
            // Before anything else, to keep the window short (it opened at exec).
            broker::hide_passwords_in_command_line(options->users);
            std::fprintf(stderr,
                         "mqtls broker: warning: --user puts passwords on the command line, "
                         "where other local users can see argv (ps, /proc/PID/cmdline); mqtls "
                         "hides them now, but they were visible until this point\n"
                         "  hint: use --users-file FILE (chmod 600), --users-stdin or %s\n",
                         broker::users_environment_variable);
        }
        exit_status = run_broker(*options);
    });
}

}  // namespace mqtls::cli
