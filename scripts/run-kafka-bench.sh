#!/usr/bin/env bash
# The Kafka and Redis connector benchmarks (issue #14), against the raw clients on the same
# machine. Starts a Kafka broker (scripts/kafka.sh) and a redis-server of its own on free ports,
# runs every measurement RUNS times, alternating the order of spate and raw runs from round to
# round, prints a markdown table (median and range of each row) and stops what it started.
#
#   scripts/run-kafka-bench.sh            # then copy the table into docs/benchmarks.md
#
# Environment (defaults in brackets):
#   RUNS [3]              rounds
#   RECORDS_100B [2000000], RECORDS_1KB [500000]   records per Kafka run
#   RECORDS_EO [5000000]  100 B records per run of the delivery-guarantee group
#   TWEETS [1000000]      generated tweets for trending_hashtags
#   REDIS_RECORDS [2000000]
#   ONLY [all]            a comma list of the groups to run: kafka, eo, trending, redis (e.g.
#                         ONLY=redis needs no broker and takes a minute)
#   QUIET_TIMEOUT [300]   seconds to wait, before each run, for the machine to be idle (another
#                         build or test run distorts the figures); a run that started on a busy
#                         machine is marked in the table
#   BUILD_DIR [build]     where bin/spate-kafka-bench and bin/spate are
#   KEEP=1                keep the work directory (broker and redis logs, raw results)
#
# Measures (each prints `result mode=... records= bytes= seconds= cpu=`, cpu being the client's
# user + system seconds):
#   produce / consume     raw librdkafka with the settings of the spate sink / source
#   pipe                  raw consume -> produce (1 or 2 threads, a consumer and a producer each)
#   spate                 kafka_source -> map -> kafka_sink, parallelism 1 and 2
#   "+ queue"             the same with the consumer queue raised (queued.min.messages=1000000,
#                         queued.max.messages.kbytes=131072): librdkafka 2.0.2 stops fetching once
#                         100,000 messages are queued and looks again only a second later
#   exactly-once / at-least-once / none at a 1 s checkpoint interval (spate, 100 B, P=1 + queue),
#                         and the raw producer with a transaction per second
#   produce-txn           raw transactional producer, one transaction per second (one producer,
#                         or a new one per transaction as the exactly-once sink does)
#   trending_hashtags     `spate local trending_hashtags` from a Kafka topic of generated tweets,
#                         and from its own generator
#   redis                 generator -> redis_sink SET k{id} <record>, against redis-benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
bin=$BUILD_DIR/bin
K=$bin/spate-kafka-bench
RUNS=${RUNS:-3}
N100=${RECORDS_100B:-2000000}
N1K=${RECORDS_1KB:-500000}
NEO=${RECORDS_EO:-5000000}
NTWEETS=${TWEETS:-1000000}
NREDIS=${REDIS_RECORDS:-2000000}
QUIET_TIMEOUT=${QUIET_TIMEOUT:-300}
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"
PY=/usr/bin/python3 # Debian's; only the standard library is used
CLK=$(getconf CLK_TCK)

for f in "$K" "$bin/spate"; do
  [[ -x "$f" ]] || { echo "run-kafka-bench.sh: $f is missing (ninja -C $BUILD_DIR spate-kafka-bench spate)" >&2; exit 1; }
done
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
  { echo "run-kafka-bench.sh: redis-server and redis-benchmark are needed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/spate-kafka-bench.XXXXXX")
results=$work/results.tsv
: >"$results"
BROKER_PID="" REDIS_PID="" REDIS_PORT=""

