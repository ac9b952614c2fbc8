#!/usr/bin/env bash
# Recovery benchmark (issue #20; a benchmark, never a test): from a
# TaskManager's SIGKILL to the job RUNNING again and to its first new output.
# Each run starts a real cluster on free ports (1 JobManager, 2 TaskManagers
# of 1 slot, the binary build/bin/spate-latency), submits the `latency` job
# (bench/spate_latency.cpp: generator at RATE events/s -> map -> key_by ->
# reduce on RocksDB -> sink) at parallelism 2 with exactly-once checkpoints
# every CHECKPOINT_MS, waits for a completed checkpoint, kills TaskManager 1
# with SIGKILL and at once starts a replacement (as a supervisor would), then
# polls REST (GET /jobs/:id/metrics?get=numRestarts,uptime every ~10 ms) until
# a restart is counted and the job is RUNNING again (now - uptime), and watches for the first record a sink of the new attempt
# receives (each sink subtask writes a file named after the wall-clock time it
# was opened and got its first record). The time the JobManager noticed the
# loss comes from its log ("restarts ... after: ..."). Every setting of
# SETTINGS runs ROUNDS times, alternating; prints each run and the medians
# with ranges. Cleans up the clusters and temporary files on exit.
#   ROUNDS (3), RATE (100000), CHECKPOINT_MS (1000), KEYS (10000),
#   SETTINGS: a list of name:interval_ms:timeout_ms:restart_delay_ms; default
#   "default:1000:5000:1000 low:100:500:1000 low-nodelay:100:500:0"
#   (1 s / 5 s / 1 s are spate.yaml's heartbeat.interval, heartbeat.timeout
#   and restart-strategy.fixed-delay.delay, as Flink's 10 s / 50 s / 1 s
#   but shorter).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
rate=${RATE:-100000}
checkpoint_ms=${CHECKPOINT_MS:-1000}
keys=${KEYS:-10000}
settings=${SETTINGS:-default:1000:5000:1000 low:100:500:1000 low-nodelay:100:500:0}
bin=$PWD/${BUILD_DIR:-build}/bin/spate-latency
[ -x "$bin" ] || { echo "no $bin: ninja -C build spate-latency" >&2; exit 2; }
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"
work=$(mktemp -d /tmp/spate-recovery-bench-XXXXXX)
# A copy: other sessions may relink build/bin while this runs; every run uses the same binary.
cp "$bin" "$work/spate-latency"
built_bin=$bin
bin=$work/spate-latency
export SPATE_BIN=$bin
run_dir=""
cleanup() {
  if [ -n "$run_dir" ]; then SPATE_LOG_DIR=$run_dir/log cluster/scripts/stop-cluster.sh >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
# Wall-clock ms of the first line of a log matching a pattern ("YYYY-MM-DD HH:MM:SS.mmm ...").
log_ms() {
  local line
  line=$(grep -m1 -h "$2" "$1" 2>/dev/null | cut -c1-23) || true
  [ -n "$line" ] && date -d "$line" +%s%3N || echo ""
}

# wait_quiet, print_provenance, free_port
source scripts/bench-common.sh
print_provenance
echo "job:     latency (generator $rate events/s -> map -> key_by -> reduce -> sink), P=2 on 2 TaskManagers of 1 slot, checkpoints every $checkpoint_ms ms"

one_run() { # name interval timeout delay
  local name=$1 interval=$2 timeout=$3 delay=$4
  run_dir=$(mktemp -d "$work/run-XXXXXX")
  local rest first_dir id m restarts uptime t_kill t_running="" t_first="" t_detect
  rest=$(free_port)
  first_dir=$run_dir/first
  mkdir -p "$first_dir"
  export SPATE_LOG_DIR=$run_dir/log
  export SPATE_OPTS="-D rest.port=$rest -D jobmanager.rpc.port=$(free_port) -D taskmanager.numberOfTaskSlots=1 -D state.backend.rocksdb.localdir=$run_dir/state -D state.checkpoints.dir=$run_dir/checkpoints -D heartbeat.interval=$interval -D heartbeat.timeout=$timeout -D restart-strategy.type=fixed-delay -D restart-strategy.fixed-delay.attempts=100 -D restart-strategy.fixed-delay.delay=$delay"
  wait_quiet
  cluster/scripts/start-cluster.sh 2 >/dev/null
  # shellcheck disable=SC2086
  id=$("$bin" run latency -d -p 2 $SPATE_OPTS -D "execution.checkpointing.interval=$checkpoint_ms" \
    --input "generator:rate=$rate" -- --keys "$keys" --warmup-ms 0 --first-output-dir "$first_dir" 2>&1 |
    sed -n 's/.*JobID \([0-9a-f]*\).*/\1/p' | head -n 1)
  [ -n "$id" ] || { echo "submit failed" >&2; exit 1; }
  local url=http://127.0.0.1:$rest/jobs/$id
  # Running, with a completed checkpoint to restore from.
  local deadline=$(($(now_ms) + 30000))
  until [ "$(curl -s "$url/checkpoints" | jq -r '.counts.completed // 0' 2>/dev/null)" -ge 1 ] 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "no checkpoint completed" >&2; exit 1; }
    sleep 0.05
  done
  sleep 0.3
  t_kill=$(now_ms)
  kill -9 "$(cat "$SPATE_LOG_DIR/taskmanager-1.pid")"
  cluster/scripts/taskmanager.sh start >/dev/null
  deadline=$((t_kill + 60000))
  while [ -z "$t_running" ] || [ -z "$t_first" ]; do
    local now
    now=$(now_ms)
    [ "$now" -lt "$deadline" ] || { echo "$name: no recovery within 60 s" >&2; tail -n 20 "$SPATE_LOG_DIR"/jobmanager-0.log >&2; exit 1; }
    if [ -z "$t_running" ]; then
      # RUNNING again: a restart counted and the job up since (uptime: ms in RUNNING), so the
      # moment is exact even when RESTARTING lasted shorter than one poll.
      m=$(curl -s "$url/metrics?get=numRestarts,uptime" |
        jq -r 'map({(.id): (.value | tonumber)}) | add | "\(.numRestarts) \(.uptime)"' 2>/dev/null || echo "")
      read -r restarts uptime <<<"${m:-0 0}"
      if [ "${restarts:-0}" -ge 1 ] 2>/dev/null && [ "${uptime:-0}" -gt 0 ] 2>/dev/null; then
        t_running=$(($(now_ms) - uptime)) # now: after the answer came
      fi
    fi
    if [ -z "$t_first" ]; then
      # first-<opened>-<first record>-<pid>-<subtask>, from sinks opened after the kill.
      t_first=$(find "$first_dir" -name 'first-*' -printf '%f\n' |
        awk -F- -v k="$t_kill" '$2 >= k { if (m == "" || $3 < m) m = $3 } END { print m }')
    fi
    sleep 0.01
  done
  t_detect=$(log_ms "$SPATE_LOG_DIR/jobmanager-0.log" "restarts (")
  local detect=$((${t_detect:-$t_kill} - t_kill)) running=$((t_running - t_kill)) first=$((t_first - t_kill))
  echo "$name $detect $running $first" >>"$work/rows"
  printf '  %-12s restart decided %5d ms, RUNNING again %5d ms, first new output %5d ms after the SIGKILL\n' \
    "$name" "$detect" "$running" "$first" >&2
  # Why the JobManager restarted the job (heartbeat expiry or a data-link loss).
  grep -m1 -h "restarts (" "$SPATE_LOG_DIR/jobmanager-0.log" | sed 's/^/    /' | cut -c1-220 >&2 || true
  cluster/scripts/stop-cluster.sh >/dev/null 2>&1 || true
  run_dir=""
}

