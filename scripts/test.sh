#!/usr/bin/env bash
# The test command (README, .ci/run): everything a change must pass, on one Debian 12 machine.
#   scripts/test.sh
# Stages (each header says which; the first failure stops the run with a non-zero exit):
#   1. install-deps   scripts/install-deps.sh (apt; installs only what is missing)
#   2. build          gcc, -Werror, ASan+UBSan, Ninja, in build/asan
#   3. format         scripts/format-check.sh (clang-format --dry-run -Werror)
#   4. embedded       scripts/embedded-check.sh: Cortex-M4 + rv32imc cross builds, portable tests
#                     under QEMU, size table, no-heap/no-exception symbol gate; then
#                     scripts/size-gate.sh, the MQTT codec + session size against its ceilings
#   5. fuzz           scripts/fuzz.sh: libFuzzer targets (clang-14) in build/fuzz, FUZZ_SECONDS
#                     (default 60) each, two at a time
#   6. ctest          every test of build/asan: unit tests, corpus replays, and again the gates
#                     of stages 3-5 as ctest tests (cheap now: their builds are up to date), so
#                     the summary line printed last covers all of them
# Environment: MQTLS_BUILD_ROOT (default <repo>/build), FUZZ_SECONDS, JOBS (default nproc).
# A cold run takes about 6 minutes on 2 cores; later runs rebuild only what changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_root=${MQTLS_BUILD_ROOT:-$root/build}
export MQTLS_BUILD_ROOT=$build_root
jobs=${JOBS:-$(nproc)}
asan="$build_root/asan"
start=$(date +%s)
stage_count=6
stage_no=0
stage_name=""

stage() {
    stage_no=$((stage_no + 1))
    stage_name=$1
    printf '\n==== [%d/%d] %s  (+%ds) ====\n' "$stage_no" "$stage_count" "$1" $(($(date +%s) - start))
}
on_error() {
    local status=$?
    printf '\n==== scripts/test.sh FAILED in stage [%d/%d] %s (exit %d, after %ds) ====\n' \
        "$stage_no" "$stage_count" "$stage_name" "$status" $(($(date +%s) - start)) >&2
    exit "$status"
}
trap on_error ERR

stage "install-deps: scripts/install-deps.sh"
scripts/install-deps.sh

stage "build: gcc, -Werror, ASan+UBSan in $asan"
configure=(cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DMQTLS_WERROR=ON
           -DMQTLS_SANITIZE=ON -DMQTLS_BUILD_TESTS=ON -DMQTLS_CHECKS=ON
           -DMQTLS_CHECKS_BUILD_ROOT="$build_root")
if [[ ! -f $asan/CMakeCache.txt ]]; then
    configure+=(-G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++)
fi
"${configure[@]}"
cmake --build "$asan" --parallel "$jobs"

stage "format: scripts/format-check.sh"
scripts/format-check.sh

stage "embedded: scripts/embedded-check.sh (cortex-m4, rv32imc under QEMU), scripts/size-gate.sh"
scripts/embedded-check.sh
scripts/size-gate.sh

stage "fuzz: scripts/fuzz.sh (libFuzzer, clang-14)"
if command -v clang++-14 >/dev/null && [[ -f mqtt/fuzz/CMakeLists.txt ]]; then
    scripts/fuzz.sh
else
    # Hook: install-deps installs clang-14, so this only happens on a hand-made machine.
    echo "fuzz: SKIPPED (clang++-14 or mqtt/fuzz/CMakeLists.txt missing); corpus replays still run in stage 6"
fi

stage "ctest: $asan"
echo "test.sh: stages 1-5 passed in $(($(date +%s) - start))s"
# ctest prints its summary line ("100% tests passed, 0 tests failed out of N") before the label
# and timing summaries; hold it back so that it is the last line of the whole run.
ctest --test-dir "$asan" --output-on-failure --no-tests=error -j "$jobs" |
    awk -v start="$start" '
        /tests passed, [0-9]+ tests? failed out of [0-9]+/ { summary = $0; next }
        { print; fflush() }
        END {
            "date +%s" | getline now
            printf "test.sh: total wall time %ds\n", now - start
            if (summary != "") print summary
        }'