cleanup() {
  set +e
  if [[ -n "$REDIS_PID" ]] && kill -0 "$REDIS_PID" 2>/dev/null; then
    kill "$REDIS_PID"
    for _ in $(seq 1 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  [[ -f "$work/kafka/state" ]] && bash "$ROOT/scripts/kafka.sh" stop --dir "$work/kafka" >/dev/null 2>&1
  if [[ "${KEEP:-0}" == 1 ]]; then
    echo "run-kafka-bench.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# user + system seconds of a process
proc_cpu() { [[ -n "$1" ]] || { echo 0; return; }; awk -v clk="$CLK" '{printf "%.2f", ($14 + $15) / clk}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# busy and total jiffies of the machine
machine_jiffies() { awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; print busy, busy+$5+$6}' /proc/stat; }

# Waits until no ninja runs and the machine is (nearly) idle for a second: less than 10 % of
# the cores busy. Sets QUIET to "" or to a note saying what was busy.
wait_quiet() {
  local deadline=$((SECONDS + QUIET_TIMEOUT)) b0 t0 b1 t1 busy
  QUIET=""
  while true; do
    read -r b0 t0 < <(machine_jiffies)
    sleep 1
    read -r b1 t1 < <(machine_jiffies)
    busy=$(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
    if ! pgrep -x ninja >/dev/null && ((busy < 10)); then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      QUIET="busy ${busy}%"
      if pgrep -x ninja >/dev/null; then QUIET="$QUIET, ninja running"; fi
      log "the machine is still busy ($QUIET) after ${QUIET_TIMEOUT}s; measuring anyway"
      return 0
    fi
    sleep 4
  done
}

# measure GROUP LABEL COMMAND...: runs COMMAND (which prints a `result ...` line) on a quiet
# machine and appends group, label, records, bytes, seconds, client CPU, server CPU (broker +
# redis), other CPU (everything else the machine did meanwhile), load and note to the results.
measure() {
  local group="$1" label="$2"
  shift 2
  wait_quiet
  local load sb0 sr0 sb1 sr1 mb0 mt0 mb1 mt1 out
  load=$(cut -d' ' -f1 /proc/loadavg)
  sb0=$(proc_cpu "$BROKER_PID"); sr0=$(proc_cpu "$REDIS_PID")
  read -r mb0 mt0 < <(machine_jiffies)
  if ! out=$("$@" 2>"$work/last.err"); then
    cat "$work/last.err" >&2
    echo "$out" >&2
    log "FAILED: $group / $label: $*"
    exit 1
  fi
  read -r mb1 mt1 < <(machine_jiffies)
  sb1=$(proc_cpu "$BROKER_PID"); sr1=$(proc_cpu "$REDIS_PID")
  local line
  line=$(grep '^result ' <<<"$out" | tail -1)
  [[ -n "$line" ]] || { echo "$out" >&2; log "no result line from: $*"; exit 1; }
  "$PY" - "$group" "$label" "$line" "$sb0" "$sb1" "$sr0" "$sr1" "$mb0" "$mb1" "$CLK" "$load" "$QUIET" >>"$results" <<'EOF'
import sys
group, label, line, sb0, sb1, sr0, sr1, mb0, mb1, clk, load, quiet = sys.argv[1:]
kv = dict(p.split('=', 1) for p in line.split()[1:])
server = (float(sb1) - float(sb0)) + (float(sr1) - float(sr0))
busy = (int(mb1) - int(mb0)) / float(clk)
cpu = float(kv['cpu'])
other = max(0.0, busy - cpu - server)
print('\t'.join([group, label, kv['records'], kv['bytes'], kv['seconds'], kv['cpu'],
                 '%.2f' % server, '%.2f' % other, load, quiet, kv.get('checkpoints', '')]))
EOF
  local r
  r=$(tail -1 "$results" | awk -F'\t' '{printf "%.0f records/s, %.1f MB/s, client %s CPU s, server %s, other %s", $3/$5, $4/$5/1e6, $6, $7, $8}')
  log "$group / $label: $r${QUIET:+ ($QUIET)}"
}

# spate local JOB ... as a measurement: the job's own duration (the `FINISHED in N ms` line),
# the process's CPU seconds from /usr/bin/time.
cli_result() {
  local records="$1"
  shift
  local tf="$work/time.out" ef="$work/cli.err"
  /usr/bin/time -f '%e %U %S' -o "$tf" "$@" >/dev/null 2>"$ef" || { cat "$ef" >&2; return 1; }
  local wall user sys ms
  read -r wall user sys <"$tf"
  ms=$(grep -o 'FINISHED in [0-9]* ms' "$ef" | grep -o '[0-9]*' | tail -1)
  local secs
  secs=$(awk -v ms="${ms:-0}" -v w="$wall" 'BEGIN{ if (ms > 0) printf "%.3f", ms/1000; else print w }')
  echo "result mode=cli records=$records bytes=0 seconds=$secs cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')"
}

# ---------------------------------------------------------------------------------------------
START_TIME=$(date -u +%H:%M)
COMMIT_AT_START=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); commit $COMMIT_AT_START"
want() { [[ -z "${ONLY:-}" || ",$ONLY," == *",$1,"* ]]; }
need_kafka=0
for g in kafka eo trending; do if want "$g"; then need_kafka=1; fi; done
B="" BROKER_PID=""
if ((need_kafka)); then
log "starting a Kafka broker (work dir $work)"
bootstrap=$(bash scripts/kafka.sh start --port 0 --dir "$work/kafka" 2>"$work/kafka-start.err" | tail -1) ||
  { cat "$work/kafka-start.err" >&2; exit 1; }
B=${bootstrap#bootstrap=}
BROKER_PID=$(cat "$work/kafka/kafka.pid")
fi
log "starting a redis-server"
mkdir -p "$work/redis"
REDIS_PORT=$(free_port)
REDIS_PW=bench
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --requirepass "$REDIS_PW" --save "" --appendonly no \
  --dir "$work/redis" --daemonize yes --pidfile "$work/redis/redis.pid" --logfile "$work/redis/redis.log"
for _ in $(seq 1 50); do [[ -s "$work/redis/redis.pid" ]] && break; sleep 0.1; done
REDIS_PID=$(cat "$work/redis/redis.pid")
rcli() { redis-cli -p "$REDIS_PORT" -a "$REDIS_PW" --no-auth-warning "$@"; }
for _ in $(seq 1 50); do [[ "$(rcli ping 2>/dev/null)" == PONG ]] && break; sleep 0.1; done
log "broker $B (pid $BROKER_PID), redis 127.0.0.1:$REDIS_PORT (pid $REDIS_PID)"

QUEUE=(queued.min.messages=1000000 queued.max.messages.kbytes=131072)
RAW_QUEUE=() SPATE_QUEUE=()
for p in "${QUEUE[@]}"; do
  RAW_QUEUE+=(--consumer-property "$p")
  SPATE_QUEUE+=(--source-option "properties.$p")
done

if ((need_kafka)); then
# The input topics, filled once (these runs also warm the broker's JIT up; not recorded).
log "filling the input topics"
for t in in100 in1k in100eo tweets; do $K create-topic --brokers "$B" --topic "$t" --partitions 2; done
$K produce --brokers "$B" --topic in100 --records "$N100" --size 100 >/dev/null
$K produce --brokers "$B" --topic in1k --records "$N1K" --size 1000 >/dev/null
$K produce --brokers "$B" --topic in100eo --records "$NEO" --size 100 >/dev/null
$K tweets --brokers "$B" --topic tweets --records "$NTWEETS" >/dev/null
# a throw-away pipeline run, so that the first recorded one does not pay for the warm-up
$K create-topic --brokers "$B" --topic warmup --partitions 2
$K spate --brokers "$B" --topic in100 --out warmup --size 100 --parallelism 2 >/dev/null 2>&1
$K delete-topic --brokers "$B" --topic warmup
fi

seq_no=0
out_topic() { seq_no=$((seq_no + 1)); OUT="out-$seq_no"; $K create-topic --brokers "$B" --topic "$OUT" --partitions 2; }
drop_out() { $K delete-topic --brokers "$B" --topic "$OUT"; }

# One Kafka measurement by name (SIZE: 100 or 1k).
kafka_run() {
  local size="$1" what="$2" in="in$1" bytes n group
  [[ "$size" == 100 ]] && { bytes=100; n=$N100; group="Kafka 100 B"; } || { bytes=1000; n=$N1K; group="Kafka 1 KB"; }
  case "$what" in
    produce)
      OUT="scratch-$((++seq_no))"
      $K create-topic --brokers "$B" --topic "$OUT" --partitions 2
      measure "$group" "raw produce" $K produce --brokers "$B" --topic "$OUT" --records "$n" --size "$bytes"
      drop_out ;;
    consume) measure "$group" "raw consume" $K consume --brokers "$B" --topic "$in" ;;
    pipe1) out_topic; measure "$group" "raw consume -> produce, 1 thread" $K pipe --brokers "$B" --topic "$in" --out "$OUT"; drop_out ;;
    pipe1q) out_topic; measure "$group" "raw consume -> produce, 1 thread + queue" $K pipe --brokers "$B" --topic "$in" --out "$OUT" "${RAW_QUEUE[@]}"; drop_out ;;
    pipe2) out_topic; measure "$group" "raw consume -> produce, 2 threads" $K pipe --brokers "$B" --topic "$in" --out "$OUT" --threads 2; drop_out ;;
    pipe2q) out_topic; measure "$group" "raw consume -> produce, 2 threads + queue" $K pipe --brokers "$B" --topic "$in" --out "$OUT" --threads 2 "${RAW_QUEUE[@]}"; drop_out ;;
    spate1) out_topic; measure "$group" "spate P=1" $K spate --brokers "$B" --topic "$in" --out "$OUT" --size "$bytes" --parallelism 1; drop_out ;;
    spate1q) out_topic; measure "$group" "spate P=1 + queue" $K spate --brokers "$B" --topic "$in" --out "$OUT" --size "$bytes" --parallelism 1 "${SPATE_QUEUE[@]}"; drop_out ;;
    spate2) out_topic; measure "$group" "spate P=2" $K spate --brokers "$B" --topic "$in" --out "$OUT" --size "$bytes" --parallelism 2; drop_out ;;
    spate2q) out_topic; measure "$group" "spate P=2 + queue" $K spate --brokers "$B" --topic "$in" --out "$OUT" --size "$bytes" --parallelism 2 "${SPATE_QUEUE[@]}"; drop_out ;;
  esac
}

