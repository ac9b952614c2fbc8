#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang in build-fuzz/, every
# library instrumented (coverage, ASan, UBSan), and runs each for a time.
# A crash, sanitizer report, leak, timeout or out-of-memory fails the run
# and leaves the input in build-fuzz/findings/<target>/.
#
#   scripts/fuzz.sh                         # 60 s per target (CI runs 30)
#   FUZZ_SECONDS=3600 scripts/fuzz.sh       # an hour each
#   TARGETS="fuzz_frame" scripts/fuzz.sh
# The corpus grows in build-fuzz/corpus/<target>/ and is kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${TARGETS:-"fuzz_frame fuzz_metadata fuzz_rest"}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing (scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-O1 -g1" -DSPATE_FUZZ=ON -DSPATE_BUILD_TESTS=OFF -DSPATE_WERROR=OFF \
  -DSPATE_PYTHON=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$JOBS" --target $TARGETS fuzz_seeds

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}

corpus="$BUILD_DIR/corpus"
mkdir -p "$corpus/fuzz_frame" "$corpus/fuzz_metadata" "$corpus/fuzz_rest"
"$BUILD_DIR/fuzz/fuzz_seeds" "$corpus/fuzz_frame" "$corpus/fuzz_metadata"
cp -n fuzz/corpus/rest/* "$corpus/fuzz_rest/"

status=0
for t in $TARGETS; do
  findings="$BUILD_DIR/findings/$t"
  mkdir -p "$findings"
  extra=()
  if [ "$t" = fuzz_rest ]; then extra=(-dict=fuzz/rest.dict); fi
  echo "== $t: ${SECONDS_EACH} s"
  start=$(date +%s)
  if "$BUILD_DIR/fuzz/$t" "$corpus/$t" "${extra[@]}" -max_total_time="$SECONDS_EACH" \
      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$findings/" \
      -print_final_stats=1 >"$BUILD_DIR/$t.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD_DIR/$t.log")
    echo "   no finding: ${runs:-?} inputs in $(( $(date +%s) - start )) s, corpus $(ls "$corpus/$t" | wc -l) inputs"
  else
    status=1
    echo "   FINDING (see $BUILD_DIR/$t.log and $findings/):"
    grep -E "ERROR|SUMMARY|Test unit written" "$BUILD_DIR/$t.log" | head -20
  fi
done
exit $status
