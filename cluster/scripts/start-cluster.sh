#!/usr/bin/env bash
# Starts one JobManager and N TaskManagers in the background and waits until
# every TaskManager registered. N: the argument, else taskmanager.count in
# spate.yaml, else 1. A running cluster is left as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

count="${1:-$(conf_value taskmanager.count 1)}"
if ! [[ "$count" =~ ^[0-9]+$ ]] || [ "$count" -lt 1 ]; then
  echo "usage: start-cluster.sh [number of TaskManagers >= 1]" >&2
  exit 2
fi

if alive "$SPATE_LOG_DIR/jobmanager-0.pid"; then
  echo "a cluster is already running (JobManager pid $(cat "$SPATE_LOG_DIR/jobmanager-0.pid")); stop-cluster.sh stops it"
  exit 0
fi

start_process jobmanager 0
for _ in $(seq "$count"); do
  "$(dirname "${BASH_SOURCE[0]}")/taskmanager.sh" start
done

# shellcheck disable=SC2086
if ! "$SPATE_BIN" overview --config-dir "$SPATE_CONF_DIR" $SPATE_OPTS --wait-taskmanagers "$count" \
    --timeout "${SPATE_START_TIMEOUT:-30}" >/dev/null; then
  echo "the cluster did not come up: see $SPATE_LOG_DIR" >&2
  exit 1
fi
echo "cluster up: 1 JobManager, $count TaskManager(s)"