# Exactly-once against at-least-once and none at a 1 s checkpoint interval: P=1 (at P=2 two
# busy chained source tasks hold both scheduler threads and checkpoints barely run; see
# docs/benchmarks.md) and the larger consumer queue, so that the sink, not the fetch pauses,
# sets the pace. Beside them the raw producer with and without transactions.
EO_GROUP="Kafka 100 B, $((NEO / 1000000)) M records, checkpoints or transactions every 1 s"
eo_run() {
  case "$1" in
    raw-idem|raw-txn|raw-txn-fresh)
      OUT="scratch-$((++seq_no))"
      $K create-topic --brokers "$B" --topic "$OUT" --partitions 2
      case "$1" in
        raw-idem) measure "$EO_GROUP" "raw produce, idempotent" $K produce --brokers "$B" --topic "$OUT" --records "$NEO" --size 100 ;;
        raw-txn) measure "$EO_GROUP" "raw produce, a transaction per second, one producer" $K produce-txn --brokers "$B" --topic "$OUT" --records "$NEO" --size 100 ;;
        raw-txn-fresh) measure "$EO_GROUP" "raw produce, a transaction per second, a new producer each (as the sink)" $K produce-txn --brokers "$B" --topic "$OUT" --records "$NEO" --size 100 --fresh-producer ;;
      esac
      drop_out ;;
    *)
      out_topic
      measure "$EO_GROUP" "spate P=1 + queue, sink.delivery-guarantee=$1" \
        $K spate --brokers "$B" --topic in100eo --out "$OUT" --size 100 --parallelism 1 --guarantee "$1" \
        --checkpoint-interval 1000 "${SPATE_QUEUE[@]}"
      drop_out ;;
  esac
}

