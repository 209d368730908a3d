#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package the build and the tests need that is not yet installed.
#   scripts/install-deps.sh          everything the test command needs
#   scripts/install-deps.sh --demo   only what building and running `mqtls demo` needs
# Runs as root or through sudo; prints what it installs. Idempotent: a second run installs nothing.
# mbedTLS 3.6 is not a Debian 12 package: the build fetches Debian's source package of it
# (scripts/fetch-mbedtls.sh, called by CMake) and builds it with mqtls's own configuration.
set -euo pipefail

demo_packages=(
  build-essential cmake ninja-build pkg-config libcli11-dev nlohmann-json3-dev
  mosquitto
)
packages=(
  # host build and tests
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  # the broker the integration tests start, and OpenSSL as a foreign TLS peer and PKI
  mosquitto mosquitto-clients openssl
  # the ports' manifest check (ports/tests/check_manifests.py)
  python3 python3-yaml python3-jsonschema
  # cross-compile proof of the embeddable core (see cmake/toolchains/)
  gcc-arm-none-eabi picolibc-arm-none-eabi libstdc++-arm-none-eabi-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  qemu-system-arm qemu-system-misc
)

case "${1:-}" in
  "") ;;
  --demo) packages=("${demo_packages[@]}") ;;
  *) echo "usage: scripts/install-deps.sh [--demo]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
# --no-install-recommends: gcc-arm-none-eabi would otherwise pull in newlib (360 MB) we do not use.
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
