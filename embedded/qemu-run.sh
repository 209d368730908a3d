#!/usr/bin/env bash
# Runs a bare-metal test ELF under QEMU with semihosting and exits with the guest's exit status.
#   usage: embedded/qemu-run.sh [--expect-summary] BOARD ELF
#   BOARD: mps2-an386 (Cortex-M4) | mps2-an385 (Cortex-M3) | riscv32-virt (rv32, -bios none)
#   --expect-summary  also require the minitest summary line "N passed, 0 failed" with N >= 1
#                     (a guest that exits 0 without running any test fails)
# The cross toolchain files (cmake/toolchains/) make this CMAKE_CROSSCOMPILING_EMULATOR.
# Semihosting output goes to stdout. A guest that hangs is killed after QEMU_TIMEOUT seconds
# (default 120) and the script exits 124; a CPU fault exits 134 (picolibc's fault handler).
set -euo pipefail

expect_summary=0
if [[ ${1:-} == --expect-summary ]]; then
    expect_summary=1
    shift
fi
if [[ $# -ne 2 ]]; then
    echo "usage: $0 [--expect-summary] BOARD ELF   (BOARD: mps2-an386|mps2-an385|riscv32-virt)" >&2
    exit 2
fi
board=$1
elf=$2
timeout_s=${QEMU_TIMEOUT:-120}

if [[ ! -f $elf ]]; then
    echo "qemu-run.sh: no such ELF: $elf" >&2
    exit 2
fi

# shellcheck disable=SC2054  # the commas are inside QEMU option values
common=(-display none -monitor none -serial none
        -chardev stdio,id=semihost0
        -semihosting-config enable=on,target=native,chardev=semihost0
        -kernel "$elf")
case $board in
    mps2-an385 | mps2-an386) cmd=(qemu-system-arm -M "$board" "${common[@]}") ;;
    riscv32-virt) cmd=(qemu-system-riscv32 -M virt -bios none "${common[@]}") ;;
    *)
        echo "qemu-run.sh: unknown board '$board'" >&2
        exit 2
        ;;
esac

log=$(mktemp "${TMPDIR:-/tmp}/mqtls-qemu.XXXXXX")
trap 'rm -f "$log"' EXIT

# stdin from /dev/null: QEMU's stdio chardev must not fight ctest or a terminal for it.
# -k: SIGKILL if QEMU ignores SIGTERM.
set +e
timeout -k 5 "$timeout_s" "${cmd[@]}" </dev/null | tee "$log"
rc=${PIPESTATUS[0]}
set -e

if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "qemu-run.sh: $board guest did not exit within ${timeout_s}s (killed)" >&2
    exit 124
elif [[ $rc -eq 134 ]]; then
    echo "qemu-run.sh: $board guest took a CPU exception or aborted (exit 134)" >&2
fi
if [[ $rc -eq 0 && $expect_summary -eq 1 ]]; then
    if ! grep -Eq '^[1-9][0-9]* passed, 0 failed\r?$' "$log"; then
        echo "qemu-run.sh: exit status 0 but no 'N passed, 0 failed' line with N >= 1" >&2
        exit 1
    fi
fi
exit "$rc"
