#!/usr/bin/env bash
# libFuzzer stage: builds the fuzz targets of mqtt/fuzz/, node/fuzz/ and tls/fuzz/ with clang in build/fuzz and runs them.
#   scripts/fuzz.sh              each target for FUZZ_SECONDS (default 60) on a copy of its corpus
#                                (ctest label `fuzz`, two at a time); ~40 s on 2 cores
#   scripts/fuzz.sh --replay     only run every corpus input once through libFuzzer (label
#                                `fuzz-replay`); a few seconds once built
# Needs clang-14 and libclang-rt-14-dev (scripts/install-deps.sh). MQTLS_BUILD_ROOT overrides build/.
# Details, long runs and crash handling: mqtt/fuzz/README.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="${MQTLS_BUILD_ROOT:-$root/build}/fuzz"
mode=fuzz
case ${1:-} in
    "") ;;
    --replay) mode=replay ;;
    *)
        echo "usage: $0 [--replay]" >&2
        exit 2
        ;;
esac
seconds=${FUZZ_SECONDS:-60}

for tool in clang-14 clang++-14; do
    command -v "$tool" >/dev/null || {
        echo "fuzz: $tool not found (scripts/install-deps.sh installs it)" >&2
        exit 1
    }
done
if [[ ! -f $root/mqtt/fuzz/CMakeLists.txt ]]; then
    echo "fuzz: mqtt/fuzz/CMakeLists.txt missing" >&2
    exit 1
fi

configure=(cmake -S "$root" -B "$build" -DMQTLS_FUZZ=ON -DMQTLS_BUILD_TESTS=OFF
           -DMQTLS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ! -f $build/CMakeCache.txt ]]; then
    configure+=(-G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14)
fi
[[ $mode == replay ]] || configure+=(-DMQTLS_FUZZ_SECONDS="$seconds")
mkdir -p "$build"
"${configure[@]}" >"$build/mqtls-configure.log" 2>&1 || {
    cat "$build/mqtls-configure.log"
    echo "fuzz: configure failed" >&2
    exit 1
}
cmake --build "$build"

# The fuzz tests live beside each layer in build/fuzz (mqtt/fuzz, node/fuzz, tls/fuzz); ctest at the top
# of build/fuzz finds them all.
if [[ $mode == replay ]]; then
    ctest --test-dir "$build" -L '^fuzz-replay$' --output-on-failure --no-tests=error \
        -j "$(nproc)"
else
    # run_fuzzer.cmake keeps libFuzzer's log quiet unless the target fails; -V shows its
    # "N executions in S s" line per target (and the report of a failing one). The filter drops
    # only ctest's own -V chatter; the exit status is ctest's.
    set +e
    ctest --test-dir "$build" -L '^fuzz$' -V --no-tests=error -j "$(nproc)" |
        grep -Ev '^(UpdateCTestConfiguration|Constructing a list|Done constructing|Updating test list|Added 0 tests|Checking test dependency|test [0-9]+$|$)|^[0-9]+: (Test command|Working Directory|Test timeout computed)'
    status=${PIPESTATUS[0]}
    set -e
    exit "$status"
fi
