#!/usr/bin/env bash
# The embedded gate: for each bare-metal target, cross-build the embeddable layers (core, mqtt,
# node, link) and the two QEMU test runners (the portable tests; the simulation tests), run them
# under QEMU, report the libraries' sizes, and fail if a library needs anything from the platform
# beyond an allowlist (no heap, no exceptions).
#   scripts/embedded-check.sh                     cortex-m4 and rv32imc
#   scripts/embedded-check.sh rv32imc             one target
# Build trees: build/embedded-<target> (MQTLS_BUILD_ROOT overrides build/). Incremental: a second
# run only rebuilds what changed. Prints the size (text, data, bss) of each embeddable archive per
# object and as "target  text  data  bss" tables: libmqtls_mqtt.a (core is header-only, so its code
# is inside), libmqtls_node.a, libmqtls_link.a (the connection pump), the retained stores
# (node::RetainedLogStorage's object and the header-only tls::RetainedSessionStore's probe
# archive), mbedTLS 3.6 cross-built with tls/mbedtls-config/device_config.h, and the number of
# tests passed under QEMU; exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${MQTLS_BUILD_ROOT:-$root/build}
# cortex-m4-lean: the Cortex-M4 images with the lean mbedTLS profile (MQTLS_DEVICE_TLS_PROFILE=
# lean) and MQTT 3.1.1 only (MQTLS_MQTT5=OFF): the images and their sizes, and the portable tests
# (not the simulation ones, which do not depend on either choice), so the 3.1.1-only build is
# tested, not just compiled.
all_targets=(cortex-m4 cortex-m4-lean rv32imc)
lean_wake_text_budget=131072 # 128 KiB of .text for the whole Cortex-M4 wake image, mbedTLS included
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

# Undefined symbols libmqtls_mqtt.a may leave to the platform (after removing those the archive
# defines itself). Anything else is a new platform dependency and fails the gate.
allowed=(
    '(mem|str)[a-z]*'                        # C string/memory functions: memcpy, memcmp, strlen...
    'abort'                                  # MQTLS_ASSERT
    '__aeabi_(u?idiv|u?idivmod|u?ldivmod|l(asr|lsr|sl)|lmul|lcmp|ulcmp|mem(cpy|move|set|clr)[48]?)'
    '__(u?(div|mod|divmod)|mul|ash[lr]|lshr|clz|ctz|popcount|bswap|ffs|parity|u?cmp)[sdt]i[0-9]'  # libgcc
    '__riscv_(save|restore)_[0-9]+'          # -msave-restore prologue helpers
    '__gnu_thumb1_case_[a-z0-9]+'            # Thumb-1 switch tables
    '__cxa_pure_virtual'                     # vtable slot of a pure virtual; traps (port stubs)
)
# Always fatal, named so the message says what crept in (checked before the allowlist).
denied=(
    'malloc|free|calloc|realloc|reallocarray|aligned_alloc|posix_memalign|memalign|strn?dup|_sbrk|sbrk'  # heap
    '_Zn[wa].*|_Zd[la].*'                                     # operator new / delete
    '__cxa_(allocate_exception|free_exception|throw|rethrow|begin_catch|end_catch|get_exception_ptr|call_unexpected|bad_cast|bad_typeid|guard_acquire|guard_release|guard_abort|atexit|thread_atexit)'
    '__gxx_personality_.*|_Unwind_.*|__aeabi_unwind_cpp_pr[0-9]'  # exception unwinding
    '_ZSt[0-9]*__throw_.*|_ZNSt.*__throw.*'                    # std::__throw_*
    '_ZTI.*|_ZTS.*|__dynamic_cast|_ZTVN10__cxxabiv.*'          # RTTI
    'printf|fprintf|sprintf|snprintf|vsnprintf|puts|fputs|putchar|fwrite|fopen|exit|_exit|time|clock_gettime|gettimeofday|rand|srand|getrandom'
)
allowed_re="^($(IFS='|'; echo "${allowed[*]}"))\$"
denied_re="^($(IFS='|'; echo "${denied[*]}"))\$"

triple_of() {
    case $1 in
        cortex-m4 | cortex-m4-lean) echo arm-none-eabi ;;
        rv32imc) echo riscv64-unknown-elf ;;
        *) return 1 ;;
    esac
}