for r in $(seq "$rounds"); do
  for s in $settings; do
    IFS=: read -r name interval timeout delay <<<"$s"
    one_run "$name" "$interval" "$timeout" "$delay"
  done
  echo "round $r of $rounds done" >&2
done

echo
echo "| setting | heartbeat interval / timeout | restart delay | restart decided | RUNNING again | first new output |"
echo "|---|---|---:|---:|---:|---:|"
for s in $settings; do
  IFS=: read -r name interval timeout delay <<<"$s"
  awk -v n="$name" -v hb="$interval ms / $timeout ms" -v d="$delay ms" '
    function med(arr, k,   i, j, t) {
      for (i = 2; i <= k; ++i) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; --j) arr[j + 1] = arr[j]; arr[j + 1] = t }
      return sprintf("%d ms (%d–%d)", arr[int((k + 1) / 2)], arr[1], arr[k])
    }
    $1 == n { ++k; a[k] = $2; b[k] = $3; c[k] = $4 }
    END { if (k) print "| " n " | " hb " | " d " | " med(a, k) " | " med(b, k) " | " med(c, k) " |" }' "$work/rows"
done
[ -f "$work/busy" ] && echo "runs that began on a busy machine: $(wc -l <"$work/busy")" || echo "every run began on an idle machine"
