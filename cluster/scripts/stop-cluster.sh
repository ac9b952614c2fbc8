#!/usr/bin/env bash
# Stops every TaskManager, then the JobManager, started by start-cluster.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for n in $(taskmanager_instances); do
  stop_process "$SPATE_LOG_DIR/taskmanager-$n.pid"
done
stop_process "$SPATE_LOG_DIR/jobmanager-0.pid"
