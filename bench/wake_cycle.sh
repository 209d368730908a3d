#!/usr/bin/env bash
# The wake-cycle benchmark (issue 6; bench/README.md, "Wake cycle"): what one wake from deep sleep
# that sends one QoS 1 reading costs, for plaintext MQTT, mosquitto_pub over TLS 1.2 and 1.3, and
# mqtls over TLS 1.2 and 1.3 (full handshake RSA/ECDSA, resumed, resumed + one flight, with and
# without a client certificate), against one Mosquitto on loopback, through a delaying proxy.
#
#   bench/wake_cycle.sh [--runs N] [--delay-ms 50] [--out-dir build/release/bench/wake-cycle]
#                       [--no-build] [other bench/wake_cycle.py options, e.g. --cases a,b]
#
# Installs what is missing with apt-get (tcpdump, gnuplot, valgrind, Mosquitto and its clients,
# python3, and the build dependencies), builds Release into build/release (targets mqtls,
# mqtls_delay_proxy and mqtls_mosquitto_config), then runs bench/wake_cycle.py, which writes
# wake-cycle.json, .md and .svg into the out dir and prints the table. Needs root (tcpdump on lo). Exit status: that of
# wake_cycle.py (0 all cases measured, 1 some failed, 2 bad arguments, 3 unusable environment).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
runs=5
delay_ms=50
out_dir="$build/bench/wake-cycle"
do_build=1
passthrough=()

usage() {
    sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//'
}
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs | --delay-ms | --out-dir)
            if [[ $# -lt 2 ]]; then
                echo "wake_cycle.sh: $1 needs a value" >&2
                exit 2
            fi
            case $1 in
                --runs) runs=$2 ;;
                --delay-ms) delay_ms=$2 ;;
                --out-dir) out_dir=$2 ;;
            esac
            shift 2
            ;;
        --runs=*) runs=${1#*=}; shift ;;
        --delay-ms=*) delay_ms=${1#*=}; shift ;;
        --out-dir=*) out_dir=${1#*=}; shift ;;
        --no-build) do_build=0; shift ;;
        -h | --help)
            usage
            echo
            echo "Options of bench/wake_cycle.py (all but --mqtls/--proxy/--mosquitto-config may be given here):"
            python3 "$root/bench/wake_cycle.py" --help | sed -n '/^options:/,$p'
            exit 0
            ;;
        *) passthrough+=("$1"); shift ;;
    esac
done
[[ $runs =~ ^[0-9]+$ ]] || { echo "wake_cycle.sh: --runs must be a number, not '$runs'" >&2; exit 2; }
[[ $delay_ms =~ ^[0-9]+$ ]] ||
    { echo "wake_cycle.sh: --delay-ms must be a number, not '$delay_ms'" >&2; exit 2; }

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

# Tools the benchmark runs: command -> Debian package.
missing=()
need_tool() {
    command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]] || missing+=("$2")
}
need_tool tcpdump tcpdump
need_tool gnuplot gnuplot-nox
need_tool valgrind valgrind
need_tool mosquitto mosquitto
need_tool mosquitto_pub mosquitto-clients
need_tool mosquitto_sub mosquitto-clients
need_tool python3 python3
if [[ $do_build -eq 1 ]]; then
    # What building mqtls needs (as scripts/install-deps.sh --demo).
    # (mbedTLS 3.6 comes from Debian's source package, fetched by the build itself.)
    for p in build-essential cmake ninja-build pkg-config libcli11-dev nlohmann-json3-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "wake_cycle.sh: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

if [[ $do_build -eq 1 ]]; then
    configure=(cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release)
    # Keep the generator of an existing build directory; prefer Ninja for a new one.
    if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
        configure+=(-G Ninja)
    fi
    echo "wake_cycle.sh: building the programs it runs (Release, $build)"
    "${configure[@]}" >/dev/null
    cmake --build "$build" --target mqtls mqtls_delay_proxy mqtls_mosquitto_config
fi

status=0
python3 "$root/bench/wake_cycle.py" --runs "$runs" --delay-ms "$delay_ms" \
    --out-dir "$out_dir" --mqtls "$build/tools/mqtls/mqtls" \
    --proxy "$build/testing/faultproxy/mqtls_delay_proxy" \
    --mosquitto-config "$build/host/mqtls_mosquitto_config" "${passthrough[@]}" || status=$?
# The ESP32 energy model on what was measured (docs/energy-model.md), at the bench's round-trip
# time; it writes energy.md and energy.svg beside the measurements.
if [[ -f "$out_dir/wake-cycle.json" && $status -le 1 ]]; then
    echo
    python3 "$root/bench/energy_model.py" "$out_dir/wake-cycle.json" \
        --rtt-ms "$((2 * delay_ms))" --out-dir "$out_dir" || status=$?
fi
exit "$status"
