#!/usr/bin/env bash
# Runs a block of shell commands from README.md exactly as written, so the text and what works
# cannot drift apart (ctest: readme.hand-made-setup).
#   scripts/readme-commands.sh MQTLS_BINARY [BLOCK_NAME]     default block: hand-made-setup
# The block is the fenced code block right after the line `<!-- readme-test: BLOCK_NAME -->`.
# Each logical line (backslash continuations joined) runs in an empty scratch folder, with
# `mqtls` on PATH as MQTLS_BINARY, inside a network namespace of its own (unshare -n, loopback
# up), so the ports the README names (8883) are free and nothing outside is reached. Rules:
#   - a command ending in `&` runs in the background; when it names `--port N`, the next line
#     waits (at most 10 s) until N accepts TCP connections, as a user would wait for the broker;
#   - a command whose comment says `# prints TEXT` must print TEXT;
#   - every other command must exit 0; `mqtls` commands are bounded by `timeout 120`;
#   - background jobs still running at the end are stopped (by their PIDs).
# Exits 0 when every line did what the README says, 1 otherwise; 77 (ctest: skipped) when this
# machine cannot make a network namespace (needs root or CAP_SYS_ADMIN).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:?usage: scripts/readme-commands.sh MQTLS_BINARY [BLOCK_NAME]}
block=${2:-hand-made-setup}
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
[[ -x $binary ]] || { echo "readme-commands: $binary is not an executable" >&2; exit 1; }

if [[ ${MQTLS_IN_NETNS:-} != 1 ]]; then
    if ! unshare -n true 2>/dev/null; then
        echo "readme-commands: SKIPPED: cannot create a network namespace (run as root)" >&2
        exit 77
    fi
    exec unshare -n env MQTLS_IN_NETNS=1 "$0" "$binary" "$block"
fi
ip link set lo up

# The block's logical lines, continuations joined.
mapfile -t lines < <(awk -v marker="<!-- readme-test: $block -->" '
    $0 == marker { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside {
        if (sub(/\\$/, "")) { pending = pending $0; next }
        print pending $0; pending = ""
    }' "$root/README.md")
if ((${#lines[@]} == 0)); then
    echo "readme-commands: README.md has no block after <!-- readme-test: $block -->" >&2
    exit 1
fi

work=$(mktemp -d /tmp/mqtls-readme.XXXXXX)
mkdir "$work/bin"
ln -s "$binary" "$work/bin/mqtls"
export PATH="$work/bin:$PATH"
cd "$work"
cleanup() {
    local pid
    for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {
    local port=$1 attempt
    for attempt in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "readme-commands: nothing listens on port $port after 10 s" >&2
    return 1
}

failures=0
number=0
for line in "${lines[@]}"; do
    number=$((number + 1))
    # A comment starts after two or more spaces; '#' inside a topic filter is not one.
    command=$(sed -E 's/[[:space:]]{2,}#.*$//; s/[[:space:]]+$//' <<<"$line")
    comment=$(sed -nE 's/^.*[[:space:]]{2,}#[[:space:]]*//p' <<<"$line")
    [[ -z $command ]] && continue
    printf 'readme-commands: [%d] %s\n' "$number" "$command"
    bounded=$command
    [[ $command == mqtls\ * ]] && bounded="timeout 120 $command"
    if [[ $command == *'&' ]]; then
        eval "$command"
        if [[ $command =~ --port[[:space:]]+([0-9]+) ]]; then
            wait_for_port "${BASH_REMATCH[1]}" || failures=$((failures + 1))
        fi
        continue
    fi
    status=0
    output=$(eval "$bounded" 2>&1) || status=$?
    printf '%s\n' "$output" | sed 's/^/    /'
    if ((status != 0)); then
        echo "readme-commands: FAILED line $number: exit status $status" >&2
        failures=$((failures + 1))
    fi
    if [[ $comment == prints\ * ]]; then
        expected=${comment#prints }
        if [[ $output != *"$expected"* ]]; then
            echo "readme-commands: FAILED line $number: the README says it prints: $expected" >&2
            failures=$((failures + 1))
        fi
    fi
done
if ((failures > 0)); then
    echo "readme-commands: $failures line(s) of the '$block' block did not do what README.md says" >&2
    exit 1
fi
echo "readme-commands: all ${#lines[@]} line(s) of the '$block' block ran as README.md says"
