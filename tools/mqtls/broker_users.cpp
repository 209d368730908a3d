#include "broker_users.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli_support.hpp"
#include "mqtls/node/device.hpp"

namespace mqtls::cli::broker {
namespace {

// More than any list of logins; a larger input is a mistake (or /dev/zero behind a symlink).
constexpr std::size_t max_users_text_bytes = std::size_t{1} << 20;
// mosquitto_passwd -U reads each line into a fixed buffer: stay far below it rather than have a
// longer password cut silently.
constexpr std::size_t max_password_length = 1000;

int fail(int status, const std::string& what, const char* hint) {
    std::fprintf(stderr, "mqtls broker: %s\n  hint: %s\n", what.c_str(), hint);
    return status;
}

bool has_control_character(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char character) {
        const auto byte = static_cast<unsigned char>(character);
        return byte < 0x20 || byte == 0x7f;
    });
}

void wipe(std::string& secret) noexcept {
    // volatile: the compiler may not drop stores to memory that is freed right after.
    volatile char* bytes = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = '\0';
}

// Every NAME:PASSWORD line of `text`, numbered for errors as "line N of <source>".
int add_lines(const std::string& text, const std::string& source, int failure_status,
              std::vector<Login>& logins) {
    std::size_t start = 0;
    for (int line_number = 1; start < text.size(); ++line_number) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        const std::string where = "line " + std::to_string(line_number) + " of " + source;
        if (const int status = add_login(line, where, failure_status, logins)) return status;
    }
    return exit_ok;
}

// Reads `fd` to its end, at most max_users_text_bytes. 0, or an errno (EFBIG when too large).
int read_all(int fd, std::string& text) {
    char buffer[4096];
    // Bounded: each round either ends the loop or adds at least one byte below the limit.
    while (true) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int saved = errno;
            std::fill(std::begin(buffer), std::end(buffer), '\0');
            return saved;
        }
        if (got == 0) break;
        if (text.size() + static_cast<std::size_t>(got) > max_users_text_bytes) {
            std::fill(std::begin(buffer), std::end(buffer), '\0');
            return EFBIG;
        }
        text.append(buffer, static_cast<std::size_t>(got));
    }
    std::fill(std::begin(buffer), std::end(buffer), '\0');
    return 0;
}

// Echo off on the terminal while passwords are typed; restored on scope exit and, should a
// signal end mqtls meanwhile, by the handler (tcsetattr is async-signal-safe).
struct termios saved_terminal {};
volatile std::sig_atomic_t terminal_saved = 0;

extern "C" void restore_terminal_and_die(int signal_number) {
    if (terminal_saved != 0) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

class HiddenTyping {
public:
    HiddenTyping() {
        if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) return;
        struct termios quiet = saved_terminal;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        terminal_saved = 1;
        for (std::size_t i = 0; i < std::size(handled_signals); ++i) {
            old_handlers_[i] = std::signal(handled_signals[i], restore_terminal_and_die);
        }
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    HiddenTyping(const HiddenTyping&) = delete;
    HiddenTyping& operator=(const HiddenTyping&) = delete;
    ~HiddenTyping() {
        if (terminal_saved == 0) return;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
        terminal_saved = 0;
        for (std::size_t i = 0; i < std::size(handled_signals); ++i) {
            std::signal(handled_signals[i], old_handlers_[i]);
        }
        std::fputc('\n', stderr);
    }

private:
    static constexpr int handled_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    void (*old_handlers_[std::size(handled_signals)])(int) = {};
};

// The kernel's arg_start and arg_end (fields 48 and 49 of /proc/self/stat, Linux 3.5+): where
// the argument strings it shows in /proc/self/cmdline live in our memory.
bool argument_area(unsigned long& start, unsigned long& end) {
    std::ifstream stat_file("/proc/self/stat");
    const std::string stat((std::istreambuf_iterator<char>(stat_file)),
                           std::istreambuf_iterator<char>());
    // Field 2, the program name in parentheses, may itself hold spaces and ')'.
    const std::size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos) return false;
    std::istringstream fields(stat.substr(name_end + 1));
    std::string field;
    constexpr int arg_start_field = 48;
    for (int number = 3; number < arg_start_field; ++number) {
        if (!(fields >> field)) return false;
    }
    return static_cast<bool>(fields >> start >> end) && start != 0 && end > start;
}

}  // namespace

