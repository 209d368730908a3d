#!/usr/bin/env bash
# A long soak of the fault test (tools/mqtls/tests/fault_test.cpp): the same faults as in CI
# (link cut, cut mid-record, node SIGKILL + restart, broker stop + restart, refused
# connections) but ROUNDS times each with READINGS delivered between faults. Prints N, lost
# (must be 0) and duplicates per fault kind.
#   bench/fault_soak.sh              50 rounds, 20 readings between faults (~5 minutes)
#   ROUNDS=200 READINGS=50 bench/fault_soak.sh
# Uses the ASan build of the test command (build/asan); builds it if needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${MQTLS_BUILD_ROOT:-$root/build}/asan"
if [[ ! -x $build/tools/mqtls/tests/mqtls_cli_tests ]]; then
    echo "fault_soak: building $build (run scripts/test.sh once for the full set-up)"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMQTLS_SANITIZE=ON >/dev/null
fi
cmake --build "$build" --target mqtls mqtls_cli_tests >/dev/null
MQTLS_FAULT_ROUNDS=${ROUNDS:-50} MQTLS_FAULT_READINGS_BETWEEN=${READINGS:-20} \
    "$build/tools/mqtls/tests/mqtls_cli_tests" --gtest_filter='*CliFault.*'
