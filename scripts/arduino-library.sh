#!/usr/bin/env bash
# Assembles the Arduino library (also a PlatformIO library) from the repository:
#   scripts/arduino-library.sh OUT     writes OUT/mqtls/ (library.properties, library.json,
#                                      src/, examples/, LICENSE) and prints its path
# An Arduino library must hold all of its sources under src/, and Arduino adds only src/ to the
# include path: the layers' public headers go to src/ as they are installed (mqtls/...), each
# layer's sources with their private headers to src/mqtls_sources/<layer>/, and the two headers
# CMake generates (mqtls/version.hpp, mqtls/mqtt/build_config.hpp with MQTT 5 on) are written
# here. Nothing is edited: the files are the ones every other build compiles.
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: scripts/arduino-library.sh OUT   (writes OUT/mqtls, the Arduino library)" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1/mqtls
if [[ -e $out ]]; then
    echo "arduino-library: $out exists; remove it or choose another folder" >&2
    exit 3
fi
mkdir -p "$out/src/mqtls_sources"

# Public headers, by layer, as installed (cmake/MqtlsInstall.cmake), plus the ports the board
# uses: the ESP-IDF Platform and the Arduino Client stream.
for layer in core mqtt tls link link/tls node node/runtime node/stack ports/espidf; do
    cp -R "$root/$layer/include/." "$out/src/"
done
cp -R "$root/ports/arduino/src/." "$out/src/"

# Sources with the private headers beside them (they include each other by file name).
copy_sources() {  # <layer folder> <name under mqtls_sources>
    mkdir -p "$out/src/mqtls_sources/$2"
    find "$root/$1" -maxdepth 1 -type f \( -name '*.cpp' -o -name '*.hpp' \) \
        -exec cp {} "$out/src/mqtls_sources/$2/" \;
}
copy_sources mqtt/src mqtt
copy_sources tls/src tls
copy_sources link/src link
copy_sources link/tls/src link_tls
copy_sources node/src node
copy_sources node/runtime/src node_runtime
copy_sources node/stack/src node_stack
copy_sources ports/espidf/src espidf
# The lwIP stream maps errno values with the posix port's table.
cp "$root/ports/posix/src/socket_errors.cpp" "$root/ports/posix/src/socket_errors.hpp" \
    "$out/src/mqtls_sources/espidf/"

version=$(sed -n 's/^project(mqtls VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
IFS=. read -r major minor patch <<<"$version"
sed -e "s/@PROJECT_VERSION_MAJOR@/$major/" -e "s/@PROJECT_VERSION_MINOR@/$minor/" \
    -e "s/@PROJECT_VERSION_PATCH@/$patch/" -e "s/@PROJECT_VERSION@/$version/" \
    "$root/cmake/version.hpp.in" >"$out/src/mqtls/version.hpp"
sed -e "s/@MQTLS_MQTT5_VALUE@/1/" "$root/mqtt/build_config.hpp.in" \
    >"$out/src/mqtls/mqtt/build_config.hpp"

cp "$root/ports/arduino/library.properties" "$root/ports/arduino/library.json" "$out/"
cp -R "$root/ports/arduino/examples" "$out/examples"
cp "$root/LICENSE" "$out/LICENSE"
echo "$out"
