#!/usr/bin/env bash
# The Kafka + Redis demo (`make demo-kafka`): trending hashtags from a Kafka topic into Redis
# and Kafka, the live ranking read back from Redis.
#
#   1. starts a single-node Kafka broker (scripts/kafka.sh, KRaft) and a redis-server, both on
#      free ports of 127.0.0.1 (Redis with a random password and no persistence);
#   2. creates the topics `tweets` (4 partitions) and `hashtag-counts` (2);
#   3. runs `spate local produce_tweets` into `tweets` (100 records/s, 5 per second of event
#      time: a 60 s event-time window every 3 s of wall time, like `make demo`);
#   4. runs `spate local trending_hashtags -p 2` from `tweets` into Redis (ZADD into one sorted
#      set per window, trending:<window_end ms>, expiring after DEMO_REDIS_TTL seconds) and into
#      `hashtag-counts` exactly once (Kafka transactions committed with each checkpoint, 2 s);
#   5. every second reads the newest complete window back from Redis (ZREVRANGE ... WITHSCORES)
#      and prints its ten most used hashtags, and now and then the number of committed records
#      in `hashtag-counts` (kcat, isolation.level=read_committed).
#
# Runs until Ctrl-C (SIGINT) or SIGTERM, or, when DEMO_SECONDS is set, for that many seconds
# after start-up (the broker and topics take about 10 s more). On exit it stops
# everything it started (the spate processes, redis-server, the broker) and removes its
# temporary directory (logs included; DEMO_KEEP_LOGS=1 keeps them).
#
# Needs java 17+ and mvn (the broker's jars come from Maven Central on the first run),
# redis-server, redis-cli and kcat: `make demo-kafka` installs them (scripts/install-deps.sh).
#
# Environment:
#   SPATE_BIN        the spate binary (default build/bin/spate of this checkout)
#   DEMO_SECONDS     stop after showing the ranking this many seconds (default: until Ctrl-C)
#   DEMO_RATE        tweets per second of wall time (default 100)
#   DEMO_EVENTS_PER_SECOND  tweets per second of event time (default 5)
#   DEMO_REDIS_TTL   seconds a window's sorted set lives in Redis (default 300)
#   DEMO_KEEP_LOGS   1: keep the temporary directory with the logs (its path is printed)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SPATE_BIN="${SPATE_BIN:-$ROOT/build/bin/spate}"
DEMO_SECONDS="${DEMO_SECONDS:-}"
RATE="${DEMO_RATE:-100}"
EVENTS_PER_SECOND="${DEMO_EVENTS_PER_SECOND:-5}"
REDIS_TTL="${DEMO_REDIS_TTL:-300}"
KEEP_LOGS="${DEMO_KEEP_LOGS:-0}"

say() { echo "demo-kafka: $*" >&2; }
die() { say "$*"; exit 1; }

for n in DEMO_SECONDS:"$DEMO_SECONDS" DEMO_RATE:"$RATE" DEMO_EVENTS_PER_SECOND:"$EVENTS_PER_SECOND" \
         DEMO_REDIS_TTL:"$REDIS_TTL"; do
  [[ -z "${n#*:}" || "${n#*:}" =~ ^[1-9][0-9]*$ ]] || die "${n%%:*} must be a positive integer, got '${n#*:}'"
done
[[ -x "$SPATE_BIN" ]] || die "$SPATE_BIN not found or not executable (build first: make build, or set SPATE_BIN)"
for tool in java redis-server redis-cli kcat; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done

# ---------------------------------------------------------------------------------------------
# everything this script starts, and the cleanup that stops it again

DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/spate-demo-kafka.XXXXXX")"
KAFKA_DIR="$DEMO_DIR/kafka"
PRODUCER_PID="" JOB_PID="" REDIS_PID="" BROKER_STARTING=0

# A process of ours that has not exited (a zombie not yet reaped counts as exited).
alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [[ -n "$st" && "$st" != Z* ]]
}