trending_run() {
  case "$1" in
    kafka1|kafka2)
      measure "trending_hashtags, $NTWEETS tweets" "from Kafka, P=${1#kafka}" cli_result "$NTWEETS" \
        "$bin/spate" local trending_hashtags -p "${1#kafka}" --output discard \
        --input "kafka://$B/tweets?scan.startup.mode=earliest-offset&scan.bounded.mode=latest-offset" ;;
    kafka2q)
      measure "trending_hashtags, $NTWEETS tweets" "from Kafka, P=2 + queue" cli_result "$NTWEETS" \
        "$bin/spate" local trending_hashtags -p 2 --output discard \
        --input "kafka://$B/tweets?scan.startup.mode=earliest-offset&scan.bounded.mode=latest-offset&properties.${QUEUE[0]}&properties.${QUEUE[1]}" ;;
    gen2)
      measure "trending_hashtags, $NTWEETS tweets" "from its generator, P=2" cli_result "$NTWEETS" \
        "$bin/spate" local trending_hashtags -p 2 --output discard --input "generator:count=$NTWEETS" ;;
  esac
}

redis_bench_result() { # redis-benchmark ... as a result line (its CPU is not ours: cpu=0)
  local rps
  rps=$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -a "$REDIS_PW" -t set -P 1000 -n "$NREDIS" -d 100 \
        -r "$NREDIS" -q "$@" 2>/dev/null | tr '\r' '\n' | grep -o 'SET: [0-9.]* requests per second' | tail -1 | awk '{print $2}')
  [[ -n "$rps" ]] || return 1
  echo "result mode=redis-benchmark records=$NREDIS bytes=$((NREDIS * 100)) seconds=$(awk -v n="$NREDIS" -v r="$rps" 'BEGIN{printf "%.4f", n/r}') cpu=0"
}