bool valid_user_name(std::string_view name) noexcept {
    return static_cast<bool>(node::validate_device_id(name));
}

std::string printable_name(std::string_view name) {
    std::string shown(name.substr(0, 80));
    for (char& character : shown) {
        const auto byte = static_cast<unsigned char>(character);
        if (byte < 0x20 || byte == 0x7f) character = '?';
    }
    if (name.size() > shown.size()) shown += "...";
    return "'" + shown + "'";
}

int add_login(std::string_view line, const std::string& where, int failure_status,
              std::vector<Login>& logins) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == line.size()) {
        // The line may be a password alone: never show it.
        return fail(failure_status,
                    where + ": expected NAME:PASSWORD with a non-empty name and password",
                    "one login per line, e.g. sensor-7:correct-horse");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view password = line.substr(colon + 1);
    if (!valid_user_name(name)) {
        return fail(failure_status,
                    where + ": the user name " + printable_name(name) + " is not allowed",
                    "user names are 1 to 64 characters of A-Z a-z 0-9 . _ - (the rule for "
                    "device ids): the ACL puts the name into topics, where '/', '+' and '#' "
                    "would grant other devices' topics");
    }
    if (has_control_character(password) || password.size() > max_password_length) {
        return fail(failure_status,
                    where + ": the password of user '" + std::string(name) +
                        "' must not contain control characters or be longer than 1000 "
                        "characters",
                    "choose another password for this user");
    }
    logins.push_back(Login{std::string(name), std::string(password)});
    return exit_ok;
}

int read_users_file(const std::string& path, std::vector<Login>& logins) {
    // O_NONBLOCK: opening a FIFO must not hang; fstat() then judges what was opened, so the file
    // checked is the file read.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return report("broker", Error{Errc::file_read_failed, errno}, "--users-file " + path);
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(exit_file, "the users file " + path + " is not a regular file",
                    "pass a file of NAME:PASSWORD lines (--users-stdin reads them from a pipe)");
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0 ||
        (info.st_uid != ::geteuid() && info.st_uid != 0)) {
        ::close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        return fail(exit_file,
                    "the users file " + path + " holds passwords but other users may read or " +
                        "write it (mode " + mode + ", owner uid " + std::to_string(info.st_uid) +
                        "); it was not read",
                    "chmod 600 it and make it yours (chown), and change the passwords if others "
                    "could have read them");
    }
    std::string text;
    const int error = read_all(fd, text);
    ::close(fd);
    if (error != 0) {
        wipe(text);
        if (error == EFBIG) {
            return fail(exit_file, "the users file " + path + " is larger than 1 MiB",
                        "it should hold NAME:PASSWORD lines only");
        }
        return report("broker", Error{Errc::file_read_failed, error}, "--users-file " + path);
    }
    const int status = add_lines(text, path, exit_file, logins);
    wipe(text);
    if (status == exit_ok && logins.empty()) {
        return fail(exit_file, "the users file " + path + " holds no NAME:PASSWORD line",
                    "add one login per line, e.g. sensor-7:correct-horse");
    }
    return status;
}

int read_users_stdin(std::vector<Login>& logins) {
    std::string text;
    int error = 0;
    if (::isatty(STDIN_FILENO) == 1) {
        std::fputs("mqtls broker: type NAME:PASSWORD lines (not shown), then Ctrl-D\n", stderr);
        const HiddenTyping hidden;
        error = read_all(STDIN_FILENO, text);
    } else {
        error = read_all(STDIN_FILENO, text);
    }
    if (error != 0) {
        wipe(text);
        return fail(error == EFBIG ? exit_usage : exit_failure,
                    error == EFBIG
                        ? "standard input holds more than 1 MiB (--users-stdin)"
                        : std::string("standard input could not be read: ") + std::strerror(error),
                    "pipe NAME:PASSWORD lines into mqtls broker --users-stdin");
    }
    const std::size_t before = logins.size();
    const int status = add_lines(text, "standard input", exit_usage, logins);
    wipe(text);
    if (status == exit_ok && logins.size() == before) {
        return fail(exit_usage, "standard input held no NAME:PASSWORD line (--users-stdin)",
                    "pipe one login per line, e.g. printf 'sensor-7:%s\\n' \"$PW\" | mqtls "
                    "broker ... --users-stdin");
    }
    return status;
}