# TERM, then KILL after $2 seconds.
stop_pid() {
  local pid="$1" grace="$2" what="$3" i
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "$what (pid $pid) did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

CLEANED=0
cleanup() {
  local rc=$?
  trap '' INT TERM   # a second Ctrl-C must not cut the cleanup short
  ((CLEANED)) && return 0
  CLEANED=1
  say "stopping (spate jobs, redis-server, Kafka broker)"
  # the job before the broker, so its Kafka sink can abort its open transaction
  stop_pid "$JOB_PID" 15 "trending_hashtags"
  stop_pid "$PRODUCER_PID" 15 "produce_tweets"
  stop_pid "$REDIS_PID" 10 "redis-server"
  if ((BROKER_STARTING)); then
    bash "$SCRIPT_DIR/kafka.sh" stop --dir "$KAFKA_DIR" >/dev/null 2>>"$DEMO_DIR/kafka-stop.log" || true
    # interrupted between the broker's launch and its state file: kafka.pid names it
    if [[ -f "$KAFKA_DIR/kafka.pid" ]]; then
      local bpid
      bpid="$(cat "$KAFKA_DIR/kafka.pid" 2>/dev/null || true)"
      if [[ -n "$bpid" ]] && kill -0 "$bpid" 2>/dev/null &&
         grep -qF "$KAFKA_DIR" "/proc/$bpid/cmdline" 2>/dev/null; then
        kill -KILL "$bpid" 2>/dev/null || true
      fi
    fi
  fi
  if [[ "$KEEP_LOGS" == 1 ]]; then
    say "logs kept in $DEMO_DIR"
  else
    rm -rf "$DEMO_DIR"
  fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nobody listens on (asked from the kernel through Python, else random ones tried).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  if p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null)"; then
    echo "$p"; return 0
  fi
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

# Sleeps, but lets a trapped signal end the script at once.
nap() { sleep "$1" & wait $! || true; }

# The last lines of a log, indented, on stderr.
show_log() { [[ -f "$1" ]] && { say "last lines of $1:"; tail -n "${2:-20}" "$1" | sed 's/^/    /' >&2; }; return 0; }

# ---------------------------------------------------------------------------------------------
# 1. Kafka and Redis

say "starting a Kafka broker (KRaft; the first run fetches its jars from Maven Central) ..."
BROKER_STARTING=1
if ! kafka_out="$(bash "$SCRIPT_DIR/kafka.sh" start --port 0 --dir "$KAFKA_DIR" 2>"$DEMO_DIR/kafka-start.log")"; then
  show_log "$DEMO_DIR/kafka-start.log" 30
  die "the Kafka broker did not start"
fi
BOOTSTRAP="$(sed -n 's/^bootstrap=//p' <<<"$kafka_out" | tail -n 1)"
[[ -n "$BOOTSTRAP" ]] || die "scripts/kafka.sh start printed no bootstrap= line"

REDIS_PORT="$(free_port)"
REDIS_PASSWORD="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export REDISCLI_AUTH="$REDIS_PASSWORD"   # redis-cli reads the password from here (not -a)
say "starting redis-server on 127.0.0.1:$REDIS_PORT ..."
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DEMO_DIR" \
  --requirepass "$REDIS_PASSWORD" --daemonize no --logfile "$DEMO_DIR/redis.log" </dev/null &
REDIS_PID=$!
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --no-auth-warning "$@"; }
for ((i = 0; ; i++)); do
  [[ "$(rcli ping 2>/dev/null || true)" == PONG ]] && break
  alive "$REDIS_PID" || { show_log "$DEMO_DIR/redis.log"; die "redis-server exited during start-up"; }
  ((i < 100)) || { show_log "$DEMO_DIR/redis.log"; die "redis-server did not answer within 10 s"; }
  nap 0.1
done

say "creating the topics tweets (4 partitions) and hashtag-counts (2) ..."
for t in tweets:4 hashtag-counts:2; do
  bash "$SCRIPT_DIR/kafka.sh" topic create "${t%%:*}" --partitions "${t#*:}" --bootstrap "$BOOTSTRAP" \
    >>"$DEMO_DIR/topics.log" 2>&1 || { show_log "$DEMO_DIR/topics.log"; die "could not create topic ${t%%:*}"; }
done

# ---------------------------------------------------------------------------------------------
# 2. the producer and the job

mkdir -p "$DEMO_DIR/tmp"
REDIS_SPEC="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT?command=ZADD&key=trending:{window_end}&member={hashtag}&score={count}&ttl=$REDIS_TTL"
KAFKA_OUT_SPEC="kafka://$BOOTSTRAP/hashtag-counts?sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=spate-demo-kafka-$$"

say "starting produce_tweets ($RATE tweets/s, $EVENTS_PER_SECOND per second of event time) ..."
TMPDIR="$DEMO_DIR/tmp" "$SPATE_BIN" local produce_tweets --input "generator:rate=$RATE" \
  --output "kafka://$BOOTSTRAP/tweets" -D "state.checkpoints.dir=$DEMO_DIR/producer-checkpoints" \
  -- --events-per-second "$EVENTS_PER_SECOND" >"$DEMO_DIR/producer.log" 2>&1 </dev/null &
PRODUCER_PID=$!