redis_run() {
  rcli flushall >/dev/null
  local spec="redis://:$REDIS_PW@127.0.0.1:$REDIS_PORT?command=SET&key=k{id}&value={}"
  case "$1" in
    bench50) measure "Redis SET, 100 B values" "redis-benchmark -P 1000 -t set (50 connections)" redis_bench_result ;;
    bench1) measure "Redis SET, 100 B values" "redis-benchmark -P 1000 -t set -c 1" redis_bench_result -c 1 ;;
    spate1) measure "Redis SET, 100 B values" "spate generator -> redis sink, P=1" $K redis --redis "$spec" --records "$NREDIS" --size 100 --parallelism 1 ;;
    spate2) measure "Redis SET, 100 B values" "spate generator -> redis sink, P=2" $K redis --redis "$spec" --records "$NREDIS" --size 100 --parallelism 2 ;;
    discard) measure "Redis SET, 100 B values" "spate generator -> discard, P=1 (no Redis)" $K redis --sink discard --records "$NREDIS" --size 100 --parallelism 1 ;;
  esac
}

KAFKA_ORDER=(spate1 pipe1 spate1q pipe1q spate2 pipe2 spate2q pipe2q produce consume)
for round in $(seq 1 "$RUNS"); do
  order=("${KAFKA_ORDER[@]}")
  if ((round % 2 == 0)); then # raw first in even rounds
    order=(pipe1 spate1 pipe1q spate1q pipe2 spate2 pipe2q spate2q consume produce)
  fi
  log "round $round of $RUNS"
  if want kafka; then
    for size in 100 1k; do
      for w in "${order[@]}"; do kafka_run "$size" "$w"; done
    done
  fi
  if ((round % 2)); then g=(exactly-once raw-txn-fresh at-least-once raw-txn none raw-idem); else g=(raw-idem none raw-txn at-least-once raw-txn-fresh exactly-once); fi
  if want eo; then for x in "${g[@]}"; do eo_run "$x"; done; fi
  if ((round % 2)); then t=(kafka2 gen2 kafka2q kafka1); else t=(gen2 kafka2 kafka1 kafka2q); fi
  if want trending; then for x in "${t[@]}"; do trending_run "$x"; done; fi
  if ((round % 2)); then r=(spate1 bench50 spate2 bench1 discard); else r=(bench50 spate1 bench1 spate2 discard); fi
  if want redis; then for x in "${r[@]}"; do redis_run "$x"; done; fi
