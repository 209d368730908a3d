#!/usr/bin/env bash
# Throughput of `mqtls pub -l` against `mosquitto_pub -l`: N messages of 64 bytes over TLS 1.2,
# QoS 0 and QoS 1, to one Mosquitto on loopback, in the same run. A subscriber counts what the
# broker actually delivered, so a publisher that stops early (mosquitto_pub -l at QoS 1) shows;
# msg/s is messages delivered per second of the publisher's run.
#   bench/pub_throughput.sh [N [RUNS]]   default N = 100000, RUNS = 1; prints a markdown table
# With RUNS > 1 each row is the run with the median rate, and "delivered" the fewest of all runs.
# "mqtls -l -M 64" is the client's window before issue 11, for comparison in the same run.
# Everything runs on 127.0.0.1; the broker is made with `mqtls pki` + `mqtls broker` and stopped
# by its PID on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100000}
runs=${2:-1}
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
# Two logins: the broker binds each connection's client id to its user name, so the publisher
# and the counting subscriber must not share one (the second would take the first's place).
(umask 077 && printf 'bench:%s\ncounter:%s\n' "$password" "$password" >"$work/users")
"$mqtls" broker --pki "$work/pki" --port "$port" --users-file "$work/users" \
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
counter_tls=(-h 127.0.0.1 -p "$port" --cafile "$work/pki/ca.crt" -u counter -P "$password")

# Waits for the counting subscriber: it exits by itself after N messages; otherwise it is
# stopped once nothing more arrived for 3 s (at most 60 s after the publisher ended).
wait_for_counter() {
    local pid=$1 last=-1 still=0
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || break
        local now
        now=$(wc -l <"$work/received")
        if [[ $now == "$last" ]]; then still=$((still + 1)); else still=0; fi
        [[ $still -ge 30 ]] && break
        last=$now
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# One run: prints "seconds delivered".
run_once() {
    local tool=$1 qos=$2 run=$3
    shift 3
    local topic="bench/$tool/$qos/$run/$RANDOM"
    mosquitto_sub "${counter_tls[@]}" -i "counter-$run-$RANDOM" -t "$topic" -q "$qos" -C "$count" \
        >"$work/received" 2>/dev/null &
    local sub_pid=$!
    sleep 0.3  # let the subscription settle
    local start end
    start=$(date +%s.%N)
    if [[ $tool == mqtls ]]; then
        "$mqtls" pub "${tls[@]}" -i "pub-$run-$RANDOM" -t "$topic" -q "$qos" -l "$@" <"$work/lines.txt"
    else
        mosquitto_pub "${tls[@]}" -i "pub-$run-$RANDOM" -t "$topic" -q "$qos" -l "$@" \
            <"$work/lines.txt"
    fi
    end=$(date +%s.%N)
    wait_for_counter "$sub_pid"
    echo "$(python3 -c "print(f'{$end - $start:.3f}')") $(wc -l <"$work/received")"
}

# One row: RUNS runs, the median rate; prints "label|qos|seconds|rate|delivered".
measure() {
    local label=$1 tool=$2 qos=$3
    shift 3
    local results=()
    for run in $(seq 1 "$runs"); do results+=("$(run_once "$tool" "$qos" "$run" "$@")"); done
    printf '%s\n' "${results[@]}" | python3 -c "
import sys
rows = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
rated = sorted(rows, key=lambda r: r[1] / max(r[0], 1e-9))
seconds, delivered = rated[len(rated) // 2]
print(f'$label|$qos|{seconds:.3f}|{delivered / max(seconds, 1e-9):.0f}|{int(min(r[1] for r in rows))}')"
}

rows=()
for qos in 0 1; do
    rows+=("$(measure "mqtls -l" mqtls "$qos")")
    [[ $qos == 1 ]] && rows+=("$(measure "mqtls -l -M 64" mqtls "$qos" -M 64)")
    rows+=("$(measure "mosquitto_pub -l" mosquitto_pub "$qos")")
done

echo "| publisher | QoS | wall time (s) | msg/s | vs mosquitto_pub | delivered |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}" | python3 -c "
import sys
rows = [line.strip().split('|') for line in sys.stdin if line.strip()]
reference = {r[1]: float(r[3]) for r in rows if r[0].startswith('mosquitto_pub')}
for label, qos, seconds, rate, delivered in rows:
    ratio = float(rate) / reference[qos] if reference.get(qos) else float('nan')
    print(f'| \`{label}\` | {qos} | {seconds} | {float(rate):,.0f} | {ratio:.2f}x | {delivered} of $count |')"
