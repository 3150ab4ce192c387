#!/usr/bin/env bash
# The test command: builds what changed, runs every test, then builds the torch-free
# libraries under AddressSanitizer + UndefinedBehaviorSanitizer and runs their tests.
#   scripts/test.sh                 everything
#   scripts/test.sh -R Tokenizer    extra arguments go to both ctest runs
#   ZERORL_SKIP_SANITIZE=1 scripts/test.sh   skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${ZERORL_JOBS:-$(nproc)}"
fail() { echo "test.sh: FAILED at step: $1" >&2; exit 1; }

if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release || fail "cmake configure (build/)"
fi
cmake --build build -j "$JOBS" || fail "build (build/)"
ctest --test-dir build --output-on-failure -j "$JOBS" "$@" || fail "tests (build/)"

if [[ "${ZERORL_SKIP_SANITIZE:-0}" != "1" ]]; then
  if [[ ! -f build-sanitize/build.ninja ]]; then
    cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DZERORL_SANITIZE=ON || fail "cmake configure (build-sanitize/)"
  fi
  cmake --build build-sanitize -j "$JOBS" || fail "build (build-sanitize/)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure -j "$JOBS" "$@" \
    || fail "sanitizer tests (build-sanitize/)"
fi
echo "test.sh: all tests passed"
