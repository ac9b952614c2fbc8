#!/usr/bin/env bash
# spate and Apache Flink side by side (issue #20): the same workloads on the same input, on
# the same cores, at the same parallelism, with RocksDB state and incremental exactly-once
# checkpoints at the same interval on both (and Flink's heap state backend as an extra column).
# Builds both, prepares the inputs once, runs each workload on both engines alternately, checks
# that both produced the same results, and writes the table between
# <!-- flink-side-by-side:begin --> and <!-- flink-side-by-side:end --> in docs/benchmarks.md.
#
#   scripts/compare-flink.sh [options]          (make compare-flink)
#     --pairs N                runs of each engine per workload, alternating (default 3)
#     --parallelism P          (default 2)
#     --checkpoint-interval MS (default 10000)
#     --workloads LIST         comma-separated, default all: startup,wordcount,keyed_window_10k,
#                              keyed_window_100k,trending_hashtags,nexmark_q1,nexmark_q2,nexmark_q3,
#                              nexmark_q5,nexmark_q7,nexmark_q8,kafka_replicate
#                              (startup: wordcount over empty files, what starting and stopping
#                              costs; the table subtracts its CPU seconds in one column)
#     --no-hashmap             skip Flink's heap backend column
#     --wordcount-lines N      (default 1000000)      --tweets N (default 1000000)
#     --window-events N        keyed_window_10k's events (default 5000000)
#     --window-events-100k N   keyed_window_100k's events (default 2000000)
#     --nexmark-events N       (default 1000000)
#     --kafka-records N        kafka_replicate's records (default 2000000)
#     --kafka-checkpoint-interval MS
#                              kafka_replicate's checkpoint interval on both (default 1000): both
#                              sinks commit their transactions on checkpoints, and Flink's last
#                              one waits for a checkpoint after the input ends
#     --no-doc                 print the table, leave docs/benchmarks.md alone
#
# Environment: BUILD_DIR (build), WORK_DIR (where inputs, outputs and state go; default a
# new directory under /tmp, removed at the end unless KEEP_WORK=1), FLINK_JAVA_OPTS (the
# Flink JVM's options, default -Xmx1g), DOC (docs/benchmarks.md).
#
# Each run is one process measured with /usr/bin/time: CPU seconds (user + sys) and peak RSS
# of the whole process (Flink's JVM start and JIT included), events/s over the job's own time
# (spate's "FINISHED in" line, Flink's JobExecutionResult net runtime: neither counts process
# start). Every run holds /tmp/spate-build.lock, so no spate build shares the cores with it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pairs=3
parallelism=2
checkpoint_ms=10000
workloads="startup,wordcount,keyed_window_10k,keyed_window_100k,trending_hashtags,nexmark_q1,nexmark_q2,nexmark_q3,nexmark_q5,nexmark_q7,nexmark_q8,kafka_replicate"
hashmap=1
wordcount_lines=1000000
window_events=5000000
window_events_100k=2000000
tweets=1000000
nexmark_events=1000000
kafka_records=2000000
kafka_checkpoint_ms=1000
write_doc=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --parallelism) parallelism=$2; shift 2 ;;
    --checkpoint-interval) checkpoint_ms=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --no-hashmap) hashmap=0; shift ;;
    --wordcount-lines) wordcount_lines=$2; shift 2 ;;
    --window-events) window_events=$2; shift 2 ;;
    --window-events-100k) window_events_100k=$2; shift 2 ;;
    --tweets) tweets=$2; shift 2 ;;
    --nexmark-events) nexmark_events=$2; shift 2 ;;
    --kafka-records) kafka_records=$2; shift 2 ;;
    --kafka-checkpoint-interval) kafka_checkpoint_ms=$2; shift 2 ;;
    --no-doc) write_doc=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-flink.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "compare-flink.sh: $*" >&2; }
die() { log "$*"; exit 1; }

command -v java >/dev/null || die "java not found: the Flink side needs Java 17 (Debian: apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || die "mvn not found: the Flink side is a Maven project (Debian: apt-get install maven)"
java_major=$(java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print v[1]; exit }')
[[ "${java_major:-0}" -ge 17 ]] || die "java is version ${java_major:-unknown}; the Flink side needs Java 17 or later"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
command -v python3 >/dev/null || die "python3 not found (it writes the table)"

