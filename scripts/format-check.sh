#!/usr/bin/env bash
# clang-format gate: every C/C++ source of the repository must already be formatted (.clang-format).
#   scripts/format-check.sh          check (clang-format --dry-run -Werror); lists unformatted files
#   scripts/format-check.sh --fix    reformat those files in place
# The file list is git's (tracked + untracked but not ignored), so build trees never count.
# CLANG_FORMAT overrides the binary (default: clang-format-14, else clang-format).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fix=0
if [[ ${1:-} == --fix ]]; then
    fix=1
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--fix]" >&2
    exit 2
fi

clang_format=${CLANG_FORMAT:-}
if [[ -z $clang_format ]]; then
    clang_format=$(command -v clang-format-14 || command -v clang-format || true)
fi
if [[ -z $clang_format ]]; then
    echo "format-check: clang-format not found (scripts/install-deps.sh installs it)" >&2
    exit 1
fi

patterns=('*.c' '*.h' '*.cc' '*.cpp' '*.hpp')
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${patterns[@]}" |
        while read -r f; do [[ -f $f ]] && echo "$f"; done | sort -u)
else
    mapfile -t files < <(find . -path ./build -prune -o -path ./.git -prune -o -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.cpp' -o -name '*.hpp' \) \
        -print | sed 's|^\./||' | sort)
fi
if [[ ${#files[@]} -eq 0 ]]; then
    echo "format-check: no sources found" >&2
    exit 1
fi

if [[ $fix -eq 1 ]]; then
    "$clang_format" -i --style=file "${files[@]}"
    echo "format-check: formatted ${#files[@]} files with $("$clang_format" --version)"
    exit 0
fi

unformatted=()
for f in "${files[@]}"; do
    if ! "$clang_format" --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then
        unformatted+=("$f")
    fi
done
if [[ ${#unformatted[@]} -gt 0 ]]; then
    for f in "${unformatted[@]}"; do
        # The first few complaints of each file, in compiler format (file:line:col).
        "$clang_format" --dry-run --style=file "$f" 2>&1 | grep -E '^[^ ].*: (warning|error):' |
            head -n 3 || true
    done
    echo "format-check: ${#unformatted[@]} of ${#files[@]} files are not clang-formatted:" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    echo "format-check: run scripts/format-check.sh --fix" >&2
    exit 1
fi
echo "format-check: ${#files[@]} files clang-formatted ($("$clang_format" --version | sed 's/.*version //'))"
