#pragma once
// Runs the cross-built firmware under QEMU for the host's tests (and bench/firmware.py does the
// same from Python): the board's UART wired to a ModemBridge, semihosting for the console, the
// command line and the provisioning files, -icount shift=0 for exact instruction counts, and a
// RAM region backed by a host file as the retained memory that survives "deep sleep" (the next
// QEMU process). docs/firmware.md describes the set-up.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mqtls/core/result.hpp"

namespace mqtls::firmware_test {

/// One cross target and its firmware images.
struct Target {
    std::string name;           ///< cortex-m4 | rv32imc
    std::string qemu;           ///< qemu-system-arm | qemu-system-riscv32
    std::size_t ram_bytes = 0;  ///< the size of the file-backed machine RAM
    std::string wake_elf;
    std::string node_elf;
};

/// The target named by MQTLS_FIRMWARE_TARGET (ctest sets it), with its images under
/// MQTLS_FIRMWARE_BUILD_ROOT (default: the build root embedded-check.sh uses, baked in at
/// configure time); `why` says what is missing when there is none.
bool target_under_test(Target& target, std::string& why);

/// A file to back the retained memory of the device `device`, created blank (sparse) in
/// `directory`; empty when it could not be made.
std::string create_retained_memory(const Target& target, const std::string& directory,
                                   const std::string& device);

struct FirmwareRun {
    int exit_code = -1;
    bool timed_out = false;
    std::string output;
    bool has_report = false;
    nlohmann::json report;  ///< the MQTLS-REPORT line's object
};

/// Boots `elf` once under QEMU, its UART connected to 127.0.0.1:`modem_port`, its retained
/// memory in `retained_file`, with the semihosting command line `arguments` (key=value words);
/// killed after `timeout` (host time).
FirmwareRun run_firmware(const Target& target, const std::string& elf, std::uint16_t modem_port,
                         const std::string& retained_file,
                         const std::vector<std::string>& arguments,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

/// What a failed run printed, for an assertion message.
std::string describe(const FirmwareRun& run);

}  // namespace mqtls::firmware_test