bin=${BUILD_DIR:-build}/bin
doc=${DOC:-docs/benchmarks.md}
flink_opts=${FLINK_JAVA_OPTS:--Xmx1g}
if [[ $write_doc == 1 ]] && ! grep -q '<!-- flink-side-by-side:begin -->' "$doc"; then
  die "$doc has no <!-- flink-side-by-side:begin --> / <!-- flink-side-by-side:end --> markers"
fi

# ---- build both ------------------------------------------------------------------------------
log "building bench/flink (mvn package)"
(cd bench/flink && mvn -q -B -T 1 -Dstyle.color=never package) >/tmp/compare-flink-mvn.$$.log 2>&1 ||
  { cat /tmp/compare-flink-mvn.$$.log >&2; die "mvn package failed in bench/flink"; }
rm -f /tmp/compare-flink-mvn.$$.log
log "building spate (spate, spate-nexmark)"
if [[ ! -f "${BUILD_DIR:-build}/build.ninja" ]]; then
  cmake -S . -B "${BUILD_DIR:-build}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ||
    die "cmake could not configure ${BUILD_DIR:-build}"
fi
flock /tmp/spate-build.lock ninja -C "${BUILD_DIR:-build}" -j2 spate spate-nexmark >/dev/null ||
  die "the spate build failed (ninja -C ${BUILD_DIR:-build} spate spate-nexmark)"
flink_cp="$root/bench/flink/target/spate-flink-bench.jar:$root/bench/flink/target/lib/*"

work=${WORK_DIR:-$(mktemp -d /tmp/compare-flink.XXXXXX)}
mkdir -p "$work"
broker_dir=""
cleanup() {
  [[ -z "$broker_dir" ]] || bash scripts/kafka.sh stop --dir "$broker_dir" >/dev/null 2>&1 || true
  [[ "${KEEP_WORK:-0}" == 1 || -n "${WORK_DIR:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
# The allocator setting spate's cluster and benchmark scripts run with.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"

# ---- inputs, once ----------------------------------------------------------------------------
# Files are dealt line by line into part-0..P-1 of a directory: both engines give each source
# subtask one file, and every part advances in event time as the whole does.
deal() { # FILE DIR
  mkdir -p "$2"
  awk -v dir="$2" -v p="$parallelism" '{ print > (dir "/part-" (NR - 1) % p) }' "$1"
  rm -f "$1"
}
need() { [[ ",$workloads," == *",$1"* ]]; }
if need wordcount && [[ ! -d "$work/text" ]]; then
  log "writing $wordcount_lines lines of text"
  "$bin/spate" local kafka_replicate -p 1 --no-progress --input "generator:count=$wordcount_lines" \
    --output "file:$work/text.txt" 2>/dev/null
  deal "$work/text.txt" "$work/text"
fi
if need startup && [[ ! -d "$work/empty" ]]; then
  mkdir -p "$work/empty"
  for ((i = 0; i < parallelism; i++)); do : >"$work/empty/part-$i"; done
fi
if need trending_hashtags && [[ ! -d "$work/tweets" ]]; then
  log "writing $tweets posts (1000 per second of event time)"
  "$bin/spate" local produce_tweets -p 1 --no-progress --input "generator:count=$tweets" \
    --output "file:$work/tweets.json" -- --events-per-second 1000 2>/dev/null
  deal "$work/tweets.json" "$work/tweets"
fi
if need kafka_replicate; then
  command -v kcat >/dev/null || die "kcat not found (Debian: apt-get install kcat): it fills and reads the topics"
  # A broker of its own on a free port (scripts/kafka.sh: Apache Kafka in KRaft mode), with
  # the input topic filled once, one partition per source subtask.
  broker_dir="$work/kafka"
  mkdir -p "$broker_dir"
  bootstrap=$(bash scripts/kafka.sh start --port 0 --dir "$broker_dir" | sed -n 's/^bootstrap=//p')
  [[ -n "$bootstrap" ]] || die "scripts/kafka.sh did not start a broker (log: $broker_dir/kafka.log)"
  log "writing $kafka_records records of text into topic 'in' on $bootstrap"
  bash scripts/kafka.sh topic create in --partitions "$parallelism" --bootstrap "$bootstrap" >/dev/null
  "$bin/spate" local kafka_replicate -p 1 --no-progress --input "generator:count=$kafka_records" \
    --output "kafka://$bootstrap/in?sink.delivery-guarantee=at-least-once" 2>/dev/null
fi
if need nexmark && [[ ! -d "$work/nexmark" ]]; then
  log "writing $nexmark_events Nexmark events"
  "$bin/spate-nexmark" --write-events "$work/nexmark" --events "$nexmark_events" \
    --parallelism "$parallelism"
fi

# ---- one run ---------------------------------------------------------------------------------
results="$work/results.tsv"
: >"$results"
events_of() {
  case "$1" in
    startup) echo 0 ;;
    wordcount) echo "$wordcount_lines" ;;
    keyed_window_100k) echo "$window_events_100k" ;;
    keyed_window_*) echo "$window_events" ;;
    trending_hashtags) echo "$tweets" ;;
    nexmark_*) echo "$nexmark_events" ;;
    kafka_replicate) echo "$kafka_records" ;;
  esac
}