# Prints the per-object sizes of archive $2 and keeps its total "text data bss" in the
# associative array named $1, under the current target.
record_archive_size() {
    local -n sizes=$1
    local text data bss
    echo "=== embedded $target: size of $(basename "$2") per object"
    "$triple-size" "$2"
    read -r text data bss _ < <("$triple-size" -t "$2" | tail -1)
    # shellcheck disable=SC2034  # a nameref: the caller's array is set
    sizes["$target"]="$text $data $bss"
}

# GCC's -fstack-usage files under $2 (the toolchain files enable it; lines are
# "file:line:col:function<TAB>bytes<TAB>kind"): the largest frame, printed and kept in the
# associative array named $1 under the current target.
record_largest_frame() {
    local -n frames=$1
    local largest
    largest=$(find "$2" -name '*.su' -exec cat {} + |
        awk -F'\t' '$2 + 0 > max { max = $2 + 0; fn = $1 } END {
            sub(/^.*:[0-9]+:[0-9]+:/, "", fn); if (max > 0) print max " bytes in " fn }')
    # shellcheck disable=SC2034  # a nameref: the caller's array is set
    frames["$target"]=${largest%% *}
    echo "    largest stack frame of one function: ${largest:-unknown (no .su files)}"
}

# A table of "text data bss" per target from the associative array named $2, titled $1.
print_size_table() {
    local -n rows=$2
    echo "=== $1, -Os, bytes"
    printf '%-15s %8s %6s %6s\n' target text data bss
    for target in "${targets[@]}"; do
        # shellcheck disable=SC2086  # the row is three words on purpose; "-": not measured there
        printf '%-15s %8s %6s %6s\n' "$target" ${rows[$target]:-- - -}
    done
}

# The whole wake firmware as linked (--gc-sections): everything a device flashes, not gated
# heap-free (mbedTLS allocates per connection: docs/firmware.md counts it); and mbedTLS 3.6 with
# the device configuration of this tree's profile, cross-built at configure time
# (cmake/MqtlsMbedtls.cmake): its three archives together, before the linker drops what a
# firmware does not call. Kept in firmware_row and mbedtls_row under the current target.
record_image_sizes() {
    local wake_elf="$build/firmware/mqtls_firmware_wake.elf" mbedtls_prefix
    local wake_text wake_data wake_bss mbedtls_text mbedtls_data mbedtls_bss
    echo "=== embedded $target: size of $(basename "$wake_elf")"
    read -r wake_text wake_data wake_bss _ < <("$triple-size" "$wake_elf" | tail -1)
    firmware_row[$target]="$wake_text $wake_data $wake_bss"
    mbedtls_prefix=$(cat "$build/mbedtls-prefix.txt")
    echo "=== embedded $target: mbedTLS (profile $profile) in $mbedtls_prefix"
    "$triple-size" -t "$mbedtls_prefix"/lib/libmbed{tls,x509,crypto}.a | tail -1
    read -r mbedtls_text mbedtls_data mbedtls_bss _ < <("$triple-size" -t "$mbedtls_prefix"/lib/libmbed{tls,x509,crypto}.a | tail -1)
    mbedtls_row[$target]="$mbedtls_text $mbedtls_data $mbedtls_bss"
}

# Runs the QEMU tests of $build that ctest arguments "$@" select, records the runners' counts in
# tests_row and any failure in failed.
run_qemu_tests() {
    local status
    # -V shows the runner's output ("N passed, 0 failed", or each failed check); the filter
    # drops only ctest's own -V chatter.
    set +e
    ctest --test-dir "$build" "$@" -V --no-tests=error |
        grep -Ev '^(UpdateCTestConfiguration|Internal ctest|Constructing a list|Done constructing|Updating test list|Added 0 tests|Checking test dependency|test [0-9]+$|Label Time Summary|embedded +=|Total Test time|$)|^[0-9]+: (Test command|Working Directory|Environment variables| *QEMU_TIMEOUT|Test timeout computed)' |
        tee "$build/mqtls-qemu.log"
    status=${PIPESTATUS[0]}
    set -e
    [[ $status -eq 0 ]] || failed+=("$target: QEMU tests")
    # Each runner's "N passed, M failed" line, as ctest -V prefixes it ("<test number>: ").
    tests_row[$target]=$(awk '$2 ~ /^[0-9]+$/ && $3 == "passed," && $5 == "failed" {
            runners++; passed += $2; failed += $4 }
        END { printf "%d %d %d", runners, passed, failed }' "$build/mqtls-qemu.log")
}

