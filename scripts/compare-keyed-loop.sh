#!/usr/bin/env bash
# spate's keyed window path beside a plain loop (issue #20): spate-bench
# --pipeline window (RocksDB behind the cache), bench/keyed_loop.js (node, a Map
# per window) and spate-keyed-loop (C++, an unordered_map per window), run
# alternately, ROUNDS rounds at each key count; prints the median events per
# CPU-second of each with the range (min-max) as a Markdown table.
#
# Usage: scripts/compare-keyed-loop.sh [--events N] [--rounds R] [--keys "1000 10000 100000"]
#                                      [--parallelism P] [--bin DIR]
# Take final figures under the build lock so no compile runs beside them:
#   flock /tmp/spate-build.lock scripts/compare-keyed-loop.sh
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SPATE_BIN:-$here/build/bin}"
events=20000000
rounds=3
keys="1000 10000 100000"
parallelism=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --parallelism) parallelism="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--events N] [--rounds R] [--keys \"K1 K2\"] [--parallelism P] [--bin DIR]" >&2
       exit 2 ;;
  esac
done
for b in spate-bench spate-keyed-loop; do
  [[ -x "$bin/$b" ]] || { echo "$0: $bin/$b missing (ninja -C build $b)" >&2; exit 1; }
done
command -v node >/dev/null || { echo "$0: node is not on PATH" >&2; exit 1; }

export GLIBC_TUNABLES=glibc.malloc.tcache_count=4096
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# One run: prints events per CPU-second (the line every program prints).
per_core() { "$@" | awk '/^events\/s\/core/ {print $2}'; }

for k in $keys; do
  for ((r = 1; r <= rounds; r++)); do
    per_core "$bin/spate-bench" --pipeline window --events "$events" --keys "$k" \
      --parallelism "$parallelism" --state-dir "$tmp" >>"$tmp/spate.$k"
    per_core node "$here/bench/keyed_loop.js" --events "$events" --keys "$k" >>"$tmp/js.$k"
    per_core "$bin/spate-keyed-loop" --events "$events" --keys "$k" >>"$tmp/cpp.$k"
    echo "keys $k round $r: spate $(tail -1 "$tmp/spate.$k"), node $(tail -1 "$tmp/js.$k")," \
      "C++ $(tail -1 "$tmp/cpp.$k")" >&2
  done
done

# "median (min-max)" in millions of a file of numbers.
summary() {
  sort -g "$1" | awk '{v[NR] = $1} END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f M (%.1f-%.1f)", m / 1e6, v[1] / 1e6, v[NR] / 1e6 }'
}
median() { sort -g "$1" | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "commit:  $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
echo "date:    $(date -u +%Y-%m-%d)"
echo "events:  $events, medians of $rounds runs (range min-max), events per CPU-second"
echo
header="| events per CPU-second |"
sep="|---|"
for k in $keys; do header+=" $k keys |"; sep+="---|"; done
echo "$header"
echo "$sep"
row() {
  local label="$1" name="$2" line
  line="| $label |"
  for k in $keys; do line+=" $(summary "$tmp/$name.$k") |"; done
  echo "$line"
}
row "spate (RocksDB behind the cache, p=$parallelism)" spate
row "one thread, JavaScript loop (a Map per window)" js
row "one thread, C++ loop (an unordered_map per window)" cpp
line="| spate / JavaScript loop |"
for k in $keys; do
  line+=" $(awk -v a="$(median "$tmp/spate.$k")" -v b="$(median "$tmp/js.$k")" 'BEGIN {printf "%.2f x", a / b}') |"
done
echo "$line"
