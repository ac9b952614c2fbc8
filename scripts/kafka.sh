#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft mode: broker and controller in one JVM, no
# ZooKeeper) run from the Kafka jars of Maven Central, for tests and demos. Needs java (17+)
# and mvn; kcat is used, when present, to check that the broker serves.
#
#   scripts/kafka.sh fetch
#       downloads the broker's jars into $SPATE_KAFKA_HOME/libs (once; does nothing after)
#   scripts/kafka.sh start [--port P] [--dir D]
#       fetches if needed, formats D/data (unless already formatted: a restart in the same D
#       keeps its topics), starts the broker in the background, waits until it serves (60 s at
#       most) and prints `pid=N`, `dir=D` and, as the last line of stdout, `bootstrap=127.0.0.1:P`.
#       --port 0 picks a free port. Without --dir a new temporary directory is used.
#   scripts/kafka.sh stop [--dir D | --port P]
#       stops the broker (TERM, then KILL after 10 s); removes D if start created it.
#   scripts/kafka.sh status [--dir D | --port P]
#   scripts/kafka.sh topic create NAME --partitions N [--port P | --dir D | --bootstrap H:P] [--config K=V]...
#   scripts/kafka.sh topic add-partitions NAME --partitions N [--port P | --dir D | --bootstrap H:P]
#   scripts/kafka.sh topic delete|describe NAME [...]   and   scripts/kafka.sh topic list [...]
#
# Environment:
#   KAFKA_VERSION      Kafka version (default 4.4.0; 4.1.0 works the same)
#   SPATE_KAFKA_HOME   where the jars go (default ~/.cache/spate/kafka-$KAFKA_VERSION)
#   KAFKA_PORT         default port when --port is not given (default 9092)
#   SPATE_KAFKA_STATE  state file that `start` writes and `stop`/`topic` read when no --dir is
#                      given (default /tmp/spate-kafka-<port>)
#   KAFKA_HEAP_OPTS    the broker's heap (default -Xmx512m -Xms256m)
#   KAFKA_START_TIMEOUT seconds to wait for the broker (default 60)
#
# The data directory D holds server.properties, log4j2.properties, data/ (the log and metadata
# directories), kafka.pid, kafka.log (the broker's output) and state (PORT=, CONTROLLER_PORT=,
# DIR=, PID=, CREATED_DIR=, KAFKA_VERSION=).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_HOME_DIR="${SPATE_KAFKA_HOME:-$HOME/.cache/spate/kafka-$KAFKA_VERSION}"
LIBS="$KAFKA_HOME_DIR/libs"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"

log() { echo "kafka.sh: $*" >&2; }
CLEANUP_DIR=""   # a directory that start created and removes again if it fails before the broker runs
die() {
  log "$*"
  [[ -n "$CLEANUP_DIR" ]] && rm -rf "$CLEANUP_DIR"
  exit 1
}
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# fetch

fetch() {
  if [[ -f "$LIBS/.complete" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Debian: apt-get install maven)"
  command -v java >/dev/null || die "java not found (Kafka 4 needs Java 17: apt-get install openjdk-17-jre-headless)"
  mkdir -p "$KAFKA_HOME_DIR"
  local tmp="$KAFKA_HOME_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  log "fetching Apache Kafka $KAFKA_VERSION jars into $LIBS"
  # mvn's output goes to a log shown only on failure (Debian's Maven 3.8 prints colour resets
  # even with -B -q)
  if ! mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$KAFKA_HOME_DIR/fetch.log" 2>&1; then
    cat "$KAFKA_HOME_DIR/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"; }
  touch "$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
}

# ---------------------------------------------------------------------------------------------
# helpers

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nobody listens on. Asks the kernel through Python when there is one, else tries
# random ports of the ephemeral range.
free_port() {
  local py p
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1; then
      if p=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null); then
        echo "$p"; return 0
      fi
    fi
  done
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

state_pointer() { echo "${SPATE_KAFKA_STATE:-/tmp/spate-kafka-$1}"; }

