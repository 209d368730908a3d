#!/usr/bin/env bash
# ctest ports.arduino-library: the Arduino library as scripts/arduino-library.sh assembles it,
# checked as far as this machine can:
#   1. its manifests and that every #include resolves inside src/ (check_manifests.py);
#   2. every source file of its src/ compiles from that layout alone (-I src, as Arduino builds
#      a library), against this build's mbedTLS 3.6 headers, without exceptions or RTTI; except
#      mqtls_sources/espidf/platform.cpp, which needs ESP-IDF's headers (docs/espidf.md).
# Usage: ports/tests/check_arduino_library.sh CXX MBEDTLS_INCLUDE_DIR [PYTHON3]
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: ports/tests/check_arduino_library.sh CXX MBEDTLS_INCLUDE_DIR [PYTHON3]" >&2
    exit 2
fi
cxx=$1
mbedtls_include=$2
python=${3:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

library=$("$root/scripts/arduino-library.sh" "$scratch")
"$python" "$root/ports/tests/check_manifests.py" --assembled "$library"

mapfile -t sources < <(find "$library/src" -name '*.cpp' ! -path '*/espidf/platform.cpp' | sort)
echo "check_arduino_library: compiling ${#sources[@]} sources from the library's layout"
failed=0
for source in "${sources[@]}"; do
    if ! "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -fno-exceptions \
        -fno-rtti -I "$library/src" -isystem "$mbedtls_include" "$source" 2>"$scratch/error.log"; then
        echo "check_arduino_library: ${source#"$library/"} does not compile:" >&2
        cat "$scratch/error.log" >&2
        failed=1
    fi
done
[[ $failed -eq 0 ]] || exit 1
echo "check_arduino_library: OK (${#sources[@]} sources compile; manifests and includes checked)"
