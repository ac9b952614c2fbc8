#!/usr/bin/env bash
# Nexmark through SQL beside the DataStream queries: each query of the nexmark project's
# published Flink SQL (test/sql/nexmark, `spate-nexmark --sql`) and spate's DataStream version
# of it, run alternately on the same generated events, and the table of events/s per core
# (medians, with ranges) written into docs/benchmarks.md between the nexmark-sql markers.
#
#   scripts/run-nexmark-sql.sh [EVENTS]   (default 2000000 events per query and run)
#
# Environment: BUILD_DIR (build), PARALLELISM (2), CHECKPOINT_MS (10000), RUNS (3 pairs per
# query), DOC (docs/benchmarks.md), QUERIES (default: every query both can run),
# GLIBC_TUNABLES (default glibc.malloc.tcache_count=4096, as the cluster scripts set it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build}/bin
events=${1:-2000000}
parallelism=${PARALLELISM:-2}
checkpoint_ms=${CHECKPOINT_MS:-10000}
runs=${RUNS:-3}
doc=${DOC:-docs/benchmarks.md}
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"
queries=${QUERIES:-q0 q1 q2 q3 q4 q5 q7 q8 q9 q11 q12 q13 q15 q16 q17 q18 q19 q20 q21 q22}
state_dir=$(mktemp -d)
trap 'rm -rf "$state_dir"' EXIT

if [[ ! -x "$bin/spate-nexmark" ]]; then
  echo "run-nexmark-sql.sh: $bin/spate-nexmark is missing; build first (make build)" >&2
  exit 2
fi
if ! grep -q '<!-- nexmark-sql:begin -->' "$doc" || ! grep -q '<!-- nexmark-sql:end -->' "$doc"; then
  echo "run-nexmark-sql.sh: $doc has no <!-- nexmark-sql:begin --> / <!-- nexmark-sql:end --> markers" >&2
  exit 2
fi

# Flink 1.13 per core (the nexmark project's published results: SQL on RocksDB, exactly-once
# checkpoints every 3 min, 100 M events), as scripts/run-nexmark.sh quotes them.
declare -A flink=([q0]=155000 [q1]=158000 [q2]=175000 [q3]=152000 [q4]=34000 [q5]=22000
  [q7]=12000 [q8]=146000 [q9]=14000 [q11]=40000 [q12]=76000 [q14]=161000 [q15]=72000
  [q16]=19000 [q17]=117000 [q18]=54000 [q19]=44000 [q20]=19000 [q21]=98000 [q22]=130000)

field() { awk -v k="$1" 'index($0, k) == 1 { sub("^" k " *", ""); print; exit }'; }
human() { awk -v v="$1" 'BEGIN { if (v >= 1e6) printf "%.2f M", v / 1e6; else printf "%.0f k", v / 1e3 }'; }
# median and range of numbers on stdin: "median min max"
stats() { sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

run() { # mode query -> "per_core rss_mib"
  local extra=()
  [[ "$1" == sql ]] && extra=(--sql test/sql/nexmark)
  out=$("$bin/spate-nexmark" --query "$2" --events "$events" --parallelism "$parallelism" \
    --checkpoint-interval "$checkpoint_ms" --state-dir "$state_dir" "${extra[@]}")
  echo "$(field "events/s/core" <<< "$out") $(field "peak rss" <<< "$out" | cut -d' ' -f1)"
}

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
table=$(mktemp)
{
  echo "Run $(date -u +%Y-%m-%d) at commit $commit on $machine: \`scripts/run-nexmark-sql.sh $events\`,"
  echo "parallelism $parallelism, exactly-once checkpoints every $checkpoint_ms ms, state on RocksDB, $runs"
  echo "alternating pairs per query (DataStream, then SQL); medians with the range in brackets;"
  echo "events/s per core is events / CPU seconds of the whole process."
  echo
  echo "| query | DataStream per core | SQL per core | SQL / DataStream | SQL × Flink 1.13 (published) | DataStream RSS | SQL RSS |"
  echo "|---|---|---|---|---|---|---|"
} > "$table"
for q in $queries; do
  ds_rates=() sql_rates=() ds_rss=() sql_rss=()
  for ((r = 0; r < runs; r++)); do
    read -r rate rss <<< "$(run ds "$q")"
    ds_rates+=("$rate") ds_rss+=("$rss")
    read -r rate rss <<< "$(run sql "$q")"
    sql_rates+=("$rate") sql_rss+=("$rss")
  done
  read -r dm dlo dhi <<< "$(printf '%s\n' "${ds_rates[@]}" | stats)"
  read -r sm slo shi <<< "$(printf '%s\n' "${sql_rates[@]}" | stats)"
  read -r drss _ _ <<< "$(printf '%s\n' "${ds_rss[@]}" | stats)"
  read -r srss _ _ <<< "$(printf '%s\n' "${sql_rss[@]}" | stats)"
  ratio=$(awk -v a="$sm" -v b="$dm" 'BEGIN { printf "%.2f", a / b }')
  # no published Flink figure for some queries (q13): n/a
  vs_flink=$(awk -v a="$sm" -v b="${flink[$q]:-}" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else printf "n/a" }')
  echo "$q: DataStream $dm, SQL $sm events/s/core ($ratio; ${vs_flink} Flink)" >&2
  echo "| $q | $(human "$dm") [$(human "$dlo")–$(human "$dhi")] | $(human "$sm") [$(human "$slo")–$(human "$shi")] | ${ratio}× | ${vs_flink} | $drss MiB | $srss MiB |" >> "$table"
done
awk -v table="$table" '
  /<!-- nexmark-sql:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- nexmark-sql:end -->/ { skip = 0 }
  !skip { print }
' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
rm -f "$table"
echo "run-nexmark-sql.sh: wrote the table into $doc" >&2
