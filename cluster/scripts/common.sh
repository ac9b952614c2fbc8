# Shared by the cluster scripts: where the binary, configuration and logs are.
#   SPATE_BIN      the spate binary (default: build/bin/spate of this checkout)
#   SPATE_CONF_DIR the directory of spate.yaml (default: conf/ of this checkout)
#   SPATE_LOG_DIR  logs and pid files (default: log/ of this checkout)
#   SPATE_OPTS     extra options for every process, e.g. "-D rest.port=8082"
#   SPATE_LIB_DIR  where the JobManager lets `spate run PATH.so` load job
#                  libraries from, unless spate.yaml sets rest.submit.library-dir
#                  (default: build/lib of this checkout)
#   SPATE_SECRET   the cluster secret that authenticates the mesh (CURVE),
#                  unless spate.yaml sets security.cluster-secret-file or key
#                  files; made on first start (default: cluster.secret in the
#                  configuration directory)
spate_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SPATE_BIN="${SPATE_BIN:-$spate_root/build/bin/spate}"
SPATE_CONF_DIR="${SPATE_CONF_DIR:-$spate_root/conf}"
SPATE_LOG_DIR="${SPATE_LOG_DIR:-$spate_root/log}"
SPATE_OPTS="${SPATE_OPTS:-}"
SPATE_LIB_DIR="${SPATE_LIB_DIR:-$spate_root/build/lib}"
SPATE_SECRET="${SPATE_SECRET:-$SPATE_CONF_DIR/cluster.secret}"
export SPATE_CONF_DIR
# glibc keeps up to 7 freed blocks per size in each thread's cache; a batch
# of 1,024 records with strings frees thousands, and the rest go the slow way
# (its bins, with atomics). 4,096 per size took 5-12 % off the CPU of
# Nexmark's q17. Set GLIBC_TUNABLES yourself to override.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.tcache_count=4096}"

if [ ! -x "$SPATE_BIN" ]; then
  echo "spate: no binary at $SPATE_BIN (build first: make build, or set SPATE_BIN)" >&2
  exit 2
fi
mkdir -p "$SPATE_LOG_DIR"

# The value of a key in spate.yaml (flat "key: value" lines), or $2.
conf_value() {
  local v=""
  if [ -f "$SPATE_CONF_DIR/spate.yaml" ]; then
    v="$(sed -n "s/^$1:[[:space:]]*//p" "$SPATE_CONF_DIR/spate.yaml" | sed 's/[[:space:]]*#.*//' | tail -n 1)"
  fi
  echo "${v:-$2}"
}

# True when the pid file names a live process.
alive() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# Starts "spate <role>" in the background as instance $2.
start_process() {
  local role="$1" n="$2"
  local pidfile="$SPATE_LOG_DIR/$role-$n.pid" logfile="$SPATE_LOG_DIR/$role-$n.log"
  local extra=()
  # The operator's `spate run PATH.so` loads job libraries from this
  # directory only (docs/security.md); spate.yaml or SPATE_OPTS may set another.
  if [ "$role" = jobmanager ] && [ -z "$(conf_value rest.submit.library-dir "")" ] &&
    [[ "$SPATE_OPTS" != *rest.submit.library-dir* ]]; then
    extra=(-D "rest.submit.library-dir=$SPATE_LIB_DIR")
  fi
  # Every process of the cluster proves it has the cluster secret, unless
  # spate.yaml or SPATE_OPTS chose keys themselves.
  if [ -z "$(conf_value security.cluster-secret-file "")" ] &&
    [ -z "$(conf_value security.mesh.key-file "")" ] &&
    [[ "$SPATE_OPTS" != *security.* ]]; then
    if [ ! -f "$SPATE_SECRET" ]; then
      "$SPATE_BIN" keys secret "$SPATE_SECRET" >/dev/null
    fi
    extra+=(-D "security.cluster-secret-file=$SPATE_SECRET")
  fi
  # shellcheck disable=SC2086
  nohup "$SPATE_BIN" "$role" --config-dir "$SPATE_CONF_DIR" "${extra[@]}" $SPATE_OPTS >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "started $role $n (pid $!, log $logfile)"
}

# Stops the process of a pid file: SIGTERM, then SIGKILL after 10 s.
stop_process() {
  local pidfile="$1"
  if alive "$pidfile"; then
    local pid
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop within 10 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
  fi
  rm -f "$pidfile"
}

# The live TaskManager instance numbers, ascending.
taskmanager_instances() {
  local f
  for f in "$SPATE_LOG_DIR"/taskmanager-*.pid; do
    [ -e "$f" ] || continue
    if alive "$f"; then
      basename "$f" .pid | sed 's/^taskmanager-//'
    else
      rm -f "$f"
    fi
  done | sort -n
}
