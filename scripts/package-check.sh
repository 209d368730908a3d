#!/usr/bin/env bash
# The install as a user meets it (ctest: package.install-and-consume; README, "Packaging / using
# mqtls from your project"):
#   1. builds the mqtls command and libraries in the Release tree that scripts/demo.sh uses
#      (build/demo: configured the same way, so the two share one build), and `cmake --install`s
#      it into a scratch prefix;
#   2. checks the tree: the command, every layer's public headers (identical to the source),
#      the libraries, the CMake package and mqtls.pc, and that the headers compile against the
#      prefix alone;
#   3. builds examples/ as a separate project with find_package(mqtls) (CMAKE_PREFIX_PATH) and
#      again with pkg-config (examples/Makefile);
#   4. runs session_offline from both builds and compares its output with the MQTT 3.1.1 bytes
#      worked out by hand from the spec;
#   5. makes a PKI and starts a TLS-only Mosquitto with the installed `mqtls`, and publishes one
#      reading with each build of publish_reading, which `mqtls sub` must receive.
# Scratch: <build root>/package-check, removed when the check passes (kept for a look otherwise).
# Environment: MQTLS_BUILD_ROOT (default <repo>/build), JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root="${MQTLS_BUILD_ROOT:-$root/build}"
release="$build_root/demo"
scratch="$build_root/package-check"
prefix="$scratch/prefix"
jobs=${JOBS:-$(nproc)}
started=$SECONDS

step() { echo "package-check: [$((SECONDS - started))s] $*"; }
fail() {
    echo "package-check: FAILED: $*" >&2
    echo "package-check: scratch kept in $scratch" >&2
    exit 1
}
# Runs a command with its output in a log, shown only when it fails.
quiet() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$* (log: $log)"; }
}

