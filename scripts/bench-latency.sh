#!/usr/bin/env bash
# End-to-end latency benchmark (issue #20; a benchmark, never a test). The job
# `latency` of build/bin/spate-latency (bench/spate_latency.cpp): a generator
# whose records carry the time they were made -> map -> key_by -> reduce
# (RocksDB behind the cache) -> a sink that measures now - stamp per record.
# For each place (one process with `spate local`; a cluster of 1 JobManager
# and 2 TaskManagers of 1 slot, where every record whose key belongs to the
# other subtask crosses processes over ZeroMQ) it first finds the maximum
# throughput (unlimited generator, median of ROUNDS), then runs at half of it
# for RUN_SECONDS with each execution.buffer-timeout of TIMEOUTS, alternating,
# ROUNDS times, and prints p50/p99/p99.9/max (median and range over rounds).
# LOW_RATE adds rows at that many events/s, where batches never fill and the
# buffer timeout shows. Records a sink receives in its first WARMUP_MS are
# not counted. Cleans up its cluster and temporary files on exit.
#   PLACES (default "local cluster"), ROUNDS (3), RUN_SECONDS (10), KEYS (10000),
#   TIMEOUTS ("100 1 0"; 100 ms is the default), MAX_EVENTS (20000000),
#   LOW_RATE (10000; 0: none), WARMUP_MS (2000), P (2)
set -euo pipefail
cd "$(dirname "$0")/.."
places=${PLACES:-local cluster}
rounds=${ROUNDS:-3}
run_seconds=${RUN_SECONDS:-10}
keys=${KEYS:-10000}
timeouts=${TIMEOUTS:-100 1 0}
max_events=${MAX_EVENTS:-20000000}
low_rate=${LOW_RATE:-10000}
warmup=${WARMUP_MS:-2000}
p=${P:-2}
bin=$PWD/${BUILD_DIR:-build}/bin/spate-latency
[ -x "$bin" ] || { echo "no $bin: ninja -C build spate-latency" >&2; exit 2; }
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"
work=$(mktemp -d /tmp/spate-latency-bench-XXXXXX)
# A copy: other sessions may relink build/bin while this runs; every run uses the same binary.
cp "$bin" "$work/spate-latency"
built_bin=$bin
bin=$work/spate-latency
cluster_up=0
cleanup() {
  if [ "$cluster_up" = 1 ]; then cluster/scripts/stop-cluster.sh >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# wait_quiet, print_provenance, free_port
source scripts/bench-common.sh
print_provenance
echo "job:     generator -> map -> key_by -> reduce -> latency sink, $keys keys, P=$p"

# The job, unlimited (rate 0) or paced, in one process or on the cluster.
# Prints "<ms>" (unlimited) or the sink's "latency ..." line.
run_job() { # place input [-- job args...] with extra -D in $extra
  local place=$1 input=$2
  shift 2
  if [ "$place" = local ]; then
    # shellcheck disable=SC2086
    "$bin" local latency -p "$p" $extra --input "$input" -- --keys "$keys" "$@" 2>&1
  else
    # shellcheck disable=SC2086
    "$bin" run latency -p "$p" $SPATE_OPTS $extra --input "$input" -- --keys "$keys" "$@" 2>&1
  fi
}
max_rate() { # place: median events/s of ROUNDS unlimited runs
  local place=$1 ms rates=()
  for _ in $(seq "$rounds"); do
    local out
    out=$(extra="-D execution.checkpointing.interval=0" run_job "$place" "generator:count=$max_events")
    if [ "$place" = local ]; then
      ms=$(echo "$out" | sed -n 's/.*FINISHED in \([0-9]*\) ms.*/\1/p')
    else
      local id
      id=$(echo "$out" | sed -n 's/.*JobID \([0-9a-f]*\).*/\1/p' | head -n 1)
      # shellcheck disable=SC2086
      ms=$("$bin" info "$id" $SPATE_OPTS | sed -n 's/.*duration \([0-9]*\) ms.*/\1/p')
    fi
    [ -n "$ms" ] || { echo "$out" >&2; exit 1; }
    rates+=("$((max_events * 1000 / ms))")
    echo "  max throughput run: ${rates[-1]} events/s" >&2
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
measure() { # place rate timeout label -> appends "label p50 p99 p999 max" to $work/rows
  local place=$1 rate=$2 bt=$3 label=$4 d out line
  d=$(mktemp -d "$work/hist-XXXXXX")
  out=$(extra="-D execution.buffer-timeout=$bt -D execution.checkpointing.interval=0" run_job \
    "$place" "generator:count=$((rate * run_seconds)),rate=$rate" --hist-dir "$d" --warmup-ms "$warmup")
  line=$("$bin" report "$d") || { echo "$out" >&2; exit 1; }
  echo "  $label: $line" >&2
  echo "$line" | awk -v l="$label" '{
    for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print l, v["p50_ms"], v["p99_ms"], v["p999_ms"], v["max_ms"] }' >>"$work/rows"
}

for place in $places; do
  if [ "$place" = cluster ]; then
    export SPATE_BIN=$bin SPATE_LOG_DIR=$work/log
    export SPATE_OPTS="-D rest.port=$(free_port) -D jobmanager.rpc.port=$(free_port) -D taskmanager.numberOfTaskSlots=1 -D state.backend.rocksdb.localdir=$work/state -D state.checkpoints.dir=$work/checkpoints"
    cluster_up=1
    cluster/scripts/start-cluster.sh 2 >/dev/null
  fi
  echo "$place: finding the maximum throughput ($max_events events, $rounds runs)" >&2
  wait_quiet
  max=$(max_rate "$place")
  half=$((max / 2))
  echo "$place: max $max events/s (median); latency runs at $half events/s" >&2
  echo "max_$place $max" >>"$work/max"
  for r in $(seq "$rounds"); do
    wait_quiet
    for bt in $timeouts; do
      measure "$place" "$half" "$bt" "$place|$half|$bt"
      if [ "$low_rate" -gt 0 ]; then measure "$place" "$low_rate" "$bt" "$place|$low_rate|$bt"; fi
    done
    echo "$place: round $r of $rounds done" >&2
  done
  if [ "$place" = cluster ]; then
    cluster/scripts/stop-cluster.sh >/dev/null 2>&1 || true
    cluster_up=0
  fi
done

echo
cat "$work/max" | while read -r k v; do echo "maximum throughput ${k#max_}: $v events/s (median of $rounds)"; done
echo
echo "| where | events/s | buffer timeout | p50 ms | p99 ms | p99.9 ms | max ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# Median (range) per label, in the order the labels first appeared.
awk '
  function med(arr, n,   i, j, t) {
    for (i = 2; i <= n; ++i) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; --j) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return sprintf("%.2f (%.2f–%.2f)", arr[int((n + 1) / 2)], arr[1], arr[n])
  }
  { if (!($1 in n)) order[++labels] = $1; k = ++n[$1]; for (c = 2; c <= 5; ++c) v[$1, c, k] = $c }
  END {
    for (l = 1; l <= labels; ++l) {
      lab = order[l]; split(lab, f, "|"); row = "| " f[1] " | " f[2] " | " f[3] " ms"
      for (c = 2; c <= 5; ++c) { delete a; for (k = 1; k <= n[lab]; ++k) a[k] = v[lab, c, k]; row = row " | " med(a, n[lab]) }
      print row " |"
    }
  }' "$work/rows"
[ -f "$work/busy" ] && echo "runs that began on a busy machine: $(wc -l <"$work/busy")" || echo "every run began on an idle machine"
