#!/usr/bin/env bash
# Puts the pinned mbedTLS 3.6 LTS source tarball in the cache and prints its path.
#
#   scripts/fetch-mbedtls.sh            fetch if missing, verify, print the cached tarball's path
#   scripts/fetch-mbedtls.sh --check    verify the cached tarball only (exit 1 if missing or wrong)
#   scripts/fetch-mbedtls.sh --help
#
# Debian 12 packages only mbedTLS 2.28 (end of life), so the source comes from Debian's own
# source package of 3.6 in trixie: a deb-src entry for trixie on the mirror the system's apt
# sources already name, used through a private apt state in a temporary folder (the system's
# sources, lists and locks are not touched, so no root is needed). The upstream tarball inside
# the source package is checked against the pinned sha256 before it is cached.
#
# Environment:
#   MQTLS_MBEDTLS_CACHE     cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/mqtls)
#   MQTLS_MBEDTLS_TARBALL   a tarball already on disk (offline machines): verified and cached
set -euo pipefail

readonly debian_version=3.6.6-0.1~deb13u1
readonly upstream_version=3.6.6
readonly tarball_name=mbedtls_${upstream_version}.orig.tar.bz2
readonly tarball_sha256=8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
readonly source_suite=trixie

cache_dir=${MQTLS_MBEDTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mqtls}
cached=$cache_dir/$tarball_name
work=""

say() { echo "fetch-mbedtls: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

sha256_matches() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$tarball_sha256" ]]; }

# The first mirror URI of the system's main Debian archive (not -security), and its keyring,
# from deb822 .sources files or the one-line sources.list format.
system_mirror() {
  local file uri="" keyring=""
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    # A stanza ends at a blank line; take URIs/Signed-By of the first stanza whose suites are
    # not only security updates.
    read -r uri keyring < <(awk '
      function flush() { if (uri != "" && suites !~ /^(\S*-security ?)+$/ && !done) { print uri, key; done = 1 } uri = ""; suites = ""; key = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { $1 = ""; sub(/^ /, ""); suites = $0 }
      /^Signed-By:/ { key = $2 }
      END { flush() }' "$file") || true
    [[ -n $uri ]] && break
  done
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /-security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || return 1
  echo "$uri" "${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}

download_source_package() {
  local work=$1 uri keyring
  read -r uri keyring < <(system_mirror) ||
    die "no Debian mirror found in /etc/apt/sources.list{,.d/*.sources}; download $tarball_name yourself and set MQTLS_MBEDTLS_TARBALL"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/download"
  echo "deb-src [signed-by=$keyring] $uri $source_suite main" >"$work/sources.list"
  local apt=(apt-get -q -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=$(id -un)")
  say "fetching Debian's source package mbedtls $debian_version ($source_suite, from $uri)"
  "${apt[@]}" update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; die "apt-get update of the temporary deb-src entry failed"; }
  (cd "$work/download" && "${apt[@]}" source --download-only "mbedtls=$debian_version") >"$work/source.log" 2>&1 ||
    { cat "$work/source.log" >&2; die "apt-get source mbedtls=$debian_version failed"; }
  [[ -f $work/download/$tarball_name ]] || die "the source package has no $tarball_name"
  echo "$work/download/$tarball_name"
}

main() {
  case "${1:-}" in
    "") ;;
    --check)
      sha256_matches "$cached" || { say "no verified $tarball_name in $cache_dir"; exit 1; }
      echo "$cached"; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac

  if sha256_matches "$cached"; then echo "$cached"; exit 0; fi
  [[ -e $cached ]] && say "the cached $tarball_name does not match the pinned sha256; fetching it again"

  local source
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if [[ -n ${MQTLS_MBEDTLS_TARBALL:-} ]]; then
    source=$MQTLS_MBEDTLS_TARBALL
    [[ -f $source ]] || die "MQTLS_MBEDTLS_TARBALL=$source is not a file"
  else
    source=$(download_source_package "$work")
  fi
  sha256_matches "$source" ||
    die "$source has sha256 $(sha256sum "$source" | cut -d' ' -f1), not the pinned $tarball_sha256; refusing it"
  mkdir -p "$cache_dir"
  cp "$source" "$cached.partial"
  mv "$cached.partial" "$cached"
  say "cached $cached ($(du -h "$cached" | cut -f1), sha256 verified)"
  echo "$cached"
}

main "$@"
