#!/usr/bin/env bash
# The firmware benchmark (bench/README.md, "Firmware under QEMU"): the bare-metal wake image
# under QEMU (Cortex-M4 mps2-an386, RV32IMC virt) against its own Mosquitto on loopback, through
# its own mqtls_modem_bridge: TLS 1.2 and 1.3, full and resumed (ECDSA P-256), TLS 1.2 full and
# resumed with an RSA-2048 broker; the lean Cortex-M4 image (cortex-m4-lean: TLS 1.2, ECDSA
# P-256 only) TLS 1.2 full and resumed; instructions, memory, image and library sizes, the
# issue's targets (PASS/FAIL) and a MODELLED ESP32-C3 CPU energy per wake.
#
#   bench/firmware.sh [--out-dir DIR] [--targets cortex-m4,cortex-m4-lean,rv32imc] [--no-install]
#                     [--help]
#                     [other bench/firmware.py options, e.g. --repeat 3 --cpi 1.3 --strict]
#
# Needs the cross-built images (build/embedded-<target>/firmware/mqtls_firmware_wake.elf, and its
# .map) and the host tools tools/mqtls/mqtls and testing/modem_bridge/mqtls_modem_bridge of the
# test command's build (MQTLS_HOST_BUILD, default $MQTLS_BUILD_ROOT/asan, MQTLS_BUILD_ROOT
# default build/): scripts/test.sh builds all of them (scripts/embedded-check.sh the images
# alone). This script builds nothing. It installs what is missing with apt-get (gnuplot-nox, mosquitto,
# QEMU, binutils of the cross toolchains, python3) unless --no-install, then runs
# bench/firmware.py, which writes firmware.json, firmware.md and firmware.svg into the out dir
# (default build/bench/firmware) and prints the markdown.
# Exit status: that of firmware.py: 0 every case measured (a missed target is printed as FAIL
# and still exits 0; --strict makes it 4), 1 a run failed, 2 bad usage, 3 the environment is
# not usable (images or tools missing), 130 interrupted.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${MQTLS_BUILD_ROOT:-$root/build}
host_build=${MQTLS_HOST_BUILD:-$build_root/asan}
out_dir="$build_root/bench/firmware"
targets="cortex-m4,cortex-m4-lean,rv32imc"
install=1
passthrough=()

usage() {
    sed -n '8,9p' "$0" | sed 's/^# \{0,1\}//'
}
while [[ $# -gt 0 ]]; do
    case $1 in
        --out-dir | --targets)
            if [[ $# -lt 2 ]]; then
                echo "firmware.sh: $1 needs a value" >&2
                exit 2
            fi
            case $1 in
                --out-dir) out_dir=$2 ;;
                --targets) targets=$2 ;;
            esac
            shift 2
            ;;
        --out-dir=*) out_dir=${1#*=}; shift ;;
        --targets=*) targets=${1#*=}; shift ;;
        --no-install) install=0; shift ;;
        -h | --help)
            usage
            echo
            echo "Options of bench/firmware.py (all may be given here):"
            python3 "$root/bench/firmware.py" --help | sed -n '/^options:/,$p'
            exit 0
            ;;
        *) passthrough+=("$1"); shift ;;
    esac
done

IFS=',' read -r -a target_list <<<"$targets"
for t in "${target_list[@]}"; do
    case $t in
        cortex-m4 | cortex-m4-lean | rv32imc) ;;
        *) echo "firmware.sh: unknown target '$t' (cortex-m4, cortex-m4-lean, rv32imc)" >&2; exit 2 ;;
    esac
done
[[ ${#target_list[@]} -gt 0 ]] || { echo "firmware.sh: --targets is empty" >&2; exit 2; }

# What the bench runs but does not build: the images and the host tools.
problems=()
for t in "${target_list[@]}"; do
    for f in mqtls_firmware_wake.elf; do
        [[ -f $build_root/embedded-$t/firmware/$f ]] ||
            problems+=("$build_root/embedded-$t/firmware/$f (run scripts/embedded-check.sh $t)")
    done
done
for f in tools/mqtls/mqtls testing/modem_bridge/mqtls_modem_bridge; do
    [[ -x $host_build/$f ]] ||
        problems+=("$host_build/$f (the test command's host build: run scripts/test.sh, or set MQTLS_HOST_BUILD to a build that has it)")
done
if [[ ${#problems[@]} -gt 0 ]]; then
    echo "firmware.sh: missing what the benchmark runs:" >&2
    printf '  %s\n' "${problems[@]}" >&2
    echo "firmware.sh: scripts/test.sh builds all of them (this script builds nothing)" >&2
    exit 3
fi

# Tools the benchmark runs: command -> Debian package.
missing=()
need_tool() {
    command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]] || missing+=("$2")
}
need_tool python3 python3
need_tool gnuplot gnuplot-nox
need_tool mosquitto mosquitto
for t in "${target_list[@]}"; do
    case $t in
        cortex-m4 | cortex-m4-lean)
            need_tool qemu-system-arm qemu-system-arm
            need_tool arm-none-eabi-size binutils-arm-none-eabi
            ;;
        rv32imc)
            need_tool qemu-system-riscv32 qemu-system-misc
            need_tool riscv64-unknown-elf-size binutils-riscv64-unknown-elf
            ;;
    esac
done
if [[ ${#missing[@]} -gt 0 ]]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [[ $install -eq 1 ]]; then
        sudo_cmd=()
        [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
        echo "firmware.sh: installing ${missing[*]}" >&2
        "${sudo_cmd[@]}" apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >&2
    elif [[ " ${missing[*]} " == *" gnuplot-nox "* && ${#missing[@]} -eq 1 ]]; then
        echo "firmware.sh: gnuplot is missing (--no-install): no firmware.svg" >&2
    else
        echo "firmware.sh: missing packages (--no-install): ${missing[*]}" >&2
        exit 3
    fi
fi

exec python3 "$root/bench/firmware.py" --out-dir "$out_dir" --targets "$targets" \
    --build-root "$build_root" --mqtls "$host_build/tools/mqtls/mqtls" \
    --bridge "$host_build/testing/modem_bridge/mqtls_modem_bridge" "${passthrough[@]}"