# Reads what read_committed consumers see of topic $1 into file $2, once it holds $3 records
# (the commit markers of a transaction reach the partitions just after its commit returns) or
# after 60 s.
read_topic() {
  local until=$((SECONDS + 60))
  while :; do
    kcat -C -b "$bootstrap" -t "$1" -e -q -X isolation.level=read_committed >"$2"
    [[ $(wc -l <"$2") -ge $3 || $SECONDS -ge $until ]] && return
    sleep 0.2
  done
}

keys_of() { local k=${1#keyed_window_}; echo "${k%k}000"; }

# run WORKLOAD ENGINE(spate|rocksdb|hashmap) N
run() {
  local w=$1 engine=$2 n=$3 events out state runlog timing seconds
  events=$(events_of "$w")
  out="$work/out/$w-$engine-$n"
  state="$work/state"
  runlog="$work/logs/$w-$engine-$n.log"
  timing="$work/logs/$w-$engine-$n.time"
  rm -rf "$out" "$state"
  mkdir -p "$out" "$state" "$work/logs"
  local cmd=() load interval=$checkpoint_ms topic="out-$engine-$n"
  [[ $w != kafka_replicate ]] || interval=$kafka_checkpoint_ms
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $w == kafka_replicate ]]; then
    bash scripts/kafka.sh topic create "$topic" --partitions "$parallelism" --bootstrap "$bootstrap" >/dev/null
  fi
  if [[ $engine == spate ]]; then
    local common=(-p "$parallelism" --no-progress --output "files:$out"
      -D "execution.checkpointing.interval=$interval" -D "state.checkpoints.dir=$state/checkpoints"
      -D "state.backend.rocksdb.localdir=$state")
    case "$w" in
      kafka_replicate)
        cmd=("$bin/spate" local kafka_replicate -p "$parallelism" --no-progress
          --input "kafka://$bootstrap/in?scan.startup.mode=earliest-offset&scan.bounded.mode=latest-offset"
          --output "kafka://$bootstrap/$topic?sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=$topic"
          -D "execution.checkpointing.interval=$interval" -D "state.checkpoints.dir=$state/checkpoints"
          -D "state.backend.rocksdb.localdir=$state") ;;
      wordcount) cmd=("$bin/spate" local wordcount "${common[@]}" --input "file:$work/text") ;;
      startup) cmd=("$bin/spate" local wordcount "${common[@]}" --input "file:$work/empty") ;;
      keyed_window_*)
        cmd=("$bin/spate" local keyed_window "${common[@]}" --input "generator:count=$events"
          -- --keys "$(keys_of "$w")") ;;
      trending_hashtags)
        cmd=("$bin/spate" local trending_hashtags "${common[@]}" --input "file:$work/tweets"
          -- --out-of-orderness 120) ;;
      nexmark_*)
        cmd=("$bin/spate-nexmark" --query "${w#nexmark_}" --events "$events" --parallelism "$parallelism"
          --checkpoint-interval "$checkpoint_ms" --state-dir "$state" --events-file "$work/nexmark"
          --output "$out") ;;
    esac
  else
    # Kryo (Flink's fallback serializer) needs these on Java 17, as Flink's own scripts set them.
    cmd=(java $flink_opts --add-opens=java.base/java.util=ALL-UNNAMED
      --add-opens=java.base/java.lang=ALL-UNNAMED -cp "$flink_cp" spate.bench.flink.Main)
    local common=(--output "$out" --events "$events" --parallelism "$parallelism"
      --checkpoint-interval "$interval" --backend "$engine" --state-dir "$state")
    case "$w" in
      kafka_replicate) cmd+=(kafka_replicate "${common[@]}" --input in --bootstrap "$bootstrap" --output-topic "$topic") ;;
      wordcount) cmd+=(wordcount "${common[@]}" --input "$work/text") ;;
      startup) cmd+=(wordcount "${common[@]}" --input "$work/empty") ;;
      keyed_window_*) cmd+=(keyed_window "${common[@]}" --keys "$(keys_of "$w")") ;;
      trending_hashtags) cmd+=(trending_hashtags "${common[@]}" --input "$work/tweets" --out-of-orderness 120) ;;
      nexmark_*) cmd+=(nexmark "${common[@]}" --query "${w#nexmark_}" --input "$work/nexmark") ;;
    esac
  fi
  if ! flock /tmp/spate-build.lock /usr/bin/time -f "%e %U %S %M" -o "$timing" "${cmd[@]}" >"$runlog" 2>&1; then
    tail -20 "$runlog" >&2
    die "$w on $engine failed (log: $runlog)"
  fi
  case "$engine" in
    spate)
      if [[ $w == nexmark_* ]]; then
        seconds=$(awk '$1 == "seconds" { print $2 }' "$runlog")
      else
        seconds=$(sed -n 's/.* FINISHED in \([0-9]*\) ms.*/\1/p' "$runlog" | tail -1)
        seconds=$(awk -v ms="$seconds" 'BEGIN { printf "%.3f", ms / 1000 }')
      fi ;;
    *) seconds=$(awk '$1 == "seconds" { print $2 }' "$runlog") ;;
  esac
  [[ -n "$seconds" ]] || die "no job time in $runlog"
  if [[ $w == kafka_replicate ]]; then
    read_topic "$topic" "$out/part-0" "$events"
    bash scripts/kafka.sh topic delete "$topic" --bootstrap "$bootstrap" >/dev/null 2>&1 || true
  fi
  local lines digest
  lines=$(find "$out" -type f ! -name '.*' -exec cat {} + | wc -l)
  digest=$(find "$out" -type f ! -name '.*' -exec cat {} + | LC_ALL=C sort -S 1G | md5sum | cut -c1-12)
  local wall user sys rss
  read -r wall user sys rss < <(tail -1 "$timing")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$engine" "$n" "$events" "$seconds" \
    "$wall" "$user" "$sys" "$rss" "$lines" "$digest" "$load" >>"$results"
  log "$(printf '%-18s %-8s run %d: %8.3f s job, %7.2f CPU s, %6.0f MiB, %d lines, %s, load %s' "$w" "$engine" "$n" \
    "$seconds" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
    "$lines" "$digest" "$load")"
}