# Reads the state of a broker from --dir D, or from the state file of --port P (or $KAFKA_PORT,
# or 9092). Sets DIR, PORT, PID, CREATED_DIR, CONTROLLER_PORT.
load_state() {
  local dir="$1" port="$2" file
  if [[ -n "$dir" ]]; then
    file="$dir/state"
  else
    file="$(state_pointer "${port:-${KAFKA_PORT:-9092}}")"
  fi
  [[ -f "$file" ]] || return 1
  DIR="" PORT="" PID="" CREATED_DIR=0 CONTROLLER_PORT=""
  local k v
  while IFS='=' read -r k v; do
    case "$k" in
      DIR) DIR="$v" ;; PORT) PORT="$v" ;; PID) PID="$v" ;;
      CREATED_DIR) CREATED_DIR="$v" ;; CONTROLLER_PORT) CONTROLLER_PORT="$v" ;;
    esac
  done <"$file"
  [[ -n "$DIR" && -n "$PORT" ]]
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# True when the broker on $1 answers a metadata request (kcat), or, without kcat, when the
# port accepts connections and the broker has logged that it started.
broker_serves() {
  local port="$1" logfile="$2"
  if command -v kcat >/dev/null 2>&1; then
    kcat -L -b "127.0.0.1:$port" -m 3 2>/dev/null | grep -q '1 brokers'
  else
    port_in_use "$port" && grep -q 'Kafka Server started' "$logfile" 2>/dev/null
  fi
}

java_cp() { echo "$LIBS/*"; }

# ---------------------------------------------------------------------------------------------
# start

start() {
  local port="" dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --port=*) port="${1#*=}"; shift ;;
      --dir) dir="$2"; shift 2 ;;
      --dir=*) dir="${1#*=}"; shift ;;
      *) die "start: unknown argument $1" ;;
    esac
  done
  port="${port:-${KAFKA_PORT:-9092}}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"

  fetch

  local created=0 cport=""
  if [[ -z "$dir" ]]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/spate-kafka.XXXXXX")"
    created=1
    CLEANUP_DIR="$dir"
  else
    if [[ ! -d "$dir" ]]; then
      mkdir -p "$dir"
      created=1
      CLEANUP_DIR="$(cd "$dir" && pwd)"
    fi
    dir="$(cd "$dir" && pwd)"
    if [[ -f "$dir/state" ]]; then
      # a restart in the same directory: keep its ports (unless told otherwise) and whether
      # stop removes it
      local DIR PORT PID CREATED_DIR CONTROLLER_PORT
      load_state "$dir" "" || true
      if pid_alive "${PID:-}"; then
        die "a broker already runs from $dir (pid $PID, port $PORT)"
      fi
      created="${CREATED_DIR:-$created}"
      [[ "$port" == 0 && -n "${PORT:-}" ]] && ! port_in_use "$PORT" && port="$PORT"
      [[ -n "${CONTROLLER_PORT:-}" ]] && ! port_in_use "$CONTROLLER_PORT" && cport="$CONTROLLER_PORT"
    fi
  fi

  [[ "$port" == 0 ]] && port="$(free_port)"
  port_in_use "$port" && die "port $port is in use"
  if [[ -z "$cport" ]]; then
    cport="$(free_port)"
    [[ "$cport" == "$port" ]] && cport="$(free_port)"
  fi

  local data="$dir/data"
  mkdir -p "$data"
  cat >"$dir/server.properties" <<EOF
# written by scripts/kafka.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=-1
EOF
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
EOF

  local jvm_common=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$(java_cp)")
  if [[ ! -f "$data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java -XX:TieredStopAtLevel=1 "${jvm_common[@]}" kafka.tools.StorageTool random-uuid 2>>"$dir/kafka.log")" \
      || die "StorageTool random-uuid failed (see $dir/kafka.log)"
    java -XX:TieredStopAtLevel=1 "${jvm_common[@]}" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$dir/server.properties" >>"$dir/kafka.log" 2>&1 \
      || die "formatting $data failed (see $dir/kafka.log)"
  fi

  # shellcheck disable=SC2086
  nohup java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      "${jvm_common[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null &
  local pid=$!
  CLEANUP_DIR=""   # from here on the directory holds the broker's log: keep it for a look
  echo "$pid" >"$dir/kafka.pid"
  local pointer
  pointer="$(state_pointer "$port")"
  cat >"$dir/state" <<EOF
DIR=$dir
PORT=$port
CONTROLLER_PORT=$cport
PID=$pid
CREATED_DIR=$created
KAFKA_VERSION=$KAFKA_VERSION
EOF
  cp "$dir/state" "$pointer"

  local deadline=$((SECONDS + START_TIMEOUT))
  until broker_serves "$port" "$dir/kafka.log"; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$dir/kafka.log" >&2 || true
      rm -f "$pointer"
      die "the broker exited during start-up (log: $dir/kafka.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/kafka.log" >&2 || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$pointer"
      die "the broker did not serve within ${START_TIMEOUT}s (log: $dir/kafka.log)"
    fi
    sleep 0.3
  done
  log "Kafka $KAFKA_VERSION broker pid $pid serves on 127.0.0.1:$port (dir $dir, log $dir/kafka.log)"
  echo "pid=$pid"
  echo "dir=$dir"
  echo "bootstrap=127.0.0.1:$port"
}

# ---------------------------------------------------------------------------------------------
# stop / status

parse_dir_port() {
  ARG_DIR="" ARG_PORT="" ARG_BOOTSTRAP="" REST=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir) ARG_DIR="$2"; shift 2 ;;
      --dir=*) ARG_DIR="${1#*=}"; shift ;;
      --port) ARG_PORT="$2"; shift 2 ;;
      --port=*) ARG_PORT="${1#*=}"; shift ;;
      --bootstrap|--bootstrap-server) ARG_BOOTSTRAP="$2"; shift 2 ;;
      *) REST+=("$1"); shift ;;
    esac
  done
}

