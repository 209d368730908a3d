#!/usr/bin/env bash
# clang-tidy (.clang-tidy) over the library sources, using the compile commands of build/asan.
#   scripts/tidy.sh                    the library sources (mqtt, node, tls, pki, link, ports/posix, ports/posix/node, ports/uart_modem, client) and test fixtures
#   scripts/tidy.sh mqtt/src/topic.cpp  given files
# Registered as the ctest test lint.clang-tidy (cmake/MqtlsChecks.cmake); exits 1 if clang-tidy reports any warning.
# BUILD_DIR overrides build/asan; CLANG_TIDY overrides the binary (default clang-tidy-14).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-$root/build/asan}
clang_tidy=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
if [[ -z $clang_tidy ]]; then
    echo "tidy: clang-tidy not found (scripts/install-deps.sh installs it)" >&2
    exit 1
fi
if [[ ! -f $build/compile_commands.json ]]; then
    echo "tidy: $build/compile_commands.json missing; configure first, e.g." >&2
    echo "  cmake -S . -B build/asan -G Ninja -DMQTLS_WERROR=ON -DMQTLS_SANITIZE=ON" >&2
    exit 1
fi

files=("$@")
# Of ports/espidf only socket_stream.cpp is in this build's compile database: platform.cpp
# needs ESP-IDF's headers (docs/espidf.md).
if [[ ${#files[@]} -eq 0 ]]; then
    mapfile -t files < <(find mqtt/src node/src node/runtime/src node/stack/src tls/src pki/src link/src link/tls/src ports/posix/src ports/posix/node/src ports/uart_modem/src ports/espidf/src/socket_stream.cpp client/src tools/mqtls testing/mosquitto/src testing/modem_bridge/src testing/modem_bridge/tools testing/faultproxy/src testing/sim/src -name '*.cpp' | sort)
fi

# clang-tidy parses GCC's command lines with clang: drop the GCC-only sanitizer/warning flags it
# would complain about, and run the files in parallel (one job per core).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\n' "${files[@]}" |
    xargs -P "$(nproc)" -I{} "$clang_tidy" -p "$build" --quiet \
        --extra-arg=-Wno-unknown-warning-option {} >"$log" 2>/dev/null || true
warnings=$(grep -cE ': (warning|error):' "$log" || true)
cat "$log"
if [[ $warnings -gt 0 ]]; then
    echo "tidy: $warnings diagnostics in ${#files[@]} files" >&2
    exit 1
fi
echo "tidy: ${#files[@]} files clean"