# ---- the pairs -------------------------------------------------------------------------------
IFS=, read -r -a list <<<"$workloads"
for w in "${list[@]}"; do
  for n in $(seq 1 "$pairs"); do
    # Alternate which engine goes first.
    engines=(spate rocksdb)
    ((n % 2 == 0)) && engines=(rocksdb spate)
    [[ $hashmap == 1 ]] && engines+=(hashmap)
    for e in "${engines[@]}"; do
      run "$w" "$e" "$n"
    done
    # Outputs of this pair compared in full when the digests disagree.
    if [[ $n == 1 ]]; then
      ref="$work/out/$w-spate-1"
      for e in rocksdb hashmap; do
        other="$work/out/$w-$e-1"
        [[ -d "$other" ]] || continue
        if ! cmp -s <(find "$ref" -type f ! -name '.*' -exec cat {} + | LC_ALL=C sort -S 1G) \
          <(find "$other" -type f ! -name '.*' -exec cat {} + | LC_ALL=C sort -S 1G); then
          diff <(find "$ref" -type f ! -name '.*' -exec cat {} + | LC_ALL=C sort -S 1G) \
            <(find "$other" -type f ! -name '.*' -exec cat {} + | LC_ALL=C sort -S 1G) \
            >"$work/logs/$w-$e.diff" || true
          log "$w: spate and Flink ($e) differ: $(grep -c '^<' "$work/logs/$w-$e.diff") lines only spate's, $(grep -c '^>' "$work/logs/$w-$e.diff") only Flink's (sample in $work/logs/$w-$e.diff)"
        fi
      done
    fi
    rm -rf "$work"/out/"$w"-*-"$n"
  done
done

