#pragma once
// What every mqtls process does first: it may hold passwords, private keys (a device's, the
// CA's) and sealed-session keys, so it never leaves them in a core dump, and other processes
// of the same user cannot read its memory through ptrace or /proc/PID/mem.

#include <string>

namespace mqtls::cli {

/// Makes the process non-dumpable (PR_SET_DUMPABLE 0: no core dumps, /proc/PID/mem and ptrace
/// closed to other processes of the same user) and sets RLIMIT_CORE to 0, which children such
/// as Mosquitto inherit. Best effort: a failure is reported on stderr and the command goes on,
/// as the secrets are still protected by file permissions.
void harden_process() noexcept;

/// Overwrites a secret held in a std::string before it is freed, in a way the compiler may not
/// drop as a dead store (mbedtls_platform_zeroize does the same for C buffers).
void wipe(std::string& secret) noexcept;

}  // namespace mqtls::cli
