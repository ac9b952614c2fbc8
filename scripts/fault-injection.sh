#!/usr/bin/env bash
# The long fault-injection run: ROUNDS runs of the fault suite (each a fresh
# lab cluster and job, FAULTS faults from its own logged seed), then the
# results table for docs/fault-injection.md on stdout. Needs root (network
# namespaces, a loop device) and a build (make build).
#
#   sudo scripts/fault-injection.sh            # 4 rounds x 25 faults = 100
#   ROUNDS=1 FAULTS=10 scripts/fault-injection.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-4}
FAULTS=${FAULTS:-25}
BUILD=${BUILD:-build}
report=$(mktemp /tmp/spate-faults-XXXXXX.jsonl)
trap 'rm -f "$report"' EXIT
status=0
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS: $FAULTS faults" >&2
  if ! SPATE_FAULTS=$FAULTS SPATE_FAULT_REPORT=$report SPATE_BIN=$PWD/$BUILD/bin \
      "$BUILD/test-bin/test_fault_injection" --log_level=message >&2; then
    echo "round $round FAILED (its seed is in the log above)" >&2
    status=1
  fi
done
python3 - "$report" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
faults = [f for r in runs for f in r["list"]]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))] if v else 0
print("| fault | injected | survived | restarts caused | recovery p50 | recovery p99 | max |")
print("|---|---:|---:|---:|---:|---:|---:|")
kinds = sorted({f["kind"] for f in faults})
for k in kinds + ["all"]:
    fs = [f for f in faults if k == "all" or f["kind"] == k]
    t = [f["recovery_ms"] for f in fs]
    name = "**all**" if k == "all" else k
    print(f"| {name} | {len(fs)} | {sum(f['recovered'] for f in fs)} | "
          f"{sum(f['restarts'] for f in fs)} | {pct(t, .5)} ms | {pct(t, .99)} ms | {max(t, default=0)} ms |")
print()
print(f"Runs: {len(runs)} (seeds {', '.join(str(r['seed']) for r in runs)}); "
      f"records lost: {sum(r['lost'] for r in runs)}, duplicated: {sum(r['duplicated'] for r in runs)}; "
      f"output lines compared: {sum(r['lines'] for r in runs)}.")
PY
exit $status