# ---- the table -------------------------------------------------------------------------------
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
commit=$(git rev-parse --short HEAD)
[[ -z "$(git status --porcelain -- bench apps nexmark api core connectors state actors checkpoints 2>/dev/null)" ]] || commit="$commit + local changes"
flink_version=$(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' bench/flink/pom.xml)
table="$work/table.md"
python3 - "$results" "$table" <<EOF
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
loads = []
for line in open(sys.argv[1]):
    w, engine, n, events, seconds, wall, user, sys_, rss, lines, digest, load = line.rstrip("\n").split("\t")
    loads.append(float(load))
    rows[(w, engine)].append(dict(events=int(events), seconds=float(seconds), cpu=float(user) + float(sys_),
                                  rss=int(rss) / 1024, lines=int(lines), digest=digest))
def human(v):
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"
def stat(runs, f, fmt):
    vals = [f(r) for r in runs]
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})" if len(vals) > 1 else fmt(vals[0])
names = {"spate": "spate", "rocksdb": "Flink, RocksDB", "hashmap": "Flink, heap"}
order = []
for (w, e) in rows:
    if w not in order:
        order.append(w)
# CPU seconds of starting and stopping the engine (the startup workload), per engine.
startup = {e: statistics.median(r["cpu"] for r in rows[(w, e)]) for (w, e) in rows if w == "startup"}
out = []
out.append("Run $(date -u +%Y-%m-%d) at commit $commit on $machine: \`scripts/compare-flink.sh\`, "
           "parallelism $parallelism, exactly-once checkpoints every $checkpoint_ms ms (kafka_replicate: every "
           "$kafka_checkpoint_ms ms; RocksDB, incremental, on both; Flink $flink_version on its MiniCluster, Java $java_major, $flink_opts), $pairs runs of each "
           "engine per workload alternating with each other. Medians, the range in brackets. Events/s is over the "
           "job's own time; per core, CPU seconds and peak RSS are the whole process's (/usr/bin/time); "
           "'less start-up' subtracts the median CPU seconds of the startup row (the engine started and "
           "stopped on empty input) from each run first. "
           f"Load average when the runs started: {min(loads):.1f}–{max(loads):.1f}.")
out.append("")
out.append("| workload | events | engine | events/s | events/s per core | per core, less start-up | CPU s | peak RSS "
           "| spate ÷ this per core (less start-up) | results |")
out.append("|---|---|---|---|---|---|---|---|---|---|")
for w in order:
    base = rows.get((w, "spate"))
    ref_digest = base[0]["digest"] if base else None
    for e in ("spate", "rocksdb", "hashmap"):
        runs = rows.get((w, e))
        if not runs:
            continue
        per_core = lambda r: r["events"] / r["cpu"]
        less = lambda r, e=e: r["events"] / max(r["cpu"] - startup.get(e, 0.0), 1e-3)
        ratio = "—"
        if e != "spate" and base and w != "startup":
            med = lambda f, rs: statistics.median(f(r) for r in rs)
            less_spate = lambda r: r["events"] / max(r["cpu"] - startup.get("spate", 0.0), 1e-3)
            ratio = f"{med(per_core, base) / med(per_core, runs):.1f}×"
            if startup:
                ratio += f" ({med(less_spate, base) / med(less, runs):.1f}×)"
        digests = {r["digest"] for r in runs}
        if len(digests) > 1:
            same = "runs differ"
        elif e == "spate":
            same = f"{runs[0]['lines']:,} lines"
        else:
            same = "same as spate" if digests == {ref_digest} else "DIFFERENT"
        if w == "startup":
            rate = core = less_cell = "—"
        else:
            rate = stat(runs, lambda r: r["events"] / r["seconds"], human)
            core = stat(runs, per_core, human)
            less_cell = stat(runs, less, human) if startup else "—"
        out.append(f"| {w} | {human(runs[0]['events']) if runs[0]['events'] else '—'} | {names[e]} | "
                   f"{rate} | {core} | {less_cell} | "
                   f"{stat(runs, lambda r: r['cpu'], lambda v: f'{v:.1f}')} | "
                   f"{stat(runs, lambda r: r['rss'], lambda v: f'{v:.0f} MiB')} | {ratio} | {same} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF
cat "$table"
if [[ $write_doc == 1 ]]; then
  awk -v table="$table" '
    /<!-- flink-side-by-side:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- flink-side-by-side:end -->/ { skip = 0 }
    !skip { print }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
  log "table written to $doc"
fi
log "raw figures: $results"