say "starting trending_hashtags -p 2 (Kafka tweets -> Redis ZADD and Kafka hashtag-counts, exactly once) ..."
TMPDIR="$DEMO_DIR/tmp" "$SPATE_BIN" local trending_hashtags -p 2 \
  --input "kafka://$BOOTSTRAP/tweets" --output "$REDIS_SPEC" --output "$KAFKA_OUT_SPEC" \
  -D execution.checkpointing.interval=2s -D "state.checkpoints.dir=$DEMO_DIR/checkpoints" \
  >"$DEMO_DIR/trending_hashtags.log" 2>&1 </dev/null &
JOB_PID=$!

# ---------------------------------------------------------------------------------------------
# 3. the live ranking, read back from Redis

iso() { date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%SZ; }
hhmm() { date -u -d "@$(($1 / 1000))" +%H:%M; }

committed_count() {
  timeout 15 kcat -C -b "$BOOTSTRAP" -t hashtag-counts -e -q -X isolation.level=read_committed 2>/dev/null |
    wc -l || true
}

TTY=0
[[ -t 1 ]] && TTY=1
# wall-clock seconds per 60 s event-time window
WINDOW_WALL="$(awk -v r="$RATE" -v e="$EVENTS_PER_SECOND" 'BEGIN { printf "%g", 60 * e / r }')"
SPEEDUP="$(awk -v r="$RATE" -v e="$EVENTS_PER_SECOND" 'BEGIN { printf "%g", r / e }')"
HEADER="$(cat <<EOF
spate: trending hashtags from Kafka into Redis and Kafka   ($( [[ -n "$DEMO_SECONDS" ]] && echo "for ${DEMO_SECONDS}s" || echo "Ctrl-C stops"))
  Kafka  $BOOTSTRAP  topics tweets (4 partitions) -> hashtag-counts (2, exactly once)
  Redis  127.0.0.1:$REDIS_PORT  one sorted set per 60 s window: trending:<window_end ms> (ttl ${REDIS_TTL}s)
  logs   $DEMO_DIR/{producer,trending_hashtags}.log
  The event time runs ${SPEEDUP}x faster than the clock: a 60 s window closes every $WINDOW_WALL s.
EOF
)"
printf '\n%s\n\n' "$HEADER"

START=$SECONDS
shown="" committed="?" last_count=-100
while :; do
  if [[ -n "$DEMO_SECONDS" ]] && ((SECONDS - START >= DEMO_SECONDS)); then
    say "DEMO_SECONDS=$DEMO_SECONDS reached"
    break
  fi
  for what in trending_hashtags produce_tweets; do
    if [[ $what == trending_hashtags ]]; then pid=$JOB_PID log=trending_hashtags.log
    else pid=$PRODUCER_PID log=producer.log; fi
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null && code=0 || code=$?
      show_log "$DEMO_DIR/$log" 30
      die "$what exited (code $code)"
    fi
  done

  # window ends of the sorted sets in Redis, newest last
  mapfile -t ends < <(rcli --scan --pattern 'trending:*' 2>/dev/null | sed -n 's/^trending:\([0-9]\{1,\}\)$/\1/p' | sort -n)
  if ((SECONDS - last_count >= 3)); then
    committed="$(committed_count | tr -d ' ')"
    last_count=$SECONDS
  fi
  # the newest window may still be being written by one of the two window subtasks: show the
  # newest one behind it
  if ((${#ends[@]} >= 2)); then
    end="${ends[${#ends[@]} - 2]}"
    if [[ "$end" != "$shown" || $TTY == 1 ]]; then
      mapfile -t rows < <(rcli zrevrange "trending:$end" 0 9 withscores 2>/dev/null)
      {
        ((TTY)) && printf '\033[H\033[J%s\n\n' "$HEADER"
        printf '[%s] window %s .. %s   (%d windows in Redis, newest ends %s)\n' \
          "$(date +%H:%M:%S)" "$(iso $((end - 60000)))" "$(hhmm "$end")" "${#ends[@]}" "$(hhmm "${ends[${#ends[@]} - 1]}")"
        printf '   %-4s %-16s %6s\n' rank hashtag posts
        for ((i = 0; i + 1 < ${#rows[@]}; i += 2)); do
          printf '   %-4s %-16s %6s\n' "$((i / 2 + 1))" "${rows[i]}" "${rows[i + 1]}"
        done
        printf '   hashtag-counts: %s committed records (read_committed)\n' "$committed"
        ((TTY)) && printf '   (Ctrl-C stops the demo)\n'
        echo
      }
      shown="$end"
    fi
  elif [[ "$shown" != waiting ]]; then
    printf '[%s] waiting for the first windows to close ...\n' "$(date +%H:%M:%S)"
    shown=waiting
  fi
  nap 1
done
