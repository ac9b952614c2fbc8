#!/usr/bin/env bash
# Runs the benchmarks and prints their figures with the machine they ran on.
# Copy the figures into docs/benchmarks.md when one moves.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build}/bin
# The allocator setting the cluster scripts give TaskManagers (cluster/scripts/common.sh).
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date:    $(date -u +%Y-%m-%d)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "GLIBC_TUNABLES=$GLIBC_TUNABLES"
echo

run() {
  echo "## spate-bench $*"
  "$bin/spate-bench" "$@"
  echo
}

run --events 20000000 --keys 10000 --parallelism 1
run --events 20000000 --keys 10000 --parallelism 2
run --events 20000000 --keys 1000 --parallelism 2
run --events 2000000 --keys 100000 --parallelism 2
run --events 2000000 --keys 10000 --parallelism 2 --state-cache 0
