#!/usr/bin/env bash
# Builds the unit-level suites with AddressSanitizer + UndefinedBehaviorSanitizer in a build
# directory of their own and runs them. Any report fails the run: UBSan does not recover
# (-fno-sanitize-recover) and ASan/LSan stop at the first error.
#
#   scripts/sanitize.sh            # the areas below
#   AREAS="core state" scripts/sanitize.sh
#
# The cluster, Nexmark and apps suites start many real processes and run for minutes under
# the sanitizers' slowdown; they stay in the plain build that `make test` runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
JOBS=${JOBS:-2}
AREAS=${AREAS:-"core sql state transport checkpoints actors api connectors sqlrt"}

# -O1 keeps the instrumented build quick to compile and still fast enough to run; -g1 gives
# reports file and line without full debug info.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DSPATE_SANITIZE=ON -DSPATE_PYTHON=OFF >/dev/null

targets=()
labels=()
for area in $AREAS; do
  targets+=("tests-$area")
  labels+=("$area")
  # These suites start the spate binary from $BUILD_DIR/bin.
  case $area in cluster | apps | nexmark | sqlrt) targets+=(spate) ;; esac
done
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}

regex=$(IFS='|'; echo "^(${labels[*]})\$")
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" -L "$regex"