done

# ---------------------------------------------------------------------------------------------
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date:    $(date -u +%Y-%m-%d)"
commit_now=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "commit:  $COMMIT_AT_START$([[ "$commit_now" != "$COMMIT_AT_START" ]] && echo " at the start, $commit_now at the end")$(git diff --quiet HEAD -- connectors 2>/dev/null || echo ' (connectors/ modified)')"
dirty=$(git status --porcelain -- connectors actors api core state transport checkpoints apps bench 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
echo "tree:    ${dirty:+uncommitted changes in: }${dirty:-clean}"
echo "started: $START_TIME UTC, took $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "runs:    $RUNS per row (median, range); librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?'), Kafka ${KAFKA_VERSION:-4.4.0}, $(redis-server --version | awk '{print $1, $3}')"
echo
"$PY" - "$results" <<'EOF'
import sys, statistics
rows = {}
order = []
for line in open(sys.argv[1]):
    f = line.rstrip('\n').split('\t')
    key = (f[0], f[1])
    if key not in rows:
        rows[key] = []
        order.append(key)
    rows[key].append(dict(records=int(f[2]), bytes=int(f[3]), secs=float(f[4]), cpu=float(f[5]),
                          server=float(f[6]), other=float(f[7]), load=f[8], note=f[9] if len(f) > 9 else '',
                          ck=f[10] if len(f) > 10 else ''))

def si(x):
    if abs(x) >= 1e6:
        return '%.2f M' % (x / 1e6)
    if abs(x) >= 1e3:
        return '%.0f k' % (x / 1e3)
    return '%.0f' % x

def med_range(vals, fmt):
    m = statistics.median(vals)
    return fmt(m) + (' (%s–%s)' % (fmt(min(vals)), fmt(max(vals))) if len(vals) > 1 else '')

print('| group | measure | records | records/s | MB/s | client CPU s | broker/redis CPU s | records/s per client core | other CPU s | runs |')
print('|---|---|---|---|---|---|---|---|---|---|')
for key in order:
    rs = rows[key]
    rate = [r['records'] / r['secs'] for r in rs]
    mbs = [r['bytes'] / r['secs'] / 1e6 for r in rs]
    cpu = [r['cpu'] for r in rs]
    per_core = [r['records'] / r['cpu'] for r in rs if r['cpu'] > 0]
    notes = [r['note'] for r in rs if r['note']]
    cks = sorted(int(r['ck']) for r in rs if r['ck'])
    label = key[1] + ((' (%d–%d checkpoints or transactions)' % (cks[0], cks[-1])) if cks else '')
    print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d%s |' % (
        key[0], label, si(rs[0]['records']), med_range(rate, si),
        med_range(mbs, lambda x: '%.1f' % x) if rs[0]['bytes'] > 0 else '—',
        med_range(cpu, lambda x: '%.2f' % x) if max(cpu) > 0 else '—',
        med_range([r['server'] for r in rs], lambda x: '%.2f' % x),
        si(statistics.median(per_core)) if per_core else '—',
        med_range([r['other'] for r in rs], lambda x: '%.2f' % x),
        len(rs), (' (%d on a busy machine)' % len(notes)) if notes else ''))
EOF
if [[ "${KEEP:-0}" == 1 ]]; then echo; echo "raw results: $results"; fi
