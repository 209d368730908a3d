#!/usr/bin/env bash
# The outbox's cost per reading by sync policy, against the in-RAM outbox (bench/outbox_bench.cpp).
#   bench/outbox.sh                   files in build/release (on the disk, not tmpfs)
#   MQTLS_BENCH_DIR=/data bench/outbox.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
configure=(cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQTLS_BUILD_BENCH=ON)
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  configure+=(-G Ninja)
fi
"${configure[@]}" >/dev/null
cmake --build "$build" --target mqtls_outbox_bench >/dev/null
export MQTLS_BENCH_DIR=${MQTLS_BENCH_DIR:-$build}
echo "outbox bench: files in $MQTLS_BENCH_DIR ($(df -T "$MQTLS_BENCH_DIR" | awk 'NR==2 {print $2}'))"
exec "$build/bench/mqtls_outbox_bench" --benchmark_min_time=0.5 "$@"
