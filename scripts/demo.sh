#!/usr/bin/env bash
# The main job (README): the whole system on loopback in one command. Installs what is missing
# (apt-get), builds the mqtls command (release, build/demo), and runs `mqtls demo`:
# a PKI, a TLS-only Mosquitto with mutual TLS on a free port, a telemetry node and a
# subscriber; Ctrl-C stops everything it started.
#   scripts/demo.sh                    until Ctrl-C
#   scripts/demo.sh --duration 30      any `mqtls demo` option (see --help)
# Environment: MQTLS_BUILD_ROOT (default <repo>/build), JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="${MQTLS_BUILD_ROOT:-$root/build}/demo"
jobs=${JOBS:-$(nproc)}

echo "demo.sh: checking packages"
scripts/install-deps.sh --demo
echo "demo.sh: building mqtls in $build"
# A fresh clone has no build/ yet: the logs below live beside the build tree.
mkdir -p "$build"
configure=(cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQTLS_BUILD_TESTS=OFF
           -DMQTLS_BUILD_BENCH=OFF)
if [[ ! -f $build/CMakeCache.txt ]]; then
    configure+=(-G Ninja)
fi
"${configure[@]}" >"$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" --target mqtls --parallel "$jobs" >"$build.build.log" 2>&1 ||
    { cat "$build.build.log" >&2; exit 1; }
exec "$build/tools/mqtls/mqtls" demo "$@"