# Filled through namerefs (record_archive_size, record_largest_frame), read by the tables.
# shellcheck disable=SC2034
declare -A size_row node_row link_row runtime_row modem_row firmware_row log_store_row session_store_row frame_row link_frame_row tests_row mbedtls_row
failed=()
for target in "${targets[@]}"; do
    if ! triple=$(triple_of "$target"); then
        echo "embedded-check: unknown target '$target' (known: ${all_targets[*]})" >&2
        exit 2
    fi
    build="$build_root/embedded-$target"
    profile=full
    mqtt5=ON
    if [[ $target == *-lean ]]; then
        profile=lean
        mqtt5=OFF
    fi
    toolchain="$root/cmake/toolchains/${target%-lean}.cmake"
    echo "=== embedded $target: configure + build ($build, mbedTLS profile $profile, MQTT 5 $mqtt5)"
    configure=(cmake -S "$root" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DMQTLS_WERROR=ON
        -DMQTLS_DEVICE_TLS_PROFILE="$profile" -DMQTLS_MQTT5="$mqtt5")
    # Toolchain flags only seed the cache on the first configure: when a toolchain file changed
    # since this tree was configured, start its cache afresh.
    toolchain_hash=$(cat "$root"/cmake/toolchains/*.cmake | sha256sum | cut -d' ' -f1)
    if [[ ! -f $build/CMakeCache.txt ]]; then
        configure+=(-G Ninja)
    elif [[ $(cat "$build/mqtls-toolchain.sha256" 2>/dev/null) != "$toolchain_hash" ]]; then
        configure+=(--fresh)
    fi
    mkdir -p "$build"
    "${configure[@]}" >"$build/mqtls-configure.log" 2>&1 || {
        cat "$build/mqtls-configure.log"
        echo "embedded-check: $target: configure failed" >&2
        exit 1
    }
    echo "$toolchain_hash" >"$build/mqtls-toolchain.sha256"
    if [[ $profile == lean ]]; then
        cmake --build "$build" --target mqtls_mqtt mqtls_embedded_tests mqtls_firmware_wake \
            mqtls_firmware_node
        echo "=== embedded $target: portable tests under QEMU (MQTT 3.1.1 only)"
        run_qemu_tests -R '^embedded\.qemu\.'
        record_archive_size size_row "$build/mqtt/libmqtls_mqtt.a"
        record_image_sizes
        # The lean profile exists to fit the issue's flash budget: a change that outgrows it
        # fails here rather than in a benchmark nobody reads (docs/firmware.md).
        read -r lean_text _ <<<"${firmware_row[$target]}"
        if [[ $target == cortex-m4-lean && $lean_text -gt $lean_wake_text_budget ]]; then
            echo "embedded-check: $target: mqtls_firmware_wake.elf text $lean_text B is over the budget of $lean_wake_text_budget B" >&2
            failed+=("$target: wake image over $lean_wake_text_budget B")
        fi
        continue
    fi
    # The libraries, the runners, and the firmware images that firmware.<target>.* (ctest) boots.
    cmake --build "$build" --target mqtls_mqtt mqtls_node mqtls_link mqtls_node_runtime \
        mqtls_port_uart_modem mqtls_retained_session_probe \
        mqtls_embedded_tests mqtls_embedded_sim_tests mqtls_firmware_wake mqtls_firmware_node

    echo "=== embedded $target: portable tests under QEMU"
    run_qemu_tests -L '^embedded$'

    record_archive_size size_row "$build/mqtt/libmqtls_mqtt.a"
    record_largest_frame frame_row "$build/mqtt/CMakeFiles/mqtls_mqtt.dir"

    node_lib="$build/node/libmqtls_node.a"
    record_archive_size node_row "$node_lib"
    # The retained log storage is one object of the node archive (its CRC-32 is core's, inline).
    read -r log_text log_data log_bss _ < <("$triple-size" "$node_lib" |
        awk '$6 ~ /retained_log_storage/ { print $1, $2, $3 }')
    # shellcheck disable=SC2034  # read by print_size_table, through a nameref
    log_store_row[$target]="${log_text:-?} ${log_data:-?} ${log_bss:-?}"
    # The session store is header-only: its probe archive holds load/save/erase/contents once.
    session_lib="$build/embedded/libmqtls_retained_session_probe.a"
    record_archive_size session_store_row "$session_lib"

    link_lib="$build/link/libmqtls_link.a"
    record_archive_size link_row "$link_lib"
    record_largest_frame link_frame_row "$build/link/CMakeFiles/mqtls_link.dir"

    runtime_lib="$build/node/runtime/libmqtls_node_runtime.a"
    record_archive_size runtime_row "$runtime_lib"

    modem_lib="$build/ports/uart_modem/libmqtls_port_uart_modem.a"
    record_archive_size modem_row "$modem_lib"

    record_image_sizes

    # Every embeddable layer passes the same gate.
    layers=("$build/mqtt/libmqtls_mqtt.a" "$node_lib" "$link_lib" "$runtime_lib" "$modem_lib")
    for lib in "${layers[@]}" "$session_lib"; do
        echo "=== embedded $target: symbols $(basename "$lib") needs from the platform"
        # A layer may use the layers below it: node calls mqtt's topic checks, link drives
        # mqtt::Session, the node runtime drives link and node, and the firmware links them
        # together. What the layers define is therefore not a platform dependency of another.
        defined=$("$triple-nm" --defined-only "${layers[@]}" "$lib" |
            awk 'NF == 3 { print $3 }' | sort -u)
        undefined=$("$triple-nm" -u "$lib" | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u)
        external=$(comm -23 <(echo "$undefined") <(echo "$defined") | sed '/^$/d')
        # shellcheck disable=SC2001  # indent every line
        sed 's/^/  /' <<<"${external:-(none)}"
        bad_denied=$(grep -E "$denied_re" <<<"$external" || true)
        bad_unknown=$(grep -Ev "$allowed_re" <<<"$external" | grep -Ev "$denied_re" | sed '/^$/d' || true)
        if [[ -n $bad_denied ]]; then
            echo "embedded-check: $target: heap, exception, RTTI or I/O symbols in $(basename "$lib"):" >&2
            "$triple-c++filt" <<<"$bad_denied" | sed 's/^/  /' >&2
            failed+=("$target: forbidden symbols")
        fi
        if [[ -n $bad_unknown ]]; then
            echo "embedded-check: $target: symbols outside the allowlist (scripts/embedded-check.sh):" >&2
            "$triple-c++filt" <<<"$bad_unknown" | sed 's/^/  /' >&2
            failed+=("$target: symbols outside the allowlist")
        fi
    done
    # The runner's map shows who pulled in what; name it for whoever debugs a failure.
    echo "    (link maps: $build/embedded/mqtls_embedded_tests.map, mqtls_embedded_sim_tests.map)"
done

echo
print_size_table "libmqtls_mqtt.a (core + mqtt)" size_row
print_size_table "libmqtls_node.a (node runtime: TelemetryNode, outbox, retained log storage, schedule, backoff, JSON, sensors)" node_row
print_size_table "libmqtls_link.a (link::Connection: the pump between ByteStream, SecureChannel and mqtt::Session)" link_row
print_size_table "libmqtls_node_runtime.a (NodeRunner, run_wake_cycle, OutboxSet, in-flight restore)" runtime_row
print_size_table "libmqtls_port_uart_modem.a (ModemStream: the device's ByteStream over the UART modem link)" modem_row
print_size_table "mqtls_firmware_wake.elf (the whole wake image: libraries, mbedTLS, picolibc, as linked)" firmware_row
print_size_table "node::RetainedLogStorage (retained_log_storage.cpp.o, inside libmqtls_node.a)" log_store_row
print_size_table "tls::RetainedSessionStore (header-only; libmqtls_retained_session_probe.a)" session_store_row
print_size_table "mbedTLS 3.6.6, device configuration (libmbedtls + libmbedx509 + libmbedcrypto, before --gc-sections)" mbedtls_row
echo "(largest single stack frame, mqtt: $(for t in "${targets[@]}"; do printf '%s %s B  ' "$t" "${frame_row[$t]:-?}"; done))"
echo "(largest single stack frame, link: $(for t in "${targets[@]}"; do printf '%s %s B  ' "$t" "${link_frame_row[$t]:-?}"; done))"
echo "=== tests under QEMU (the portable runner and the simulation runner)"
printf '%-15s %8s %6s %6s\n' target runners passed failed
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086  # the row is three words on purpose
    printf '%-15s %8s %6s %6s\n' "$target" ${tests_row[$target]:-- - -}
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo
    printf 'embedded-check: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "embedded-check: OK (${targets[*]})"