broker_pid=""
subscriber_pid=""
cleanup() {
    local pid
    for pid in $subscriber_pid $broker_pid; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

rm -rf "$scratch"
mkdir -p "$scratch"

launchers=()
if command -v ccache >/dev/null; then
    launchers=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# --- 1. build and install ------------------------------------------------------------------
step "building the mqtls command and libraries in $release"
# The same options as scripts/demo.sh, so that neither reconfigures the other's tree.
configure=(cmake -S "$root" -B "$release" -DCMAKE_BUILD_TYPE=Release -DMQTLS_BUILD_TESTS=OFF
           -DMQTLS_BUILD_BENCH=OFF)
if [[ ! -f $release/CMakeCache.txt ]]; then
    configure+=(-G Ninja "${launchers[@]}")
fi
quiet "$scratch/configure.log" "${configure[@]}"
# `mqtls` depends on every installed library, so this builds all that is installed.
quiet "$scratch/build.log" cmake --build "$release" --target mqtls --parallel "$jobs"
step "installing into $prefix"
quiet "$scratch/install.log" cmake --install "$release" --prefix "$prefix"

# --- 2. the installed tree -----------------------------------------------------------------
step "checking the installed files"
for file in bin/mqtls include/mqtls/version.hpp \
    lib/libmqtls_mqtt.a lib/libmqtls_mqtt_server.a lib/libmqtls_node.a lib/libmqtls_port_posix.a lib/libmqtls_pki.a \
    lib/libmqtls_tls.a lib/libmqtls_client.a lib/libmqtls_link.a lib/libmqtls_link_tls.a \
    lib/libmqtls_node_runtime.a lib/libmqtls_port_posix_node.a \
    lib/cmake/mqtls/mqtlsConfig.cmake lib/cmake/mqtls/mqtlsConfigVersion.cmake \
    lib/cmake/mqtls/mqtlsTargets.cmake lib/mqtls/mbedtls/lib/cmake/MbedTLS/MbedTLSConfig.cmake \
    lib/mqtls/mbedtls/lib/libmbedtls.a lib/mqtls/mbedtls/include/mbedtls/mbedtls_config.h \
    lib/pkgconfig/mqtls.pc share/doc/mqtls/LICENSE share/doc/mqtls/examples/CMakeLists.txt; do
    [[ -f $prefix/$file ]] || fail "$file is not installed"
done
[[ -x $prefix/bin/mqtls ]] || fail "bin/mqtls is not executable"
header_count=0
all_headers="$scratch/all_headers.cpp"
: >"$all_headers"
for layer in core mqtt tls link link/tls ports/posix ports/posix/node client pki node node/runtime \
    node/stack; do
    while IFS= read -r -d '' header; do
        relative=${header#"$root/$layer/include/"}
        cmp -s "$header" "$prefix/include/$relative" || fail "include/$relative is not installed as in $layer/include"
        echo "#include \"$relative\"" >>"$all_headers"
        header_count=$((header_count + 1))
    done < <(find "$root/$layer/include" -name '*.hpp' -print0)
done
[[ $header_count -ge 30 ]] || fail "only $header_count public headers found in the source tree"
# A public header that includes a private one (or a file left out of the install) fails here.
quiet "$scratch/headers.log" c++ -std=c++17 -fsyntax-only -Wall -Wextra -Werror \
    -I "$prefix/include" "$all_headers"
project_version=$(sed -n 's/^project(mqtls VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[[ -n $project_version ]] || fail "no version in the top-level project()"
grep -q "^#define MQTLS_VERSION_STRING \"$project_version\"$" "$prefix/include/mqtls/version.hpp" ||
    fail "include/mqtls/version.hpp does not say $project_version"
"$prefix/bin/mqtls" --help >"$scratch/help.txt" 2>&1 || fail "the installed mqtls --help failed"

# --- 3. the examples, built against the prefix ---------------------------------------------
step "building examples/ with find_package(mqtls)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
quiet "$scratch/examples-configure.log" cmake -S "$root/examples" -B "$scratch/examples-cmake" \
    "${generator[@]}" "${launchers[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror"
quiet "$scratch/examples-build.log" cmake --build "$scratch/examples-cmake" --parallel "$jobs"

step "building examples/ with pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[[ $(pkg-config --modversion mqtls) == "$project_version" ]] ||
    fail "pkg-config --modversion mqtls is not $project_version"
compiler=c++
command -v ccache >/dev/null && compiler="ccache c++"
mkdir -p "$scratch/examples-make"
quiet "$scratch/examples-make.log" make -C "$scratch/examples-make" -f "$root/examples/Makefile" \
    -j "$jobs" CXX="$compiler" CXXFLAGS="-O2 -Wall -Wextra -Werror"

# --- 4. the no-network example -------------------------------------------------------------
# MQTT 3.1.1 by hand. CONNECT (3.1): 0x10, remaining length 21; "MQTT", level 4, flags 0x02
# (clean session), keepalive 60; client id "sensor-17". PUBLISH (3.3): 0x32 (QoS 1), remaining
# length 33; topic "telemetry/sensor-17", packet id 1, payload {"t":21.5}.
expected="$scratch/session_offline.expected"
cat >"$expected" <<EOF
mqtls $project_version
CONNECT  23 bytes: 10 15 00 04 4d 51 54 54 04 02 00 3c 00 09 73 65 6e 73 6f 72 2d 31 37
PUBLISH  35 bytes: 32 21 00 13 74 65 6c 65 6d 65 74 72 79 2f 73 65 6e 73 6f 72 2d 31 37 00 01 7b 22 74 22 3a 32 31 2e 35 7d
event    connected (session present: no)
event    packet 1 acknowledged: the broker owns the reading
session  connected, 0 message(s) in flight
EOF
for build in examples-cmake examples-make; do
    step "running $build/session_offline"
    "$scratch/$build/session_offline" >"$scratch/$build.session_offline.out" 2>&1 ||
        { cat "$scratch/$build.session_offline.out" >&2; fail "$build/session_offline failed"; }
    diff -u "$expected" "$scratch/$build.session_offline.out" ||
        fail "$build/session_offline printed something else than the expected bytes and events"
done

# --- 5. one reading over verified TLS, through a real broker -------------------------------
step "publishing through a TLS-only Mosquitto started by the installed mqtls"
mqtls="$prefix/bin/mqtls"
pki="$scratch/pki"
quiet "$scratch/pki.log" "$mqtls" pki init "$pki"
quiet "$scratch/pki-server.log" "$mqtls" pki server "$pki" --san localhost --san 127.0.0.1
sensor_password="sensor-$RANDOM$RANDOM"
collector_password="collector-$RANDOM$RANDOM"

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
broker_log="$scratch/broker.log"
port=""
for _ in 1 2 3 4 5; do
    candidate=$((20000 + RANDOM % 40000))
    port_is_free "$candidate" || continue
    rm -rf "$scratch/broker"
    "$mqtls" broker --pki "$pki" --port "$candidate" --workdir "$scratch/broker" \
        --user "sensor-17:$sensor_password" --user "collector:$collector_password" \
        >"$broker_log" 2>&1 &
    broker_pid=$!
    # Mosquitto says "running" once its listener is open: up within 10 s, or it died (exit 4:
    # something took the port meanwhile; try another).
    for _ in $(seq 100); do
        kill -0 "$broker_pid" 2>/dev/null || break
        grep -q "mosquitto version .* running" "$broker_log" && { port=$candidate; break; }
        sleep 0.1
    done
    [[ -n $port ]] && break
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
done
[[ -n $port ]] || { cat "$broker_log" >&2; fail "the broker did not start"; }

subscriber_out="$scratch/sub.out"
subscriber_err="$scratch/sub.err"
MQTLS_PASSWORD=$collector_password "$mqtls" sub -h localhost -p "$port" --cafile "$pki/ca.crt" \
    -u collector -t 'telemetry/#' -q 1 -v -d -C 2 -W 30 >"$subscriber_out" 2>"$subscriber_err" &
subscriber_pid=$!
for _ in $(seq 100); do
    grep -q "subscribed to" "$subscriber_err" && break
    kill -0 "$subscriber_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "subscribed to" "$subscriber_err" || { cat "$subscriber_err" >&2; fail "mqtls sub did not subscribe"; }

for build in examples-cmake examples-make; do
    MQTLS_PORT=$port MQTLS_CLIENT_ID=sensor-17 MQTLS_USERNAME=sensor-17 \
        MQTLS_PASSWORD=$sensor_password "$scratch/$build/publish_reading" localhost \
        "$pki/ca.crt" telemetry/sensor-17 "{\"t\":21.5,\"build\":\"$build\"}" \
        >"$scratch/$build.publish.out" 2>&1 ||
        { cat "$scratch/$build.publish.out" >&2; fail "$build/publish_reading failed"; }
    grep -q "verified name localhost" "$scratch/$build.publish.out" ||
        fail "$build/publish_reading did not report a verified TLS connection"
    grep -q "acknowledged" "$scratch/$build.publish.out" ||
        fail "$build/publish_reading did not report the acknowledgement"
done
status=0
wait "$subscriber_pid" || status=$?
subscriber_pid=""
[[ $status -eq 0 ]] || { cat "$subscriber_err" >&2; fail "mqtls sub exited with $status"; }
cat >"$scratch/sub.expected" <<'EOF'
telemetry/sensor-17 {"t":21.5,"build":"examples-cmake"}
telemetry/sensor-17 {"t":21.5,"build":"examples-make"}
EOF
diff -u "$scratch/sub.expected" "$subscriber_out" || fail "the subscriber did not get both readings"

# The device runtime as a library: examples/device_loop runs node::NodeRunner for 3 readings
# per build, its outbox on disk; the subscriber must get all 6, each once.
loop_out="$scratch/loop-sub.out"
loop_err="$scratch/loop-sub.err"
MQTLS_PASSWORD=$collector_password "$mqtls" sub -h localhost -p "$port" --cafile "$pki/ca.crt" \
    -u collector -t 'telemetry/sensor-17' -q 1 -d -C 6 -W 60 >"$loop_out" 2>"$loop_err" &
subscriber_pid=$!
for _ in $(seq 100); do
    grep -q "subscribed to" "$loop_err" && break
    kill -0 "$subscriber_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "subscribed to" "$loop_err" || { cat "$loop_err" >&2; fail "mqtls sub did not subscribe"; }
for build in examples-cmake examples-make; do
    step "running $build/device_loop (node::NodeRunner, 3 readings)"
    MQTLS_PORT=$port MQTLS_USERNAME=sensor-17 MQTLS_PASSWORD=$sensor_password \
        "$scratch/$build/device_loop" localhost "$pki/ca.crt" sensor-17 \
        "$scratch/$build.outbox" 3 >"$scratch/$build.loop.out" 2>&1 ||
        { cat "$scratch/$build.loop.out" >&2; fail "$build/device_loop failed"; }
    grep -q "verified name localhost" "$scratch/$build.loop.out" ||
        fail "$build/device_loop did not report a verified TLS connection"
    grep -q "^stopped: [0-9]* reading(s) acknowledged, 0 left in the outbox$" \
        "$scratch/$build.loop.out" || fail "$build/device_loop left readings behind"
    sed 's/^/    /' "$scratch/$build.loop.out"
done
status=0
wait "$subscriber_pid" || status=$?
subscriber_pid=""
[[ $status -eq 0 ]] || { cat "$loop_err" >&2; fail "mqtls sub (device_loop readings) exited with $status"; }
readings=$(grep -c '"device":"sensor-17"' "$loop_out" || true)
[[ $readings -eq 6 ]] || { cat "$loop_out" >&2; fail "the subscriber got $readings device_loop readings, not 6"; }

# Verification fails closed: with a CA that did not sign the broker's certificate, no reading.
quiet "$scratch/pki-other.log" "$mqtls" pki init "$scratch/other-pki"
refused=0
MQTLS_PORT=$port MQTLS_USERNAME=sensor-17 MQTLS_PASSWORD=$sensor_password \
    "$scratch/examples-cmake/publish_reading" localhost "$scratch/other-pki/ca.crt" \
    telemetry/sensor-17 x >"$scratch/refused.out" 2>&1 || refused=$?
[[ $refused -eq 1 ]] && grep -q "^publish_reading: connect: .*trusted" "$scratch/refused.out" ||
    { cat "$scratch/refused.out" >&2; fail "publish_reading with another CA exited $refused, not 1 with the reason"; }

cleanup
broker_pid=""
trap - EXIT
rm -rf "$scratch"
step "passed: $header_count headers installed, examples built with CMake and pkg-config, readings delivered"