stop() {
  parse_dir_port "$@"
  [[ ${#REST[@]} -eq 0 ]] || die "stop: unknown argument ${REST[0]}"
  local DIR PORT PID CREATED_DIR CONTROLLER_PORT
  if ! load_state "$ARG_DIR" "$ARG_PORT"; then
    log "no broker state found (${ARG_DIR:-port ${ARG_PORT:-${KAFKA_PORT:-9092}}}); nothing to stop"
    return 0
  fi
  if pid_alive "$PID"; then
    kill -TERM "$PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      pid_alive "$PID" || break
      sleep 0.1
    done
    if pid_alive "$PID"; then
      log "broker pid $PID did not stop within 10 s; killing it"
      kill -KILL "$PID" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  local pointer
  pointer="$(state_pointer "$PORT")"
  if [[ -f "$pointer" ]] && grep -qx "DIR=$DIR" "$pointer"; then
    rm -f "$pointer"
  fi
  if [[ "$CREATED_DIR" == 1 ]]; then
    rm -rf "$DIR"
    log "stopped the broker on port $PORT and removed $DIR"
  else
    rm -f "$DIR/kafka.pid"
    log "stopped the broker on port $PORT (its data stays in $DIR)"
  fi
}

status() {
  parse_dir_port "$@"
  local DIR PORT PID CREATED_DIR CONTROLLER_PORT
  load_state "$ARG_DIR" "$ARG_PORT" || { echo "stopped"; return 1; }
  if pid_alive "$PID" && broker_serves "$PORT" "$DIR/kafka.log"; then
    echo "running pid=$PID dir=$DIR bootstrap=127.0.0.1:$PORT"
  else
    echo "stopped dir=$DIR"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# topic

topic() {
  [[ $# -ge 1 ]] || usage
  local action="$1"; shift
  parse_dir_port "$@"
  set -- ${REST[@]+"${REST[@]}"}
  local bootstrap="$ARG_BOOTSTRAP"
  if [[ -z "$bootstrap" ]]; then
    if [[ -n "$ARG_DIR" ]]; then
      local DIR PORT PID CREATED_DIR CONTROLLER_PORT
      load_state "$ARG_DIR" "" || die "no broker state in $ARG_DIR"
      bootstrap="127.0.0.1:$PORT"
    else
      bootstrap="127.0.0.1:${ARG_PORT:-${KAFKA_PORT:-9092}}"
    fi
  fi
  local name="" partitions="" args=()
  if [[ "$action" != list ]]; then
    [[ $# -ge 1 && "$1" != --* ]] || die "topic $action: the topic name is missing"
    name="$1"; shift
  fi
  local configs=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --partitions) partitions="$2"; shift 2 ;;
      --partitions=*) partitions="${1#*=}"; shift ;;
      --config) configs+=(--config "$2"); shift 2 ;;
      *) die "topic $action: unknown argument $1" ;;
    esac
  done
  case "$action" in
    create)
      args=(--create --topic "$name" --partitions "${partitions:-1}" --replication-factor 1 ${configs[@]+"${configs[@]}"}) ;;
    add-partitions)
      [[ -n "$partitions" ]] || die "topic add-partitions: --partitions N (the new total) is required"
      args=(--alter --topic "$name" --partitions "$partitions") ;;
    delete)   args=(--delete --topic "$name") ;;
    describe) args=(--describe --topic "$name") ;;
    list)     args=(--list) ;;
    *) die "topic: unknown action $action (create, add-partitions, delete, describe, list)" ;;
  esac
  fetch
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
      -Dlog4j2.level=WARN -cp "$(java_cp)" \
      org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" "${args[@]}"
}

# ---------------------------------------------------------------------------------------------

[[ $# -ge 1 ]] || usage
cmd="$1"; shift
case "$cmd" in
  fetch) fetch; log "jars in $LIBS" ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  topic) topic "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
