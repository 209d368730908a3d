#!/usr/bin/env bash
# Throughput of `mqtls pub -l` against `mosquitto_pub -l`: N messages of 64 bytes over TLS 1.2,
# QoS 0 and QoS 1, to one Mosquitto on loopback, in the same run. A subscriber counts what the
# broker actually delivered, so a publisher that stops early (mosquitto_pub -l at QoS 1) shows.
#   bench/pub_throughput.sh [N]        default N = 100000; prints a markdown table
# Everything runs on 127.0.0.1; the broker is made with `mqtls pki` + `mqtls broker` and stopped
# by its PID on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100000}
build="$root/build/release"
configure=(cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQTLS_BUILD_TESTS=OFF)
[[ -f "$build/CMakeCache.txt" ]] || configure+=(-G Ninja)
"${configure[@]}" >/dev/null
cmake --build "$build" --target mqtls >/dev/null
mqtls="$build/tools/mqtls/mqtls"

work=$(mktemp -d /tmp/mqtls-pub-bench.XXXXXX)
broker_pid=""
cleanup() {
    if [[ -n $broker_pid ]]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$mqtls" pki init "$work/pki" >/dev/null
"$mqtls" pki server "$work/pki" --san localhost --san 127.0.0.1 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password=bench-$$-$RANDOM
"$mqtls" broker --pki "$work/pki" --port "$port" --user "bench:$password" \
    --max-queued 0 --workdir "$work/broker" >"$work/broker.out" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do  # up to 5 s for the listener
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done
grep -q "tls_version" "$work/broker/mosquitto.conf"  # fail early if the broker did not start

# N lines of exactly 64 bytes.
python3 -c "import sys
for i in range($count): sys.stdout.write(f'{i:08d}' + 'x' * 56 + '\n')" >"$work/lines.txt"

tls=(-h 127.0.0.1 -p "$port" --cafile "$work/pki/ca.crt" -u bench -P "$password")
echo "| publisher | QoS | wall time (s) | msg/s | delivered |"
echo "|---|---|---|---|---|"
for qos in 0 1; do
    for tool in mqtls mosquitto_pub; do
        topic="bench/$tool/$qos"
        mosquitto_sub "${tls[@]}" -i "counter-$tool-$qos" -t "$topic" -q "$qos" -W 60 -C "$count" \
            >"$work/received" 2>/dev/null &
        sub_pid=$!
        sleep 0.3  # let the subscription settle
        start=$(date +%s.%N)
        if [[ $tool == mqtls ]]; then
            "$mqtls" pub "${tls[@]}" -i "pub-$tool-$qos" -t "$topic" -q "$qos" -l <"$work/lines.txt"
        else
            mosquitto_pub "${tls[@]}" -i "pub-$tool-$qos" -t "$topic" -q "$qos" -l <"$work/lines.txt"
        fi
        end=$(date +%s.%N)
        wait "$sub_pid" 2>/dev/null || true  # exits at -C N, or after -W 60 s with fewer
        delivered=$(wc -l <"$work/received")
        seconds=$(python3 -c "print(f'{$end - $start:.3f}')")
        rate=$(python3 -c "print(f'{$delivered / max($end - $start, 1e-9):,.0f}')")
        echo "| $tool -l | $qos | $seconds | $rate | $delivered of $count |"
    done
done
