#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to build/zerorl.
#   scripts/setup.sh            install packages (needs root or sudo), configure, build
#   ZERORL_SKIP_APT=1 scripts/setup.sh   skip the package step (already installed)
# Idempotent: re-running only rebuilds what changed.
set -euo pipefail

cd "$(dirname "$0")/.."
step() { echo "==> setup: $*"; }
fail() { echo "setup.sh: FAILED at step: $1" >&2; exit 1; }

# Keep this list the single source of truth for what zerorl needs from Debian.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-openmp libdnnl-dev libgloo-dev
  libzmq3-dev cppzmq-dev rapidjson-dev libabsl-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libseccomp-dev libgmp-dev libutf8proc-dev iproute2
  libcli11-dev libcpp-httplib-dev
  python3 python3-zmq protobuf-compiler python3-requests openjdk-17-jdk-headless
  chromium
)

if [[ "${ZERORL_SKIP_APT:-0}" != "1" ]]; then
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    step "installing ${#missing[@]} Debian packages: ${missing[*]}"
    $SUDO apt-get update || fail "apt-get update"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}" \
      || fail "apt-get install"
  else
    step "all ${#PACKAGES[@]} Debian packages present"
  fi
fi

JOBS="${ZERORL_JOBS:-$(nproc)}"
step "configure (Release, Ninja) into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${ZERORL_CMAKE_ARGS:-} || fail "cmake configure"
step "build build/zerorl with $JOBS jobs (the tests and benchmarks: scripts/test.sh)"
cmake --build build -j "$JOBS" --target zerorl || fail "cmake build"
step "done: build/zerorl"
