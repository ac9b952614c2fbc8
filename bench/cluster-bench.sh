#!/usr/bin/env bash
# Cluster benchmarks (never a test): the foundation pipeline (keyed_reduce)
# with its shuffle across 2 TaskManagers against the same job in one process,
# the time from start-cluster.sh to the first result, and the idle RSS of a
# TaskManager. Prints the figures; copy them into docs/benchmarks.md.
#   EVENTS (default 20000000), KEYS (10000), TM_OPTS (extra -D options for
#   every process, e.g. "-D spate.scheduler.threads=1")
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-20000000}
keys=${KEYS:-10000}
bin=${BUILD_DIR:-build}/bin/spate
work=$(mktemp -d /tmp/spate-cluster-bench-XXXXXX)
source scripts/bench-common.sh # free_port
export SPATE_BIN=$PWD/$bin SPATE_LOG_DIR=$work/log
export SPATE_OPTS="-D rest.port=$(free_port) -D jobmanager.rpc.port=$(free_port) -D taskmanager.numberOfTaskSlots=1 ${TM_OPTS:-} -D state.backend.rocksdb.localdir=$work/state"
cleanup() { cluster/scripts/stop-cluster.sh >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

# 1. From start-cluster.sh to the first result (wordcount, print sink).
t0=$(now)
cluster/scripts/start-cluster.sh 2 >/dev/null
t_up=$(now)
$bin run wordcount -d -p 2 --input generator:seed=1,count=100000 --output print $SPATE_OPTS >/dev/null
until grep -qh '{"word"' "$work"/log/taskmanager-*.log 2>/dev/null; do sleep 0.005; done
t1=$(now)
printf 'cluster up (1 JobManager, 2 TaskManagers registered)  %6.0f ms\n' "$(calc "($t_up - $t0) * 1000")"
printf 'start-cluster.sh to the first result                  %6.0f ms\n' "$(calc "($t1 - $t0) * 1000")"

# 2. Idle RSS of a TaskManager: a fresh one, registered, no tasks.
cluster/scripts/taskmanager.sh start >/dev/null
last=$(ls "$work"/log/taskmanager-*.pid | sort -V | tail -n 1)
$bin overview --wait-taskmanagers 3 $SPATE_OPTS >/dev/null
sleep 1
printf 'idle TaskManager RSS                                  %6.1f MiB\n' "$(calc "$(ps -o rss= -p "$(cat "$last")") / 1024")"
cluster/scripts/taskmanager.sh stop >/dev/null

# 3. keyed_reduce at parallelism 2: one process, then across 2 TaskManagers
#    (1 slot each: every record whose key belongs to the other subtask
#    crosses processes over ZeroMQ).
local_ms=$($bin local keyed_reduce -p 2 --input generator:count=$events -- --keys "$keys" 2>&1 |
  sed -n 's/.*FINISHED in \([0-9]*\) ms.*/\1/p')
out=$($bin run keyed_reduce -p 2 --input generator:count=$events $SPATE_OPTS -- --keys "$keys")
id=$(echo "$out" | sed -n 's/.*JobID \([0-9a-f]*\).*/\1/p' | head -n 1)
cluster_ms=$($bin info "$id" $SPATE_OPTS | sed -n 's/.*duration \([0-9]*\) ms.*/\1/p')
printf 'keyed_reduce %s events, %s keys, P=2, one process    %10.0f events/s (%s ms)\n' "$events" "$keys" "$(calc "$events * 1000 / $local_ms")" "$local_ms"
printf 'keyed_reduce %s events, %s keys, P=2, 2 TaskManagers %10.0f events/s (%s ms)\n' "$events" "$keys" "$(calc "$events * 1000 / $cluster_ms")" "$cluster_ms"
