#!/usr/bin/env bash
# Adds (start) or removes (stop: the newest) one TaskManager of the cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-}" in
  start)
    last="$(taskmanager_instances | tail -n 1)"
    start_process taskmanager "$(( ${last:-0} + 1 ))"
    ;;
  stop)
    last="$(taskmanager_instances | tail -n 1)"
    if [ -z "$last" ]; then
      echo "no TaskManager is running" >&2
      exit 1
    fi
    stop_process "$SPATE_LOG_DIR/taskmanager-$last.pid"
    ;;
  *)
    echo "usage: taskmanager.sh start|stop" >&2
    exit 2
    ;;
esac
