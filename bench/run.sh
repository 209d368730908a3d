#!/usr/bin/env bash
# Configures a Release build in build/release (if needed), builds the codec benchmark and runs it.
#   bench/run.sh                      all benchmarks, ~30 s
#   bench/run.sh --benchmark_filter=Session --benchmark_format=json   (arguments go to the bench)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"

configure=(cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQTLS_BUILD_BENCH=ON)
# Keep the generator of an existing build directory; prefer Ninja for a new one.
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  configure+=(-G Ninja)
fi
"${configure[@]}" >/dev/null
cmake --build "$build" --target mqtls_codec_bench

exec "$build/bench/mqtls_codec_bench" --benchmark_min_time=0.2 "$@"
