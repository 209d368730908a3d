#include "firmware_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "mqtls/testing/process.hpp"

namespace mqtls::firmware_test {
namespace {

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

bool readable_file(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// The board's QEMU options: the machine, and where the retained memory lives (docs/firmware.md).
std::vector<std::string> machine_options(const Target& target, const std::string& retained_file) {
    const std::string backend =
        "memory-backend-file,id=retained,size=" + std::to_string(target.ram_bytes / (1024 * 1024)) +
        "M,mem-path=" + retained_file + ",share=on";
    if (target.qemu == "qemu-system-arm") {
        // mps2-an386's machine RAM is the 16 MiB PSRAM at 0x21000000: only the retained region.
        return {"-M",      "mps2-an386", "-cpu",     "cortex-m4",
                "-object", backend,      "-machine", "memory-backend=retained"};
    }
    // virt's machine RAM is all of 0x80000000..: the image is loaded into it at every boot, and
    // the retained region above the image keeps its bytes.
    return {"-M",       "virt",
            "-bios",    "none",
            "-m",       std::to_string(target.ram_bytes / (1024 * 1024)) + "M",
            "-object",  backend,
            "-machine", "memory-backend=retained"};
}

void take_report(FirmwareRun& run) {
    const std::string marker = "MQTLS-REPORT ";
    const std::size_t at = run.output.rfind(marker);
    if (at == std::string::npos) return;
    const std::size_t end = run.output.find('\n', at);
    const std::string text = run.output.substr(at + marker.size(), end - at - marker.size());
    run.report = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    run.has_report = !run.report.is_discarded() && run.report.is_object();
}

}  // namespace

bool target_under_test(Target& target, std::string& why) {
    target.name = environment("MQTLS_FIRMWARE_TARGET");
    std::string root = environment("MQTLS_FIRMWARE_BUILD_ROOT");
    if (root.empty()) root = MQTLS_FIRMWARE_DEFAULT_BUILD_ROOT;
    if (target.name.empty()) {
        why =
            "MQTLS_FIRMWARE_TARGET is not set (ctest sets it: run the firmware.<target>.* tests "
            "through ctest, which runs embedded.<target> first to build the images)";
        return false;
    }
    // cortex-m4-lean: the Cortex-M4 images built with MQTLS_DEVICE_TLS_PROFILE=lean.
    if (target.name == "cortex-m4" || target.name == "cortex-m4-lean") {
        target.qemu = "qemu-system-arm";
        target.ram_bytes = std::size_t{16} * 1024 * 1024;
    } else if (target.name == "rv32imc") {
        target.qemu = "qemu-system-riscv32";
        target.ram_bytes = std::size_t{128} * 1024 * 1024;
    } else {
        why = "unknown MQTLS_FIRMWARE_TARGET '" + target.name +
              "' (cortex-m4, cortex-m4-lean or rv32imc)";
        return false;
    }
    const std::string dir = root + "/embedded-" + target.name + "/firmware/";
    target.wake_elf = dir + "mqtls_firmware_wake.elf";
    target.node_elf = dir + "mqtls_firmware_node.elf";
    for (const std::string* image : {&target.wake_elf, &target.node_elf}) {
        if (!readable_file(*image)) {
            why = "no firmware image " + *image + " (scripts/embedded-check.sh " + target.name +
                  " builds it)";
            return false;
        }
    }
    return true;
}

std::string create_retained_memory(const Target& target, const std::string& directory,
                                   const std::string& device) {
    const std::string path = directory + "/retained-" + device + ".ram";
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return {};
    const bool sized = ::ftruncate(fd, static_cast<off_t>(target.ram_bytes)) == 0;
    ::close(fd);
    return sized ? path : std::string();
}

FirmwareRun run_firmware(const Target& target, const std::string& elf, std::uint16_t modem_port,
                         const std::string& retained_file,
                         const std::vector<std::string>& arguments, std::chrono::seconds timeout) {
    std::vector<std::string> argv = {target.qemu};
    for (std::string& option : machine_options(target, retained_file)) {
        argv.push_back(std::move(option));
    }
    // The semihosting arguments are one option; QEMU splits options at commas, which the
    // provisioning never contains (paths under /tmp, names, numbers).
    std::string semihosting = "enable=on,target=native,chardev=console,arg=firmware";
    for (const std::string& argument : arguments) semihosting += ",arg=" + argument;
    const std::vector<std::string> common = {
        "-display",
        "none",
        "-monitor",
        "none",
        "-icount",
        "shift=0",
        "-chardev",
        "socket,id=modem,host=127.0.0.1,port=" + std::to_string(modem_port) + ",nodelay=on",
        "-serial",
        "chardev:modem",
        "-chardev",
        "stdio,id=console",
        "-semihosting-config",
        semihosting,
        "-kernel",
        elf};
    argv.insert(argv.end(), common.begin(), common.end());

    FirmwareRun run;
    auto result = testing::run_process(argv, timeout);
    if (!result) {
        run.output = std::string("could not run ") + target.qemu + ": " + result.error().message();
        return run;
    }
    run.exit_code = result->exit_code;
    run.timed_out = result->timed_out;
    run.output = result->output;
    take_report(run);
    return run;
}

std::string describe(const FirmwareRun& run) {
    std::ostringstream text;
    text << "firmware exit " << run.exit_code << (run.timed_out ? " (timed out)" : "")
         << ", output:\n"
         << run.output;
    return text.str();
}

}  // namespace mqtls::firmware_test