int take_users_from_environment(std::vector<Login>& logins, bool& found) {
    found = false;
    char* value = std::getenv(users_environment_variable);
    if (value == nullptr) return exit_ok;
    std::string text(value);
    // The environment block is this process's memory, shown by /proc/PID/environ: clear it there
    // too, then drop the variable so children do not inherit it.
    std::memset(value, 0, std::strlen(value));
    ::unsetenv(users_environment_variable);
    if (text.empty()) return exit_ok;
    found = true;
    const int status = add_lines(text, users_environment_variable, exit_usage, logins);
    wipe(text);
    return status;
}

int check_password_file_names(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return report("broker", text.error(), "--password-file " + path);
    std::istringstream lines(*text);
    int line_number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        const std::string name = line.substr(0, line.find(':'));
        if (!valid_user_name(name)) {
            return fail(exit_file,
                        "line " + std::to_string(line_number) + " of the password file " + path +
                            ": the user name " + printable_name(name) +
                            " is not allowed with --acl-devices",
                        "user names are 1 to 64 characters of A-Z a-z 0-9 . _ -: the ACL puts "
                        "the name into topics, where '/', '+' and '#' would grant other "
                        "devices' topics");
        }
    }
    return exit_ok;
}

int check_unique_names(const std::vector<Login>& logins) {
    for (std::size_t i = 0; i < logins.size(); ++i) {
        for (std::size_t j = i + 1; j < logins.size(); ++j) {
            if (logins[i].name == logins[j].name) {
                return fail(exit_usage, "user '" + logins[i].name + "' is given more than once",
                            "give each user one password");
            }
        }
    }
    return exit_ok;
}

namespace {

// Overwrites the password of the --user NAME:PASSWORD value that `argument` is or ends with
// (after '='); true when it held one.
bool hide_password_in(char* argument, std::size_t length,
                      const std::vector<std::string>& user_arguments) {
    const std::string_view text(argument, length);
    for (const std::string& value : user_arguments) {
        const std::size_t colon = value.find(':');
        if (colon == std::string::npos || text.size() < value.size()) continue;
        const std::size_t value_at = text.size() - value.size();
        if (text.substr(value_at) != value) continue;
        if (value_at != 0 && text[value_at - 1] != '=') continue;
        std::memset(argument + value_at + colon + 1, '*', value.size() - colon - 1);
        return true;
    }
    return false;
}

}  // namespace

int hide_passwords_in_command_line(const std::vector<std::string>& user_arguments) {
    if (user_arguments.empty()) return 0;
    unsigned long start = 0;
    unsigned long end = 0;
    if (!argument_area(start, end)) return 0;
    std::ifstream cmdline_file("/proc/self/cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)),
                              std::istreambuf_iterator<char>());
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the kernel reports the address as a number.
    char* const area = reinterpret_cast<char*>(start);
    const std::size_t size = end - start;
    // Only memory that still holds exactly what the kernel shows is ours to change.
    if (cmdline.size() != size || std::memcmp(area, cmdline.data(), size) != 0) return 0;
    int hidden = 0;
    for (std::size_t offset = 0; offset < size;) {
        const std::size_t length = ::strnlen(area + offset, size - offset);
        if (hide_password_in(area + offset, length, user_arguments)) ++hidden;
        offset += length + 1;
    }
    return hidden;
}

void wipe_logins(std::vector<Login>& logins) noexcept {
    for (Login& login : logins) wipe(login.password);
}

}  // namespace mqtls::cli::broker
