# Shared by the benchmark scripts (bench-latency.sh, bench-memory.sh, bench-recovery.sh,
# bench/cluster-bench.sh); sourced, never run. wait_quiet and print_provenance need $work (a
# scratch directory) and $built_bin (the binary measured) set by the caller.

# Waits (at most QUIET_TIMEOUT seconds, default 120) until the machine is nearly idle for a
# second (under 10 % of the cores busy; other sessions' tests do not take the build lock) and
# prints a note when it is not, so a busy run can be told apart.
machine_jiffies() { awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; print busy, busy+$5+$6}' /proc/stat; }
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_TIMEOUT:-120})) b0 t0 b1 t1 busy
  while true; do
    read -r b0 t0 < <(machine_jiffies)
    sleep 1
    read -r b1 t1 < <(machine_jiffies)
    busy=$(((b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
    ((busy < 10)) && return 0
    if ((SECONDS >= deadline)); then
      echo "  (the machine is still ${busy}% busy after ${QUIET_TIMEOUT:-120} s; measuring anyway)" >&2
      echo "busy ${busy}%" >>"$work/busy"
      return 0
    fi
    sleep 2
  done
}

# The machine, the commit and the binary measured, as the first lines of a benchmark's output.
print_provenance() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "binary:  $built_bin, built $(date -u -r "$built_bin" '+%Y-%m-%d %H:%M:%S UTC'); runtime files the working tree changes against that commit: $(git status --porcelain -- core api state actors cluster transport connectors apps checkpoints 2>/dev/null | wc -l)"
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
