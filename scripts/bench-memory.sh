#!/usr/bin/env bash
# Memory per live key and per open window (issue #20; a benchmark, never a
# test). Peak RSS of spate-bench (one process, P, state on RocksDB behind the
# write-back cache of state.backend.cache.max-entries entries per state and
# subtask, no checkpoints) at few keys and at many, alternating, ROUNDS times:
#   reduce: one value per key, every key live at the end: bytes per live key
#           = (RSS at KEYS - RSS at BASE_KEYS) / (KEYS - BASE_KEYS);
#   window: 1 s tumbling event-time windows, event time +1 us per event, so a
#           window holds 1 M events and, keys uniform over KEYS, about
#           KEYS * (1 - exp(-1e6 / KEYS)) open (key, window) pairs; the
#           watermark interval is 1 ms (WM_MS) so the next window's pairs
#           overlap little: bytes per open window = delta RSS / those pairs.
#           The same at the default watermark interval (200 ms) for context.
#   ROUNDS (3), EVENTS (20000000), KEYS (1000000), BASE_KEYS (1000), P (2),
#   WM_MS (1); extra spate-bench options in BENCH_OPTS (e.g. "--state-cache N").
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
events=${EVENTS:-20000000}
keys=${KEYS:-1000000}
base=${BASE_KEYS:-1000}
p=${P:-2}
wm=${WM_MS:-1}
bin=$PWD/${BUILD_DIR:-build}/bin/spate-bench
[ -x "$bin" ] || { echo "no $bin: ninja -C build spate-bench" >&2; exit 2; }
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"
work=$(mktemp -d /tmp/spate-memory-bench-XXXXXX)
# A copy: other sessions may relink build/bin while this runs; every run uses the same binary.
cp "$bin" "$work/spate-bench"
built_bin=$bin
bin=$work/spate-bench
trap 'rm -rf "$work"' EXIT

# wait_quiet, print_provenance
source scripts/bench-common.sh
print_provenance
echo "spate-bench --events $events --parallelism $p ${BENCH_OPTS:-}, no checkpoints"

runs=("reduce $base" "reduce $keys" "window $base $wm" "window $keys $wm" "window $base 200" "window $keys 200")
for r in $(seq "$rounds"); do
  wait_quiet
  for run in "${runs[@]}"; do
    read -r pipeline k w <<<"$run"
    opts=()
    [ -n "${w:-}" ] && opts=(-D "pipeline.auto-watermark-interval=$w")
    # shellcheck disable=SC2086
    out=$("$bin" --pipeline "$pipeline" --keys "$k" --events "$events" --parallelism "$p" \
      --state-dir "$work" "${opts[@]}" ${BENCH_OPTS:-})
    rss=$(echo "$out" | sed -n 's/^peak rss *\([0-9.]*\) MiB/\1/p')
    eps=$(echo "$out" | sed -n 's/^events\/s  *\([0-9]*\)$/\1/p')
    cache=$(echo "$out" | sed -n 's/^state cache *\([0-9]*\).*/\1/p')
    echo "$pipeline|$k|${w:--} $rss $eps" >>"$work/rows"
    echo "  round $r: $pipeline keys=$k wm=${w:--} peak rss $rss MiB, $eps events/s (cache $cache entries per state)" >&2
  done
done

echo
echo "| pipeline | keys | watermark interval | peak RSS MiB | events/s |"
echo "|---|---:|---:|---:|---:|"
awk '
  function med(arr, n, fmt,   i, j, t) {
    for (i = 2; i <= n; ++i) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; --j) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return sprintf(fmt, arr[int((n + 1) / 2)], arr[1], arr[n])
  }
  { if (!($1 in n)) order[++labels] = $1; k = ++n[$1]; rss[$1, k] = $2; eps[$1, k] = $3 }
  END {
    for (l = 1; l <= labels; ++l) {
      lab = order[l]; split(lab, f, "|")
      delete a; delete b
      for (k = 1; k <= n[lab]; ++k) { a[k] = rss[lab, k]; b[k] = eps[lab, k] / 1e6 }
      m = med(a, n[lab], "%.1f (%.1f–%.1f)"); split(m, parts, " "); median[lab] = parts[1]
      print "| " f[1] " | " f[2] " | " (f[3] == "-" ? "–" : f[3] " ms") " | " m " | " med(b, n[lab], "%.2f M (%.2f–%.2f)") " |"
    }
    K = '"$keys"'; B = '"$base"'
    live = (median["reduce|" K "|-"] - median["reduce|" B "|-"]) * 1048576 / (K - B)
    pairs = K * (1 - exp(-1e6 / K)) - B * (1 - exp(-1e6 / B))
    printf "\nbytes of RSS per live key (reduce, %d vs %d keys): %.0f\n", K, B, live
    printf "open (key, window) pairs at the peak, expected: %.0f at %d keys, %.0f at %d keys\n", K * (1 - exp(-1e6 / K)), K, B * (1 - exp(-1e6 / B)), B
    printf "bytes of RSS per open window (window, watermark every '"$wm"' ms): %.0f\n", (median["window|" K "|'"$wm"'"] - median["window|" B "|'"$wm"'"]) * 1048576 / pairs
    printf "bytes of RSS per open window (window, watermark every 200 ms, same pair count): %.0f\n", (median["window|" K "|200"] - median["window|" B "|200"]) * 1048576 / pairs
  }' "$work/rows"
[ -f "$work/busy" ] && echo "runs that began on a busy machine: $(wc -l <"$work/busy")" || echo "every run began on an idle machine"
