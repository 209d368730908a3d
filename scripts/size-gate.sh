#!/usr/bin/env bash
# The MQTT size gate: `.text` of the client's codec + session (libmqtls_mqtt.a, core inline) as a
# device links it, for an MQTT 3.1.1-only build (MQTLS_MQTT5=OFF) and a build with MQTT 5, on
# Cortex-M4 and rv32imc at -Os (the toolchain files' flags, error texts left out as on a device),
# beside coreMQTT's published sizes. Fails when a Cortex-M4 figure is over its ceiling.
#   scripts/size-gate.sh            build what is missing (4 small cross trees), report, gate
# Build trees: build/size-<target>-<mqtt311|mqtt5> (MQTLS_BUILD_ROOT overrides build/); only
# the mqtt libraries are built there, so a cold run takes about a minute on 2 cores.
#
# The figure is the sum of `size`'s text over the archive's objects: everything a device gets
# when it links the library, before --gc-sections (which could drop what an application does not
# call). libmqtls_mqtt_server.a, the server's half of the codec (decoding CONNECT, SUBSCRIBE and
# UNSUBSCRIBE, encoding CONNACK, SUBACK and UNSUBACK) for brokers, the simulation and tests, is
# reported beside it and not counted: a device never links it, and coreMQTT has no such code.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${MQTLS_BUILD_ROOT:-$root/build}

# Cortex-M4 -Os, in bytes; KB are 1024 bytes, as in coreMQTT's published table (18.8 KB for its
# MQTT 5 release, 7.0 KB for its 3.1.1 release). The targets are issue 16's. A ceiling is what
# fails the gate: the target, now that both are met (while one was not, a ratchet just above the
# day's figure held the code to shrinking towards it).
target_mqtt5=19251    # 18.8 KB, coreMQTT's MQTT 5 release
target_mqtt311=12288  # 12 KB
ceiling_mqtt5=19251   # the target
ceiling_mqtt311=12288 # the target
coremqtt_mqtt5=19251  # 18.8 KB
coremqtt_mqtt311=7168 # 7.0 KB

triple_of() {
    case $1 in
        cortex-m4) echo arm-none-eabi ;;
        rv32imc) echo riscv64-unknown-elf ;;
    esac
}

# Configures (once) and builds the mqtt libraries of one target and MQTT build.
build_tree() {
    local target=$1 mqtt=$2 build=$3
    local mqtt5=ON
    [[ $mqtt == mqtt311 ]] && mqtt5=OFF
    if [[ ! -f $build/CMakeCache.txt ]]; then
        mkdir -p "$build"
        cmake -S "$root" -B "$build" -G Ninja \
            -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/$target.cmake" -DMQTLS_WERROR=ON \
            -DMQTLS_MQTT5="$mqtt5" -DMQTLS_ERROR_TEXT=OFF -DMQTLS_BUILD_TESTS=OFF \
            -DMQTLS_BUILD_BENCH=OFF -DMQTLS_CHECKS=OFF >"$build/mqtls-configure.log" 2>&1 || {
            cat "$build/mqtls-configure.log"
            echo "size-gate: $target $mqtt: configure failed" >&2
            exit 1
        }
    fi
    cmake --build "$build" --target mqtls_mqtt mqtls_mqtt_server >"$build/mqtls-build.log" 2>&1 || {
        cat "$build/mqtls-build.log"
        echo "size-gate: $target $mqtt: build failed" >&2
        exit 1
    }
}

# text of the objects of archive $2 whose names match the extended regex $3 (all when empty).
text_of() {
    "$1-size" "$2" | awk -v re="${3:-.}" 'NR > 1 && $6 ~ re { sum += $1 } END { print sum + 0 }'
}

declare -A total codec session server
for target in cortex-m4 rv32imc; do
    triple=$(triple_of "$target")
    for mqtt in mqtt311 mqtt5; do
        build="$build_root/size-$target-$mqtt"
        echo "=== size-gate: $target, $mqtt ($build)"
        build_tree "$target" "$mqtt" "$build"
        lib="$build/mqtt/libmqtls_mqtt.a"
        total[$target.$mqtt]=$(text_of "$triple" "$lib")
        session[$target.$mqtt]=$(text_of "$triple" "$lib" '^session')
        codec[$target.$mqtt]=$((total[$target.$mqtt] - session[$target.$mqtt]))
        server[$target.$mqtt]=$(text_of "$triple" "$build/mqtt/libmqtls_mqtt_server.a")
        "$triple-size" "$lib" | awk 'NR > 1 { printf "    %6d  %s\n", $1, $6 }'
    done
done

kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }

echo
echo "=== size-gate: .text of libmqtls_mqtt.a (codec + session), -Os, bytes"
printf '%-18s %10s %7s %8s %7s %16s %8s %14s\n' build target codec session total "target" ceiling "coreMQTT"
failed=()
missed=()
for mqtt in mqtt311 mqtt5; do
    if [[ $mqtt == mqtt5 ]]; then
        label="with MQTT 5"
        ceiling=$ceiling_mqtt5
        goal=$target_mqtt5
        reference=$coremqtt_mqtt5
    else
        label="MQTT 3.1.1 only"
        ceiling=$ceiling_mqtt311
        goal=$target_mqtt311
        reference=$coremqtt_mqtt311
    fi
    for target in cortex-m4 rv32imc; do
        key=$target.$mqtt
        shown_ceiling="-"
        shown_goal="-"
        shown_reference="-"
        if [[ $target == cortex-m4 ]]; then
            shown_ceiling="$ceiling"
            if ((total[$key] <= goal)); then
                shown_goal="$goal met"
            else
                shown_goal="$goal missed"
                missed+=("$label: ${total[$key]} B, target $goal B ($(kb "$goal")), $((total[$key] - goal)) B over")
            fi
            shown_reference="$reference ($(awk -v a="${total[$key]}" -v b="$reference" 'BEGIN { printf "%.2fx", a / b }'))"
            if ((total[$key] > ceiling)); then
                failed+=("$label on $target: ${total[$key]} B ($(kb "${total[$key]}")) is over $ceiling B ($(kb "$ceiling"))")
            fi
        fi
        printf '%-18s %10s %7d %8d %7d %16s %8s %14s\n' "$label" "$target" "${codec[$key]}" \
            "${session[$key]}" "${total[$key]}" "$shown_goal" "$shown_ceiling" "$shown_reference"
    done
done
echo "(not counted: libmqtls_mqtt_server.a, the server's half of the codec: $(
    for mqtt in mqtt311 mqtt5; do for target in cortex-m4 rv32imc; do
        printf '%s %s %s B  ' "$target" "$mqtt" "${server[$target.$mqtt]}"
    done; done))"
echo "(coreMQTT: its published Cortex-M4 -Os table; the ratio is ours over theirs)"
for m in "${missed[@]}"; do echo "size-gate: target missed (the ceiling still holds): $m"; done

if ((${#failed[@]} > 0)); then
    for f in "${failed[@]}"; do echo "size-gate: $f" >&2; done
    echo "size-gate: find where the bytes go with $(triple_of cortex-m4)-nm --size-sort -S -C -t d on the archive" >&2
    exit 1
fi
echo "size-gate: passed"
