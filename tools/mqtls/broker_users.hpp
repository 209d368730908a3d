#pragma once
// The password logins of `mqtls broker`: where NAME:PASSWORD lines come from (--user, a private
// file, standard input, the environment), the one rule every user name follows, and hiding the
// passwords that came on the command line.

#include <string>
#include <string_view>
#include <vector>

namespace mqtls::cli::broker {

/// The environment variable with NAME:PASSWORD lines (one per line), read when no other source of
/// logins is given. Other local users cannot read a process's environment (/proc/PID/environ is
/// private to its owner), unlike its argv.
inline constexpr const char* users_environment_variable = "MQTLS_BROKER_USERS";

/// One login. The owner wipes `password` (wipe_logins) once it has been hashed.
struct Login {
    std::string name;
    std::string password;
};

/// What a user name must look like: the device-id rule of the node layer
/// (node::validate_device_id). A name is substituted for %u in the ACL's patterns and becomes the
/// client id, so '/', '+', '#', spaces and control characters would change what a pattern grants.
bool valid_user_name(std::string_view name) noexcept;

/// `name` in single quotes for an error message, control characters shown as '?' and cut after
/// 80 characters (a user name is not a secret; a terminal escape in it must not act).
std::string printable_name(std::string_view name);

/// Adds the logins of one "NAME:PASSWORD" line to `logins`. `where` says where it came from for
/// the error ("--user", "line 3 of users.txt"). exit_ok, or `failure_status` after printing what
/// is wrong (naming the user, never the password).
int add_login(std::string_view line, const std::string& where, int failure_status,
              std::vector<Login>& logins);

/// The logins of --users-file: NAME:PASSWORD lines; empty lines and lines starting with '#' are
/// skipped, a trailing '\r' is removed. The file must be a regular file of this user (or root)
/// that no one else may read or write. exit_ok, or exit_file/exit_usage after saying why.
int read_users_file(const std::string& path, std::vector<Login>& logins);

/// --users-stdin: the same lines from standard input, up to end of file. On a terminal the
/// lines are not echoed. exit_ok, or exit_usage/exit_failure after saying why.
int read_users_stdin(std::vector<Login>& logins);

/// MQTLS_BROKER_USERS, when set and not empty: the same lines. The variable's text is
/// overwritten in place and removed from the environment, so neither the children (Mosquitto,
/// mosquitto_passwd) nor /proc/PID/environ keep it. exit_ok (also when unset), or exit_usage.
int take_users_from_environment(std::vector<Login>& logins, bool& found);

/// Names of an existing Mosquitto password file (--password-file), checked with the same rule.
/// exit_ok, or exit_file/exit_usage after saying which line is wrong.
int check_password_file_names(const std::string& path);

/// Refuses a name given twice (exit_usage, naming it).
int check_unique_names(const std::vector<Login>& logins);

/// Overwrites, in this process's own argument memory, the password part of every argument equal to
/// one of `user_arguments` (NAME:PASSWORD as given to --user, also as --user=NAME:PASSWORD), so
/// /proc/PID/cmdline no longer shows it. Linux only (the kernel's arg_start..arg_end); does
/// nothing when that memory does not hold the command line the kernel reports. This shortens the
/// time the password is visible; it does not close it (it was visible from exec until now).
/// Returns how many arguments were overwritten.
int hide_passwords_in_command_line(const std::vector<std::string>& user_arguments);

/// Overwrites every password with zeros.
void wipe_logins(std::vector<Login>& logins) noexcept;

}  // namespace mqtls::cli::broker
